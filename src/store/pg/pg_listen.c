/* What the other servers on the database commit, told to this one: a thread with a connection of
 * its own LISTENs on two channels. crmd_events: a server numbered new events (pg_events.c), so
 * the event hub should read the stream after the last number it has. crmd_accounts: a user or an
 * organization changed (pg.c), so caches of them are stale. Each notification carries the
 * sending process's id, and a process ignores its own (its commits already told it). The events
 * table stays the one source of truth: a notification only says "look now". After a lost
 * connection the thread says both, and every LISTEN_IDLE_MS it looks for events nobody numbered
 * (a server that died between its commit and the numbering), so that what a notification would
 * have said is said late rather than never.
 *
 * Caches of users and organizations are trusted only while this thread is heard from: it stamps
 * *heard (monotonic ms) after each LISTEN, each round trip and each batch of notifications, and
 * the store turns its caches off when the stamp is older than PG_LISTEN_TRUST_MS (pg.c). A
 * connection that died without a word (a host gone, a NAT's state dropped, a backend stopped)
 * blocks the idle round trip rather than failing it, and would otherwise have left a revoked
 * token or API key working on this server until the next account write here. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "lib/log.h"
#include "lib/xalloc.h"
#include "store/pg/pg_impl.h"

#define LISTEN_IDLE_MS 10000

static char instance[17];
static pthread_once_t instance_once = PTHREAD_ONCE_INIT;

static void make_instance(void)
{
    unsigned char b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        abort();
    for (int i = 0; i < 8; i++)
        snprintf(instance + 2 * i, 3, "%02x", b[i]);
}

const char *pg_instance_id(void)
{
    pthread_once(&instance_once, make_instance);
    return instance;
}

/* Whether committed events wait for a number (nobody numbered them yet): 1 or 0; -1 when the
 * question got no answer. */
static int unnumbered(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL)");
    int yes = PQresultStatus(r) != PGRES_TUPLES_OK ? -1 : strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return yes;
}

struct pg_listener {
    char *url;
    pg_listen_fn on_events, on_accounts;
    void *ctx;
    _Atomic int64_t *heard;      /* the store's: when this thread last knew it was listening */
    int wake[2];                 /* a byte on wake[1] stops the thread */
    pthread_t thread;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void heard(pg_listener *l)
{
    atomic_store(l->heard, now_ms());
}

static PGconn *listen_connect(const pg_listener *l, bool *logged)
{
    char err[256];
    PGconn *db = pg_connect(l->url, err, sizeof err);
    if (db) {
        PGresult *r = PQexec(db, "LISTEN crmd_events; LISTEN crmd_accounts");
        bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (ok) {
            if (*logged)
                log_info("store: listening to the other servers again");
            *logged = false;
            return db;
        }
        snprintf(err, sizeof err, "LISTEN refused: %s", PQerrorMessage(db));
        PQfinish(db);
    }
    if (!*logged)
        log_error("store: cannot listen to the other servers' commits (%.*s); retrying", (int)strcspn(err, "\n"),
                  err);
    *logged = true;
    return NULL;
}

static void *listen_main(void *arg)
{
    pg_listener *l = arg;
    pthread_setname_np(pthread_self(), "pg-listen");
    PGconn *db = NULL;
    bool logged = false, lost = false;
    const char *me = pg_instance_id();
    for (;;) {
        if (db && (PQstatus(db) != CONNECTION_OK || PQsocket(db) < 0)) {
            PQfinish(db);   /* lost: libpq gave up on it during a round trip */
            db = NULL;
            lost = true;
        }
        if (!db && (db = listen_connect(l, &logged))) {
            heard(l);
            l->on_accounts(l->ctx);   /* anything may have changed while nobody listened */
            if (lost)
                l->on_events(l->ctx);
        }
        struct pollfd p[2] = {{.fd = l->wake[0], .events = POLLIN}, {.fd = db ? PQsocket(db) : -1, .events = POLLIN}};
        int n = poll(p, 2, db ? LISTEN_IDLE_MS : 250);   /* 250 ms: the next try to reconnect */
        if (n < 0 && errno != EINTR)
            break;
        if (p[0].revents)
            break;
        if (n == 0) {
            int waiting = db ? unnumbered(db) : -1;
            if (waiting >= 0)
                heard(l);   /* a round trip: every notification sent before it has come */
            if (waiting > 0)
                l->on_events(l->ctx);
            continue;
        }
        if (!db || !p[1].revents)
            continue;
        if (!PQconsumeInput(db) || PQstatus(db) != CONNECTION_OK) {
            PQfinish(db);
            db = NULL;
            lost = true;
            continue;
        }
        heard(l);
        bool events = false, accounts = false;
        for (PGnotify *nt; (nt = PQnotifies(db)); PQfreemem(nt)) {
            if (strcmp(nt->extra, me) == 0)
                continue;
            events |= strcmp(nt->relname, "crmd_events") == 0;
            accounts |= strcmp(nt->relname, "crmd_accounts") == 0;
        }
        if (accounts)
            l->on_accounts(l->ctx);
        if (events)
            l->on_events(l->ctx);
    }
    atomic_store(l->heard, 0);
    PQfinish(db);
    return NULL;
}

pg_listener *pg_listener_start(const char *url, pg_listen_fn on_events, pg_listen_fn on_accounts, void *ctx,
                               _Atomic int64_t *heard)
{
    pg_listener *l = xcalloc(1, sizeof *l);
    l->url = xstrdup(url);
    l->on_events = on_events;
    l->on_accounts = on_accounts;
    l->ctx = ctx;
    l->heard = heard;
    if (pipe(l->wake) != 0) {
        log_error("store: cannot start the listener: %s", strerror(errno));
        free(l->url);
        free(l);
        return NULL;
    }
    if (pthread_create(&l->thread, NULL, listen_main, l) != 0) {
        log_error("store: cannot start the listener thread");
        close(l->wake[0]);
        close(l->wake[1]);
        free(l->url);
        free(l);
        return NULL;
    }
    return l;
}

void pg_listener_stop(pg_listener *l)
{
    if (!l)
        return;
    ssize_t w = write(l->wake[1], "x", 1);
    (void)w;
    pthread_join(l->thread, NULL);
    close(l->wake[0]);
    close(l->wake[1]);
    free(l->url);
    free(l);
}
