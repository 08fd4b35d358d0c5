/* Engine.IO protocol 4 over WebSocket: one packet per text frame, its type in the first byte. */
#ifndef CRM_REALTIME_ENGINEIO_H
#define CRM_REALTIME_ENGINEIO_H

#include <stddef.h>

enum eio_type { EIO_OPEN, EIO_CLOSE, EIO_PING, EIO_PONG, EIO_MESSAGE, EIO_UPGRADE, EIO_NOOP };

#define EIO_SID_LEN 20

/* The packet type of a text frame, or -1 when it has none (empty, or not '0'..'6'). */
int eio_type(const char *msg, size_t len);

/* A fresh random session id: EIO_SID_LEN characters of base64url. */
void eio_new_sid(char out[EIO_SID_LEN + 1]);

/* The open packet: 0{"sid":...,"upgrades":[],"pingInterval":...,"pingTimeout":...,"maxPayload":...}.
 * Returns its length (< cap; cap of 160 always suffices). */
size_t eio_open_packet(char *buf, size_t cap, const char *sid, unsigned ping_interval_ms,
                       unsigned ping_timeout_ms, size_t max_payload);

#endif
