/* Bulk delete by query as a durable job (API.md §5.5): the job and the ids of the contacts it
 * matched are written before the reply; a worker thread deletes them in batches, each batch one
 * unit of work that deletes its contacts (by contact_delete_in_unit, the rules of DELETE
 * /api/contacts/{id}), removes them from the job and advances its count. A job whose server
 * died is taken over when its lease ends, by this server after a restart or by another one. */
#ifndef CRM_BULK_JOB_H
#define CRM_BULK_JOB_H

#include "service/bulk.h"

#define BULK_JOB_BATCH 500                        /* contacts per unit of work, by default */
#define BULK_JOB_TTL_MS (24LL * 3600 * 1000)      /* finished jobs are purged after this */
#define BULK_JOB_LEASE_MS (15LL * 1000)           /* default; a batch renews it */

/* DELETE /api/contacts/query-bulk-delete: registers the job (pending) and wakes the worker. */
int bulk_delete_start(crm_app *app, const crm_user *me, const bulk_filter *f, objectid job_id, crm_err *err);

/* GET /api/contacts/bulk-job/{id}: the caller's own job, else NOT_FOUND. */
int bulk_job_read(crm_app *app, const crm_user *me, const char *job_id, arena *a, crm_bulk_job *out,
                  crm_err *err);

typedef struct bulk_worker bulk_worker;

/* Starts the thread that runs pending jobs: at once, when a job starts here, and every poll_ms
 * for jobs whose lease ended; batch contacts per unit of work (0: the defaults). NULL with err
 * when it cannot start. */
bulk_worker *bulk_worker_start(crm_app *app, int64_t lease_ms, int64_t poll_ms, int64_t batch, char *err,
                               size_t errlen);
/* Stops after the batch in progress; the job it ran is left pending with its lease ended, so
 * that the next server to look takes it at once. NULL is fine. */
void bulk_worker_stop(bulk_worker *w);

#endif
