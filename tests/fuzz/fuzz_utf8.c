/* utf8_valid and utf8_length (every text field of a request passes them) against a decoder
 * written differently here: it computes each code point and then rules out overlong forms,
 * surrogates and values past U+10FFFF, where utf8.c checks byte ranges. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "lib/utf8.h"

/* Code points in s, or -1 when it is not strict UTF-8 without NUL. */
static long reference_count(const uint8_t *s, size_t len)
{
    long count = 0;
    for (size_t i = 0; i < len; count++) {
        uint8_t c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c == 0)
            return -1;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            n = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            n = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        if (len - i < n)
            return -1;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += n;
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long want = reference_count(data, size);
    bool valid = utf8_valid((const char *)data, size);
    FUZZ_CHECK(valid == (want >= 0), "utf8_valid says %d, the reference %ld", valid, want);
    if (valid) {
        size_t n = utf8_length((const char *)data, size);
        FUZZ_CHECK(n == (size_t)want, "utf8_length %zu, the reference %ld", n, want);
    }
    /* str_trim works in place on a C string: what it returns lies inside it. */
    char *s = fuzz_cstr(data, size);
    size_t before = strlen(s);
    char *t = str_trim(s);
    FUZZ_CHECK(t >= s && t <= s + before && strlen(t) <= before, "str_trim left the string");
    free(s);
    return 0;
}
