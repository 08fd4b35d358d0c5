/* The PostgreSQL store: its operation table, the connection of each thread, and the unit of work.
 *
 * Units run on the calling thread's own connection, in READ COMMITTED transactions that
 * PostgreSQL commits concurrently (and flushes together). SQLite gets serializability from its
 * single writer; here a unit takes, before it reads what it decides on, the lock that makes the
 * decision hold until it commits:
 * - a phone number: an advisory lock on (org, number) before the provisioned-number check and
 *   before a number's owner is looked up, so a contact and a provisioning of the same number
 *   cannot both pass (the phone index alone settles contact against contact);
 * - the pipelines of an organization: a shared advisory lock before any pipeline is read in a
 *   unit (a contact's stage resolution), an exclusive one before pipelines change or their
 *   contacts are listed to be moved; so a stage cannot be renamed, deactivated or emptied under
 *   a contact being put on it, and a pipeline cannot be deleted under it (contacts have no
 *   foreign key to their pipeline or stage: migration 8);
 * - a contact or a user about to be changed: its row (FOR UPDATE), so If-Match versions and
 *   edits of a user never race;
 * - an Idempotency-Key: an advisory lock on (org, user, key), so a retry waits for the first
 *   request and replays its reply.
 * Deadlocks and serialization failures roll the unit back and run it again (PG_UNIT_TRIES), so
 * they never reach a client. A unit's function may therefore run more than once: the service's
 * units only compute from their input and what they read. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg/pg.h"
#include "store/pg/pg_impl.h"

#define PG_UNIT_TRIES 20

struct pg_store {
    store base;                  /* first: a pg_store is a store */
    char *url;
    pthread_key_t conn_key;      /* this thread's pg_conn */
    pthread_mutex_t conns_mu;
    pg_conn *conns;              /* every open connection, so that close can close them all */
    _Atomic uint64_t accounts_version;
    pg_listener *listener;       /* while a commit hook is set: the other servers' commits */
    _Atomic int64_t listener_heard;   /* ms (monotonic): the listener last knew it listened; 0: not */
    _Atomic int64_t connected_at;   /* ms: a connection last got through after a failure */
    pthread_rwlock_t hook_lock;  /* held shared while the hook runs, exclusively to change it */
    void (*hook)(void *ctx);
    void *hook_ctx;
    pg_sequencer sequencer;
};

pg_sequencer *pg_store_sequencer(pg_store *s)
{
    return &s->sequencer;
}

static const store_ops pg_ops;

