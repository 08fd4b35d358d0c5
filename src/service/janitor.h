/* The janitor: a thread that, now and then, deletes what has outlived its use: Idempotency-Key
 * records past their 24 hours (API.md §5.2 step 9), bulk jobs a day after they ended, and CSV
 * imports with their rows IMPORT_KEEP_MS after they ended. On several servers each runs one;
 * the deletes are idempotent. Events and event-log entries are kept: the event log is the replay source that SSE
 * clients and webhooks resume from, and the event log is the organization's audit trail. */
#ifndef CRM_JANITOR_H
#define CRM_JANITOR_H

#include "service/app.h"

#define JANITOR_DEFAULT_INTERVAL_MS (10LL * 60 * 1000)
#define JANITOR_BATCH 500   /* rows per unit of work, so a large purge never holds the writer long */

typedef struct janitor janitor;

/* Starts the thread; it works once at once, then every interval_ms (0: the default). A store
 * without the purge operation gets an idle janitor. NULL with err when the thread cannot start. */
janitor *janitor_start(crm_app *app, int64_t interval_ms, char *err, size_t errlen);
void janitor_stop(janitor *j);   /* NULL is fine */

/* One pass, on the calling thread: how many records went, or -1 when the store failed. */
int64_t janitor_run_once(crm_app *app);

#endif
