/* The SQLite store: its operation table, its lifecycle, the per-thread read connections and the
 * hand-off of writes to the writer thread. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/sqlite/sqlite.h"
#include "store/sqlite/sqlite_impl.h"

typedef struct sq_store {
    store base;                  /* first: a sq_store is a store */
    char *path;
    sq_writer *writer;
    sq_checkpointer *checkpointer;
    pthread_key_t reader_key;    /* this thread's sq_conn */
    pthread_mutex_t readers_mu;
    sq_conn *readers;            /* every open reader, so that close can close them all */
} sq_store;

static const store_ops sqlite_ops;

/* Thread exit: the reader goes with its thread. */
static void reader_destroy(void *p)
{
    sq_conn *c = p;
    sq_store *s = c->owner;
    pthread_mutex_lock(&s->readers_mu);
    for (sq_conn **pp = &s->readers; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->readers_mu);
    sq_conn_close(c);
}

static store_conn *sqlite_reader(store *st)
{
    sq_store *s = (sq_store *)st;
    sq_conn *c = pthread_getspecific(s->reader_key);
    if (c)
        return &c->base;
    char err[512];
    if (!(c = sq_conn_open(s->path, false, &sqlite_ops, err, sizeof err))) {
        log_error("store: %s", err);
        return NULL;
    }
    c->owner = s;
    pthread_mutex_lock(&s->readers_mu);
    c->next = s->readers;
    s->readers = c;
    pthread_mutex_unlock(&s->readers_mu);
    pthread_setspecific(s->reader_key, c);
    return &c->base;
}

static int sqlite_write(store *st, store_work_fn fn, void *arg)
{
    return sq_writer_run(((sq_store *)st)->writer, fn, arg);
}

static int migrate_unit(store_conn *c, void *arg)
{
    (void)arg;
    return sq_schema_migrate(sq_of(c));
}

static int sqlite_migrate(store *st)
{
    return sq_writer_run_alone(((sq_store *)st)->writer, migrate_unit, NULL);
}

static int sqlite_ping(store *st)
{
    store_conn *rc = sqlite_reader(st);
    if (!rc)
        return -CRM_E_UNAVAILABLE;
    sq_conn *c = sq_of(rc);
    sqlite3_stmt *q = sq_stmt(c, SQ_PING);
    if (!q)
        return -CRM_E_UNAVAILABLE;
    int ret = sqlite3_step(q) == SQLITE_ROW ? 0 : sq_fail(c, "ping");
    sq_done(q);
    return ret;
}

/* Closing requires that no other thread uses the store any more (the server has stopped). */
static void sqlite_close(store *st)
{
    sq_store *s = (sq_store *)st;
    if (!s)
        return;
    /* Readers first, so that the writer's connection is the last one and its close removes the
     * WAL after the final checkpoint. Deleting the key first means no thread's exit can run
     * reader_destroy on a connection closed here. */
    pthread_key_delete(s->reader_key);
    pthread_mutex_lock(&s->readers_mu);
    while (s->readers) {
        sq_conn *c = s->readers;
        s->readers = c->next;
        sq_conn_close(c);
    }
    pthread_mutex_unlock(&s->readers_mu);
    sq_checkpointer_stop(s->checkpointer);
    sq_writer_stop(s->writer);
    sq_checkpointer_free(s->checkpointer);
    pthread_mutex_destroy(&s->readers_mu);
    free(s->path);
    free(s);
}

store *store_sqlite_open(const char *path, char *err, size_t errlen)
{
    int version;
    if (!path || !*path) {
        snprintf(err, errlen, "cannot open database: the sqlite: URL names no file");
        return NULL;
    }
    if (strcmp(path, ":memory:") == 0) {
        /* The writer and the readers are separate connections: they must share a file. */
        snprintf(err, errlen, "cannot open database '%s': give the path of a file", path);
        return NULL;
    }
    if (!sqlite3_threadsafe()) {
        /* Connections are used from the writer thread and from every request thread. */
        snprintf(err, errlen, "cannot open database '%s': this SQLite library is built without "
                 "thread support", path);
        return NULL;
    }
    sq_conn *w = sq_conn_open(path, true, &sqlite_ops, err, errlen);
    if (!w)
        return NULL;
    if (sq_schema_version(w, &version)) {
        snprintf(err, errlen, "cannot open database '%s': %s", path, sqlite3_errmsg(w->db));
        sq_conn_close(w);
        return NULL;
    }
    if (version > sq_schema_latest()) {
        snprintf(err, errlen, "cannot open database '%s': its schema version %d is newer than this "
                 "crmd knows (%d)", path, version, sq_schema_latest());
        sq_conn_close(w);
        return NULL;
    }

    sq_store *s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->base.ops = &sqlite_ops;
    pthread_mutex_init(&s->readers_mu, NULL);
    int rc = pthread_key_create(&s->reader_key, reader_destroy);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open database '%s': %s", path, strerror(rc));
        goto fail;
    }
    if (!(s->checkpointer = sq_checkpointer_start(path, w->db, err, errlen))) {
        pthread_key_delete(s->reader_key);
        goto fail;
    }
    if (!(s->writer = sq_writer_start(w, path, s->checkpointer, err, errlen))) {
        w = NULL;   /* the writer closed it */
        pthread_key_delete(s->reader_key);
        goto fail;
    }
    return &s->base;

