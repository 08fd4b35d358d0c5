/* Keyset cursors of the contact list: encoding the last row of a page, decoding what a client
 * sends back as `after=`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "lib/objectid.h"
#include "service/contact_cursor.h"

char *contact_cursor_encode(const crm_contact *last, arena *a)
{
    char raw[64];
    int n = snprintf(raw, sizeof raw, "%lld.%s", (long long)last->created_at, last->id);
    size_t cap = sodium_base64_ENCODED_LEN((size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)raw, (size_t)n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* Only what contact_cursor_encode could have written is a cursor: digits that fit an int64 (a
 * clamped number would silently move the page), a dot, an id, and nothing behind a NUL. */
bool contact_cursor_decode(const char *cursor, contact_query *q)
{
    unsigned char raw[64];
    size_t n;
    char text[65], *end;
    if (strlen(cursor) > 80 ||
        sodium_base642bin(raw, sizeof raw - 1, cursor, strlen(cursor), NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        memchr(raw, '\0', n))
        return false;
    memcpy(text, raw, n);
    text[n] = '\0';
    char *dot = strchr(text, '.');
    if (!dot || dot == text)
        return false;
    *dot = '\0';
    for (const char *p = text; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    errno = 0;
    long long ms = strtoll(text, &end, 10);
    if (*end || errno || !objectid_valid(dot + 1))
        return false;
    q->after = true;
    q->after_created_at = ms;
    memcpy(q->after_id, dot + 1, sizeof q->after_id);
    return true;
}
