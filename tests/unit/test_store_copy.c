/* store_copy (crmd migrate) through store_ops: rows of every copied table, with NULLs, empty
 * strings and the characters that COPY's text format escapes, go from SQLite to PostgreSQL (when
 * CRMD_TEST_PG_URL names a database) and to SQLite again, and every dump reads back exactly what
 * was loaded; search works on the copies (derived data rebuilt); a load that a foreign key
 * refuses rolls back and leaves the connection usable; a target with data is refused. And the
 * list of copied tables is the whole schema of each backend, less what the backend derives. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "store/copy.h"
#include "store/store.h"
#include "tap.h"

#define N NULL
#define ORG "6b0000000000000000000001"
#define PIPE "6b0000000000000000000002"
#define STAGE "6b0000000000000000000003"
#define USER "6b0000000000000000000004"
#define CONTACT "6b0000000000000000000005"
#define HOOK "6b0000000000000000000006"

/* One row per table, in the order and columns of store_copy_tables(). */
static const char *const rows[][20] = {
    {"jwt_secret", "back\\slash\ttab\nnewline\rreturn \\N"},
    {ORG, "Acme \"Ltd\"", N, "", "Europe/London", "GB", "1700000000000", "1700000000001"},
    {USER, ORG, "zoe@acme.test", "Zoë Łukasz", "$argon2id$v=19$m=65536,t=2,p=1$x$y", N, "", N, "ADMIN",
     "1", "3", "abc123", "1700000000000", "1700000000002"},
    {ORG, "+442031234567", "twilio", USER, "1", "0", "1700000000000"},
    {ORG, PIPE, "Sales", N, "Contact", "1", "1", USER, N, "1700000000000", "1700000000000"},
    {ORG, STAGE, PIPE, "New", "#ffffff", "0", "1"},
    {ORG, CONTACT, USER, USER, "Anna-Maria", "O'Brien\t\\", "active", N, "web\nform", PIPE, STAGE,
     "1700000000003", "1700000000004", "2", "1700000000005", USER, "call"},
    {ORG, "+442079460000", CONTACT, "0", "1", "0"},
    {ORG, CONTACT, "0", "anna@example.com", "1"},
    {ORG, CONTACT, "0", USER},
    {ORG, CONTACT, "phone", "+442079460000", "1700000000006", USER, N},
    {ORG, "6b0000000000000000000009", CONTACT, USER, "Called;\n\"back\" \\ later", "[\"" USER "\"]", "[]",
     "1700000000007", "1700000000008"},
    {ORG, "6b0000000000000000000007", USER, CONTACT, "CONTACT_CREATE", "api", "{\"a\":\"\\t\"}", "1700000000003"},
    {"41", ORG, "contact_created", "{\"contact\":{}}", "1700000000003"},
    {ORG, USER, "key-1", "hash", "201", N, "1700000000003"},
    {ORG, HOOK, "https://hooks.example.com/x", "whsec", USER, "1700000000000"},
    {ORG, HOOK, "0", "contact_created"},
    {ORG, "6b0000000000000000000008", HOOK, "41", "contact_created", "{}", "failed", "3", "500", "boom",
     "1700000000009", "1700000000003", "1700000000009"},
    {ORG, "6b000000000000000000000a", USER, "delete", "failed", "2", "1", "disk\tfull", "0", "1700000000010",
     "1700000000011"},
    {ORG, "6b000000000000000000000a", CONTACT},
    {ORG, "6b000000000000000000000a", USER, "done", "skip", "1", "leads.csv", N, "2", "1700000000010",
     "1700000000011", "0"},
    {ORG, "6b000000000000000000000a", "2", "0", "{\"phoneNumber\":[\"+442079460000\"]}", "skipped", CONTACT,
     "phone_taken", "phoneNumber[0].value", "+442079460000", "A number\tbelongs to another contact"},
};

struct loader { size_t ntables; const store_table *tables; size_t bad_table; };

/* Loads rows[] (or, with bad_table set, the first table's row and then one row of that table,
 * which no parent backs). */