fail:
    sq_conn_close(w);   /* before the checkpointer: its WAL hook names it */
    sq_checkpointer_free(s->checkpointer);
    pthread_mutex_destroy(&s->readers_mu);
    free(s->path);
    free(s);
    return NULL;
}

int store_sqlite_list_plan(store *st, const contact_query *q, int count, char *out, size_t outlen)
{
    if (!st || st->ops != &sqlite_ops || !q || !out || !outlen)
        return -CRM_E_UNAVAILABLE;
    store_conn *c = sqlite_reader(st);
    return c ? sq_contact_list_plan(sq_of(c), q, count != 0, out, outlen) : -CRM_E_UNAVAILABLE;
}

struct migrate_to { int version; };

static int migrate_to_unit(store_conn *c, void *arg)
{
    return sq_schema_migrate_to(sq_of(c), ((struct migrate_to *)arg)->version);
}

int store_sqlite_migrate_to(store *st, int version)
{
    struct migrate_to m = {version};
    if (!st || st->ops != &sqlite_ops)
        return -CRM_E_UNAVAILABLE;
    return sq_writer_run_alone(((sq_store *)st)->writer, migrate_to_unit, &m);
}

/* store_sqlite_pragma: the whitelisted pragmas and the unit that reads one. */
static const struct { const char *name; sq_stmt_id id; } pragmas[] = {
    {"journal_mode", SQ_PRAGMA_JOURNAL_MODE}, {"synchronous", SQ_PRAGMA_SYNCHRONOUS},
    {"foreign_keys", SQ_PRAGMA_FOREIGN_KEYS}, {"busy_timeout", SQ_PRAGMA_BUSY_TIMEOUT},
    {"query_only", SQ_PRAGMA_QUERY_ONLY},
};

struct pragma_read { sq_stmt_id id; char *out; size_t outlen; };

static int pragma_unit(store_conn *sc, void *arg)
{
    struct pragma_read *p = arg;
    sq_conn *c = sq_of(sc);
    sqlite3_stmt *st = sq_stmt(c, p->id);
    if (!st)
        return -CRM_E_UNAVAILABLE;
    int ret = 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        sq_col_copy(st, 0, p->out, p->outlen);
    else
        ret = sq_fail(c, sq_stmt_name(p->id));
    sq_done(st);
    return ret;
}

int store_sqlite_pragma(store *st, int on_writer, const char *pragma, char *out, size_t outlen)
{
    struct pragma_read p = {.id = SQ__COUNT, .out = out, .outlen = outlen};
    if (!st || st->ops != &sqlite_ops || !out || !outlen)
        return -CRM_E_UNAVAILABLE;
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++)
        if (pragma && strcmp(pragma, pragmas[i].name) == 0)
            p.id = pragmas[i].id;
    if (p.id == SQ__COUNT)
        return -CRM_E_UNAVAILABLE;
    if (on_writer)
        return sq_writer_run_alone(((sq_store *)st)->writer, pragma_unit, &p);
    store_conn *c = sqlite_reader(st);
    return c ? pragma_unit(c, &p) : -CRM_E_UNAVAILABLE;
}

static uint64_t sqlite_accounts_version(store *st)
{
    return sq_writer_accounts_version(((sq_store *)st)->writer);
}

static void sqlite_set_commit_hook(store *st, void (*fn)(void *ctx), void *ctx)
{
    sq_writer_set_commit_hook(((sq_store *)st)->writer, fn, ctx);
}

