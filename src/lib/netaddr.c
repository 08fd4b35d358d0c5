/* Public and non-public addresses (see netaddr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0)
        return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
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

bool netaddr_host_is_public(const char *host, size_t len, bool *literal)
{
    char buf[64];
    struct in_addr a4;
    struct in6_addr a6;
    *literal = false;
    if (len == 0 || len >= sizeof buf)
        return true;   /* no address literal is that long: a name */
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        *literal = true;
        return v4_public(ntohl(a4.s_addr));
    }
    if (inet_pton(AF_INET6, buf, &a6) == 1) {
        *literal = true;
        return v6_public(a6.s6_addr);
    }
    return true;
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