static int u_load(store_conn *c, void *arg)
{
    struct loader *l = arg;
    for (size_t i = 0; i < l->ntables; i++) {
        if (l->bad_table && i != 0 && i != l->bad_table)
            continue;
        int rc = c->ops->load_begin(c, &l->tables[i]);
        if (rc == 0)
            rc = c->ops->load_row(c, &l->tables[i], rows[i]);
        int end = c->ops->load_end(c, &l->tables[i], rc == 0);
        if (rc || end)
            return rc ? rc : end;
    }
    return c->ops->rebuild_derived(c);
}

/* A dump as text: "table|v|v|...\n", NULL as \0-free "<null>". */
struct text { char *buf; size_t len, cap; const store_table *tables; };

static void add(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + n + 1 > t->cap) {
        t->cap = (t->len + n + 1) * 2;
        t->buf = realloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->len, s, n + 1);
    t->len += n;
}

static int on_row(void *ctx, size_t table, const char *const *values)
{
    struct text *t = ctx;
    add(t, t->tables[table].name);
    for (size_t i = 0; i < t->tables[table].ncols; i++) {
        add(t, "|");
        add(t, values[i] ? values[i] : "<null>");
    }
    add(t, "\n");
    return 0;
}

static char *dump(store *s, const store_table *tables, size_t n)
{
    struct text t = {.tables = tables};
    add(&t, "");
    store_conn *c = s->ops->reader(s);
    if (!c || c->ops->dump(c, tables, n, on_row, &t) != 0) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}

static store *open_store(const char *url)
{
    char err[512];
    store *s = store_open(url, err, sizeof err);
    if (!ok(s != NULL, "open %s", strncmp(url, "sqlite:", 7) == 0 ? "SQLite" : "PostgreSQL"))
        fprintf(stderr, "# %s\n", err);
    if (s && !ok(s->ops->migrate(s) == 0, "schema migrated")) {
        s->ops->close(s);
        return NULL;
    }
    return s;
}

static void expect_search(store *s, const char *what)
{
    arena *a = arena_new();
    store_conn *c = s->ops->reader(s);
    contact_query q = {.search = "brien", .limit = 10};
    crm_contact *out = NULL;
    size_t n = 0;
    int64_t total = 0;
    is_int(c->ops->contact_list(c, ORG, &q, a, &out, &n, &total), 0, "%s: search by name", what);
    ok(n == 1 && strcmp(out[0].id, CONTACT) == 0, "%s: the copied contact is found by a name substring", what);
    q = (contact_query){.search_digits = "2079460", .limit = 10};
    is_int(c->ops->contact_list(c, ORG, &q, a, &out, &n, &total), 0, "%s: search by digits", what);
    ok(n == 1 && total == 1, "%s: and by digits of its number", what);
    arena_destroy(a);
}

/* A load that a foreign key refuses fails as a whole and leaves the store usable and empty. */
static void expect_refused_load(store *s, const store_table *tables, size_t n, const char *what)
{
    struct loader bad = {n, tables, 11};   /* contact_notes, with no contact behind it */
    ok(s->ops->write(s, u_load, &bad) != 0, "%s: a row without its parent is refused", what);
    char *d = dump(s, tables, n);
    ok(d && strcmp(d, "") == 0, "%s: and nothing of the load stays, not even the tables loaded before", what);
    free(d);
}

/* What a backend derives from the copied rows (rebuilt by rebuild_derived), as "table" or
 * "table.column"; prefixes of names (FTS5's shadow tables). */
static const char *const derived[] = {
    "contact_search", "contact_access", "contact_counts", "sqlite_sequence", "crmd_schema",
    "events.id", "contacts.phone_list", "contacts.email_list", "contacts.assignee_list",
    "contacts.method_list",
};

static bool is_derived(const char *table, const char *column)
{
    char name[128];
    snprintf(name, sizeof name, column ? "%s.%s" : "%s", table, column);
    for (size_t i = 0; i < sizeof derived / sizeof derived[0]; i++)
        if (strncmp(name, derived[i], strlen(derived[i])) == 0)
            return true;
    return false;
}

/* Each (table, column) of a backend's schema against the copied list: *seen counts the columns
 * found, which must come to the list's total. */
