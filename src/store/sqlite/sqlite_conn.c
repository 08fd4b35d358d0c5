/* One SQLite connection of the backend: opening it with the durability pragmas, its cache of
 * prepared statements, the mapping of SQLite errors onto store return codes, and small
 * bind/column helpers. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/sqlite/sqlite_impl.h"

static const struct { const char *name, *sql; } catalogue[SQ__COUNT] = {
#define SQ_STMT_ENTRY(id, text) [SQ_##id] = {#id, text},
    SQ_STATEMENTS(SQ_STMT_ENTRY)
#undef SQ_STMT_ENTRY
};

const char *sq_stmt_name(sq_stmt_id id)
{
    return (unsigned)id < SQ__COUNT ? catalogue[id].name : "?";
}

/* No connection maps the database file (mmap_size stays 0). SQLite drops a connection's whole
 * mapping whenever another connection has committed since its last read, so under a steady
 * stream of writes every read transaction paid an munmap (a TLB shoot-down across cores) and
 * page faults to map its pages again: 15-20% of the CPU of a contact create (bench/run,
 * docs/architecture.md). pread into each connection's page cache costs less. */

/* Pragmas every connection runs at open, before anything else touches the file. */
static const char *const writer_pragmas[] = {
    "PRAGMA journal_mode = WAL",   /* checked separately: it answers the mode it got */
    "PRAGMA synchronous = FULL",   /* a committed unit is on disk: a 201 means the contact is */
    "PRAGMA foreign_keys = ON",
    /* Savepoints' statement journals and temp tables stay in memory rather than in a temp file
     * created and unlinked for every group of units. */
    "PRAGMA temp_store = MEMORY",
    SQ_SEARCH_PENDING_CREATE,
};
static const char *const reader_pragmas[] = {
    "PRAGMA synchronous = FULL",
    "PRAGMA foreign_keys = ON",
    "PRAGMA query_only = ON",      /* writes go through the writer thread, never a reader */
};

static void open_error(sqlite3 *db, const char *path, char *err, size_t errlen)
{
    int sys = db ? sqlite3_system_errno(db) : 0;
    const char *why = db ? sqlite3_errmsg(db) : "out of memory";
    if (sys)
        snprintf(err, errlen, "cannot open database '%s': %s (%s)", path, why, strerror(sys));
    else
        snprintf(err, errlen, "cannot open database '%s': %s", path, why);
}

/* Process-wide settings, made before SQLite initializes. Without its memory statistics, which
 * crmd never reads, SQLite takes no global mutex around each of its allocations (a create makes
 * hundreds). */
