/* The writer thread: the only user of the writer connection. Callers queue a unit of work and
 * wait; the thread takes every waiting unit (up to SQ_GROUP_MAX), runs each in its own SAVEPOINT
 * inside one BEGIN IMMEDIATE ... COMMIT, and so pays one fsync for the whole group. The search
 * documents the units queued are written once, just before the COMMIT (sq_search_flush). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errors.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/sqlite/sqlite_impl.h"

typedef struct sq_unit {
    store_work_fn fn;
    void *arg;
    bool alone;              /* runs outside the group transaction (migrations, diagnostics) */
    bool done;
    int rc;
    pthread_cond_t cond;     /* signalled with done, under the writer's mutex */
    struct sq_unit *next;
} sq_unit;

struct sq_writer {
    sq_conn *conn;
    char *path;              /* to open a fresh conn after a lost transaction */
    sq_checkpointer *checkpointer;
    bool stale;              /* a transaction was lost: replace conn before the next one */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;     /* work arrived, or stop */
    sq_unit *head, *tail;
    bool stopping;
    /* The commit hook. hook_mu is held while it runs (and never with mu), so that replacing it
     * waits out a call in progress: the old ctx may be freed as soon as that returns. */
    pthread_mutex_t hook_mu;
    void (*hook)(void *ctx);
    void *hook_ctx;
    atomic_uint_fast64_t accounts_version;
};

/* What the units of a transaction note on the connection, cleared before it starts. */
static void clear_notes(sq_conn *c)
{
    c->appended = false;
    c->accounts_touched = false;
    c->search_queued = false;
}

/* After a COMMIT: bumps the accounts version when the transaction wrote a user or an
 * organization, and tells the hook when some unit of it appended events. A unit that did
 * either and was then rolled back makes at most one needless bump or call. */
static void committed(sq_writer *w)
{
    if (w->conn->accounts_touched)
        atomic_fetch_add(&w->accounts_version, 1);
    bool appended = w->conn->appended;
    clear_notes(w->conn);
    if (!appended)
        return;
    pthread_mutex_lock(&w->hook_mu);
    if (w->hook)
        w->hook(w->hook_ctx);
    pthread_mutex_unlock(&w->hook_mu);
}

uint64_t sq_writer_accounts_version(sq_writer *w)
{
    return atomic_load(&w->accounts_version);
}

void sq_writer_set_commit_hook(sq_writer *w, void (*fn)(void *ctx), void *ctx)
{
    pthread_mutex_lock(&w->hook_mu);
    w->hook = fn;
    w->hook_ctx = ctx;
    pthread_mutex_unlock(&w->hook_mu);
}

/* Runs one unit in its savepoint. Returns the unit's result; sets *poisoned when the unit's
 * changes could not be undone or the enclosing transaction is gone, so the caller must roll the
 * whole transaction back. */
static int run_unit(sq_writer *w, sq_unit *u, bool *poisoned)
{
    sq_conn *c = w->conn;
    int rc;
    *poisoned = false;
    if (sq_exec(c, SQ_SAVEPOINT)) {
        *poisoned = true;
        return -CRM_E_UNAVAILABLE;
    }
    rc = u->fn(&c->base, u->arg);
    if (sqlite3_get_autocommit(c->db)) {
        /* An error such as SQLITE_FULL rolled back the transaction under the unit. */
        *poisoned = true;
        return rc ? rc : -CRM_E_UNAVAILABLE;
    }
    if (rc == 0) {
        if (sq_exec(c, SQ_RELEASE) == 0)
            return 0;
        rc = -CRM_E_UNAVAILABLE;
    }
    if (rc == -CRM_E_UNAVAILABLE) {
        /* A storage error, not a refusal: SQLite may have undone only the failed statement,
         * and what it left in the connection (see refresh) a ROLLBACK TO does not undo. */
        *poisoned = true;
        return rc;
    }
    if (sq_exec(c, SQ_ROLLBACK_TO) || sq_exec(c, SQ_RELEASE))
        *poisoned = true;
    return rc;
}

/* A unit that reported success but whose transaction did not commit failed after all. */
static void fail_units(sq_unit **units, size_t from, size_t to)
{
    for (size_t j = from; j < to; j++)
        if (units[j]->rc == 0)
            units[j]->rc = -CRM_E_UNAVAILABLE;
}

static void run_group(sq_writer *w, sq_unit **units, size_t n)
{
    sq_conn *c = w->conn;
    size_t i = 0;
    while (i < n) {
        size_t first = i;
        bool poisoned = false;
        clear_notes(c);
        if (sq_exec(c, SQ_BEGIN)) {
            for (size_t j = i; j < n; j++)
                units[j]->rc = -CRM_E_UNAVAILABLE;
            w->stale = true;
            return;
        }
        c->search_deferred = true;
        for (; i < n && !poisoned; i++)
            units[i]->rc = run_unit(w, units[i], &poisoned);
        c->search_deferred = false;
        if (!poisoned && sq_search_flush(c))
            poisoned = true;
        if (poisoned) {
            /* Fail the units of this transaction, and the rest of the group: the connection is
             * replaced (refresh) before anything runs on it again. */
            log_error("store: a write transaction was lost; %zu unit(s) of work failed", i - first);
            if (!sqlite3_get_autocommit(c->db))
                sq_exec(c, SQ_ROLLBACK);
            fail_units(units, first, i);
            w->stale = true;
            for (size_t j = i; j < n; j++)
                units[j]->rc = -CRM_E_UNAVAILABLE;   /* not on this connection any more */
            return;
        }
        if (sq_exec(c, SQ_COMMIT)) {
            if (!sqlite3_get_autocommit(c->db))
                sq_exec(c, SQ_ROLLBACK);
            fail_units(units, first, i);
            w->stale = true;
            for (size_t j = i; j < n; j++)
                units[j]->rc = -CRM_E_UNAVAILABLE;
            return;
        } else {
            committed(w);
        }
    }
    clear_notes(c);
}