static void check_column(const store_table *tables, size_t n, const char *table, const char *column,
                         size_t *seen, const char *what)
{
    if (is_derived(table, NULL) || is_derived(table, column))
        return;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(tables[i].name, table) != 0)
            continue;
        for (size_t j = 0; j < tables[i].ncols; j++) {
            if (strcmp(tables[i].cols[j].name, column) == 0) {
                (*seen)++;
                return;
            }
        }
    }
    ok(0, "%s: column %s.%s is copied by crmd migrate (store/copy.c)", what, table, column);
}

static size_t total_columns(const store_table *tables, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += tables[i].ncols;
    return total;
}

static void schema_is_copied_sqlite(const char *path, const store_table *tables, size_t n)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t seen = 0;
    if (!ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "SQLite schema readable"))
        return;
    sqlite3_prepare_v2(db, "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
                       "WHERE m.type = 'table'", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        check_column(tables, n, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
                     &seen, "SQLite");
    sqlite3_finalize(st);
    sqlite3_close(db);
    is_int(seen, total_columns(tables, n), "SQLite: every copied column exists, every other one is derived");
}

static void schema_is_copied_pg(const char *url, const store_table *tables, size_t n)
{
    size_t seen = 0;
    PGconn *db = PQconnectdb(url);
    PGresult *r = PQexec(db, "SELECT table_name, column_name FROM information_schema.columns "
                             "WHERE table_schema = current_schema()");
    if (ok(PQresultStatus(r) == PGRES_TUPLES_OK, "PostgreSQL schema readable"))
        for (int i = 0; i < PQntuples(r); i++)
            check_column(tables, n, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), &seen, "PostgreSQL");
    PQclear(r);
    PQfinish(db);
    is_int(seen, total_columns(tables, n), "PostgreSQL: every copied column exists, every other one is derived");
}

int main(void)
{
    char dir[] = "/tmp/crmd-test-copy-XXXXXX", a_url[256], b_url[256], err[512];
    log_set_quiet(1);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    size_t n;
    const store_table *tables = store_copy_tables(&n);
    is_int(n, sizeof rows / sizeof rows[0], "a test row for every table copied");
    snprintf(a_url, sizeof a_url, "sqlite:%s/a.db", dir);
    snprintf(b_url, sizeof b_url, "sqlite:%s/b.db", dir);
    store *a = open_store(a_url);
    if (!a)
        return tap_done();
    schema_is_copied_sqlite(a_url + 7, tables, n);
    expect_refused_load(a, tables, n, "SQLite");
    struct loader all = {n, tables, 0};
    is_int(a->ops->write(a, u_load, &all), 0, "rows loaded into SQLite");
    char *want = dump(a, tables, n);
    ok(want && strstr(want, "back\\slash\ttab\nnewline\rreturn \\N"), "dumped as loaded");
    expect_search(a, "SQLite source");

    const char *pg = getenv("CRMD_TEST_PG_URL");
    store *mid = NULL;
    if (pg && *pg && (mid = open_store(pg))) {
        schema_is_copied_pg(pg, tables, n);
        expect_refused_load(mid, tables, n, "PostgreSQL");
        store_copy_report rep;
        is_int(store_copy(a, mid, &rep, err, sizeof err), 0, "SQLite to PostgreSQL");
        is_int(rep.n, n, "a count per table");
        char *got = dump(mid, tables, n);
        ok(got && want && strcmp(got, want) == 0, "PostgreSQL holds every row, value for value");
        free(got);
        expect_search(mid, "PostgreSQL");
        ok(store_copy(a, mid, &rep, err, sizeof err) != 0 && strstr(err, "not empty"),
           "a target with data is refused");
    }
    store *b = open_store(b_url);
    if (b) {
        store_copy_report rep;
        is_int(store_copy(mid ? mid : a, b, &rep, err, sizeof err), 0, "%s to SQLite",
               mid ? "PostgreSQL" : "SQLite");
        char *got = dump(b, tables, n);
        ok(got && want && strcmp(got, want) == 0, "the second copy holds every row, value for value");
        free(got);
        expect_search(b, "SQLite copy");
        b->ops->close(b);
    }
    free(want);
    if (mid)
        mid->ops->close(mid);
    a->ops->close(a);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", dir);
    return tap_done();
}