static void conn_destroy(void *p)
{
    pg_conn *c = p;
    pg_store *s = c->owner;
    pthread_mutex_lock(&s->conns_mu);
    for (pg_conn **pp = &s->conns; *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    pthread_mutex_unlock(&s->conns_mu);
    pg_conn_close(c);
}

/* This thread's connection, connected (or reconnected); NULL when the server cannot be reached. */
static pg_conn *thread_conn(pg_store *s)
{
    pg_conn *c = pthread_getspecific(s->conn_key);
    if (!c) {
        char err[256];
        PGconn *db = pg_connect(s->url, err, sizeof err);
        if (!db) {
            log_error("store: %s", err);
            return NULL;
        }
        c = pg_conn_new(s, db, &pg_ops);
        pthread_mutex_lock(&s->conns_mu);
        c->next = s->conns;
        s->conns = c;
        pthread_mutex_unlock(&s->conns_mu);
        pthread_setspecific(s->conn_key, c);
    }
    return pg_conn_ready(c, s->url, &s->connected_at) == 0 ? c : NULL;
}

int pg_reconnect(pg_conn *c)
{
    pg_store *s = c->owner;
    return pg_conn_ready(c, s->url, &s->connected_at);
}

static store_conn *pg_reader(store *st)
{
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? &c->base : NULL;
}

int pg_lock(pg_conn *c, pg_stmt_id lock, const char *k1, const char *k2, const char *k3)
{
    if (!c->in_unit)
        return 0;   /* a plain read decides nothing */
    if (!pg_unit_first_lock(c, lock, k1, k2, k3))
        return 0;   /* held already, until the unit ends */
    pg_params p = {0};
    pg_p_text(&p, k1);
    if (k2)
        pg_p_text(&p, k2);
    if (k3)
        pg_p_text(&p, k3);
    /* Sent with the read that follows, which then runs holding it (pg_conn.c). */
    return pg_exec_later(c, lock, &p);
}

static void backoff(int attempt)
{
    /* A few hundred microseconds, growing: the other unit of the deadlock is finishing. */
    struct timespec ts = {0, (long)(100000 + (rand() % 200000)) * (attempt < 5 ? attempt + 1 : 5)};
    nanosleep(&ts, NULL);
}

static void after_commit(pg_store *s, pg_conn *c)
{
    if (c->accounts)
        atomic_fetch_add(&s->accounts_version, 1);
    if (c->appended)
        pg_store_events_numbered(s);   /* appended, to be numbered: the hook's owner reads */
}

static int pg_write(store *st, store_work_fn fn, void *arg)
{
    pg_store *s = (pg_store *)st;
    pg_conn *c = thread_conn(s);
    if (!c)
        return -CRM_E_UNAVAILABLE;
    if (c->in_unit) {
        log_error("store: a unit of work asked for another write; units cannot nest");
        return -CRM_E_UNAVAILABLE;
    }
    int rc = -CRM_E_UNAVAILABLE;
    bool accounts = false;   /* whether a run wrote a user or an organization */
    for (int attempt = 0; attempt < PG_UNIT_TRIES; attempt++) {
        c->retry = c->appended = c->accounts = false;
        pg_unit_begin(c);
        rc = fn(&c->base, arg);
        accounts |= c->accounts;
        if (rc == 0 && !c->retry && c->accounts) {   /* other servers' caches */
            pg_params np = {0};
            pg_p_text(&np, pg_instance_id());
            rc = pg_exec_later(c, PG_NOTIFY_ACCOUNTS, &np);
        }
        if (rc == 0 && !c->retry)
            rc = pg_unit_commit(c);
        else
            pg_unit_rollback(c);
        if (rc == 0 && !c->retry) {
            after_commit(s, c);
            return 0;
        }
        if (!c->retry || c->broken)
            break;
        backoff(attempt);
    }
    if (c->retry)
        log_error("store: a unit of work still conflicted after %d tries", PG_UNIT_TRIES);
    /* A COMMIT whose answer was lost may have changed accounts all the same, and this server
     * ignores its own notifications: its caches go. (Needless after a rollback, and harmless.) */
    if (accounts)
        atomic_fetch_add(&s->accounts_version, 1);
    return rc ? rc : -CRM_E_UNAVAILABLE;
}

static int pg_ping(store *st)
{
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? pg_exec(c, PG_PING, NULL, NULL) : -CRM_E_UNAVAILABLE;
}

static int pg_migrate(store *st)
{
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? pg_schema_migrate(c) : -CRM_E_UNAVAILABLE;
}

/* Another server's write to a user or an organization reaches this one through the listener
 * (pg_listen.c). While it is not heard from (none yet, its connection lost, or silent for
 * PG_LISTEN_TRUST_MS), every call is a new number: no cached account is trusted. */
static uint64_t pg_accounts_version(store *st)
{
    pg_store *s = (pg_store *)st;
    int64_t heard = atomic_load(&s->listener_heard);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (heard == 0 || now - heard > PG_LISTEN_TRUST_MS)
        return atomic_fetch_add(&s->accounts_version, 1) + 1;
    return atomic_load(&s->accounts_version);
}

void pg_store_events_numbered(pg_store *s)
{
    pthread_rwlock_rdlock(&s->hook_lock);
    if (s->hook)
        s->hook(s->hook_ctx);
    pthread_rwlock_unlock(&s->hook_lock);
}

/* Another server numbered events. */
static void others_committed_events(void *ctx)
{
    pg_store_events_numbered(ctx);
}

/* Another server changed a user or an organization: every cached one may be stale. */
static void others_changed_accounts(void *ctx)
{
    pg_store *s = ctx;
    atomic_fetch_add(&s->accounts_version, 1);
}

/* A server that serves (it sets the hook) also hears what the other servers commit. */
static void pg_set_commit_hook(store *st, void (*fn)(void *ctx), void *ctx)
{
    pg_store *s = (pg_store *)st;
    if (!fn) {
        pg_listener_stop(s->listener);   /* before the lock: its thread may be in the hook */
        s->listener = NULL;
    }
    pthread_rwlock_wrlock(&s->hook_lock);
    s->hook = fn;
    s->hook_ctx = ctx;
    pthread_rwlock_unlock(&s->hook_lock);
    if (fn && !s->listener)
        s->listener = pg_listener_start(s->url, others_committed_events, others_changed_accounts, s,
                                        &s->listener_heard);
}

/* Closing requires that no other thread uses the store any more (the server has stopped). */
static void pg_close(store *st)
{
    pg_store *s = (pg_store *)st;
    if (!s)
        return;
    pg_listener_stop(s->listener);
    pthread_key_delete(s->conn_key);
    pthread_mutex_lock(&s->conns_mu);
    while (s->conns) {
        pg_conn *c = s->conns;
        s->conns = c->next;
        pg_conn_close(c);
    }
    pthread_mutex_unlock(&s->conns_mu);
    pthread_mutex_destroy(&s->conns_mu);
    pthread_mutex_destroy(&s->sequencer.mu);
    pthread_rwlock_destroy(&s->hook_lock);
    free(s->url);
    free(s);
}

store *store_pg_open(const char *url, char *err, size_t errlen)
{
    PGconn *db = pg_connect(url, err, errlen);
    if (!db)
        return NULL;
    pg_store *s = xcalloc(1, sizeof *s);
    s->url = xstrdup(url);
    s->base.ops = &pg_ops;
    pthread_mutex_init(&s->conns_mu, NULL);
    pthread_mutex_init(&s->sequencer.mu, NULL);
    pthread_rwlock_init(&s->hook_lock, NULL);
    int rc = pthread_key_create(&s->conn_key, conn_destroy);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open the PostgreSQL store: %s", strerror(rc));
        PQfinish(db);
        pthread_mutex_destroy(&s->conns_mu);
        pthread_mutex_destroy(&s->sequencer.mu);
        pthread_rwlock_destroy(&s->hook_lock);
        free(s->url);
        free(s);
        return NULL;
    }
    /* The opening thread keeps the connection that proved the server answers. */
    pg_conn *c = pg_conn_new(s, db, &pg_ops);
    s->conns = c;
    pthread_setspecific(s->conn_key, c);

    int version = 0;
    if (pg_schema_version(c, &version) == 0 && version > pg_schema_latest()) {
        snprintf(err, errlen, "the database's crmd schema is version %d, newer than this crmd knows (%d)",
                 version, pg_schema_latest());
        pg_close(&s->base);
        return NULL;
    }
    return &s->base;
}

