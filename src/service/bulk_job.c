/* The bulk delete job and its worker thread (see bulk_job.h). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "service/bulk_job.h"

#define POLL_DEFAULT_MS 5000
#define FAILURES_MAX 5   /* consecutive failed batches before the job is marked failed */

struct bulk_worker {
    crm_app *app;
    int64_t lease_ms, poll_ms, batch;
    atomic_bool stop_now;   /* read between batches */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping, woken;
};

/* The worker of this process, for bulk_delete_start to wake (NULL: none runs). */
static pthread_mutex_t current_mu = PTHREAD_MUTEX_INITIALIZER;
static bulk_worker *current;

static void wake_worker(void)
{
    pthread_mutex_lock(&current_mu);
    if (current) {
        pthread_mutex_lock(&current->mu);
        current->woken = true;
        pthread_cond_signal(&current->wake);
        pthread_mutex_unlock(&current->mu);
    }
    pthread_mutex_unlock(&current_mu);
}

struct start_work {
    const crm_user *me;
    const bulk_filter *f;
    crm_bulk_job *job;
    crm_err *err;
};

static int start_unit(store_conn *c, void *arg)
{
    struct start_work *w = arg;
    arena *a = arena_new();
    objectid *ids;
    size_t n;
    int rc = bulk_match(c, w->me, w->f, a, &ids, &n, w->err);
    if (rc == 0) {
        w->job->total = (int64_t)n;
        rc = c->ops->bulk_job_insert(c, w->job, ids, n);
    }
    arena_destroy(a);
    return rc;
}

int bulk_delete_start(crm_app *app, const crm_user *me, const bulk_filter *f, objectid job_id, crm_err *err)
{
    arena *a = arena_new();
    contact_query *qs;
    size_t nq;
    /* the role and the filter's shape first, on a reader: a refused request takes no writer time */
    int rc = bulk_queries(app, me, f, a, &qs, &nq, err);
    arena_destroy(a);
    if (rc)
        return rc;
    crm_bulk_job job = { .kind = "delete", .state = "pending" };
    objectid_new(job.id);
    memcpy(job.org_id, me->org_id, sizeof job.org_id);
    memcpy(job.user_id, me->id, sizeof job.user_id);
    job.created_at = job.updated_at = time_now_ms();
    struct start_work w = { me, f, &job, err };
    if ((rc = app_write(app, start_unit, &w, err)))
        return rc;
    memcpy(job_id, job.id, sizeof(objectid));
    wake_worker();
    return 0;
}

int bulk_job_read(crm_app *app, const crm_user *me, const char *job_id, arena *a, crm_bulk_job *out, crm_err *err)
{
    store_conn *c;
    int rc;
    if ((rc = require_org_member(me, err)) || (rc = app_reader(app, &c, err)))
        return rc;
    rc = c->ops->bulk_job_get(c, me->org_id, job_id, a, out);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && strcmp(out->user_id, me->id) != 0))
        return crm_fail(err, CRM_E_NOT_FOUND, NULL, "No such job");
    return rc ? crm_fail(err, -rc, NULL, NULL) : 0;
}

/* --- the worker --- */

struct claim_work {
    int64_t lease_ms;
    arena *a;
    crm_bulk_job *job;
};

static int claim_unit(store_conn *c, void *arg)
{
    struct claim_work *w = arg;
    int64_t now = time_now_ms();
    return c->ops->bulk_job_claim(c, now, now + w->lease_ms, w->a, w->job);
}

struct batch_work {
    crm_bulk_job *job;
    int64_t lease_ms, batch;
    bool release;     /* end the lease instead of renewing it (stopping) */
    const char *fail; /* mark the job failed with this error */
};

/* One batch: deletes the next contacts of the job, as the user who started it, and advances the
 * job in the same transaction. A contact already gone (deleted meanwhile) counts as processed. */
