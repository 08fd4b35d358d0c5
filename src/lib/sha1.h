/* SHA-1 (FIPS 180-4), for the WebSocket handshake only (RFC 6455 names it; libsodium has none).
 * Never use it for anything that needs collision resistance. */
#ifndef CRM_SHA1_H
#define CRM_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define SHA1_LEN 20

void sha1(const void *data, size_t len, uint8_t out[SHA1_LEN]);

#endif
