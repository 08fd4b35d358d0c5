/* Server-Sent Events of the durable event stream (API.md §7, GET /api/events): a client gets
 * what it missed since its Last-Event-ID from the log, then live events from the hub, each with
 * its sequence number as `id:`. Keep-alive comments let proxies and the server notice idle or
 * departed clients. */
#ifndef CRM_SSE_H
#define CRM_SSE_H

#include "http/http.h"
#include "service/app.h"
#include "service/event_hub.h"

typedef struct sse sse;

/* keepalive_ms 0: 15000. hub may be NULL (replay only, nothing live). */
sse *sse_start(crm_app *app, event_hub *hub, unsigned keepalive_ms, char *err, size_t errlen);
/* Ends every stream and frees; call before http_server_stop. NULL is fine. */
void sse_stop(sse *s);

/* Answers the request with a stream of the events of me's organization after `after` (-1: only
 * events committed from now on). The stream ends when me is disabled, deleted or has its tokens
 * revoked (checked at every keep-alive). Returns 0; -1 when the server is stopping or the
 * stream could not start, -2 when the user already has the most streams allowed (nothing was
 * sent then). */
int sse_open(sse *s, http_req *r, const crm_user *me, int64_t after);

#endif
