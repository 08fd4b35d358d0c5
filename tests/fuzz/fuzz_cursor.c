/* Keyset cursors (`after=` of GET /api/contacts; service/contact_cursor.c). A cursor accepted
 * must be one the server could have issued: its decoded text is exactly "<ms>.<id>", with no
 * bytes hidden behind a NUL and no number that overflowed; and the cursor issued for that
 * position decodes to the same position. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "service/contact_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    contact_query q, q2;
    memset(&q, 0, sizeof q);
    memset(&q2, 0, sizeof q2);
    if (contact_cursor_decode(s, &q)) {
        FUZZ_CHECK(q.after && objectid_valid(q.after_id) && q.after_created_at >= 0,
                   "accepted \"%s\" as (%lld, %.24s)", s, (long long)q.after_created_at, q.after_id);
        unsigned char raw[128];
        size_t n = 0;
        FUZZ_CHECK(sodium_base642bin(raw, sizeof raw - 1, s, strlen(s), NULL, &n, NULL,
                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0,
                   "accepted \"%s\", which is not base64url", s);
        raw[n] = 0;
        FUZZ_CHECK(strlen((char *)raw) == n, "accepted \"%s\", whose text holds a NUL", s);
        const char *dot = strchr((char *)raw, '.');
        errno = 0;
        long long ms = strtoll((char *)raw, NULL, 10);
        FUZZ_CHECK(errno == 0 && ms == q.after_created_at, "accepted \"%s\", whose number overflows", s);
        FUZZ_CHECK(dot && strcmp(dot + 1, q.after_id) == 0, "accepted \"%s\" with text after the id", s);

        crm_contact last;
        memset(&last, 0, sizeof last);
        last.created_at = q.after_created_at;
        memcpy(last.id, q.after_id, sizeof last.id);
        arena *a = arena_new();
        char *again = contact_cursor_encode(&last, a);
        FUZZ_CHECK(contact_cursor_decode(again, &q2) && q2.after_created_at == q.after_created_at &&
                       strcmp(q2.after_id, q.after_id) == 0,
                   "the cursor issued for \"%s\" reads back differently", s);
        arena_destroy(a);
    }
    free(s);
    return 0;
}
