/* The Socket.IO server (API.md §7): one thread with an epoll loop over every upgraded
 * WebSocket, Engine.IO heartbeats, token check at connect, one room per organization, and the
 * committed events of the event hub fanned out to the rooms. Slow clients never hold anyone
 * up: each has a bounded queue and is disconnected when it falls that far behind. */
#ifndef CRM_REALTIME_H
#define CRM_REALTIME_H

#include <stddef.h>
#include "http/http.h"
#include "service/app.h"
#include "service/event_hub.h"

typedef struct realtime_config {
    unsigned ping_interval_ms;   /* 0: 25000 */
    unsigned ping_timeout_ms;    /* 0: 20000 */
    size_t max_payload;          /* largest frame accepted; 0: 1000000 */
    size_t queue_msgs;           /* per client: frames waiting to be sent; 0: 1000 */
    size_t queue_bytes;          /* per client: bytes waiting to be sent; 0: 4 MiB */
    unsigned per_user;           /* sockets one user may have connected; 0: 20 */
} realtime_config;

typedef struct realtime realtime;

/* Starts the loop thread and subscribes to the hub (hub may be NULL: no events). */
realtime *realtime_start(crm_app *app, event_hub *hub, const realtime_config *cfg, char *err,
                         size_t errlen);
/* Unsubscribes, closes every connection and joins the thread; connections that arrive later
 * are closed at once. Call before http_server_stop; NULL is fine. */
void realtime_stop(realtime *rt);
void realtime_free(realtime *rt);   /* after http_server_stop; NULL is fine */

/* The http_upgrade_fn of the /socket.io/ endpoint: ctx is the realtime. Takes the connection
 * over (the WebSocket handshake has been answered) and sends the Engine.IO open packet. */
void realtime_accept(void *ctx, http_upgraded *u);

/* Open connections now (for metrics and the tests). */
unsigned realtime_connections(realtime *rt);

#endif
