/* Strict HTTP/1.1 request heads (RFC 9112) on top of libmicrohttpd: the checks it does not do
 * itself. Internal to src/http. */
#ifndef CRM_HTTP_STRICT_H
#define CRM_HTTP_STRICT_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct http_strict {
    const char *target;    /* the raw request target, as MHD's URI callback saw it */
    size_t target_len;     /* strlen of it then */
    bool target_bad;       /* a byte a request target may not hold */
} http_strict;

/* From MHD_OPTION_URI_LOG_CALLBACK, before MHD splits off the query and decodes the target
 * in place: remembers where the target is and checks its bytes. */
void http_strict_target(http_strict *st, const char *uri);

/* When the headers are in (the access handler's first call, method and version as MHD passed
 * them):
 * NULL if the head is acceptable, else a sentence saying why it is not (a 400, after which
 * the connection must close: what follows cannot be trusted to be a body or a request). */
const char *http_strict_head(const http_strict *st, struct MHD_Connection *conn, const char *method,
                             const char *version);

#endif
