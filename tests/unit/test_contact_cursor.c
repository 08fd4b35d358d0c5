/* Keyset cursors (service/contact_cursor.c): what the server issues reads back to the same
 * position, and text it could not have issued is refused — found by tests/fuzz/fuzz_cursor. */
#include <sodium.h>
#include <string.h>

#include "service/contact_cursor.h"
#include "tap.h"

/* base64url (no padding) of n bytes of raw, into out. */
static const char *b64(const char *raw, size_t n, char *out, size_t cap)
{
    return sodium_bin2base64(out, cap, (const unsigned char *)raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_round_trip(void)
{
    crm_contact last;
    contact_query q;
    memset(&last, 0, sizeof last);
    memset(&q, 0, sizeof q);
    last.created_at = 1767225600123;
    strcpy(last.id, "5f1e3c2a9b8d7e6f5a4b3c2d");
    arena *a = arena_new();
    char *c = contact_cursor_encode(&last, a);
    ok(contact_cursor_decode(c, &q), "an issued cursor decodes");
    ok(q.after, "it sets the keyset");
    is_int(q.after_created_at, 1767225600123, "to the row's time");
    is_str(q.after_id, "5f1e3c2a9b8d7e6f5a4b3c2d", "and id");
    arena_destroy(a);
}

static void test_refused(void)
{
    static const char overflow[] = "97000017000000000000.5f1e3c2a9b8d7e6f5a4b3c2d";   /* > INT64_MAX */
    static const char hidden[] = "1767225600123.5f1e3c2a9b8d7e6f5a4b3c2d\0trailing";
    static const char *const plain[] = {"", "not a cursor", "AAAA", "x.5f1e3c2a9b8d7e6f5a4b3c2d",
                                        ".5f1e3c2a9b8d7e6f5a4b3c2d", "12.5f1e3c2a9b8d7e6f5a4b3c2", "-1.5f1e3c2a9b8d7e6f5a4b3c2d"};
    char buf[160];
    contact_query q;
    memset(&q, 0, sizeof q);
    ok(!contact_cursor_decode(b64(overflow, sizeof overflow - 1, buf, sizeof buf), &q),
       "a time past int64 is refused, not clamped");
    ok(!contact_cursor_decode(b64(hidden, sizeof hidden - 1, buf, sizeof buf), &q),
       "bytes hidden behind a NUL are refused");
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        ok(!contact_cursor_decode(b64(plain[i], strlen(plain[i]), buf, sizeof buf), &q), "\"%s\" is refused",
           plain[i]);
    ok(!contact_cursor_decode("MTcwMDAwMDAwMDAwMC41ZjFlM2MyYTliOGQ3ZTZmNWE0YjNjMmQ=", &q), "padding is refused");
    ok(!q.after, "a refused cursor leaves the query alone");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_round_trip();
    test_refused();
    return tap_done();
}
