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
/* For a URL's host (an IPv6 literal without its brackets): *literal tells whether it is an IP
 * address at all; a name is resolved later, and checked then. */
bool netaddr_host_is_public(const char *host, size_t len, bool *literal);
/* Text of sa's address for messages ("203.0.113.9", "::1"); "?" when unknown. */
void netaddr_text(const struct sockaddr *sa, char *out, size_t outlen);

#endif
