/* Finding one part of a multipart/form-data body (RFC 7578) that is already in memory: the
 * upload of a CSV file. libmicrohttpd's post processor hands a file part over in pieces as it
 * arrives; the import needs the whole file anyway, so the body is read whole (within the
 * route's limit) and the part is found in place, without a copy. */
#ifndef CRM_MULTIPART_H
#define CRM_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/arena.h"

/* The boundary of a Content-Type "multipart/form-data; boundary=..." (quoted or not), into out
 * (at most 70 characters, RFC 2046); false when the type is not that or has no valid boundary. */
bool multipart_boundary(const char *content_type, char out[71]);

typedef struct multipart_part {
    const char *data;        /* points into the body */
    size_t len;
    const char *filename;    /* from Content-Disposition, in the arena; NULL when none */
} multipart_part;

/* The first part named `name` in body[0..len). 1: found; 0: no such part; -1: the body is not
 * multipart with this boundary (why: a short reason). */
int multipart_find(const char *body, size_t len, const char *boundary, const char *name, arena *a,
                   multipart_part *out, const char **why);

#endif
