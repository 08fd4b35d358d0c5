/* Defences against slow and greedy clients that libmicrohttpd 0.9.75 lacks: a deadline for
 * receiving a request head, and per-address limits on long-lived replies (streams and upgraded
 * connections). Internal to src/http. */
#ifndef CRM_HTTP_GUARD_H
#define CRM_HTTP_GUARD_H

#include <microhttpd.h>
#include <stdbool.h>

typedef struct http_guard http_guard;

/* A client address as the limits see it: an IPv4 address, or the /64 an IPv6 address is in
 * (one subscriber usually has a whole /64). */
typedef struct http_addr_key {
    unsigned char b[16];
} http_addr_key;

typedef enum { HTTP_SLOT_STREAM, HTTP_SLOT_UPGRADE } http_slot_kind;

/* head_ms: how long a connection may take to deliver a whole request head, counted from the
 * accept (so it covers a TLS handshake) or from the end of its previous request (so it is
 * also how long an idle keep-alive connection stays open); 0 for no deadline. A watchdog
 * thread shuts down the socket of a connection past it (MHD then closes it: no response can
 * be sent while a head is incomplete). max_streams and max_upgrades: per client address,
 * 0 for no limit. */
http_guard *http_guard_new(unsigned head_ms, unsigned max_streams, unsigned max_upgrades);
void http_guard_free(http_guard *g);   /* after the daemon has stopped */

/* MHD_OPTION_NOTIFY_CONNECTION */
void http_guard_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);
/* The head of the connection's current request is in. */
void http_guard_head_done(http_guard *g, struct MHD_Connection *conn);
/* The connection's request is over: the next head is due within the deadline. */
void http_guard_head_next(http_guard *g, struct MHD_Connection *conn);

/* Takes one slot of the kind for the connection's client address; false when the address
 * already holds its limit (nothing taken). The key to give it back with is stored in *key. */
bool http_guard_take(http_guard *g, struct MHD_Connection *conn, http_slot_kind kind,
                     http_addr_key *key);
void http_guard_give(http_guard *g, const http_addr_key *key, http_slot_kind kind);

#endif
