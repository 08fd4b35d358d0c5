/* Storage faults, injected the way SQLite tests itself (tests/unit/fault_vfs.h): for a contact
 * create, update and delete and a pipeline create done through the service layer, the Nth
 * read, write, sync or open fails — once, or from then on — for N = 1, 2, ... until the
 * operation completes without reaching the fault. At every N:
 *   - the operation either succeeds or answers unavailable (503), nothing else;
 *   - a failed one changed nothing (no half-written record, no event or log row of its own),
 *     a successful one wrote its record with exactly one event and one event-log row;
 *   - the database stays consistent: integrity_check, foreign keys, every phone claim held by a
 *     live contact, every contact with its CONTACT_CREATE log row, the contact counter right;
 *   - once the fault is cleared, the same operation succeeds. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fault_vfs.h"
#include "lib/errors.h"
#include "service/contacts.h"
#include "service/orgs.h"
#include "service/pipelines.h"
#include "service/users.h"
#include "tap.h"
#include "temp_app.h"

static temp_app t;
static crm_user admin;
static char contact_id[32];   /* the contact the updates change */
static int serial;            /* makes every phone number and name fresh */

/* ---- what the database holds, read past the faulty VFS ---- */

typedef struct snapshot {
    long long contacts, phones, logs, events, pipelines, stages, counter;
    bool consistent;
    char why[200];
} snapshot;

