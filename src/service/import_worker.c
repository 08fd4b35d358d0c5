/* The import worker (imports.h): one thread claims a running import (with a lease, so that of
 * several servers on one database one runs it) and feeds its rows, a batch at a time, to runner
 * threads. A runner creates its rows through the create of POST /api/contact: up to
 * ROWS_PER_UNIT rows in one unit of work, each in a savepoint, where the store has them
 * (SQLite), else one row per unit (PostgreSQL). Many runners waiting on the writer at once is
 * what lets their units commit in groups (SQLite's group commit, PostgreSQL's concurrent
 * commits). A row's result is written inside the unit of its contact
 * (contact_input.unit_hook), and only onto a row without one: a row is never done twice, and a
 * server killed mid-import leaves rows either done with their contact or not done at all. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"
#include "service/imports.h"
#include "service/render.h"

#define LEASE_MS 15000          /* a server that stops renewing loses the import after this */
#define RENEW_MS 5000
#define POLL_MS 2000            /* looks for imports left by a stopped server this often */
#define BATCH 2048              /* rows handed to the runners at once: 4 units for each of 16 runners */
#define PROGRESS_US 250000      /* at most one import_progress event per this, and a final one */

typedef struct job {
    crm_import imp;
    crm_user me;
    atomic_llong done[4];       /* created, updated, skipped, failed: rows done by this server */
    atomic_bool storage_failed; /* a row could not be written: leave it for a later pass */
} job;

struct import_worker {
    crm_app *app;
    import_row_reader reader;
    unsigned nrunners;
    pthread_t thread, *runners;
    pthread_mutex_t mu;
    pthread_cond_t wake, work, idle;
    bool stopping, woken;
    /* the batch the runners are working through (under mu) */
    job *job;
    crm_import_row *batch;
    size_t nbatch, next;
    unsigned busy;
    uint64_t generation;
};

static const char *const status_names[4] = { "created", "updated", "skipped", "failed" };

static int status_index(const char *status)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(status, status_names[i]) == 0)
            return i;
    return 3;
}

/* ---- one row ---- */

struct row_ctx {
    job *job;
    crm_import_row *row;
    const char *want;           /* what the hook records: created | updated (skipped: no change) */
    const char *status;         /* what it recorded, or what a row that wrote nothing was given */
    bool already_done;          /* the hook found a result there: another runner's or server's */
};

static void set_reason(crm_import_row *r, const crm_err *err, arena *a)
{
    r->error = (char *)crm_error_code(err->code);
    r->field = err->field[0] ? arena_strdup(a, err->field) : NULL;
    r->value = err->value[0] ? arena_strdup(a, err->value) : NULL;
    r->message = arena_strdup(a, err->message[0] ? err->message : crm_error_message(err->code));
}

/* Inside the unit of the contact: the row's result goes with it. */
static int record_hook(store_conn *c, const crm_contact *ct, bool changed, void *arg)
{
    struct row_ctx *x = arg;
    crm_import_row r = { .row = x->row->row, .status = (char *)x->want };
    if (!x->job->imp.dry_run)
        memcpy(r.contact_id, ct->id, sizeof r.contact_id);
    if (!changed)
        r.status = "skipped";   /* an update that changes nothing */
    int rc = c->ops->import_row_done(c, x->job->imp.org_id, x->job->imp.id, &r);
    if (rc == -CRM_E_NOT_FOUND)
        x->already_done = true;
    if (rc == 0)
        x->status = r.status;
    return rc;
}

struct done_work {
    job *job;
    const crm_import_row *r;
};

static int done_unit(store_conn *c, void *arg)
{
    struct done_work *w = arg;
    int rc = c->ops->import_row_done(c, w->job->imp.org_id, w->job->imp.id, w->r);
    return rc == -CRM_E_NOT_FOUND ? 0 : rc;
}

/* A row that wrote no contact: its result alone. */
static void record_alone(crm_app *app, job *j, int64_t row, const char *status, const char *contact_id,
                         const crm_err *why, arena *a)
{
    crm_import_row r = { .row = row, .status = (char *)status };
    crm_err err = { 0 };
    if (contact_id)
        snprintf(r.contact_id, sizeof r.contact_id, "%s", contact_id);
    if (why)
        set_reason(&r, why, a);
    struct done_work w = { j, &r };
    if (app_write(app, done_unit, &w, &err) != 0)
        atomic_store(&j->storage_failed, true);
    else
        atomic_fetch_add(&j->done[status_index(status)], 1);
}