int store_pg_list_plan(store *st, const char *org_id, const contact_query *q, int count, char *out,
                       size_t outlen)
{
    if (!st || st->ops != &pg_ops || !q || !out || !outlen)
        return -CRM_E_UNAVAILABLE;
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? pg_contact_list_plan(c, org_id, q, count != 0, out, outlen) : -CRM_E_UNAVAILABLE;
}

int store_pg_migrate_to(store *st, int version)
{
    if (!st || st->ops != &pg_ops)
        return -CRM_E_UNAVAILABLE;
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? pg_schema_migrate_to(c, version) : -CRM_E_UNAVAILABLE;
}

int store_pg_statement_plan(store *st, const char *statement, char *out, size_t outlen)
{
    if (!st || st->ops != &pg_ops || !statement || !out || !outlen)
        return -CRM_E_UNAVAILABLE;
    pg_conn *c = thread_conn((pg_store *)st);
    return c ? pg_statement_plan(c, statement, out, outlen) : -CRM_E_UNAVAILABLE;
}

static const store_ops pg_ops = {
    .version = STORE_OPS_VERSION,
    .remote = true,
    .close = pg_close,
    .migrate = pg_migrate,
    .reader = pg_reader,
    .write = pg_write,
    .ping = pg_ping,
    .meta_get = pg_meta_get,
    .meta_set = pg_meta_set,
    .org_insert = pg_org_insert,
    .org_get = pg_org_get,
    .org_update = pg_org_update,
    .org_phone_list = pg_org_phone_list,
    .org_phone_insert = pg_org_phone_insert,
    .org_phone_delete = pg_org_phone_delete,
    .org_phone_reserved = pg_org_phone_reserved,
    .user_insert = pg_user_insert,
    .user_get = pg_user_get,
    .user_get_by_email = pg_user_get_by_email,
    .user_get_by_apikey = pg_user_get_by_apikey,
    .user_list = pg_user_list,
    .user_update = pg_user_update,
    .user_set_apikey = pg_user_set_apikey,
    .user_count_role = pg_user_count_role,
    .pipeline_insert = pg_pipeline_insert,
    .pipeline_get = pg_pipeline_get,
    .pipeline_get_default = pg_pipeline_get_default,
    .pipeline_get_by_stage = pg_pipeline_get_by_stage,
    .contact_insert = pg_contact_insert,
    .contact_get = pg_contact_get,
    .phone_owner = pg_phone_owner,
    .event_log_insert = pg_event_log_insert,
    .event_log_list = pg_event_log_list,
    .event_append = pg_event_append,
    .contact_list = pg_contact_list,
    .pipeline_list = pg_pipeline_list,
    .pipeline_clear_default = pg_pipeline_clear_default,
    .idempotency_get = pg_idempotency_get,
    .idempotency_put = pg_idempotency_put,
    .event_list_after = pg_event_list_after,
    .event_last_seq = pg_event_last_seq,
    .set_commit_hook = pg_set_commit_hook,
    .contact_update = pg_contact_update,
    .contact_delete = pg_contact_delete,
    .contact_ids_in = pg_contact_ids_in,
    .pipeline_update = pg_pipeline_update,
    .pipeline_delete = pg_pipeline_delete,
    .webhook_insert = pg_webhook_insert,
    .webhook_list = pg_webhook_list,
    .webhook_get = pg_webhook_get,
    .webhook_delete = pg_webhook_delete,
    .webhook_subscribers = pg_webhook_subscribers,
    .delivery_insert = pg_delivery_insert,
    .delivery_update = pg_delivery_update,
    .delivery_get = pg_delivery_get,
    .delivery_list = pg_delivery_list,
    .delivery_due = pg_delivery_due,
    .idempotency_purge = pg_idempotency_purge,
    .accounts_version = pg_accounts_version,
    .user_get_for_update = pg_user_get_for_update,
    .dump = pg_dump,
    .load_begin = pg_load_begin,
    .load_row = pg_load_row,
    .load_end = pg_load_end,
    .rebuild_derived = pg_rebuild_derived,
    .count_rows = pg_count_rows,
    .contact_widths = pg_contact_widths,
    .delivery_claim = pg_delivery_claim,
    /* version 9 */
    .note_insert = pg_note_insert,
    .note_get = pg_note_get,
    .note_update = pg_note_update,
    .note_delete = pg_note_delete,
    .note_list = pg_note_list,
    .bulk_job_insert = pg_bulk_job_insert,
    .bulk_job_get = pg_bulk_job_get,
    .bulk_job_claim = pg_bulk_job_claim,
    .bulk_job_items = pg_bulk_job_items,
    .bulk_job_advance = pg_bulk_job_advance,
    .bulk_job_purge = pg_bulk_job_purge,
    .contact_move_many = pg_contact_move_many,
    .import_insert = pg_import_insert,
    .import_rows_insert = pg_import_rows_insert,
    .import_get = pg_import_get,
    .import_rows_pending = pg_import_rows_pending,
    .import_row_done = pg_import_row_done,
    .import_rows_list = pg_import_rows_list,
    .import_finish = pg_import_finish,
    .import_claim = pg_import_claim,
    .import_renew = pg_import_renew,
    .savepoint = NULL,   /* a unit's inserts go with its COMMIT: one row per unit */
    .import_purge = pg_import_purge,
    .number_check_ahead = pg_number_check_ahead,
};
