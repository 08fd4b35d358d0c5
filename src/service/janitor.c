/* The janitor thread (see janitor.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "service/bulk_job.h"
#include "service/contacts.h"
#include "service/imports.h"
#include "service/janitor.h"

struct janitor {
    crm_app *app;
    atomic_bool stop_now;   /* read between batches, so a long purge does not hold up a stop */
    int64_t interval_ms;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping;
};

typedef int (*purge_op)(store_conn *c, int64_t before_ms, int64_t limit, int64_t *deleted);

struct purge { purge_op fn; int64_t before, deleted; };

static int purge_unit(store_conn *c, void *arg)
{
    struct purge *p = arg;
    return p->fn(c, p->before, JANITOR_BATCH, &p->deleted);
}

/* Every kind in turn; how many records went, or -1 when a unit failed. */
static int64_t purge_all(crm_app *app, atomic_bool *stop)
{
    /* What goes: each a store operation that deletes at most a batch of what is older than its
     * age, run as units of work until a batch comes back short. */
    const store_ops *o = app->st->ops;
    const struct { purge_op fn; int64_t keep_ms; } kinds[] = {
        {o->version >= 4 ? o->idempotency_purge : NULL, IDEMPOTENCY_TTL_MS},
        {o->version >= 10 ? o->bulk_job_purge : NULL, BULK_JOB_TTL_MS},
        {o->version >= 12 ? o->import_purge : NULL, IMPORT_KEEP_MS},
    };
    int64_t total = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        struct purge p = {kinds[i].fn, time_now_ms() - kinds[i].keep_ms, 0};
        if (!p.fn)
            continue;
        do {
            crm_err err = {0};
            if (app_write(app, purge_unit, &p, &err) != 0)
                return -1;
            total += p.deleted;
        } while (p.deleted >= JANITOR_BATCH && !(stop && atomic_load(stop)));
    }
    return total;
}

int64_t janitor_run_once(crm_app *app)
{
    return purge_all(app, NULL);
}

static void *janitor_main(void *arg)
{
    janitor *j = arg;
    bool failing = false;
    pthread_setname_np(pthread_self(), "janitor");
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        pthread_mutex_unlock(&j->mu);
        int64_t n = purge_all(j->app, &j->stop_now);
        if (n < 0 && !failing)
            log_error("janitor: cannot purge expired records; trying again later");
        else if (n > 0)
            log_info("janitor: purged %lld expired record(s)", (long long)n);
        failing = n < 0;
        struct timespec ts = time_deadline(CLOCK_MONOTONIC, j->interval_ms);
        pthread_mutex_lock(&j->mu);
        while (!j->stopping && pthread_cond_timedwait(&j->wake, &j->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

janitor *janitor_start(crm_app *app, int64_t interval_ms, char *err, size_t errlen)
{
    janitor *j = xcalloc(1, sizeof *j);
    j->app = app;
    j->interval_ms = interval_ms > 0 ? interval_ms : JANITOR_DEFAULT_INTERVAL_MS;
    pthread_mutex_init(&j->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&j->thread, NULL, janitor_main, j) != 0) {
        snprintf(err, errlen, "cannot start the janitor thread");
        pthread_cond_destroy(&j->wake);
        pthread_mutex_destroy(&j->mu);
        free(j);
        return NULL;
    }
    return j;
}

void janitor_stop(janitor *j)
{
    if (!j)
        return;
    atomic_store(&j->stop_now, true);
    pthread_mutex_lock(&j->mu);
    j->stopping = true;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->thread, NULL);
    pthread_cond_destroy(&j->wake);
    pthread_mutex_destroy(&j->mu);
    free(j);
}
