/* What only the PostgreSQL store has to show (CRMD_TEST_PG_URL names an empty database of the
 * throwaway cluster of scripts/with-postgres): that a search at 100,000 contacts reads the
 * trigram indexes, not the table, and finds what it must; and that a unit whose writes went
 * with its COMMIT in one pipeline fails whole when one of them fails, and leaves its connection
 * fit for the next unit; that the event sequencer's check reads its index as the stream grows; and
 * that migration 5 keeps the search documents of contacts stored before it. */
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/errors.h"
#include "lib/log.h"
#include "lib/objectid.h"
#include "store/pg/pg.h"
#include "store/store.h"
#include "store_units.h"
#include "tap.h"

#define CONTACTS 100000

static int sql(PGconn *db, const char *text)
{
    PGresult *r = PQexec(db, text);
    int good = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!good)
        fprintf(stderr, "# %s\n", PQresultErrorMessage(r));
    PQclear(r);
    return good ? 0 : -1;
}

/* 100,000 contacts of one org written straight into the tables (the store writes them one unit at
 * a time; here only the read side is under test): "Name<n> Family<n>", name<n>@example.com,
 * +1416<7 digits of n> (in contact_phones and in the row's copy of its list). */
static int seed(const char *url, const crm_org *o, const crm_pipeline *p)
{
    char text[4096];
    PGconn *db = PQconnectdb(url);
    int rc = PQstatus(db) == CONNECTION_OK ? 0 : -1;
    snprintf(text, sizeof text,
             "BEGIN READ WRITE;"
             "INSERT INTO contacts (organization_id, id, user_id, created_by, first_name, last_name, status,"
             "  pipeline_id, stage_id, created_at, updated_at, phone_list)"
             " SELECT '%s', lpad(to_hex(g), 24, '0'), 'aaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaa',"
             "  'Name' || g, 'Family' || g, 'New Lead', '%s', '%s', 1700000000000 + g, 1700000000000 + g,"
             "  '01+1416' || lpad(g::text, 7, '0')"
             " FROM generate_series(1, %d) AS g;"
             "INSERT INTO contact_search (organization_id, contact_id, words, digits)"
             " SELECT '%s', lpad(to_hex(g), 24, '0'),"
             "  lower('Name' || g || ' Family' || g || E'\\nname' || g || '@example.com'),"
             "  '1416' || lpad(g::text, 7, '0')"
             " FROM generate_series(1, %d) AS g;"
             "INSERT INTO contact_phones (organization_id, e164, contact_id, is_secondary, is_primary, position)"
             " SELECT '%s', '+1416' || lpad(g::text, 7, '0'), lpad(to_hex(g), 24, '0'), false, true, 0"
             " FROM generate_series(1, %d) AS g;"
             "COMMIT;",
             o->id, p->id, p->stages[0].id, CONTACTS, o->id, CONTACTS, o->id, CONTACTS);
    if (rc == 0)
        rc = sql(db, text);
    /* Vacuumed and analyzed now, so that no autovacuum of the 100,000 new rows changes the
     * planner's statistics (and so a plan) in the middle of the checks. */
    if (rc == 0)
        rc = sql(db, "VACUUM ANALYZE contacts, contact_search, contact_phones");
    PQfinish(db);
    return rc;
}

static void check_plan(store *s, const char *org_id, const contact_query *q, int count, const char *index,
                       const char *what)
{
    char plan[8192];
    int rc = store_pg_list_plan(s, org_id, q, count, plan, sizeof plan);
    ok(rc == 0 && strstr(plan, index) && !strstr(plan, "Seq Scan on contacts"), "%s reads %s", what, index);
    if (rc != 0 || !strstr(plan, index))
        fprintf(stderr, "# plan:\n%s", plan);
}

/* A contact, its log row and its event: every write of a create, all sent with the COMMIT. */
struct create_arg { crm_contact *ct; crm_event_log *log; };
static int u_create(store_conn *c, void *arg)
{
    struct create_arg *w = arg;
    int rc = c->ops->contact_insert(c, w->ct);
    if (rc == 0)
        rc = c->ops->event_log_insert(c, w->log);
    if (rc == 0)
        rc = c->ops->event_append(c, w->ct->org_id, "contact_created", "{}", NULL);
    return rc;
}

