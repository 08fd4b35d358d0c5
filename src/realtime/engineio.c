/* Engine.IO protocol 4: packet types, session ids and the open packet. */
#include "realtime/engineio.h"
#include "lib/random.h"

#include <sodium.h>
#include <stdio.h>

int eio_type(const char *msg, size_t len)
{
    if (len == 0 || msg[0] < '0' || msg[0] > '6')
        return -1;
    return msg[0] - '0';
}

void eio_new_sid(char out[EIO_SID_LEN + 1])
{
    unsigned char raw[15];   /* 15 bytes → 20 base64 characters, no padding */
    random_bytes(raw, sizeof raw);
    sodium_bin2base64(out, EIO_SID_LEN + 1, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

size_t eio_open_packet(char *buf, size_t cap, const char *sid, unsigned ping_interval_ms,
                       unsigned ping_timeout_ms, size_t max_payload)
{
    int n = snprintf(buf, cap,
                     "0{\"sid\":\"%s\",\"upgrades\":[],\"pingInterval\":%u,\"pingTimeout\":%u,"
                     "\"maxPayload\":%zu}",
                     sid, ping_interval_ms, ping_timeout_ms, max_payload);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
