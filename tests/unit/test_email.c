/* Unit tests for lib/email: normalization (trim, lower-case) and the strict syntax check. */
#include <stdio.h>
#include <string.h>

#include "lib/email.h"
#include "tap.h"

/* Test labels must stay on one TAP line: control and non-ASCII bytes are shown escaped. */
static const char *show(const char *s)
{
    static char buf[1200];
    size_t o = 0;
    for (; *s && o < sizeof buf - 5; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
        else
            buf[o++] = (char)c;
    }
    buf[o] = '\0';
    return buf;
}

static const struct {
    const char *in, *out;
} good[] = {
    {"jane.doe@example.com", "jane.doe@example.com"},
    {"Jane.Doe@Example.COM", "jane.doe@example.com"},
    {"  jane@example.com  ", "jane@example.com"},
    {"\t\r\n jane@example.com \n", "jane@example.com"},
    {"a@b.co", "a@b.co"},
    {"user+tag@example.com", "user+tag@example.com"},
    {"o'brien@example.ie", "o'brien@example.ie"},
    {"x!#$%&'*+-/=?^_`{|}~y@example.com", "x!#$%&'*+-/=?^_`{|}~y@example.com"},
    {"first.middle.last@sub.domain.example.org", "first.middle.last@sub.domain.example.org"},
    {"jane@mail-server.example.com", "jane@mail-server.example.com"},
    {"jane@123.example.com", "jane@123.example.com"},
    {"jane@x1-2.io", "jane@x1-2.io"},
    {"JANE_DOE@EXAMPLE.MUSEUM", "jane_doe@example.museum"},
    {"1234@example.com", "1234@example.com"},
    {"jane@xn--bcher-kva.example", "jane@xn--bcher-kva.example"},
};

static const char *const bad[] = {
    "",
    "   ",
    "plainaddress",
    "@example.com",
    "jane@",
    "jane@@example.com",
    "jane@exa@mple.com",
    "jane doe@example.com",
    "jane@exam ple.com",
    "jane\t@example.com",
    "jane@example.com\x01",
    "ja\x7fne@example.com",
    "jane@example",
    "jane@localhost",
    ".jane@example.com",
    "jane.@example.com",
    "ja..ne@example.com",
    "jane@.example.com",
    "jane@example.com.",
    "jane@example..com",
    "jane@-example.com",
    "jane@example-.com",
    "jane@sub.-example.com",
    "jane@example.c",
    "jane@example.c0m",
    "jane@example.123",
    "jane@example.co-",
    "jane@exam_ple.com",
    "jane@[192.168.0.1]",
    "jane@192.168.0.1",
    "\"jane\"@example.com",
    "jane(comment)@example.com",
    "ja,ne@example.com",
    "ja;ne@example.com",
    "ja:ne@example.com",
    "<jane@example.com>",
    "jane@example.com>",
    "Jane <jane@example.com>",
    "jos\xc3\xa9@example.com",
    "jane@b\xc3\xbc" "cher.de",
    "jane@example.com\xc2\xa0",
    "ja\\ne@example.com",
};

static void test_good(void)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char out[EMAIL_MAX + 1];
        const char *got = out;
        int r = email_normalize(good[i].in, out);
        ok(r, "accepts \"%s\"", show(good[i].in));
        is_str(got, good[i].out, "normalizes \"%s\"", show(good[i].in));
    }
}

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[EMAIL_MAX + 1];
        memset(out, 'X', sizeof out);
        ok(!email_normalize(bad[i], out), "rejects \"%s\"", show(bad[i]));
        ok(out[0] == '\0', "leaves an empty string on rejection of \"%s\"", show(bad[i]));
    }
}

static void test_limits(void)
{
    char in[600], out[EMAIL_MAX + 1];
    /* local part: 64 is the limit */
    memset(in, 'a', 64);
    strcpy(in + 64, "@example.com");
    ok(email_normalize(in, out), "64-character local part accepted");
    memset(in, 'a', 65);
    strcpy(in + 65, "@example.com");
    ok(!email_normalize(in, out), "65-character local part rejected");
    /* label: 63 is the limit */
    strcpy(in, "a@");
    memset(in + 2, 'b', 63);
    strcpy(in + 65, ".com");
    ok(email_normalize(in, out), "63-character label accepted");
    strcpy(in, "a@");
    memset(in + 2, 'b', 64);
    strcpy(in + 66, ".com");
    ok(!email_normalize(in, out), "64-character label rejected");
    /* whole address: 254 is the limit. "a@" + 4 labels of 60 + dots + ".com" */
    {
        char *p = in;
        memcpy(p, "a@", 2);
        p += 2;
        for (int i = 0; i < 4; i++) {
            memset(p, 'c', 60);
            p += 60;
            *p++ = '.';
        }
        strcpy(p, "co");   /* 2 + 244 + 2 = 248 */
        is_int(strlen(in), 248, "built a 248-byte address");
        ok(email_normalize(in, out), "248 bytes accepted");
        strcpy(p, "comxyz");   /* 252 */
        ok(email_normalize(in, out), "252 bytes accepted");
        strcpy(p, "comxyzab");   /* 254 */
        ok(email_normalize(in, out), "254 bytes accepted");
        is_int(strlen(out), 254, "254 bytes kept whole");
        strcpy(p, "comxyzabc");   /* 255 */
        ok(!email_normalize(in, out), "255 bytes rejected");
    }
    /* surrounding blanks do not count against the limit */
    memset(in, ' ', 100);
    strcpy(in + 100, "jane@example.com");
    memset(in + 116, ' ', 200);
    in[316] = '\0';
    ok(email_normalize(in, out), "blanks around a short address are trimmed before the limit");
    ok(!email_normalize(NULL, out), "NULL input rejected");
    is_str((const char *)(out[0] ? "not empty" : ""), "", "NULL input leaves out empty");
    ok(!email_normalize("jane@example.com", NULL), "NULL out rejected");
}

int main(void)
{
    test_good();
    test_bad();
    test_limits();
    return tap_done();
}