static void test_pipelined_units(const char *url, const crm_org *o, const crm_pipeline *p)
{
    char err[512] = "";
    /* A store of its own: a connection on which nothing is prepared yet, so that the failed
     * pipeline also holds the first PREPARE of the statements after the failure. */
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "a second store"))
        return;
    crm_phone taken = {.e164 = "+14160000007", .is_primary = true}, fresh = {.e164 = "+14169999999", .is_primary = true};
    crm_contact ct = {.status = "New Lead", .phones = &taken, .nphones = 1, .created_at = 1, .updated_at = 1};
    crm_event_log log = {.type = "CONTACT_CREATE", .source = "manual", .created_at = 1};
    objectid_new(ct.id);
    strcpy(ct.org_id, o->id);
    strcpy(ct.user_id, "aaaaaaaaaaaaaaaaaaaaaaaa");
    strcpy(ct.created_by, ct.user_id);
    strcpy(ct.pipeline_id, p->id);
    strcpy(ct.stage_id, p->stages[0].id);
    objectid_new(log.id);
    strcpy(log.org_id, o->id);
    strcpy(log.contact_id, ct.id);
    struct create_arg w = {&ct, &log};
    int64_t before = -1, after = -1;
    store_conn *r = s->ops->reader(s);
    r->ops->event_last_seq(r, &before);

    is_int(s->ops->write(s, u_create, &w), -CRM_E_PHONE_TAKEN, "a create whose number is taken fails whole");
    arena *a = arena_new();
    crm_contact got;
    is_int(r->ops->contact_get(r, o->id, ct.id, a, &got), -CRM_E_NOT_FOUND, "its contact is not stored");
    r->ops->event_last_seq(r, &after);
    ok(before >= 0 && after == before, "nor its event (%lld, %lld)", (long long)before, (long long)after);

    ct.phones = &fresh;
    is_int(s->ops->write(s, u_create, &w), 0, "the same create with a free number, on the same connection");
    is_int(r->ops->contact_get(r, o->id, ct.id, a, &got), 0, "stores its contact");
    r->ops->event_last_seq(r, &after);
    ok(after == before + 1, "and its event");
    arena_destroy(a);
    s->ops->close(s);
}

/* The sequencer's check for events waiting for a number runs after every commit that appended
 * one. Its plan is made once per connection, when the stream may be empty; it must still read
 * the partial index, not the table, once the stream holds 50,000 numbered events. */
static void test_pending_check_plan(const char *url, store *s, const crm_org *o)
{
    store_conn *r = s->ops->reader(s);
    int64_t seq = -1;
    is_int(r->ops->event_last_seq(r, &seq), 0, "the stream's last number, with the stream empty");
    char text[1024], plan[4096];
    PGconn *db = PQconnectdb(url);
    snprintf(text, sizeof text,
             "INSERT INTO events (seq, organization_id, name, payload, created_at)"
             " SELECT %lld + g, '%s', 'contact_created', '{}', 1700000000000 + g"
             " FROM generate_series(1, 50000) AS g;"
             "INSERT INTO events (organization_id, name, payload, created_at)"
             " VALUES ('%s', 'contact_created', '{}', 1700000050001)", (long long)seq, o->id, o->id);
    is_int(PQstatus(db) == CONNECTION_OK ? sql(db, text) : -1, 0, "50,000 numbered events and one waiting");
    PQfinish(db);
    int64_t before = seq;
    int rc = store_pg_statement_plan(s, "EVENT_PENDING", plan, sizeof plan);
    ok(rc == 0 && strstr(plan, "events_unnumbered") && !strstr(plan, "Seq Scan"),
       "the check for waiting events reads events_unnumbered");
    if (rc != 0 || !strstr(plan, "events_unnumbered"))
        fprintf(stderr, "# plan:\n%s", plan);
    is_int(r->ops->event_last_seq(r, &seq), 0, "the stream's last number again");
    is_int(seq, before + 50001, "counts the waiting event, numbered next");
}

static _Atomic int hooked;
static void count_hook(void *ctx)
{
    (void)ctx;
    atomic_fetch_add(&hooked, 1);
}

/* A reader here that numbers events tells the commit hook (the event hub), as another server's
 * numbering does through its notification: a server's own notification does not come back to it,
 * so an event numbered by its webhook dispatcher used to reach its live streams only with the
 * next commit (a flaky cluster test). */
static void test_numbering_tells_the_hook(const char *url, store *s, const crm_org *o)
{
    char text[512];
    int64_t last = 0;
    store_conn *r = s->ops->reader(s);
    is_int(r->ops->event_last_seq(r, &last), 0, "the stream's last number");
    s->ops->set_commit_hook(s, count_hook, NULL);
    PGconn *db = PQconnectdb(url);
    snprintf(text, sizeof text, "INSERT INTO events (organization_id, name, payload, created_at) "
             "VALUES ('%s', 'contact_created', '{}', 1)", o->id);
    is_int(sql(db, text), 0, "an event committed by another server, not yet numbered");
    PQfinish(db);
    int before = atomic_load(&hooked);
    arena *a = arena_new();
    crm_event *ev = NULL;
    size_t n = 0;
    is_int(r->ops->event_list_after(r, NULL, last, 10, a, &ev, &n), 0, "a reader of the whole stream");
    ok(n == 1 && ev[0].seq == last + 1, "numbers it and reads it");
    ok(atomic_load(&hooked) > before, "and tells the commit hook that events were numbered");
    s->ops->set_commit_hook(s, NULL, NULL);
    arena_destroy(a);
}

