/* email_normalize (logins, users, contacts): never writes past its buffer, and what it accepts
 * is lower-case, without blanks or control characters, has one '@', and normalizes to itself. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "lib/email.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char out[EMAIL_MAX + 1], again[EMAIL_MAX + 1];
    if (email_normalize(s, out)) {
        size_t n = strlen(out);
        FUZZ_CHECK(n > 0 && n <= EMAIL_MAX, "accepted length %zu", n);
        const char *at = strchr(out, '@');
        FUZZ_CHECK(at && at > out && at[1] && !strchr(at + 1, '@'), "not one '@' inside \"%s\"", out);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)out[i];
            FUZZ_CHECK(c > 0x20 && c < 0x7f, "blank, control or non-ASCII byte %#x in \"%s\"", c, out);
            FUZZ_CHECK(!isupper(c), "upper case left in \"%s\"", out);
        }
        FUZZ_CHECK(email_normalize(out, again) && strcmp(out, again) == 0,
                   "\"%s\" does not normalize to itself", out);
    }
    free(s);
    return 0;
}