/* A row whose number the organization already has: onDuplicate says what happens. */
static void on_duplicate(import_worker *w, job *j, struct row_ctx *x, contact_input *in, const crm_err *taken, arena *a)
{
    const char *mode = j->imp.on_duplicate;
    crm_err err = { 0 };
    crm_contact ct;
    if (strcmp(mode, "error") == 0 || (!taken->contact_id[0] && !j->imp.dry_run)) {
        record_alone(w->app, j, x->row->row, "failed", NULL, taken, a);
        return;
    }
    if (strcmp(mode, "skip") == 0 || j->imp.dry_run) {
        record_alone(w->app, j, x->row->row, strcmp(mode, "skip") == 0 ? "skipped" : "updated", taken->contact_id,
                     strcmp(mode, "skip") == 0 ? taken : NULL, a);
        return;
    }
    /* update: the row's other cells go onto the contact that holds the number; its numbers stay */
    in->given &= ~(unsigned)(CK_PHONES | CK_SECONDARY);
    x->want = x->status = "updated";
    int rc = contact_update(w->app, &j->me, taken->contact_id, in, NULL, a, &ct, &err);
    if (rc == 0)
        atomic_fetch_add(&j->done[status_index(x->status)], 1);
    else if (x->already_done)
        return;
    else if (rc == -CRM_E_UNAVAILABLE || rc == -CRM_E_INTERNAL)
        atomic_store(&j->storage_failed, true);
    else   /* a contact the caller may not see is not one it may update: the number stays taken */
        record_alone(w->app, j, x->row->row, "failed", NULL, rc == -CRM_E_NOT_FOUND ? taken : &err, a);
}

static void run_row(import_worker *w, job *j, crm_import_row *row, arena *a)
{
    crm_err err = { 0 };
    contact_input in = { 0 };
    struct row_ctx x = { j, row, "created", "created", false };
    int status, rc;
    char *reply;
    json_t *body = json_loads(row->input_json, 0, NULL);

    arena_reset(a);
    if (!body) {
        log_error("import %s: row %lld is not readable", j->imp.id, (long long)row->row);
        crm_fail(&err, CRM_E_INTERNAL, NULL, NULL);
        record_alone(w->app, j, row->row, "failed", NULL, &err, a);
        return;
    }
    if ((rc = w->reader(body, a, &in, &err)) == 0) {
        /* Nothing is written in a dry run, so a number that an earlier row of the file holds is
         * still free here: the row is checked like any other, then reported as the duplicate
         * that a real run would find. */
        bool dry_duplicate = j->imp.dry_run && row->after_row;
        in.log_source = "import";
        in.dry_run = j->imp.dry_run;
        if (!dry_duplicate) {
            in.unit_hook = record_hook;
            in.hook_arg = &x;
        }
        rc = contact_create(w->app, &j->me, &in, a, &status, &reply, &err);
        if (rc == 0 && dry_duplicate)
            rc = crm_fail(&err, CRM_E_PHONE_TAKEN, "phoneNumber", "A number of this row is also on row %lld of the file",
                          (long long)row->after_row);
    }
    if (rc == 0 && !x.already_done)
        atomic_fetch_add(&j->done[status_index(x.status)], 1);
    else if (x.already_done)
        ;
    else if (rc == -CRM_E_PHONE_TAKEN)
        on_duplicate(w, j, &x, &in, &err, a);
    else if (rc == -CRM_E_UNAVAILABLE || rc == -CRM_E_INTERNAL)
        atomic_store(&j->storage_failed, true);
    else
        record_alone(w->app, j, row->row, "failed", NULL, &err, a);
    json_decref(body);
}

/* ---- several rows in one unit of work (stores with savepoints) ---- */

#define ROWS_PER_UNIT 32

typedef struct part {
    crm_import_row *row;
    json_t *body;
    contact_input in;
    crm_contact *ct;
    crm_err err;
    int prepared;           /* of reading and preparing the row */
    int rc;                 /* that, then of its create */
    struct row_ctx x;
    bool later;             /* onDuplicate=update: updated through its own unit after this one */
} part;

struct parts_work {
    job *j;
    part *p;
    size_t n;
    arena *a;
};

