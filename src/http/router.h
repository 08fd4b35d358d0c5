/* Route table matching for the HTTP layer: method + path pattern → route index and path
 * parameters. Pure functions, no allocation, no libmicrohttpd; unit-tested on their own. */
#ifndef CRM_HTTP_ROUTER_H
#define CRM_HTTP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include "http/http.h"

/* Patterns are "/" or "/seg/seg/..." where a segment is literal text or ":name" (name of
 * [A-Za-z0-9_]), at most HTTP_MAX_PARAMS parameters, no empty segment, no trailing slash —
 * except that a pattern may end in "/?": an optional trailing slash ("/socket.io/?" matches
 * "/socket.io" and "/socket.io/", for clients that insist on the slash).
 *
 * Paths are matched byte for byte, as the client sent them (the server routes on the raw
 * request target, before percent-decoding): "%2F" is three literal bytes inside a segment,
 * never a separator, and a parameter value is handed over still encoded. Consequences:
 *   - a trailing slash does not match: "/api/contacts/" is not "/api/contacts" (404);
 *   - an empty segment does not match: "/api//contacts", and ":id" never matches "";
 *   - no case folding, no dot-segment removal ("/api/./x" is just an unknown path). */

typedef struct router_param {
    const char *name;    /* points into the pattern, after ':'; not NUL-terminated */
    size_t name_len;
    const char *value;   /* points into the path; not NUL-terminated */
    size_t value_len;
} router_param;

typedef enum router_result {
    ROUTER_FOUND,
    ROUTER_NOT_FOUND,            /* no pattern matches the path: 404 */
    ROUTER_METHOD_NOT_ALLOWED,   /* a pattern matches, but with other methods: 405 */
} router_result;

/* True if the pattern follows the rules above; the server refuses to start otherwise. */
bool router_pattern_valid(const char *pattern);

/* Matches one (valid) pattern against path[0..len). On a match fills params (room for
 * HTTP_MAX_PARAMS) and *nparams; on no match their contents are unspecified. */
bool router_match(const char *pattern, const char *path, size_t len,
                  router_param *params, size_t *nparams);

/* The first route whose method (case-sensitive, as HTTP says) and pattern both match.
 * On ROUTER_FOUND sets *index, params and *nparams. */
router_result router_find(const http_route *routes, size_t nroutes, const char *method,
                          const char *path, size_t len, size_t *index,
                          router_param params[HTTP_MAX_PARAMS], size_t *nparams);

/* The Allow header value for a path: the methods of every route whose pattern matches, in
 * route order, without duplicates, joined by ", " (e.g. "GET, PATCH, DELETE"). Writes at
 * most buflen bytes including the NUL (a method that does not fit whole is left out) and
 * returns the length written; "" when nothing matches. */
size_t router_allow(const http_route *routes, size_t nroutes, const char *path, size_t len,
                    char *buf, size_t buflen);

#endif
