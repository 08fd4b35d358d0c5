/* lib/netaddr: which addresses a tenant's outgoing request may reach. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/netaddr.h"
#include "tap.h"

static bool is_public(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *in = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1)
        in->sin_family = AF_INET;
    else if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1)
        in6->sin6_family = AF_INET6;
    return netaddr_is_public((struct sockaddr *)&ss);
}

int main(void)
{
    static const char *const public_ones[] = {
        "8.8.8.8", "1.1.1.1", "203.0.113.9", "172.15.255.255", "172.32.0.1", "100.63.255.255",
        "100.128.0.1", "169.253.1.1", "192.169.0.1", "11.0.0.1", "2001:4860:4860::8888", "2606:4700::1111",
        "::ffff:8.8.8.8", "64:ff9b::808:808",
    };
    static const char *const private_ones[] = {
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
        "192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
        "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
        "::", "::1", "fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "::127.0.0.1",
    };
    for (size_t i = 0; i < sizeof public_ones / sizeof public_ones[0]; i++)
        ok(is_public(public_ones[i]), "%s is public", public_ones[i]);
    for (size_t i = 0; i < sizeof private_ones / sizeof private_ones[0]; i++)
        ok(!is_public(private_ones[i]), "%s is not", private_ones[i]);

    struct sockaddr un = {.sa_family = AF_UNIX};
    ok(!netaddr_is_public(&un), "another family is not");
    ok(!netaddr_is_public(NULL), "nor NULL");

    bool literal;
    ok(!netaddr_host_is_public("127.0.0.1", 9, &literal) && literal, "a loopback literal");
    ok(!netaddr_host_is_public("::1", 3, &literal) && literal, "an IPv6 literal");
    ok(netaddr_host_is_public("93.184.216.34", 13, &literal) && literal, "a public literal");
    ok(netaddr_host_is_public("localhost", 9, &literal) && !literal, "a name is not a literal (checked at connect)");
    ok(netaddr_host_is_public("127.0.0.1.example.com", 21, &literal) && !literal, "nor a name that starts like one");
    ok(netaddr_host_is_public("", 0, &literal) && !literal, "nor nothing");

    char buf[64], *text = buf;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
    netaddr_text((struct sockaddr *)&a, buf, sizeof buf);
    is_str(text, "192.0.2.1", "netaddr_text");
    netaddr_text(&un, buf, sizeof buf);
    is_str(text, "?", "netaddr_text of another family");
    return tap_done();
}