/* Inside the unit: the row's result when it wrote no contact (x.status: what was recorded). */
static int record_in_unit(store_conn *c, job *j, part *p, arena *a)
{
    bool skip = p->rc == -CRM_E_PHONE_TAKEN && p->err.contact_id[0] && strcmp(j->imp.on_duplicate, "skip") == 0;
    crm_import_row r = { .row = p->row->row, .status = skip ? "skipped" : "failed" };
    if (skip)
        memcpy(r.contact_id, p->err.contact_id, sizeof r.contact_id);
    set_reason(&r, &p->err, a);
    int rc = c->ops->import_row_done(c, j->imp.org_id, j->imp.id, &r);
    if (rc == -CRM_E_NOT_FOUND)
        p->x.already_done = true;
    else if (rc == 0)
        p->x.status = r.status;
    return rc == -CRM_E_NOT_FOUND ? 0 : rc;
}

/* Each row in a savepoint of the one unit: a row that fails takes back only its own writes.
 * Each run starts from the rows as prepared, not from what a run before found (a row it failed,
 * a duplicate it recorded): a store may run a unit again (PostgreSQL's does after a deadlock,
 * though it has no savepoints and so takes the rows one by one, in run_row). */
static int parts_unit(store_conn *c, void *arg)
{
    struct parts_work *pw = arg;
    int rc;
    for (size_t i = 0; i < pw->n; i++) {
        part *p = &pw->p[i];
        p->x.status = "created";
        p->x.already_done = p->later = false;
        if ((p->rc = p->prepared) == 0)
            p->err = (crm_err){ 0 };
    }
    for (size_t i = 0; i < pw->n; i++) {
        part *p = &pw->p[i];
        if (p->rc == 0) {
            if ((rc = c->ops->savepoint(c, 0)))
                return rc;
            p->rc = contact_create_in_unit(c, &pw->j->me, &p->in, p->ct, pw->a, &p->err);
            if ((rc = c->ops->savepoint(c, p->rc ? 2 : 1)))
                return rc;
            if (p->rc == 0)
                continue;   /* the hook wrote its result */
        }
        if (p->x.already_done)
            continue;
        if (p->rc == -CRM_E_UNAVAILABLE || p->rc == -CRM_E_INTERNAL)
            return p->rc;   /* the whole unit goes; its rows are tried again later */
        p->later = p->rc == -CRM_E_PHONE_TAKEN && p->err.contact_id[0] && strcmp(pw->j->imp.on_duplicate, "update") == 0;
        if (!p->later && (rc = record_in_unit(c, pw->j, p, pw->a)))
            return rc;
    }
    return 0;
}

static void run_parts(import_worker *w, job *j, crm_import_row *rows, size_t n, arena *a)
{
    part p[ROWS_PER_UNIT];
    crm_err err = { 0 };
    arena_reset(a);
    memset(p, 0, sizeof p);
    for (size_t i = 0; i < n; i++) {
        p[i].row = &rows[i];
        p[i].x = (struct row_ctx){ j, &rows[i], "created", "created", false };
        if (!(p[i].body = json_loads(rows[i].input_json, 0, NULL))) {
            log_error("import %s: row %lld is not readable", j->imp.id, (long long)rows[i].row);
            p[i].prepared = crm_fail(&p[i].err, CRM_E_INTERNAL, NULL, NULL);
            continue;
        }
        if ((p[i].prepared = w->reader(p[i].body, a, &p[i].in, &p[i].err)))
            continue;
        p[i].in.log_source = "import";
        p[i].in.unit_hook = record_hook;
        p[i].in.hook_arg = &p[i].x;
        p[i].prepared = contact_create_prepare(w->app, &j->me, &p[i].in, a, &p[i].ct, &p[i].err);
    }
    struct parts_work pw = { j, p, n, a };
    if (app_write(w->app, parts_unit, &pw, &err) != 0) {
        atomic_store(&j->storage_failed, true);
    } else {
        for (size_t i = 0; i < n; i++)
            if (p[i].later)
                on_duplicate(w, j, &p[i].x, &p[i].in, &p[i].err, a);
            else if (!p[i].x.already_done)
                atomic_fetch_add(&j->done[status_index(p[i].x.status)], 1);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(p[i].body);
}

/* ---- the runners ---- */

static void *runner_main(void *arg)
{
    import_worker *w = arg;
    arena *a = arena_new();
    uint64_t seen = 0;
    pthread_setname_np(pthread_self(), "import-run");
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stopping && w->generation == seen)
            pthread_cond_wait(&w->work, &w->mu);
        if (w->generation == seen)
            break;   /* stopping, and no batch for this runner */
        seen = w->generation;
        while (w->next < w->nbatch) {
            /* several rows to a unit where the store can undo one of them alone (not in a dry
             * run, whose rows are reported one by one) */
            bool together = w->app->st->ops->savepoint && !w->job->imp.dry_run;
            size_t n = together && w->nbatch - w->next > ROWS_PER_UNIT ? ROWS_PER_UNIT : together ? w->nbatch - w->next : 1;
            crm_import_row *rows = &w->batch[w->next];
            w->next += n;
            pthread_mutex_unlock(&w->mu);
            if (together)
                run_parts(w, w->job, rows, n, a);
            else
                run_row(w, w->job, rows, a);
            pthread_mutex_lock(&w->mu);
        }
        if (--w->busy == 0)
            pthread_cond_signal(&w->idle);
    }
    pthread_mutex_unlock(&w->mu);
    arena_destroy(a);
    return NULL;
}