static void configure_library(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

sq_conn *sq_conn_open(const char *path, bool writer, const store_ops *ops, char *err, size_t errlen)
{
    static pthread_once_t configured = PTHREAD_ONCE_INIT;
    pthread_once(&configured, configure_library);
    sq_conn *c = xcalloc(1, sizeof *c);
    c->base.ops = ops;
    c->writer = writer;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (writer ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &c->db, flags, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(c->db, 1);

    if (writer) {
        /* journal_mode reads the header: this is where a file that is not a database fails. */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(c->db, writer_pragmas[0], -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_finalize(st);
            goto fail;
        }
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        bool wal = mode && strcmp(mode, "wal") == 0;
        sqlite3_finalize(st);
        if (!wal) {
            snprintf(err, errlen, "cannot open database '%s': the file system does not support WAL mode",
                     path);
            goto fail_msg;
        }
        for (size_t i = 1; i < sizeof writer_pragmas / sizeof writer_pragmas[0]; i++)
            if (sqlite3_exec(c->db, writer_pragmas[i], NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
    } else {
        for (size_t i = 0; i < sizeof reader_pragmas / sizeof reader_pragmas[0]; i++)
            if (sqlite3_exec(c->db, reader_pragmas[i], NULL, NULL, NULL) != SQLITE_OK)
                goto fail;
    }
    /* Touch the schema so that an unreadable file fails here and not on the first request. */
    if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return c;

fail:
    open_error(c->db, path, err, errlen);
fail_msg:
    sq_conn_close(c);
    return NULL;
}

void sq_conn_close(sq_conn *c)
{
    if (!c)
        return;
    for (int i = 0; i < SQ__COUNT; i++)
        sqlite3_finalize(c->stmt[i]);
    for (unsigned i = 0; i < c->nvariants; i++)
        sqlite3_finalize(c->variants[i].st);
    sqlite3_finalize(c->load);
    if (sqlite3_close(c->db) != SQLITE_OK)
        log_error("store: closing a database connection: %s", sqlite3_errmsg(c->db));
    free(c);
}

sqlite3_stmt *sq_stmt(sq_conn *c, sq_stmt_id id)
{
    if (c->stmt[id])
        return c->stmt[id];
    if (sqlite3_prepare_v3(c->db, catalogue[id].sql, -1, SQLITE_PREPARE_PERSISTENT, &c->stmt[id],
                           NULL) != SQLITE_OK) {
        log_error("store: cannot prepare statement %s: %s", catalogue[id].name, sqlite3_errmsg(c->db));
        sqlite3_finalize(c->stmt[id]);
        c->stmt[id] = NULL;
    }
    return c->stmt[id];
}

/* The variants in use are few (the combinations of criteria callers actually send), so a full
 * cache is rare and simply reuses its slots in turn. */
sqlite3_stmt *sq_variant_stmt(sq_conn *c, uint32_t key, const char *name, sq_build_fn build)
{
    char sql[8192];
    sqlite3_stmt *st = NULL;
    for (unsigned i = 0; i < c->nvariants; i++)
        if (c->variants[i].key == key)
            return c->variants[i].st;
    sql[0] = '\0';
    build(key, sql, sizeof sql);
    if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
        log_error("store: cannot prepare statement %s (variant %#x): %s", name, (unsigned)key,
                  sqlite3_errmsg(c->db));
        sqlite3_finalize(st);
        return NULL;
    }
    unsigned slot;
    if (c->nvariants < SQ_VARIANTS) {
        slot = c->nvariants++;
    } else {
        slot = c->evict;
        c->evict = (c->evict + 1) % SQ_VARIANTS;
        sqlite3_finalize(c->variants[slot].st);
    }
    c->variants[slot] = (sq_variant){.key = key, .st = st};
    return st;
}

void sq_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}

int sq_fail(sq_conn *c, const char *what)
{
    int ext = sqlite3_extended_errcode(c->db);
    const char *msg = sqlite3_errmsg(c->db);
    if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY) {
        /* SQLite names the index's columns: "UNIQUE constraint failed: users.email". */
        if (strstr(msg, "contact_phones.") || strstr(msg, "org_phone_numbers."))
            return -CRM_E_PHONE_TAKEN;
        if (strstr(msg, "users.email"))
            return -CRM_E_EMAIL_TAKEN;
        if (strstr(msg, "pipelines.name"))
            return -CRM_E_NAME_TAKEN;
    }
    log_error("store: %s: %s (%d)", what, msg, ext);
    return -CRM_E_UNAVAILABLE;
}

int sq_exec(sq_conn *c, sq_stmt_id id)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int rc = sqlite3_step(st);
    int ret = 0;
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        ret = sq_fail(c, catalogue[id].name);
    sq_done(st);
    return ret;
}

int sq_step(sq_conn *c, sq_stmt_id id)
{
    int rc = sqlite3_step(c->stmt[id]);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return sq_fail(c, catalogue[id].name);
}

int sq_read_begin(sq_conn *c)
{
    return sq_exec(c, SQ_READ_BEGIN);
}

void sq_read_end(sq_conn *c)
{
    sq_exec(c, SQ_READ_END);
}

void sq_bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

void sq_bind_id(sqlite3_stmt *st, int i, const char *id)
{
    sq_bind_text(st, i, id && *id ? id : NULL);
}

char *sq_col_str(arena *a, sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return s ? arena_strndup(a, s, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

void sq_col_copy(sqlite3_stmt *st, int i, char *out, size_t outlen)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    size_t n = s ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (n >= outlen)
        n = outlen - 1;
    if (n)
        memcpy(out, s, n);
    out[n] = '\0';
}

void *sq_grow(arena *a, void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *p = arena_alloc(a, ncap * elem);
    if (n)
        memcpy(p, arr, n * elem);
    *cap = ncap;
    return p;
}

/* Runs statement id with ?1 org, ?2 contact id and, when extra >= 0, ?3 extra. Returns the
 * number of rows it changed, or the sq_fail code. */
int sq_run_for_contact(sq_conn *c, sq_stmt_id id, const char *org_id, const char *contact_id,
                       int extra)
{
    sqlite3_stmt *st = sq_stmt(c, id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    sq_bind_text(st, 1, org_id);
    sq_bind_text(st, 2, contact_id);
    if (extra >= 0)
        sqlite3_bind_int(st, 3, extra);
    int rc = sq_step(c, id);
    if (rc >= 0)
        rc = sqlite3_changes(c->db);
    sq_done(st);
    return rc;
}