/* Migration 5 moves each contact's search document from the contacts row to contact_search: a
 * contact stored under schema 4 is found by name and by number after it. (Its own database.) */
static void test_search_document_upgrade(const char *url, const crm_org *o, const crm_pipeline *p)
{
    char other[1024], text[2048], err[256] = "";
    PGconn *db = PQconnectdb(url);
    is_int(sql(db, "SET client_min_messages = warning") || sql(db, "DROP DATABASE IF EXISTS crmd_unit_schema4") ||
           sql(db, "CREATE DATABASE crmd_unit_schema4"), 0,
           "a database for schema 4");
    PQfinish(db);
    const char *query = strchr(url, '?'), *end = query ? query : url + strlen(url), *slash = end;
    while (slash > url && slash[-1] != '/')
        slash--;
    snprintf(other, sizeof other, "%.*scrmd_unit_schema4%s", (int)(slash - url), url, query ? query : "");
    store *s = store_open(other, err, sizeof err);
    if (!ok(s != NULL, "store_open of it")) {
        fprintf(stderr, "# %s\n", err);
        return;
    }
    is_int(store_pg_migrate_to(s, 4), 0, "migrated to schema 4 only");
    is_int(s->ops->write(s, u_org_insert, (void *)o), 0, "an organization");
    is_int(s->ops->write(s, u_pipeline_insert, (void *)p), 0, "its pipeline");
    db = PQconnectdb(other);
    snprintf(text, sizeof text,
             "INSERT INTO contacts (organization_id, id, user_id, created_by, first_name, last_name, status,"
             "  pipeline_id, stage_id, created_at, updated_at, search_words, search_digits)"
             " VALUES ('%s', 'bbbbbbbbbbbbbbbbbbbbbbbb', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaa',"
             "  'Olga', 'Oldschema', 'New Lead', '%s', '%s', 1700000000000, 1700000000000,"
             "  E'olga oldschema\\nolga@old.example', '14165550100');"
             "INSERT INTO contact_phones (organization_id, e164, contact_id, is_secondary, is_primary, position)"
             " VALUES ('%s', '+14165550100', 'bbbbbbbbbbbbbbbbbbbbbbbb', false, true, 0);"
             "INSERT INTO contact_emails (organization_id, contact_id, position, value, is_primary)"
             " VALUES ('%s', 'bbbbbbbbbbbbbbbbbbbbbbbb', 0, 'olga@old.example', true)",
             o->id, p->id, p->stages[0].id, o->id, o->id);
    is_int(sql(db, text), 0, "a contact with schema 4's search columns");
    PQfinish(db);
    is_int(s->ops->migrate(s), 0, "migrations 5 and on");
    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_contact *out;
    size_t n = 0;
    int64_t total = -1;
    contact_query q = {.search = "OLDSCHEMA", .limit = 10};
    is_int(r->ops->contact_list(r, o->id, &q, a, &out, &n, &total), 0, "a name search after it");
    ok(n == 1 && total == 1 && strcmp(out[0].id, "bbbbbbbbbbbbbbbbbbbbbbbb") == 0, "finds the contact");
    q = (contact_query){.search_digits = "4165550100", .limit = 10};
    is_int(r->ops->contact_list(r, o->id, &q, a, &out, &n, &total), 0, "a number search after it");
    ok(n == 1 && total == 1 && strcmp(out[0].id, "bbbbbbbbbbbbbbbbbbbbbbbb") == 0, "finds it too");
    /* migration 7 copied its lists into its row */
    ok(n == 1 && out[0].nphones == 1 && out[0].phones[0].is_primary && out[0].nsecondary == 0 &&
           strcmp(out[0].phones[0].e164, "+14165550100") == 0, "its number, read from its row");
    ok(n == 1 && out[0].nemails == 1 && out[0].emails[0].is_primary &&
           strcmp(out[0].emails[0].value, "olga@old.example") == 0 && out[0].nassignees == 0 &&
           out[0].nmethods == 0, "its email, and no assignee or verified method");
    db = PQconnectdb(other);
    PGresult *cols = PQexec(db, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'contacts' "
                                "AND column_name LIKE 'search%'");
    is_int(PQresultStatus(cols) == PGRES_TUPLES_OK ? atoi(PQgetvalue(cols, 0, 0)) : -1, 0,
           "the contacts row has no search columns left");
    PQclear(cols);
    PQfinish(db);
    arena_destroy(a);
    s->ops->close(s);
}

