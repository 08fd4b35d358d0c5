/* A multipart/form-data reader over a body in memory (multipart.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "lib/multipart.h"

static bool boundary_char(char c)
{
    /* RFC 2046 bchars, without the space (it may not end a boundary, and clients never use it) */
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           strchr("'()+_,-./:=?", c) != NULL;
}

bool multipart_boundary(const char *content_type, char out[71])
{
    const char *p;
    size_t n = 0;
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0)
        return false;
    if (!(p = strcasestr(content_type + 19, "boundary=")))
        return false;
    p += 9;
    bool quoted = *p == '"';
    p += quoted;
    while (p[n] && n <= 70 && boundary_char(p[n]))
        n++;
    if (n == 0 || n > 70 || (quoted && p[n] != '"'))
        return false;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

/* The value of param (name= or filename=) in a Content-Disposition header line [p, end). */
static const char *disposition_param(const char *p, const char *end, const char *param, arena *a)
{
    size_t plen = strlen(param);
    for (const char *q = p; q + plen < end; q++) {
        if ((q == p || q[-1] == ';' || q[-1] == ' ') && strncasecmp(q, param, plen) == 0 && q[plen] == '=') {
            const char *v = q + plen + 1, *e;
            if (*v == '"') {
                v++;
                for (e = v; e < end && *e != '"'; e++)
                    ;
            } else {
                for (e = v; e < end && *e != ';' && *e != ' '; e++)
                    ;
            }
            return arena_strndup(a, v, (size_t)(e - v));
        }
    }
    return NULL;
}

int multipart_find(const char *body, size_t len, const char *boundary, const char *name, arena *a,
                   multipart_part *out, const char **why)
{
    char crlf_delim[78];
    size_t dlen = (size_t)snprintf(crlf_delim, sizeof crlf_delim, "\r\n--%s", boundary) - 2;
    const char *delim = crlf_delim + 2;
    const char *end = body + len;
    const char *p = memmem(body, len, delim, dlen);
    *why = "the body does not start with the boundary";
    if (!p)
        return -1;
    for (;;) {
        p += dlen;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0;   /* the closing delimiter */
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
            *why = "a boundary is not followed by CRLF";
            return -1;
        }
        const char *head = p + 2, *head_end = memmem(head, (size_t)(end - head), "\r\n\r\n", 4);
        if (!head_end) {
            *why = "a part has no end of headers";
            return -1;
        }
        const char *data = head_end + 4;
        /* the part ends at CRLF and the next delimiter; the CRLF that ends the headers may be
         * that CRLF, for an empty part */
        const char *next = memmem(head_end + 2, (size_t)(end - head_end - 2), delim - 2, dlen + 2);
        if (!next) {
            *why = "the last part is not closed by the boundary";
            return -1;
        }
        const char *part_name = NULL, *filename = NULL;
        for (const char *line = head; line < head_end + 2;) {
            const char *eol = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
            if (!eol)
                break;
            if ((size_t)(eol - line) > 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
                part_name = disposition_param(line + 20, eol, "name", a);
                filename = disposition_param(line + 20, eol, "filename", a);
            }
            line = eol + 2;
        }
        if (part_name && strcmp(part_name, name) == 0) {
            out->data = data;
            out->len = next > data ? (size_t)(next - data) : 0;
            out->filename = filename;
            return 1;
        }
        p = next + 2;
    }
}
