/* Webhook delivery: a dispatcher thread that turns committed events into delivery rows, and a
 * sender thread that POSTs due deliveries with libcurl, signs them, and records each attempt.
 *
 * Durability: the dispatcher reads the events after a cursor kept in the database (meta key
 * "webhook_seq") and inserts the deliveries of a batch and the advanced cursor in one unit of
 * work, so a crash neither loses nor duplicates a delivery. Deliveries are rows: a restart
 * resumes every pending one. A delivery is sent at least once (a crash during a POST sends it
 * again). A webhook receives the events created at or after its own createdAt.
 *
 * Environment: CRMD_WEBHOOK_BACKOFF_MS (base of the retry backoff, default 1000: retries after
 * about 1 s, 2 s, 4 s ... ±20 %, capped at 1 h) and CRMD_WEBHOOK_MAX_ATTEMPTS (default 8; then
 * the delivery is failed). */
#ifndef CRM_WEBHOOK_WORKER_H
#define CRM_WEBHOOK_WORKER_H

#include "service/app.h"
#include "service/event_hub.h"

#define WEBHOOK_CONNECT_TIMEOUT_MS 5000
#define WEBHOOK_TOTAL_TIMEOUT_MS 10000
#define WEBHOOK_DEFAULT_BACKOFF_MS 1000
#define WEBHOOK_DEFAULT_MAX_ATTEMPTS 8
#define WEBHOOK_BACKOFF_CAP_MS (3600 * 1000)

typedef struct webhook_worker webhook_worker;

/* Starts both threads and subscribes to hub. hub may be NULL: the dispatcher then only polls the
 * event log (every second). Returns NULL with one human line in err on failure. Call after the
 * hub starts and before the store closes. */
webhook_worker *webhook_worker_start(crm_app *app, event_hub *hub, char *err, size_t errlen);
/* Unsubscribes and joins the threads; a POST in flight is abandoned (it stays pending and is sent
 * again after the next start). Returns within about a second. NULL: nothing. Call before
 * event_hub_stop and app_close. */
void webhook_worker_stop(webhook_worker *w);

#endif
