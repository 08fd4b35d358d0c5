/* Inside the webhook worker (service/webhook_worker.h): the state its two threads share. The
 * dispatcher is webhook_dispatch.c, the sender webhook_send.c, their start and stop
 * webhook_worker.c. */
#ifndef CRM_WEBHOOK_WORKER_IMPL_H
#define CRM_WEBHOOK_WORKER_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "service/webhook_worker.h"
#include "service/webhooks.h"
#include "lib/libcurl.h"

#define POLL_MS 1000               /* the log and the due deliveries are looked at at least this often */
#define SEND_MAX_INFLIGHT 16

struct inflight;

struct webhook_worker {
    crm_app *app;
    event_hub *hub;
    hub_sub *sub;
    int64_t backoff_ms;
    int max_attempts;
    bool inert;                        /* the store cannot keep webhooks: no threads */
    CURLM *multi;                      /* made by the sender with its first POST; under lock */

    pthread_mutex_t lock;              /* guards the flags below */
    pthread_cond_t dispatch_wake, send_wake;
    bool dispatch_pending, send_pending, stopping;
    pthread_t dispatcher, sender;
    bool dispatcher_running, sender_running;

    /* dispatcher thread only */
    int64_t cursor;                    /* every event up to here has been looked at */
    int64_t persisted;                 /* the cursor kept in the database */
    int64_t persisted_at;
    bool dispatch_failing;

    /* sender thread only */
    struct inflight *inflight[SEND_MAX_INFLIGHT];
    size_t ninflight;
    int64_t next_poll;                 /* wall-clock ms: look for due deliveries then at the latest */
    int64_t next_retry;                /* the earliest retry this process scheduled; INT64_MAX: none */
    bool send_failing;
};

/* libcurl, loaded by the sender when it first has a POST to make; then only the sender uses it,
 * but for multi_wakeup (under the lock, once multi is set). */
extern const libcurl *webhook_curl;

/* Wakes the sender: a delivery may be due (any thread). */
void webhook_wake_sender(webhook_worker *w);

/* The dispatcher (webhook_dispatch.c): reads the cursor at start (a unit of work; arg: int64_t *),
 * then its thread. */
int webhook_dispatch_init_unit(store_conn *c, void *arg);
void *webhook_dispatch_main(void *arg);

/* The sender's thread (webhook_send.c). */
void *webhook_send_main(void *arg);

#endif
