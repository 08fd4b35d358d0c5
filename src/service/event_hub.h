/* The in-process fan-out of the durable event stream: after a commit that appended events, the
 * hub thread reads them from the log in sequence order and hands each to every subscriber.
 * Socket.IO, SSE and the webhook dispatcher subscribe; none of them is ever handed an event of a
 * rolled-back write, and a subscriber that needs history reads it with event_history. */
#ifndef CRM_EVENT_HUB_H
#define CRM_EVENT_HUB_H

#include "service/app.h"

typedef struct event_hub event_hub;
typedef struct hub_sub hub_sub;

/* Called on the hub thread, in seq order, once per committed event. Must not block: copy what
 * is needed (the event and its strings live only during the call) and return. It must not
 * subscribe or unsubscribe. */
typedef void (*hub_event_fn)(const crm_event *e, void *ctx);

/* Starts the hub thread and registers it as the store's commit hook. Events committed before
 * the start are not replayed: the hub begins after the newest seq in the log. */
event_hub *event_hub_start(crm_app *app, char *err, size_t errlen);
void event_hub_stop(event_hub *h);   /* after every subscriber has unsubscribed */

hub_sub *event_hub_subscribe(event_hub *h, hub_event_fn fn, void *ctx);
void event_hub_unsubscribe(event_hub *h, hub_sub *s);   /* once it returns, fn is not running and never will */
int64_t event_hub_last_seq(event_hub *h);               /* the newest seq handed out */
void event_hub_poke(event_hub *h);                      /* look at the log now (also what the commit hook does) */

/* History, for a subscriber that resumes: up to limit events of the organization after seq, in
 * seq order, in the arena (*n may be 0). 0, or -1 on a storage failure. */
int event_history(crm_app *app, const char *org_id, int64_t after, size_t limit, arena *a, crm_event **ev,
                  size_t *n);
/* The newest seq in the log (0 when empty). 0, or -1 on a storage failure. */
int event_newest_seq(crm_app *app, int64_t *seq);

#endif