int main(void)
{
    const char *url = getenv("CRMD_TEST_PG_URL");
    char err[512] = "";
    log_set_quiet(1);
    if (!url || !*url) {
        printf("1..0 # SKIP no PostgreSQL (run inside scripts/with-postgres)\n");
        return 0;
    }
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "store_open")) {
        fprintf(stderr, "# %s\n", err);
        return tap_done();
    }
    is_int(s->ops->migrate(s), 0, "migrate");

    crm_org o = {.name = "Big", .timezone = "UTC", .default_country = "US",
                 .created_at = 1700000000000, .updated_at = 1700000000000};
    crm_stage st = {.name = "New Lead", .color = "#336699", .position = 0, .is_active = true};
    crm_pipeline p = {.name = "Sales", .type = "Contact", .is_default = true, .is_active = true,
                      .stages = &st, .nstages = 1, .created_at = 1700000000000, .updated_at = 1700000000000};
    objectid_new(o.id);
    objectid_new(p.id);
    objectid_new(st.id);
    strcpy(p.org_id, o.id);
    is_int(s->ops->write(s, u_org_insert, &o), 0, "an organization");
    is_int(s->ops->write(s, u_pipeline_insert, &p), 0, "its pipeline");
    test_pending_check_plan(url, s, &o);
    test_numbering_tells_the_hook(url, s, &o);
    is_int(seed(url, &o, &p), 0, "100,000 contacts");

    contact_query q = {.search = "name42424 fam", .limit = 50};
    check_plan(s, o.id, &q, 0, "contact_search_words", "a name search");
    check_plan(s, o.id, &q, 1, "contact_search_words", "its exact total");
    q = (contact_query){.search_digits = "4160042424", .limit = 50};
    check_plan(s, o.id, &q, 1, "contact_search_digits", "a digits search");
    q = (contact_query){.search = "42424", .search_digits = "42424", .limit = 50};
    check_plan(s, o.id, &q, 1, "contact_search_digits", "a search of names and digits");
    check_plan(s, o.id, &q, 1, "contact_search_words", "a search of names and digits");
    /* A board's bucket: one stage's page and its exact total in one statement. (All the seeded
     * contacts are on st, where a scan is the right plan; a stage of a few reads the index.) */
    objectid few;
    objectid_new(few);
    q = (contact_query){.stage_id = few, .limit = 20, .offset = 40};
    check_plan(s, o.id, &q, 1, "contacts_by_stage", "a board bucket");
    static const char *const owners[] = {"aaaaaaaaaaaaaaaaaaaaaaaa"};
    q = (contact_query){.stage_id = few, .limit = 20, .owner_mode = CONTACT_OWNER_AMONG, .owner_ids = owners,
                        .nowner_ids = 1};
    check_plan(s, o.id, &q, 1, "contacts_by_stage", "a board bucket of some owners");

    store_conn *r = s->ops->reader(s);
    arena *a = arena_new();
    crm_contact *out;
    size_t n = 0;
    int64_t total = -1;
    q = (contact_query){.search = "NAME42424 FAMILY", .limit = 50};
    is_int(r->ops->contact_list(r, o.id, &q, a, &out, &n, &total), 0, "a name search, any case");
    ok(n == 1 && total == 1 && strcmp(out[0].first_name, "Name42424") == 0, "finds the one contact");
    q = (contact_query){.search_digits = "(416) 004-2424", .limit = 50};
    is_int(r->ops->contact_list(r, o.id, &q, a, &out, &n, &total), 0, "a formatted number");
    ok(n == 1 && total == 1 && strcmp(out[0].phones[0].e164, "+14160042424") == 0, "finds its contact");
    q = (contact_query){.search = "@example.com", .limit = 10};
    is_int(r->ops->contact_list(r, o.id, &q, a, &out, &n, &total), 0, "an email domain");
    ok(n == 10 && total == CONTACTS, "matches every contact, counted exactly (%lld)", (long long)total);
    q = (contact_query){.search = "100%_", .limit = 10};
    is_int(r->ops->contact_list(r, o.id, &q, a, &out, &n, &total), 0, "LIKE's wildcards in a search");
    ok(n == 0 && total == 0, "are plain characters");
    arena_destroy(a);
    test_pipelined_units(url, &o, &p);
    test_search_document_upgrade(url, &o, &p);
    s->ops->close(s);
    return tap_done();
}
