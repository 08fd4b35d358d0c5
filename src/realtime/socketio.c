/* Socket.IO protocol 5 packet parsing: type, attachments, namespace, ack id, payload. */
#include "realtime/socketio.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int sio_parse(const char *p, size_t n, sio_packet *out)
{
    size_t i = 0;
    if (n == 0 || p[0] < '0' || p[0] > '6')
        return -1;
    out->type = p[i++] - '0';
    out->attachments = 0;
    out->nsp = "/";
    out->nsp_len = 1;
    out->id = -1;
    if (out->type == SIO_BINARY_EVENT || out->type == SIO_BINARY_ACK) {
        size_t start = i;
        unsigned a = 0;
        while (i < n && is_digit(p[i]) && i - start < 6)
            a = a * 10 + (unsigned)(p[i++] - '0');
        if (i == start || i == n || p[i] != '-')
            return -1;
        i++;
        out->attachments = a;
    }
    if (i < n && p[i] == '/') {
        size_t start = i;
        while (i < n && p[i] != ',')
            i++;
        out->nsp = p + start;
        out->nsp_len = i - start;
        if (i < n)
            i++;   /* the ',' */
    }
    if (i < n && is_digit(p[i])) {
        size_t start = i;
        long long id = 0;
        while (i < n && is_digit(p[i])) {
            if (i - start >= 15)
                return -1;   /* no id that long is real */
            id = id * 10 + (p[i++] - '0');
        }
        out->id = id;
    }
    out->data = p + i;
    out->data_len = n - i;
    return 0;
}
