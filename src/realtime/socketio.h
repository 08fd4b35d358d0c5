/* Socket.IO protocol 5: the packets inside Engine.IO message packets ("4" + this). */
#ifndef CRM_REALTIME_SOCKETIO_H
#define CRM_REALTIME_SOCKETIO_H

#include <stddef.h>

enum sio_type {
    SIO_CONNECT, SIO_DISCONNECT, SIO_EVENT, SIO_ACK, SIO_CONNECT_ERROR, SIO_BINARY_EVENT,
    SIO_BINARY_ACK
};

typedef struct sio_packet {
    int type;                /* enum sio_type */
    unsigned attachments;    /* binary packets only */
    const char *nsp;         /* "/" when the packet names none; not NUL-terminated */
    size_t nsp_len;
    long long id;            /* acknowledgement id, -1 when absent */
    const char *data;        /* the JSON payload as sent (not checked here); len 0 when absent */
    size_t data_len;
} sio_packet;

/* Splits a Socket.IO packet ("0", "0{...}", "2/admin,12[...]", "51-[...]", ...) into out; the
 * pointers point into p. Returns 0, or -1 when the packet is malformed. */
int sio_parse(const char *p, size_t n, sio_packet *out);

#endif
