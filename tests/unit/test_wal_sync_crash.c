/* A crash right after a failed fsync of the WAL (tests/unit/fault_vfs.h): what the client was
 * told, what the running server shows, and what a server restarted on the files finds.
 *
 * When the fsync at COMMIT fails, SQLite returns the error without adding the transaction to the
 * WAL index, so the running server never shows it and the request answers unavailable; but its
 * frames, commit frame included, are already written to the WAL file. The next commit writes
 * over them; a crash before that leaves them, and recovery at the next start replays the WAL and
 * finds a complete transaction. The test takes the files as a kill -9 at that moment leaves them
 * (the page cache survives a process crash) and opens them as a restarted server would:
 *   - live: the create answered unavailable, the contact is not readable, its number is free;
 *   - restarted: the contact is there, whole (with its event-log entry and event), and the
 *     database passes every check of `crmd check`;
 *   - a retry with the same Idempotency-Key gets the original 201 replayed; a retry without one
 *     gets phone_taken naming the contact: the 503 meant "outcome unknown", and the key makes the
 *     retry safe. docs/security.md ("Storage faults") and docs/operations.md say so. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fault_vfs.h"
#include "lib/errors.h"
#include "service/contacts.h"
#include "service/orgs.h"
#include "service/users.h"
#include "store/sqlite/sqlite.h"
#include "tap.h"
#include "temp_app.h"

static crm_user admin;

static int create(crm_app *app, const char *phone, const char *key, int *status, char id[32], crm_err *err)
{
    arena *a = arena_new();
    contact_value_input ph = {.value = phone, .is_primary = -1, .field = "phoneNumber"};
    contact_input in = {.given = CK_PHONES | CK_FIRST_NAME, .phones = &ph, .nphones = 1, .first_name = "Synced",
                        .idempotency_key = key, .request_hash = key ? "0123abcd" : NULL};
    char *reply = NULL;
    int rc = contact_create(app, &admin, &in, a, status, &reply, err);
    id[0] = '\0';
    if (rc == 0) {
        const char *p = strstr(reply, "\"_id\":\"");
        snprintf(id, 32, "%.24s", p ? p + 7 : "");
    }
    arena_destroy(a);
    return rc;
}

static bool number_taken(crm_app *app, const char *phone, char id[32])
{
    arena *a = arena_new();
    crm_err err = {0};
    crm_contact ct;
    bool found = contact_find_by_phone(app, &admin, phone, a, &ct, &err) == 0;
    if (found)
        snprintf(id, 32, "%s", ct.id);
    arena_destroy(a);
    return found;
}

static bool copy_file(const char *from, const char *to)
{
    char buf[65536];
    FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
    size_t n;
    bool good = in && out;
    while (good && (n = fread(buf, 1, sizeof buf, in)) > 0)
        good = fwrite(buf, 1, n, out) == n;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        good = false;
    return good;
}

static long long count_of(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, "unix") == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static void count_violation(void *ctx, const store_violation *v)
{
    (*(int *)ctx)++;
    printf("# violation %s: %s: %s\n", v->kind, v->subject ? v->subject : "-", v->rule);
}

int main(void)
{
    temp_app t;
    crm_err err = {0};
    char id[32], held[32], url[220], e[256] = "", crash[160], from[200], to[200];
    int status = 0;
    if (!fault_vfs_install()) {
        printf("not ok 1 - the fault VFS installs\n1..1\n");
        return 1;
    }
    temp_app_open(&t);
    arena *a = arena_new();
    crm_org org;
    temp_app_org(&t, "sync", a, &org, &admin);
    ok(create(&t.app, "+14155550100", NULL, &status, id, &err) == 0, "a contact before the fault");

    /* The next sync fails: the commit's fsync of the WAL (the checkpoint thread syncs only after
     * a commit, so the first sync from now is the writer's). */
    fault_arm(FAULT_SYNC, 1, false, false);
    int rc = create(&t.app, "+14155550111", "retry-key-1", &status, id, &err);
    long hits = fault_disarm();
    is_int(hits, 1, "the fault hit one sync");
    is_int(rc, -CRM_E_UNAVAILABLE, "the create whose commit could not be synced answers unavailable");
    ok(!number_taken(&t.app, "+14155550111", held), "the running server does not show it: its number is free");

    /* kill -9 now: the files as they are, without the shared-memory index. */
    snprintf(crash, sizeof crash, "%s/crash", t.dir);
    ok(mkdir(crash, 0700) == 0, "a directory for the crashed files");
    snprintf(from, sizeof from, "%s", t.path);
    snprintf(to, sizeof to, "%s/test.db", crash);
    bool copied = copy_file(from, to);
    snprintf(from, sizeof from, "%s-wal", t.path);
    snprintf(to, sizeof to, "%s/test.db-wal", crash);
    ok(copied && copy_file(from, to), "the database and its WAL as a crash leaves them");

    /* The running server goes on: the next write takes the failed transaction's place. */
    ok(create(&t.app, "+14155550111", NULL, &status, id, &err) == 0 && status == 201,
       "live: a retry of the create succeeds (%s)", err.message);
    ok(number_taken(&t.app, "+14155550111", held) && strcmp(held, id) == 0, "live: the retry's contact holds the number");

    /* A server restarted on the crashed files: recovery replays the WAL. */
    snprintf(to, sizeof to, "%s/test.db", crash);
    long long found = count_of(to, "SELECT count(*) FROM contact_phones WHERE e164 = '+14155550111'");
    is_int(found, 1, "restarted: the transaction that answered unavailable is there (recovered from the WAL)");
    is_int(count_of(to, "SELECT count(*) FROM event_logs l JOIN contact_phones p ON p.contact_id = l.contact_id "
                        "WHERE p.e164 = '+14155550111' AND l.type = 'CONTACT_CREATE'"),
           1, "restarted: whole, with its event-log entry");
    is_int(count_of(to, "SELECT count(*) FROM idempotency_keys WHERE key = 'retry-key-1'"), 1,
           "restarted: and its Idempotency-Key record");
    int violations = 0;
    store_check_stats stats;
    ok(store_sqlite_check(to, count_violation, &violations, &stats, e, sizeof e) == 0 && violations == 0,
       "restarted: the database passes crmd check (%d violations%s%s)", violations, e[0] ? "; " : "", e);

    crm_app restarted;
    snprintf(url, sizeof url, "sqlite:%s", to);
    if (app_open(&restarted, url, "test-secret", e, sizeof e) != 0) {
        ok(0, "the crashed files open: %s", e);
        return tap_done();
    }
    char replayed[32];
    rc = create(&restarted, "+14155550111", "retry-key-1", &status, replayed, &err);
    ok(rc == 0 && status == 201 && number_taken(&restarted, "+14155550111", held) && strcmp(replayed, held) == 0,
       "restarted: a retry with the same Idempotency-Key replays the original 201 (rc %d, status %d)", rc, status);
    memset(&err, 0, sizeof err);
    rc = create(&restarted, "+14155550111", NULL, &status, id, &err);
    ok(rc == -CRM_E_PHONE_TAKEN && strcmp(err.contact_id, held) == 0,
       "restarted: a retry without a key gets phone_taken naming that contact (rc %d)", rc);
    app_close(&restarted);
    arena_destroy(a);
    ok(temp_app_close(&t), "temp dir removed");
    return tap_done();
}
