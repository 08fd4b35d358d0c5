/* Which network addresses an outgoing request made for a tenant (a webhook delivery) may reach:
 * public unicast ones. Loopback, private (RFC 1918, IPv6 unique-local), link-local (which holds
 * cloud metadata services), carrier-grade NAT, multicast, unspecified and reserved addresses
 * are the operator's own network, not a tenant's to probe. */
#ifndef CRM_NETADDR_H
#define CRM_NETADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

bool netaddr_is_public(const struct sockaddr *sa);   /* AF_INET or AF_INET6; other families: false */

/* What a URL's host (as written: a name, an IPv4 address, or an IPv6 literal in brackets)
 * stands for, read the way the resolver and libcurl read it: inet_aton's IPv4 forms (one to
 * four parts, each decimal, octal with a leading 0, or hex with 0x: 2130706433, 0x7f000001,
 * 0177.0.0.1, 127.1) and one trailing dot all name an address. A host whose last label is a
 * number but that is no valid address (1.2.3.4.5, 256.1.1.1) is INVALID, as in the WHATWG URL
 * standard, rather than a name for DNS to guess at. "localhost" and names under .localhost are
 * loopback by RFC 6761, so they count as non-public addresses. Any other name is resolved later
 * and its addresses checked then (netaddr_is_public at connect). */
typedef enum netaddr_host {
    NETADDR_HOST_NAME,        /* a DNS name */
    NETADDR_HOST_PUBLIC,      /* an address literal that is public */
    NETADDR_HOST_NONPUBLIC,   /* an address literal (or localhost) that is not */
    NETADDR_HOST_INVALID,     /* not a host at all */
} netaddr_host;
netaddr_host netaddr_host_classify(const char *host, size_t len);
/* The key that counts a client for abuse limits: the IPv4 address ("198.51.100.7", also for
 * an IPv4-mapped IPv6 peer), or the /64 an IPv6 address belongs to ("2001:db8:1:2::/64"),
 * since one subscriber gets a whole /64 and picks addresses from it at will. */
#define NETADDR_KEY_MAX 64
void netaddr_client_key(const struct sockaddr *sa, char out[NETADDR_KEY_MAX]);
/* Text of sa's address for messages ("203.0.113.9", "::1"); "?" when unknown. */
void netaddr_text(const struct sockaddr *sa, char *out, size_t outlen);

#endif
