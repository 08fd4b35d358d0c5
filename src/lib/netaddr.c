/* Public and non-public addresses (see netaddr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/netaddr.h"

static bool v4_public(uint32_t a)   /* host byte order */
{
    static const struct { uint32_t net, mask; } blocked[] = {
        {0x00000000, 0xff000000},   /* 0.0.0.0/8 "this network" */
        {0x0a000000, 0xff000000},   /* 10.0.0.0/8 */
        {0x64400000, 0xffc00000},   /* 100.64.0.0/10 carrier-grade NAT */
        {0x7f000000, 0xff000000},   /* 127.0.0.0/8 loopback */
        {0xa9fe0000, 0xffff0000},   /* 169.254.0.0/16 link-local, cloud metadata */
        {0xac100000, 0xfff00000},   /* 172.16.0.0/12 */
        {0xc0000000, 0xffffff00},   /* 192.0.0.0/24 IETF protocol assignments */
        {0xc0a80000, 0xffff0000},   /* 192.168.0.0/16 */
        {0xc6120000, 0xfffe0000},   /* 198.18.0.0/15 benchmarking */
        {0xe0000000, 0xf0000000},   /* 224.0.0.0/4 multicast */
        {0xf0000000, 0xf0000000},   /* 240.0.0.0/4 reserved, and the broadcast address */
    };
    for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
        if ((a & blocked[i].mask) == blocked[i].net)
            return false;
    return true;
}

static bool v6_public(const uint8_t b[16])
{
    static const uint8_t zero[16], mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff},
                                   nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
        return false;   /* :: and ::1 */
    static const uint8_t translated[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0},
                         nat64_local[6] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};
    /* Forms that carry an IPv4 address reach it: judge that address. */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0 ||
        memcmp(b, translated, 12) == 0)
        return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    if (b[0] == 0x20 && b[1] == 0x02)   /* 2002::/16 6to4: the IPv4 address follows */
        return v4_public((uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 | b[5]);
    if (memcmp(b, nat64_local, 6) == 0)
        return false;   /* 64:ff9b:1::/48 local-use NAT64: the operator's translator */
    if ((b[0] & 0xfe) == 0xfc)
        return false;   /* fc00::/7 unique-local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
        return false;   /* fe80::/10 link-local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)
        return false;   /* fec0::/10 site-local (deprecated) */
    if (b[0] == 0xff)
        return false;   /* multicast */
    return true;
}

bool netaddr_is_public(const struct sockaddr *sa)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return v4_public(ntohl(in->sin_addr.s_addr));
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        return v6_public(in6->sin6_addr.s6_addr);
    }
    return false;
}

/* One part of an inet_aton address: decimal, 0-prefixed octal or 0x-prefixed hex (a bare "0x"
 * is 0, as browsers read it). False when it is not a number or passes max. */
static bool v4_part(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;
    if (n == 0)
        return false;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        s++;
        n--;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        if (d >= base)
            return false;
        v = v * base + d;
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

/* inet_aton's forms: a (32 bits), a.b (8.24), a.b.c (8.8.16), a.b.c.d. */
static bool v4_parse(const char *s, size_t n, uint32_t *addr)
{
    uint64_t part[4];
    size_t nparts = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (nparts == 4)
            return false;
        nparts++;
        part[nparts - 1] = 0;
        if (!v4_part(s + start, i - start, 0xffffffffu, &part[nparts - 1]))
            return false;
        start = i + 1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i + 1 < nparts; i++) {
        if (part[i] > 0xff)
            return false;
        v |= part[i] << (24 - 8 * i);
    }
    uint64_t last_max = 0xffffffffu >> (8 * (nparts - 1));
    if (part[nparts - 1] > last_max)
        return false;
    *addr = (uint32_t)(v | part[nparts - 1]);
    return true;
}

/* Whether a label reads as a number to inet_aton or a URL parser: all digits, or 0x and hex. */
static bool numeric_label(const char *s, size_t n)
{
    size_t i = 0;
    bool hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex)
        i = 2;
    else if (n == 0)
        return false;
    for (; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(hex && strchr("abcdefABCDEF", s[i])))
            return false;
    return true;
}

static bool ends_with_nocase(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

netaddr_host netaddr_host_classify(const char *host, size_t len)
{
    char buf[64];
    if (len == 0)
        return NETADDR_HOST_INVALID;
    if (host[0] == '[') {
        struct in6_addr a6;
        if (len < 3 || host[len - 1] != ']' || len - 2 >= sizeof buf)
            return NETADDR_HOST_INVALID;
        memcpy(buf, host + 1, len - 2);
        buf[len - 2] = '\0';
        if (inet_pton(AF_INET6, buf, &a6) != 1)
            return NETADDR_HOST_INVALID;
        return v6_public(a6.s6_addr) ? NETADDR_HOST_PUBLIC : NETADDR_HOST_NONPUBLIC;
    }
    /* The resolver ignores one trailing dot (an absolute name): "127.0.0.1." is 127.0.0.1. */
    size_t n = host[len - 1] == '.' ? len - 1 : len;
    if (n == 0 || host[0] == '.')
        return NETADDR_HOST_INVALID;
    for (size_t i = 0; i < n; i++)
        if (host[i] == ':' || (host[i] == '.' && host[i + 1] == '.'))
            return NETADDR_HOST_INVALID;
    if ((n == 9 && strncasecmp(host, "localhost", 9) == 0) || ends_with_nocase(host, n, ".localhost"))
        return NETADDR_HOST_NONPUBLIC;
    const char *dot = memrchr(host, '.', n);
    const char *last = dot ? dot + 1 : host;
    if (!numeric_label(last, (size_t)(host + n - last)))
        return NETADDR_HOST_NAME;
    uint32_t a4;
    if (!v4_parse(host, n, &a4))
        return NETADDR_HOST_INVALID;
    return v4_public(a4) ? NETADDR_HOST_PUBLIC : NETADDR_HOST_NONPUBLIC;
}

void netaddr_text(const struct sockaddr *sa, char *out, size_t outlen)
{
    const void *a = NULL;
    if (sa && sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
}

void netaddr_client_key(const struct sockaddr *sa, char out[NETADDR_KEY_MAX])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (sa && sa->sa_family == AF_INET6) {
        const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
        struct in6_addr net;
        if (memcmp(b, mapped, 12) == 0) {
            struct in_addr a4;
            memcpy(&a4, b + 12, 4);
            if (inet_ntop(AF_INET, &a4, out, NETADDR_KEY_MAX))
                return;
        }
        memset(&net, 0, sizeof net);
        memcpy(net.s6_addr, b, 8);
        char text[INET6_ADDRSTRLEN];
        if (inet_ntop(AF_INET6, &net, text, sizeof text)) {
            snprintf(out, NETADDR_KEY_MAX, "%s/64", text);
            return;
        }
    }
    netaddr_text(sa, out, NETADDR_KEY_MAX);
}
