/* malloc, calloc, realloc and strdup that never return NULL: the one place that decides what an
 * allocation failure does (Git's xmalloc family). Memory from them is freed with free(). */
#ifndef CRM_XALLOC_H
#define CRM_XALLOC_H

#include <stdlib.h>
#include <string.h>

/* crmd's policy: an allocation failure is not recoverable, so each of these aborts the process.
 * A size of 0 asks for 1 byte, so that NULL always means failure. */

static inline void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        abort();
    return p;
}

static inline void *xcalloc(size_t n, size_t size)   /* zeroed; n * size overflowing aborts too */
{
    void *p = calloc(n && size ? n : 1, n && size ? size : 1);
    if (!p)
        abort();
    return p;
}

static inline void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        abort();
    return q;
}

static inline char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        abort();
    return p;
}

#endif
