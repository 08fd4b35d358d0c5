/* The checkpointer: a thread with its own connection that copies the WAL's pages back into the
 * database file, so that the writer thread, which every write waits for, mostly does not. The
 * writer's WAL hook sees how long the WAL has grown after each commit; past SQ_CHECKPOINT_PAGES
 * it wakes the thread, which runs a PASSIVE checkpoint (that never blocks the writer or a
 * reader). Under a steady stream of writes such a checkpoint never catches up with the end of
 * the WAL, and SQLite only starts the WAL file over once every frame is back in the database;
 * so after the thread's pass, the hook runs one more on the writer, which has only the frames
 * committed meanwhile to copy, and the next write starts the WAL over. Should the thread fall
 * far behind, the hook checkpoints on the writer anyway, as SQLite's own auto-checkpoint would,
 * so the WAL stays bounded. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/sqlite/sqlite_impl.h"

#define SQ_CHECKPOINT_PAGES 1000        /* SQLite's default auto-checkpoint size */
#define SQ_CHECKPOINT_BACKSTOP_PAGES 20000

struct sq_checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool due, stopping, running;
    bool backfilled;        /* the thread finished a pass since the writer's last checkpoint */
};

static void *checkpoint_main(void *arg)
{
    sq_checkpointer *k = arg;
    bool failing = false;   /* logged once until it works again */
    pthread_setname_np(pthread_self(), "db-checkpoint");
    pthread_mutex_lock(&k->mu);
    for (;;) {
        while (!k->due && !k->stopping)
            pthread_cond_wait(&k->wake, &k->mu);
        if (k->stopping)
            break;
        k->due = false;
        pthread_mutex_unlock(&k->mu);
        int frames = -1, copied = -1;
        int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && !failing)
            log_warn("store: checkpoint: %s", sqlite3_errmsg(k->db));
        failing = rc != SQLITE_OK && rc != SQLITE_BUSY;
        pthread_mutex_lock(&k->mu);
        k->backfilled = rc == SQLITE_OK && copied > 0;
    }
    pthread_mutex_unlock(&k->mu);
    return NULL;
}

/* The WAL hook of the writer's connection, on the writer thread after each commit. */
static int wal_grew(void *ctx, sqlite3 *db, const char *schema, int pages)
{
    sq_checkpointer *k = ctx;
    bool finish = pages >= SQ_CHECKPOINT_BACKSTOP_PAGES;
    if (pages >= SQ_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&k->mu);
        if (k->backfilled) {
            finish = true;
            k->backfilled = false;
        } else if (k->running) {
            k->due = true;
            pthread_cond_signal(&k->wake);
        }
        pthread_mutex_unlock(&k->mu);
    }
    if (finish)
        sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

void sq_checkpointer_attach(sq_checkpointer *k, sqlite3 *writer_db)
{
    sqlite3_wal_hook(writer_db, wal_grew, k);   /* replaces SQLite's auto-checkpoint */
}

sq_checkpointer *sq_checkpointer_start(const char *path, sqlite3 *writer_db, char *err, size_t errlen)
{
    sq_checkpointer *k = xcalloc(1, sizeof *k);
    pthread_mutex_init(&k->mu, NULL);
    pthread_cond_init(&k->wake, NULL);
    int rc = sqlite3_open_v2(path, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database '%s': %s", path,
                 k->db ? sqlite3_errmsg(k->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(k->db, SQ_BUSY_TIMEOUT_MS);
    /* A connection opens the WAL on its first read; until then a checkpoint copies nothing. */
    if (sqlite3_exec(k->db, "SELECT 1 FROM sqlite_schema LIMIT 1", NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open database '%s': %s", path, sqlite3_errmsg(k->db));
        goto fail;
    }
    if ((rc = pthread_create(&k->thread, NULL, checkpoint_main, k)) != 0) {
        snprintf(err, errlen, "cannot start the database checkpoint thread");
        goto fail;
    }
    k->running = true;
    sq_checkpointer_attach(k, writer_db);
    return k;
fail:
    sqlite3_close(k->db);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->mu);
    free(k);
    return NULL;
}

void sq_checkpointer_stop(sq_checkpointer *k)
{
    if (!k || !k->running)
        return;
    pthread_mutex_lock(&k->mu);
    k->stopping = true;
    k->running = false;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->mu);
    pthread_join(k->thread, NULL);
    if (sqlite3_close(k->db) != SQLITE_OK)
        log_error("store: closing the checkpoint connection: %s", sqlite3_errmsg(k->db));
    k->db = NULL;
}

void sq_checkpointer_free(sq_checkpointer *k)
{
    if (!k)
        return;
    sq_checkpointer_stop(k);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->mu);
    free(k);
}
