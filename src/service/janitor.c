/* The janitor thread (see janitor.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lib/log.h"
#include "lib/timefmt.h"
#include "service/bulk_job.h"
#include "service/contacts.h"
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

struct purge { int64_t before, deleted; };

static int purge_unit(store_conn *c, void *arg)
{
    struct purge *p = arg;
    return c->ops->idempotency_purge(c, p->before, JANITOR_BATCH, &p->deleted);
}

static bool can_purge(const crm_app *app)
{
    return app->st->ops->version >= 4 && app->st->ops->idempotency_purge;
}

static int64_t purge(crm_app *app, atomic_bool *stop)
{
    int64_t total = 0;
    if (!can_purge(app))
        return 0;
    struct purge p = {time_now_ms() - IDEMPOTENCY_TTL_MS, 0};
    do {
        crm_err err = {0};
        if (app_write(app, purge_unit, &p, &err) != 0)
            return -1;
        total += p.deleted;
    } while (p.deleted == JANITOR_BATCH && !(stop && atomic_load(stop)));
    return total;
}

/* The Idempotency-Key records, then the bulk jobs finished more than a day ago. */
static int64_t purge_all(crm_app *app, atomic_bool *stop)
{
    int64_t keys = purge(app, stop), jobs = keys < 0 ? 0 : bulk_job_purge(app, JANITOR_BATCH);
    return keys < 0 || jobs < 0 ? -1 : keys + jobs;
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
            log_error("janitor: cannot purge expired Idempotency-Key records or bulk jobs; trying again later");
        else if (n > 0)
            log_info("janitor: purged %lld expired Idempotency-Key record(s) and bulk job(s)", (long long)n);
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
    janitor *j = calloc(1, sizeof *j);
    if (!j)
        abort();
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