static const store_ops sqlite_ops = {
    .version = STORE_OPS_VERSION,
    .close = sqlite_close,
    .migrate = sqlite_migrate,
    .reader = sqlite_reader,
    .write = sqlite_write,
    .ping = sqlite_ping,
    .meta_get = sq_meta_get,
    .meta_set = sq_meta_set,
    .org_insert = sq_org_insert,
    .org_get = sq_org_get,
    .org_update = sq_org_update,
    .org_phone_list = sq_org_phone_list,
    .org_phone_insert = sq_org_phone_insert,
    .org_phone_delete = sq_org_phone_delete,
    .org_phone_reserved = sq_org_phone_reserved,
    .user_insert = sq_user_insert,
    .user_get = sq_user_get,
    .user_get_by_email = sq_user_get_by_email,
    .user_get_by_apikey = sq_user_get_by_apikey,
    .user_list = sq_user_list,
    .user_update = sq_user_update,
    .user_set_apikey = sq_user_set_apikey,
    .user_count_role = sq_user_count_role,
    .pipeline_insert = sq_pipeline_insert,
    .pipeline_get = sq_pipeline_get,
    .pipeline_get_default = sq_pipeline_get_default,
    .pipeline_get_by_stage = sq_pipeline_get_by_stage,
    .contact_insert = sq_contact_insert,
    .contact_get = sq_contact_get,
    .phone_owner = sq_phone_owner,
    .event_log_insert = sq_event_log_insert,
    .event_log_list = sq_event_log_list,
    .event_append = sq_event_append,
    .contact_list = sq_contact_list,
    .pipeline_list = sq_pipeline_list,
    .pipeline_clear_default = sq_pipeline_clear_default,
    .idempotency_get = sq_idempotency_get,
    .idempotency_put = sq_idempotency_put,
    /* version 3 */
    .event_list_after = sq_event_list_after,
    .event_last_seq = sq_event_last_seq,
    .set_commit_hook = sqlite_set_commit_hook,
    .contact_update = sq_contact_update,
    .contact_delete = sq_contact_delete,
    .contact_ids_in = sq_contact_ids_in,
    .pipeline_update = sq_pipeline_update,
    .pipeline_delete = sq_pipeline_delete,
    .webhook_insert = sq_webhook_insert,
    .webhook_list = sq_webhook_list,
    .webhook_get = sq_webhook_get,
    .webhook_delete = sq_webhook_delete,
    .webhook_subscribers = sq_webhook_subscribers,
    .delivery_insert = sq_delivery_insert,
    .delivery_update = sq_delivery_update,
    .delivery_get = sq_delivery_get,
    .delivery_list = sq_delivery_list,
    .delivery_due = sq_delivery_due,
    .idempotency_purge = sq_idempotency_purge,
    .accounts_version = sqlite_accounts_version,
    /* version 6: the writer thread serializes every unit, so a plain read is enough */
    .user_get_for_update = sq_user_get,
    .dump = sq_dump,
    .load_begin = sq_load_begin,
    .load_row = sq_load_row,
    .load_end = sq_load_end,
    .rebuild_derived = sq_rebuild_derived,
    .count_rows = sq_count_rows,
    .contact_widths = sq_contact_widths,
    .delivery_claim = sq_delivery_claim,
    /* version 9 */
    .note_insert = sq_note_insert,
    .note_get = sq_note_get,
    .note_update = sq_note_update,
    .note_delete = sq_note_delete,
    .note_list = sq_note_list,
    .bulk_job_insert = sq_bulk_job_insert,
    .bulk_job_get = sq_bulk_job_get,
    .bulk_job_claim = sq_bulk_job_claim,
    .bulk_job_items = sq_bulk_job_items,
    .bulk_job_advance = sq_bulk_job_advance,
    .bulk_job_purge = sq_bulk_job_purge,
    .contact_move_many = sq_contact_move_many,
    .import_insert = sq_import_insert,
    .import_rows_insert = sq_import_rows_insert,
    .import_get = sq_import_get,
    .import_rows_pending = sq_import_rows_pending,
    .import_row_done = sq_import_row_done,
    .import_rows_list = sq_import_rows_list,
    .import_finish = sq_import_finish,
    .import_claim = sq_import_claim,
    .import_renew = sq_import_renew,
    .savepoint = sq_savepoint,
    .import_purge = sq_import_purge,
};
