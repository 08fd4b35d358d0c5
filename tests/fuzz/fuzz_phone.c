/* phone_normalize (contacts, users, organization numbers; libphonenumber behind a C++ shim):
 * the first byte picks the default region, the rest is the number as typed. What is accepted
 * is E.164 ('+' and 2 to 15 digits, the first not 0) and normalizes to itself. */
#include <string.h>

#include "fuzz.h"
#include "lib/phone.h"

/* Regions an organization may have, plus ones that are not regions at all. */
static const char *const regions[] = {"US", "GB", "DE", "IN", "BR", "JP", "AU", "FR", "ZZ", "", "us", "XX", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const char *region = regions[data[0] % (sizeof regions / sizeof *regions)];
    char *s = fuzz_cstr(data + 1, size - 1);
    char out[PHONE_E164_MAX], again[PHONE_E164_MAX];
    enum phone_result r = phone_normalize(s, region, out);
    FUZZ_CHECK(phone_result_message(r) != NULL, "no message for result %d", (int)r);
    if (r == PHONE_OK) {
        size_t n = strlen(out);
        FUZZ_CHECK(n >= 3 && n < PHONE_E164_MAX && out[0] == '+' && out[1] != '0' &&
                       strspn(out + 1, "0123456789") == n - 1,
                   "\"%s\" gave \"%s\", not E.164", s, out);
        /* E.164 carries its country: any region reads it back the same. */
        FUZZ_CHECK(phone_normalize(out, "ZZ", again) == PHONE_OK && strcmp(out, again) == 0,
                   "\"%s\" does not normalize to itself", out);
    } else {
        FUZZ_CHECK(out[0] == '\0', "a refused number left \"%s\" behind", out);
    }
    free(s);
    return 0;
}