static int batch_unit(store_conn *c, void *arg)
{
    struct batch_work *w = arg;
    crm_bulk_job *job = w->job;
    crm_user owner = { .role = ROLE_ADMIN };
    memcpy(owner.id, job->user_id, sizeof owner.id);
    memcpy(owner.org_id, job->org_id, sizeof owner.org_id);
    arena *a = arena_new();
    objectid *ids = NULL;
    size_t n = 0;
    int rc = 0;
    if (!w->release && !w->fail)
        rc = c->ops->bulk_job_items(c, job->org_id, job->id, w->batch, a, &ids, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        crm_contact ct;
        rc = c->ops->contact_get(c, job->org_id, ids[i], a, &ct);
        if (rc == 0)
            rc = contact_delete_in_unit(c, &owner, &ct);
        if (rc == -CRM_E_NOT_FOUND)
            rc = 0;
    }
    if (rc == 0) {
        int64_t now = time_now_ms();
        bool done = !w->release && !w->fail && (int64_t)n < w->batch;
        crm_bulk_job next = *job;
        next.state = w->fail ? "failed" : done ? "completed" : "pending";
        next.error = (char *)w->fail;
        next.lease_until = w->release || done || w->fail ? 0 : now + w->lease_ms;
        next.updated_at = now;
        rc = c->ops->bulk_job_advance(c, &next, ids, n, &next.processed);
        if (rc == 0) {
            job->state = next.state;
            job->processed = next.processed;
        }
    }
    arena_destroy(a);
    return rc;
}

static bool should_stop(bulk_worker *w)
{
    return atomic_load(&w->stop_now);
}

/* Runs a claimed job to its end, or until the worker stops or the store keeps failing. */
static void run_job(bulk_worker *w, crm_bulk_job *job)
{
    int failures = 0;
    log_info("bulk job %s: deleting %lld contact(s) of organization %s", job->id, (long long)job->total, job->org_id);
    while (strcmp(job->state, "pending") == 0) {
        crm_err err = { 0 };
        struct batch_work b = { job, w->lease_ms, w->batch, should_stop(w), NULL };
        if (failures >= FAILURES_MAX)
            b.fail = "The storage failed repeatedly; the contacts not yet deleted were kept";
        if (app_write(w->app, batch_unit, &b, &err) == 0) {
            failures = 0;
            if (b.release || b.fail)
                return;
            continue;
        }
        if (++failures > FAILURES_MAX || should_stop(w)) {
            log_error("bulk job %s: a batch failed; the job stays pending for a later attempt", job->id);
            return;
        }
        struct timespec ts = { 0, 200 * 1000000L };
        nanosleep(&ts, NULL);
    }
    log_info("bulk job %s: %s, %lld of %lld processed", job->id, job->state, (long long)job->processed,
             (long long)job->total);
}

static void *worker_main(void *arg)
{
    bulk_worker *w = arg;
    pthread_setname_np(pthread_self(), "bulk-jobs");
    while (!should_stop(w)) {
        arena *a = arena_new();
        crm_bulk_job job;
        crm_err err = { 0 };
        struct claim_work cw = { w->lease_ms, a, &job };
        int rc = app_write(w->app, claim_unit, &cw, &err);
        if (rc == 0)
            run_job(w, &job);
        arena_destroy(a);
        if (rc == 0)
            continue;   /* another job may be due */
        struct timespec ts = time_deadline(CLOCK_MONOTONIC, w->poll_ms);
        pthread_mutex_lock(&w->mu);
        while (!w->stopping && !w->woken && pthread_cond_timedwait(&w->wake, &w->mu, &ts) == 0)
            ;
        w->woken = false;
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

bulk_worker *bulk_worker_start(crm_app *app, int64_t lease_ms, int64_t poll_ms, int64_t batch, char *err,
                               size_t errlen)
{
    bulk_worker *w = xcalloc(1, sizeof *w);
    w->app = app;
    w->lease_ms = lease_ms > 0 ? lease_ms : BULK_JOB_LEASE_MS;
    w->poll_ms = poll_ms > 0 ? poll_ms : POLL_DEFAULT_MS;
    w->batch = batch > 0 ? batch : BULK_JOB_BATCH;
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, errlen, "cannot start the bulk job thread");
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return NULL;
    }
    pthread_mutex_lock(&current_mu);
    current = w;
    pthread_mutex_unlock(&current_mu);
    return w;
}

void bulk_worker_stop(bulk_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&current_mu);
    if (current == w)
        current = NULL;
    pthread_mutex_unlock(&current_mu);
    atomic_store(&w->stop_now, true);
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