static long long count(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static snapshot take(void)
{
    snapshot s = {.consistent = true};
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    /* Read-write only because FTS5's integrity-check is spelled as an INSERT; nothing is written. */
    if (sqlite3_open_v2(t.path, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK) {
        snprintf(s.why, sizeof s.why, "cannot open the database to check it");
        s.consistent = false;
        goto done;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0) {
        snprintf(s.why, sizeof s.why, "integrity_check: %s",
                 st && sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
        s.consistent = false;
    }
    sqlite3_finalize(st);
    if (s.consistent &&
        sqlite3_exec(db, "INSERT INTO contact_search (contact_search) VALUES ('integrity-check')", NULL, NULL, NULL) !=
            SQLITE_OK) {
        snprintf(s.why, sizeof s.why, "the search index: %s", sqlite3_errmsg(db));
        s.consistent = false;
    }
    static const struct { const char *sql, *what; } zero[] = {
        {"SELECT count(*) FROM pragma_foreign_key_check", "foreign key violations"},
        {"SELECT count(*) FROM contact_phones p WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE "
         "c.organization_id = p.organization_id AND c.id = p.contact_id)", "phone claims of no live contact"},
        {"SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM event_logs l WHERE "
         "l.organization_id = c.organization_id AND l.contact_id = c.id AND l.type = 'CONTACT_CREATE')",
         "contacts without their CONTACT_CREATE log row"},
        {"SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM contact_phones p WHERE "
         "p.organization_id = c.organization_id AND p.contact_id = c.id)", "contacts without a phone"},
    };
    for (size_t i = 0; i < sizeof zero / sizeof *zero && s.consistent; i++) {
        long long n = count(db, zero[i].sql);
        if (n != 0) {
            snprintf(s.why, sizeof s.why, "%lld %s", n, zero[i].what);
            s.consistent = false;
        }
    }
    s.contacts = count(db, "SELECT count(*) FROM contacts");
    s.phones = count(db, "SELECT count(*) FROM contact_phones");
    s.logs = count(db, "SELECT count(*) FROM event_logs");
    s.events = count(db, "SELECT count(*) FROM events");
    s.pipelines = count(db, "SELECT count(*) FROM pipelines");
    s.stages = count(db, "SELECT count(*) FROM pipeline_stages");
    s.counter = count(db, "SELECT coalesce(sum(n), 0) FROM contact_counts");
    if (s.consistent && s.counter != s.contacts) {
        snprintf(s.why, sizeof s.why, "contact_counts says %lld, contacts holds %lld", s.counter, s.contacts);
        s.consistent = false;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
done:
    sqlite3_close(db);
    return s;
}

/* ---- the operations ---- */

typedef struct op {
    const char *name;
    void (*prepare)(void);        /* runs before arming (the delete's victim) */
    int (*run)(crm_err *err);     /* 0, or the service's -code */
    snapshot delta;               /* what a success adds (negative: removes) */
    bool (*written)(void);        /* the success is visible (and a failure is not) */
} op;

static int create_with_phone(const char *phone, char id_out[32], crm_err *err)
{
    arena *a = arena_new();
    contact_value_input ph = {.value = phone, .is_primary = -1, .field = "phoneNumber"};
    contact_input in = {.given = CK_PHONES | CK_FIRST_NAME, .phones = &ph, .nphones = 1, .first_name = "Faulty"};
    int status = 0;
    char *reply = NULL;
    int rc = contact_create(&t.app, &admin, &in, a, &status, &reply, err);
    if (rc == 0 && id_out) {
        const char *p = strstr(reply, "\"_id\":\"");
        snprintf(id_out, 32, "%.24s", p ? p + 7 : "");
    }
    arena_destroy(a);
    return rc;
}

static char phone[32];
static void next_phone(void)
{
    snprintf(phone, sizeof phone, "+1415555%04d", ++serial % 10000);
}

static bool phone_taken(void)
{
    arena *a = arena_new();
    crm_err err = {0};
    crm_contact ct;
    bool found = contact_find_by_phone(&t.app, &admin, phone, a, &ct, &err) == 0;
    arena_destroy(a);
    return found;
}

static int run_create(crm_err *err)
{
    return create_with_phone(phone, NULL, err);
}

static char name[32];
static void next_name(void)
{
    snprintf(name, sizeof name, "Renamed %d", ++serial);
}

static int run_update(crm_err *err)
{
    arena *a = arena_new();
    contact_input in = {.given = CK_FIRST_NAME, .first_name = name};
    crm_contact out;
    int rc = contact_update(&t.app, &admin, contact_id, &in, NULL, a, &out, err);
    arena_destroy(a);
    return rc;
}

static bool renamed(void)
{
    arena *a = arena_new();
    crm_err err = {0};
    crm_contact ct;
    bool yes = contact_read(&t.app, &admin, contact_id, a, &ct, &err) == 0 && ct.first_name &&
               strcmp(ct.first_name, name) == 0;
    arena_destroy(a);
    return yes;
}

static char victim[32];
static void make_victim(void)
{
    crm_err err = {0};
    next_phone();
    if (create_with_phone(phone, victim, &err) != 0)
        fprintf(stderr, "# could not create the contact to delete: %s\n", err.message);
}

static int run_delete(crm_err *err)
{
    const char *ids[1] = {victim};
    int64_t deleted = 0;
    return contact_delete(&t.app, &admin, ids, 1, true, &deleted, err);
}

static bool victim_gone(void)
{
    return !phone_taken();
}

static int run_pipeline(crm_err *err)
{
    arena *a = arena_new();
    stage_input stages[2] = {{.name = "Open", .position = -1, .field = "pipelineStages[0]"},
                             {.name = "Closed", .position = -1, .field = "pipelineStages[1]"}};
    pipeline_input in = {.name = name, .type = "Contact", .stages = stages, .nstages = 2};
    crm_pipeline out;
    int rc = pipeline_create(&t.app, &admin, &in, a, &out, err);
    arena_destroy(a);
    return rc;
}

static bool pipeline_exists(void)
{
    arena *a = arena_new();
    crm_err err = {0};
    crm_pipeline *list = NULL;
    size_t n = 0;
    bool yes = false;
    if (pipeline_list_for(&t.app, &admin, "Contact", a, &list, &n, &err) == 0)
        for (size_t i = 0; i < n; i++)
            yes = yes || strcmp(list[i].name, name) == 0;
    arena_destroy(a);
    return yes;
}

static const op ops[] = {
    {"contact create", next_phone, run_create, {.contacts = 1, .phones = 1, .logs = 1, .events = 1}, phone_taken},
    {"contact update", next_name, run_update, {.logs = 1, .events = 1}, renamed},
    {"contact delete", make_victim, run_delete, {.contacts = -1, .phones = -1, .logs = 1, .events = 1}, victim_gone},
    {"pipeline create", next_name, run_pipeline, {.pipelines = 1, .stages = 2}, pipeline_exists},
};

static bool same_counts(const snapshot *a, const snapshot *b, const snapshot *d)
{
    return b->contacts == a->contacts + d->contacts && b->phones == a->phones + d->phones &&
           b->logs == a->logs + d->logs && b->events == a->events + d->events &&
           b->pipelines == a->pipelines + d->pipelines && b->stages == a->stages + d->stages;
}

static const struct { const char *name; int kinds; bool full; } faults[] = {
    {"read", FAULT_READ, false},   {"write", FAULT_WRITE, false}, {"full disk", FAULT_WRITE, true},
    {"sync", FAULT_SYNC, false},   {"open", FAULT_OPEN, false},
};

/* Another process's commit: every connection of the app finds its page cache stale and reads
 * the file again, so that read faults have reads to hit (a warm cache reads nothing). */
static void chill_caches(void)
{
    sqlite3 *db = NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO meta (key, value) VALUES ('fault-test', '%d')", ++serial);
    if (sqlite3_open_v2(t.path, &db, SQLITE_OPEN_READWRITE, "unix") != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fprintf(stderr, "# could not touch the database: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* Runs one operation against one kind of fault at every N; one TAP line for all of them. */
static void sweep(const op *o, int f, bool persistent)
{
    char fail[400] = "";
    long n, failures = 0, successes = 0;
    for (n = 1; n < 2000 && !fail[0]; n++) {
        o->prepare();
        snapshot before = take();
        if (faults[f].kinds & FAULT_READ)
            chill_caches();
        crm_err err = {0};
        fault_arm(faults[f].kinds, n, persistent, faults[f].full);
        int rc = o->run(&err);
        long hits = fault_disarm();
        snapshot after = take();
        snapshot none = {0};
        if (rc != 0 && rc != -CRM_E_UNAVAILABLE) {
            snprintf(fail, sizeof fail, "N=%ld: answered %s (%s), not unavailable", n, crm_error_code(-rc), err.message);
        } else if (!after.consistent) {
            snprintf(fail, sizeof fail, "N=%ld: inconsistent after %s: %s", n, rc ? "a failure" : "a success", after.why);
        } else if (!same_counts(&before, &after, rc == 0 ? &o->delta : &none)) {
            snprintf(fail, sizeof fail, "N=%ld (%s): contacts %lld->%lld phones %lld->%lld logs %lld->%lld "
                     "events %lld->%lld pipelines %lld->%lld", n, rc ? "failed" : "succeeded", before.contacts,
                     after.contacts, before.phones, after.phones, before.logs, after.logs, before.events,
                     after.events, before.pipelines, after.pipelines);
        } else if (o->written() != (rc == 0)) {
            snprintf(fail, sizeof fail, "N=%ld: the operation %s but its record %s", n, rc ? "failed" : "succeeded",
                     rc ? "is there" : "is not");
        } else if (rc != 0) {
            failures++;
            /* The fault is gone: the same operation goes through now. */
            crm_err again = {0};
            int rc2 = o->run(&again);
            if (rc2 != 0 || !o->written())
                snprintf(fail, sizeof fail, "N=%ld: with the fault cleared the operation still fails: %s (%s)", n,
                         crm_error_code(-rc2), again.message);
            else if (!take().consistent)
                snprintf(fail, sizeof fail, "N=%ld: inconsistent after the retry", n);
        } else {
            successes++;
        }
        if (hits == 0 && rc == 0)
            break;   /* the operation ran to its end before the Nth operation: every point is covered */
    }
    ok(!fail[0] && n < 2000, "%s, %s %s fault at each of %ld points: %ld failed cleanly, %ld succeeded%s%s", o->name,
       persistent ? "persistent" : "transient", faults[f].name, n, failures, successes, fail[0] ? "; " : "", fail);
}

int main(void)
{
    if (!fault_vfs_install()) {
        printf("not ok 1 - the fault VFS installs\n1..1\n");
        return 1;
    }
    /* On tmpfs when there is one: every N pays several fsyncs and a reopened connection. */
    char url0[160], e0[256];
    snprintf(t.dir, sizeof t.dir, "%s/crmd-faults-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(t.dir)) {
        printf("not ok 1 - temp dir\n1..1\n");
        return 1;
    }
    log_set_quiet(1);
    snprintf(t.path, sizeof t.path, "%s/test.db", t.dir);
    snprintf(url0, sizeof url0, "sqlite:%s", t.path);
    if (app_open(&t.app, url0, "test-secret", e0, sizeof e0) != 0) {
        printf("not ok 1 - open: %s\n1..1\n", e0);
        return 1;
    }
    arena *a = arena_new();
    crm_err err = {0};
    crm_org org;
    temp_app_org(&t, "fault", a, &org, &admin);
    next_phone();
    ok(create_with_phone(phone, contact_id, &err) == 0 && contact_id[0], "a contact to update");
    snapshot s = take();
    ok(s.consistent, "consistent before any fault%s%s", s.consistent ? "" : ": ", s.why);

    for (size_t o = 0; o < sizeof ops / sizeof *ops; o++)
        for (int f = 0; f < (int)(sizeof faults / sizeof *faults); f++)
            for (int p = 0; p < 2; p++)
                sweep(&ops[o], f, p);

    /* After all of that, a clean restart finds the same, consistent database. */
    snapshot end = take();
    app_close(&t.app);
    char url[160], e[256];
    snprintf(url, sizeof url, "sqlite:%s", t.path);
    ok(app_open(&t.app, url, "test-secret", e, sizeof e) == 0, "the database reopens");
    snapshot reopened = take();
    snapshot none = {0};
    ok(reopened.consistent && same_counts(&end, &reopened, &none), "and holds what it held, consistent%s%s",
       reopened.consistent ? "" : ": ", reopened.why);
    arena_destroy(a);
    ok(temp_app_close(&t), "temp dir removed");
    return tap_done();
}