/* Runs rows[0..n) on the runners and waits until every one is done. */
static void run_batch(import_worker *w, job *j, crm_import_row *rows, size_t n)
{
    pthread_mutex_lock(&w->mu);
    w->job = j;
    w->batch = rows;
    w->nbatch = n;
    w->next = 0;
    w->busy = w->nrunners;
    w->generation++;
    pthread_cond_broadcast(&w->work);
    while (w->busy)
        pthread_cond_wait(&w->idle, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* ---- the job ---- */

struct progress_work {
    crm_import *imp;
    bool finish;
};

static int progress_unit(store_conn *c, void *arg)
{
    struct progress_work *w = arg;
    int rc = 0;
    if (w->finish && (rc = c->ops->import_finish(c, w->imp->org_id, w->imp->id, w->imp->state, w->imp->error,
                                                 w->imp->finished_at)))
        return rc;
    json_t *payload = json_pack("{s:o}", "import", render_import(w->imp));
    char *text = json_dumps(payload, JSON_COMPACT);
    int64_t seq;
    json_decref(payload);
    if (!text)
        abort();
    rc = c->ops->event_append(c, w->imp->org_id, "import_progress", text, &seq);
    free(text);
    return rc;
}

/* An import_progress event with the counts so far (this server's rows added to those done
 * before it claimed the import); with finish, the import ends in the same unit. */
static int send_progress(import_worker *w, job *j, bool finish)
{
    crm_import imp = j->imp;
    crm_err err = { 0 };
    int64_t *counts[4] = { &imp.created, &imp.updated, &imp.skipped, &imp.failed };
    for (int i = 0; i < 4; i++) {
        int64_t n = atomic_load(&j->done[i]);
        *counts[i] += n;
        imp.processed += n;
    }
    if (finish) {
        imp.state = imp.error ? "failed" : "done";
        imp.finished_at = time_now_ms();
    }
    struct progress_work pw = { &imp, finish };
    return app_write(w->app, progress_unit, &pw, &err);
}

struct claim_work {
    crm_import *imp;
    arena *a;
};

static int claim_unit(store_conn *c, void *arg)
{
    struct claim_work *cw = arg;
    int64_t now = time_now_ms();
    return c->ops->import_claim(c, now, now + LEASE_MS, cw->a, cw->imp);
}

struct renew_work {
    const crm_import *imp;
    int64_t until;
};

static int renew_unit(store_conn *c, void *arg)
{
    struct renew_work *rw = arg;
    return c->ops->import_renew(c, rw->imp->org_id, rw->imp->id, rw->until);
}

static int renew(import_worker *w, const crm_import *imp, int64_t until)
{
    crm_err err = { 0 };
    struct renew_work rw = { imp, until };
    return app_write(w->app, renew_unit, &rw, &err);
}

/* The creator must still be a user of the organization who may write. */
static int load_creator(import_worker *w, job *j, arena *a)
{
    store_conn *c;
    crm_err err = { 0 };
    int rc = app_reader(w->app, &c, &err);
    if (rc)
        return rc;
    rc = c->ops->user_get(c, j->imp.user_id, a, &j->me);
    if (rc == -CRM_E_NOT_FOUND || (rc == 0 && (j->me.login_disabled || strcmp(j->me.org_id, j->imp.org_id) != 0))) {
        j->imp.error = "The user who started the import can no longer write contacts";
        return 0;
    }
    return rc;
}

static bool stopping(import_worker *w)
{
    pthread_mutex_lock(&w->mu);
    bool s = w->stopping;
    pthread_mutex_unlock(&w->mu);
    return s;
}

/* Rows without a result: first those that repeat no earlier row's number, all at once, then
 * the others in file order, each after the row it repeats. false: stopped or storage failed. */
static bool run_rows(import_worker *w, job *j, arena *a)
{
    int64_t renewed = time_now_ms(), progress = time_now_us();
    for (int dependent = 0; dependent < 2; dependent++) {
        int64_t after = 0;
        for (;;) {
            store_conn *c;
            crm_err err = { 0 };
            crm_import_row *rows;
            size_t n;
            arena_reset(a);
            if (stopping(w) || atomic_load(&j->storage_failed) || app_reader(w->app, &c, &err) ||
                c->ops->import_rows_pending(c, j->imp.org_id, j->imp.id, dependent, after, BATCH, a, &rows, &n))
                return false;
            if (n == 0)
                break;
            if (!dependent) {
                run_batch(w, j, rows, n);
            } else {
                for (size_t i = 0; i < n && !atomic_load(&j->storage_failed); i++) {
                    arena *row_arena = arena_new();
                    run_row(w, j, &rows[i], row_arena);
                    arena_destroy(row_arena);
                }
            }
            after = rows[n - 1].row;
            if (time_now_ms() - renewed >= RENEW_MS) {
                if (renew(w, &j->imp, time_now_ms() + LEASE_MS))
                    return false;   /* no longer running (or no longer ours to run) */
                renewed = time_now_ms();
            }
            if (time_now_us() - progress >= PROGRESS_US) {
                send_progress(w, j, false);
                progress = time_now_us();
            }
        }
    }
    return !atomic_load(&j->storage_failed);
}

/* Claims one import and runs it; false when there was none to claim. */
static bool claim_and_run(import_worker *w)
{
    arena *a = arena_new(), *rows = arena_new();
    job *j = xcalloc(1, sizeof *j);
    crm_err err = { 0 };
    bool claimed = false;
    struct claim_work cw = { &j->imp, a };
    int rc = app_write(w->app, claim_unit, &cw, &err);
    if (rc)
        goto done;
    claimed = true;
    log_info("import %s: running (%lld of %lld rows done before)", j->imp.id, (long long)j->imp.processed,
             (long long)j->imp.total);
    if (load_creator(w, j, a) != 0)
        goto done;   /* storage: tried again once the lease ends */
    if (!j->imp.error && !run_rows(w, j, rows)) {
        if (stopping(w))
            renew(w, &j->imp, 0);   /* free for the next start to take at once */
        goto done;
    }
    if (send_progress(w, j, true) == 0)
        log_info("import %s: %s", j->imp.id, j->imp.error ? "failed" : "done");
done:
    arena_destroy(rows);
    arena_destroy(a);
    free(j);
    return claimed;
}

static void *worker_main(void *arg)
{
    import_worker *w = arg;
    pthread_setname_np(pthread_self(), "imports");
    while (!stopping(w)) {
        if (claim_and_run(w))
            continue;
        struct timespec ts = time_deadline(CLOCK_MONOTONIC, POLL_MS);
        pthread_mutex_lock(&w->mu);
        while (!w->stopping && !w->woken && pthread_cond_timedwait(&w->wake, &w->mu, &ts) == 0)
            ;
        w->woken = false;
        pthread_mutex_unlock(&w->mu);
    }
    return NULL;
}

import_worker *import_worker_start(crm_app *app, import_row_reader reader, unsigned runners, char *err,
                                   size_t errlen)
{
    import_worker *w = xcalloc(1, sizeof *w);
    pthread_condattr_t ca;
    w->app = app;
    w->reader = reader;
    w->nrunners = runners ? runners : 1;
    w->runners = xcalloc(w->nrunners, sizeof *w->runners);
    pthread_mutex_init(&w->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->idle, NULL);
    unsigned started = 0;
    while (started < w->nrunners && pthread_create(&w->runners[started], NULL, runner_main, w) == 0)
        started++;
    if (started < w->nrunners || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        snprintf(err, errlen, "cannot start the import threads");
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_broadcast(&w->work);
        pthread_mutex_unlock(&w->mu);
        for (unsigned i = 0; i < started; i++)
            pthread_join(w->runners[i], NULL);
        free(w->runners);
        free(w);
        return NULL;
    }
    return w;
}

void import_worker_wake(import_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->woken = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
}

void import_worker_stop(import_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);   /* it finishes the batch in hand, then leaves the import */
    pthread_mutex_lock(&w->mu);
    pthread_cond_broadcast(&w->work);
    pthread_mutex_unlock(&w->mu);
    for (unsigned i = 0; i < w->nrunners; i++)
        pthread_join(w->runners[i], NULL);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->work);
    pthread_cond_destroy(&w->idle);
    pthread_mutex_destroy(&w->mu);
    free(w->runners);
    free(w);
}