static void run_alone(sq_writer *w, sq_unit *u)
{
    sq_conn *c = w->conn;
    clear_notes(c);
    u->rc = u->fn(&c->base, u->arg);
    if (!sqlite3_get_autocommit(c->db)) {
        log_error("store: a unit of work left a transaction open; rolled back");
        sq_exec(c, SQ_ROLLBACK);
        if (u->rc == 0)
            u->rc = -CRM_E_UNAVAILABLE;
    }
    if (u->rc == -CRM_E_UNAVAILABLE)
        w->stale = true;
    if (u->rc == 0)
        committed(w);   /* it managed its own transactions */
    clear_notes(c);
}

/* A write transaction lost to a storage error (SQLite rolled it back itself, or COMMIT failed)
 * can leave state behind in the connection that no ROLLBACK undoes: FTS5 keeps the search
 * index's pending terms and structure in memory, and the next COMMIT on that connection wrote
 * them into the index, which was then corrupt ("database disk image is malformed"; found by
 * tests/unit/test_storage_faults.c). So the connection goes, and a fresh one takes its place.
 * Returns false when none can be opened (the storage is still failing): the caller fails its
 * units and tries again with the next ones. */
static bool refresh(sq_writer *w)
{
    char err[256];
    if (!w->stale)
        return true;
    sq_conn *fresh = sq_conn_open(w->path, true, w->conn->base.ops, err, sizeof err);
    if (!fresh) {
        log_error("store: cannot reopen the writer connection: %s", err);
        return false;
    }
    sq_conn_close(w->conn);
    w->conn = fresh;
    sq_checkpointer_attach(w->checkpointer, fresh->db);
    w->stale = false;
    log_warn("store: the writer connection was reopened after a lost transaction");
    return true;
}

static void *writer_main(void *arg)
{
    pthread_setname_np(pthread_self(), "db-writer");
    sq_writer *w = arg;
    sq_unit *group[SQ_GROUP_MAX];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->mu);
        if (!w->head) {              /* stopping, and the queue is drained */
            pthread_mutex_unlock(&w->mu);
            break;
        }
        /* A unit that runs alone is a group of its own. */
        if (w->head->alone) {
            group[n++] = w->head;
            w->head = w->head->next;
        } else {
            while (w->head && !w->head->alone && n < SQ_GROUP_MAX) {
                group[n++] = w->head;
                w->head = w->head->next;
            }
        }
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->mu);

        if (!refresh(w)) {
            for (size_t i = 0; i < n; i++)
                group[i]->rc = -CRM_E_UNAVAILABLE;
        } else if (group[0]->alone) {
            run_alone(w, group[0]);
        } else {
            run_group(w, group, n);
        }

        /* A waiter may return (and free its unit) as soon as it sees done: touch nothing after. */
        pthread_mutex_lock(&w->mu);
        for (size_t i = 0; i < n; i++) {
            group[i]->done = true;
            pthread_cond_signal(&group[i]->cond);
        }
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

static int submit(sq_writer *w, store_work_fn fn, void *arg, bool alone)
{
    if (pthread_equal(pthread_self(), w->thread)) {
        log_error("store: a unit of work asked for another write; units cannot nest");
        return -CRM_E_INTERNAL;
    }
    sq_unit u = {.fn = fn, .arg = arg, .alone = alone};
    pthread_cond_init(&u.cond, NULL);
    pthread_mutex_lock(&w->mu);
    if (w->stopping) {
        u.rc = -CRM_E_UNAVAILABLE;
    } else {
        if (w->tail)
            w->tail->next = &u;
        else
            w->head = &u;
        w->tail = &u;
        pthread_cond_signal(&w->wake);
        while (!u.done)
            pthread_cond_wait(&u.cond, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    pthread_cond_destroy(&u.cond);
    return u.rc;
}

int sq_writer_run(sq_writer *w, store_work_fn fn, void *arg)
{
    return submit(w, fn, arg, false);
}

int sq_writer_run_alone(sq_writer *w, store_work_fn fn, void *arg)
{
    return submit(w, fn, arg, true);
}

sq_writer *sq_writer_start(sq_conn *conn, const char *path, sq_checkpointer *k, char *err, size_t errlen)
{
    sq_writer *w = xcalloc(1, sizeof *w);
    w->path = xstrdup(path);
    w->conn = conn;
    w->checkpointer = k;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->hook_mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    int rc = pthread_create(&w->thread, NULL, writer_main, w);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the database writer thread: %s", strerror(rc));
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->hook_mu);
        pthread_mutex_destroy(&w->mu);
        sq_conn_close(conn);
        free(w->path);
        free(w);
        return NULL;
    }
    return w;
}

void sq_writer_stop(sq_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);

    /* Fold the WAL back into the database so that the file alone is the whole state. */
    if (sqlite3_wal_checkpoint_v2(w->conn->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
        log_warn("store: final checkpoint: %s", sqlite3_errmsg(w->conn->db));
    sq_conn_close(w->conn);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->hook_mu);
    pthread_mutex_destroy(&w->mu);
    free(w->path);
    free(w);
}
