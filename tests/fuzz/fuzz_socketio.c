/* Engine.IO and Socket.IO packet parsing (realtime/engineio.c, socketio.c) on the text of a
 * WebSocket message: what sio_parse hands back points inside the packet, the namespace starts
 * with '/', the payload runs to the packet's end, and the ack id is a plausible number. */
#include <string.h>

#include "fuzz.h"
#include "realtime/engineio.h"
#include "realtime/socketio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    int t = eio_type(p, size);
    FUZZ_CHECK(t >= -1 && t <= EIO_NOOP, "engine.io type %d", t);
    FUZZ_CHECK((t == -1) == (size == 0 || p[0] < '0' || p[0] > '6'), "type %d for %#x", t, size ? data[0] : 0);
    /* Socket.IO packets travel in Engine.IO messages ("4..."); parse what follows the '4'. */
    const char *s = t == EIO_MESSAGE ? p + 1 : p;
    size_t n = t == EIO_MESSAGE ? size - 1 : size;
    sio_packet pk;
    if (sio_parse(s, n, &pk) == 0) {
        FUZZ_CHECK(pk.type >= SIO_CONNECT && pk.type <= SIO_BINARY_ACK, "type %d", pk.type);
        FUZZ_CHECK(pk.nsp_len >= 1 && pk.nsp[0] == '/', "namespace without '/'");
        /* the default "/" is the parser's own; a named one lies inside the packet */
        FUZZ_CHECK(pk.nsp_len == 1 || (pk.nsp >= s && pk.nsp + pk.nsp_len <= s + n), "namespace outside the packet");
        FUZZ_CHECK(pk.data >= s && pk.data + pk.data_len == s + n, "payload does not end the packet");
        FUZZ_CHECK(pk.id >= -1 && pk.id < 1000000000000000LL, "ack id %lld", pk.id);
        FUZZ_CHECK(pk.attachments == 0 || pk.type == SIO_BINARY_EVENT || pk.type == SIO_BINARY_ACK,
                   "attachments on a text packet");
    }
    return 0;
}
