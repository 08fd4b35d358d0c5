/* Route matching: a linear scan of the route table, one pass over the path per candidate.
 * With a few dozen routes this costs less than the hashing a smarter structure would need. */
#include "http/router.h"

#include <string.h>

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool router_pattern_valid(const char *p)
{
    size_t nparams = 0;
    if (!p || p[0] != '/')
        return false;
    if (p[1] == '\0')
        return true;   /* "/" itself */
    size_t len = strlen(p);
    if (len > 2 && p[len - 2] == '/' && p[len - 1] == '?') {
        /* "/x/?": an optional trailing slash; what precedes it follows the rules below */
        char head[256];
        if (len - 2 >= sizeof head)
            return false;
        memcpy(head, p, len - 2);
        head[len - 2] = '\0';
        return router_pattern_valid(head);
    }
    while (*p) {
        /* p is at a '/' that starts a segment */
        p++;
        if (*p == '/' || *p == '\0')
            return false;   /* empty segment or trailing slash */
        if (*p == ':') {
            p++;
            if (!is_name_char(*p))
                return false;
            while (is_name_char(*p))
                p++;
            if (*p != '/' && *p != '\0')
                return false;   /* ":id.json" and the like are not supported */
            if (++nparams > HTTP_MAX_PARAMS)
                return false;
        } else {
            for (; *p && *p != '/'; p++)
                /* '?' and '#' can never be in a routed path; ':' only starts a segment */
                if (*p == '?' || *p == '#' || *p == ':' || (unsigned char)*p <= ' ')
                    return false;
        }
    }
    return true;
}

bool router_match(const char *pattern, const char *path, size_t len,
                  router_param *params, size_t *nparams)
{
    const char *p = pattern;
    size_t i = 0, np = 0;
    while (*p) {
        if (p[0] == '/' && p[1] == '?' && p[2] == '\0' && p > pattern) {
            if (i < len && path[i] == '/')
                i++;   /* the optional trailing slash */
            break;
        }
        if (*p == ':' && p > pattern && p[-1] == '/') {
            const char *name = ++p;
            size_t start = i;
            while (*p && *p != '/')
                p++;
            while (i < len && path[i] != '/')
                i++;
            if (i == start)
                return false;   /* a parameter is one non-empty segment */
            if (np == HTTP_MAX_PARAMS)
                return false;   /* unreachable for a valid pattern */
            params[np].name = name;
            params[np].name_len = (size_t)(p - name);
            params[np].value = path + start;
            params[np].value_len = i - start;
            np++;
        } else {
            if (i == len || path[i] != *p)
                return false;
            i++;
            p++;
        }
    }
    if (i != len)
        return false;   /* the path is longer: extra segments or a trailing slash */
    *nparams = np;
    return true;
}

router_result router_find(const http_route *routes, size_t nroutes, const char *method,
                          const char *path, size_t len, size_t *index,
                          router_param params[HTTP_MAX_PARAMS], size_t *nparams)
{
    router_param scratch[HTTP_MAX_PARAMS];
    size_t n;
    /* Method first: it is one short strcmp, and most routes fail it. Only when nothing
     * matches does a second pass tell 405 from 404. */
    for (size_t k = 0; k < nroutes; k++) {
        if (strcmp(routes[k].method, method) != 0)
            continue;
        if (router_match(routes[k].pattern, path, len, params, nparams)) {
            *index = k;
            return ROUTER_FOUND;
        }
    }
    for (size_t k = 0; k < nroutes; k++)
        if (router_match(routes[k].pattern, path, len, scratch, &n))
            return ROUTER_METHOD_NOT_ALLOWED;
    return ROUTER_NOT_FOUND;
}

size_t router_allow(const http_route *routes, size_t nroutes, const char *path, size_t len,
                    char *buf, size_t buflen)
{
    router_param scratch[HTTP_MAX_PARAMS];
    size_t n, out = 0;
    if (buflen == 0)
        return 0;
    buf[0] = '\0';
    for (size_t k = 0; k < nroutes; k++) {
        const char *m = routes[k].method;
        size_t mlen = strlen(m);
        bool dup = false;
        if (!router_match(routes[k].pattern, path, len, scratch, &n))
            continue;
        for (size_t j = 0; j < k && !dup; j++)
            dup = strcmp(routes[j].method, m) == 0 &&
                  router_match(routes[j].pattern, path, len, scratch, &n);
        if (dup)
            continue;
        size_t need = (out ? 2 : 0) + mlen;
        if (out + need + 1 > buflen)
            continue;   /* leave out what does not fit rather than send half a method */
        if (out) {
            buf[out++] = ',';
            buf[out++] = ' ';
        }
        memcpy(buf + out, m, mlen);
        out += mlen;
        buf[out] = '\0';
    }
    return out;
}
