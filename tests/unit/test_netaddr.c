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
        "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::",
    };
    static const char *const private_ones[] = {
        "127.0.0.1", "127.255.255.254", "10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.255",
        "192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.255", "0.0.0.0", "0.1.2.3",
        "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255", "192.0.0.8", "198.18.0.1",
        "::", "::1", "fc00::1", "fdff:ffff::1", "fe80::1", "febf::1", "fec0::1", "ff02::1",
        "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:0:10.0.0.1", "2002:c0a8:101::1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "::127.0.0.1",
    };
    for (size_t i = 0; i < sizeof public_ones / sizeof public_ones[0]; i++)
        ok(is_public(public_ones[i]), "%s is public", public_ones[i]);
    for (size_t i = 0; i < sizeof private_ones / sizeof private_ones[0]; i++)
        ok(!is_public(private_ones[i]), "%s is not", private_ones[i]);

    struct sockaddr un = {.sa_family = AF_UNIX};
    ok(!netaddr_is_public(&un), "another family is not");
    ok(!netaddr_is_public(NULL), "nor NULL");

    /* Every spelling the resolver or libcurl reads as an address is judged as that address. */
    static const struct { const char *host; netaddr_host want; } hosts[] = {
        {"127.0.0.1", NETADDR_HOST_NONPUBLIC},
        {"0177.0.0.1", NETADDR_HOST_NONPUBLIC},       /* octal */
        {"2130706433", NETADDR_HOST_NONPUBLIC},       /* one 32-bit number */
        {"0x7f000001", NETADDR_HOST_NONPUBLIC},
        {"0X7F000001", NETADDR_HOST_NONPUBLIC},
        {"0x7f.0.0.1", NETADDR_HOST_NONPUBLIC},
        {"0x7f.1", NETADDR_HOST_NONPUBLIC},
        {"127.1", NETADDR_HOST_NONPUBLIC},            /* a.b: 8 + 24 bits */
        {"127.0.1", NETADDR_HOST_NONPUBLIC},          /* a.b.c: 8 + 8 + 16 bits */
        {"0", NETADDR_HOST_NONPUBLIC},
        {"0x", NETADDR_HOST_NONPUBLIC},
        {"127.0.0.1.", NETADDR_HOST_NONPUBLIC},       /* an absolute name */
        {"0177.0.0.01", NETADDR_HOST_NONPUBLIC},
        {"017700000001", NETADDR_HOST_NONPUBLIC},
        {"169.254.169.254", NETADDR_HOST_NONPUBLIC},
        {"2852039166", NETADDR_HOST_NONPUBLIC},       /* 169.254.169.254 in decimal */
        {"0xa9fea9fe", NETADDR_HOST_NONPUBLIC},       /* in hex */
        {"0251.0376.0251.0376", NETADDR_HOST_NONPUBLIC},   /* in octal */
        {"0xa9.0xfe.0xa9.0xfe", NETADDR_HOST_NONPUBLIC},
        {"169.16689662", NETADDR_HOST_NONPUBLIC},
        {"10.1", NETADDR_HOST_NONPUBLIC},
        {"192.168.257", NETADDR_HOST_NONPUBLIC},      /* 192.168.1.1 */
        {"localhost", NETADDR_HOST_NONPUBLIC},
        {"LocalHost.", NETADDR_HOST_NONPUBLIC},
        {"api.localhost", NETADDR_HOST_NONPUBLIC},
        {"[::1]", NETADDR_HOST_NONPUBLIC},
        {"[::]", NETADDR_HOST_NONPUBLIC},
        {"[0:0:0:0:0:0:0:1]", NETADDR_HOST_NONPUBLIC},
        {"[::ffff:127.0.0.1]", NETADDR_HOST_NONPUBLIC},
        {"[::ffff:7f00:1]", NETADDR_HOST_NONPUBLIC},
        {"[::ffff:169.254.169.254]", NETADDR_HOST_NONPUBLIC},
        {"[::ffff:0:127.0.0.1]", NETADDR_HOST_NONPUBLIC},  /* IPv4-translated */
        {"[::127.0.0.1]", NETADDR_HOST_NONPUBLIC},
        {"[64:ff9b::a9fe:a9fe]", NETADDR_HOST_NONPUBLIC},
        {"[64:ff9b:1::8.8.8.8]", NETADDR_HOST_NONPUBLIC},   /* local-use NAT64 */
        {"[2002:7f00:1::]", NETADDR_HOST_NONPUBLIC},        /* 6to4 of 127.0.0.1 */
        {"[2002:a9fe:a9fe::1]", NETADDR_HOST_NONPUBLIC},
        {"[fe80::1]", NETADDR_HOST_NONPUBLIC},
        {"[fd00::1]", NETADDR_HOST_NONPUBLIC},
        {"93.184.216.34", NETADDR_HOST_PUBLIC},
        {"93.184.216.34.", NETADDR_HOST_PUBLIC},
        {"0x5db8d822", NETADDR_HOST_PUBLIC},
        {"134744072", NETADDR_HOST_PUBLIC},           /* 8.8.8.8 */
        {"[2606:4700::1111]", NETADDR_HOST_PUBLIC},
        {"[::ffff:8.8.8.8]", NETADDR_HOST_PUBLIC},
        {"[2002:808:808::1]", NETADDR_HOST_PUBLIC},
        {"example.com", NETADDR_HOST_NAME},
        {"example.com.", NETADDR_HOST_NAME},
        {"127.0.0.1.example.com", NETADDR_HOST_NAME},
        {"0x7f.example", NETADDR_HOST_NAME},
        {"1e100.net", NETADDR_HOST_NAME},
        {"localhost.example.com", NETADDR_HOST_NAME},
        {"notlocalhost", NETADDR_HOST_NAME},
        {"1.2.3.4.5", NETADDR_HOST_INVALID},          /* ends in a number, yet no address */
        {"256.1.1.1", NETADDR_HOST_INVALID},
        {"1.2.3.256", NETADDR_HOST_INVALID},
        {"1.16777216", NETADDR_HOST_INVALID},
        {"4294967296", NETADDR_HOST_INVALID},
        {"99999999999999999999999", NETADDR_HOST_INVALID},
        {"08.0.0.1", NETADDR_HOST_INVALID},           /* 8 is no octal digit */
        {"0xg", NETADDR_HOST_NAME},
        {"example.0x1g", NETADDR_HOST_NAME},
        {"example.123", NETADDR_HOST_INVALID},
        {"1..1", NETADDR_HOST_INVALID},
        {"127.0.0.1..", NETADDR_HOST_INVALID},
        {".", NETADDR_HOST_INVALID},
        {"", NETADDR_HOST_INVALID},
        {"[::1", NETADDR_HOST_INVALID},
        {"[]", NETADDR_HOST_INVALID},
        {"[127.0.0.1]", NETADDR_HOST_INVALID},
        {"[::1%25lo]", NETADDR_HOST_INVALID},
        {"::1", NETADDR_HOST_INVALID},                /* IPv6 only in brackets */
    };
    for (size_t i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        is_int(netaddr_host_classify(hosts[i].host, strlen(hosts[i].host)), hosts[i].want, "host '%s'",
               hosts[i].host);
    is_int(netaddr_host_classify("127.0.0.1:80", 9), NETADDR_HOST_NONPUBLIC, "only len bytes are read");

    /* Abuse-limit keys: an IPv4 address as is, an IPv6 one by its /64. */
    static const struct { const char *addr, *key; } keys[] = {
        {"198.51.100.7", "198.51.100.7"},
        {"::ffff:198.51.100.7", "198.51.100.7"},   /* a v4 client on a dual-stack socket */
        {"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
        {"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
        {"2001:db8:1:3::1", "2001:db8:1:3::/64"},
        {"::1", "::/64"},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        struct sockaddr_storage ss;
        char key[NETADDR_KEY_MAX], *kp = key;
        memset(&ss, 0, sizeof ss);
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET, keys[i].addr, &in->sin_addr) == 1)
            in->sin_family = AF_INET;
        else if (inet_pton(AF_INET6, keys[i].addr, &in6->sin6_addr) == 1)
            in6->sin6_family = AF_INET6;
        netaddr_client_key((struct sockaddr *)&ss, key);
        is_str(kp, keys[i].key, "client key of %s", keys[i].addr);
    }
    {
        char key[NETADDR_KEY_MAX], *kp = key;
        netaddr_client_key(NULL, key);
        is_str(kp, "?", "client key of an unknown peer");
    }

    char buf[64], *text = buf;
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
    netaddr_text((struct sockaddr *)&a, buf, sizeof buf);
    is_str(text, "192.0.2.1", "netaddr_text");
    netaddr_text(&un, buf, sizeof buf);
    is_str(text, "?", "netaddr_text of another family");
    return tap_done();
}
