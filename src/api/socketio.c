/* GET /socket.io/: the WebSocket handshake of the Socket.IO endpoint (API.md §7). Everything
 * after the 101 belongs to realtime/. Only the WebSocket transport of Engine.IO 4 is served. */
#include <string.h>
#include <strings.h>
#include "api/routes.h"
#include "realtime/realtime.h"
#include "realtime/websocket.h"

static realtime *the_rt;

void api_set_realtime(realtime *rt)
{
    the_rt = rt;
}

/* True if the comma-separated header value lists token (case-insensitive). */
static bool header_has(const char *value, const char *token)
{
    size_t n = strlen(token);
    for (const char *p = value; p && *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t k = strcspn(p, ",");
        size_t t = k;
        while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
            t--;
        if (t == n && strncasecmp(p, token, n) == 0)
            return true;
        p += k;
    }
    return false;
}

static void socketio(http_req *r)
{
    const char *eio = http_req_query(r, "EIO"), *transport = http_req_query(r, "transport");
    const char *key = http_req_header(r, "Sec-WebSocket-Key");
    const char *version = http_req_header(r, "Sec-WebSocket-Version");
    char accept[WS_ACCEPT_LEN + 1];

    if (!eio || strcmp(eio, "4") != 0) {
        api_send_code(r, CRM_E_VALIDATION_FAILED, "EIO", "Only Engine.IO protocol 4 is served (EIO=4)");
        return;
    }
    if (!transport || strcmp(transport, "websocket") != 0) {
        api_send_code(r, CRM_E_VALIDATION_FAILED, "transport",
                      "Only the websocket transport is served (transport=websocket)");
        return;
    }
    if (!header_has(http_req_header(r, "Connection"), "upgrade") ||
        !header_has(http_req_header(r, "Upgrade"), "websocket") || !version ||
        strcmp(version, "13") != 0 || ws_accept_key(key, accept) != 0) {
        http_reply_header(r, "Sec-WebSocket-Version", "13");
        api_send_code(r, CRM_E_VALIDATION_FAILED, NULL,
                      "A WebSocket upgrade (version 13, with Sec-WebSocket-Key) is required");
        return;
    }
    if (!the_rt) {
        api_send_code(r, CRM_E_UNAVAILABLE, NULL, NULL);
        return;
    }
    const char *const headers[][2] = {
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Accept", accept },
    };
    http_reply_upgrade(r, headers, sizeof headers / sizeof *headers, realtime_accept, the_rt);
}

const http_route api_socketio_routes[] = {
    { "GET", "/socket.io/?", socketio },
};
const size_t api_socketio_nroutes = sizeof api_socketio_routes / sizeof *api_socketio_routes;
