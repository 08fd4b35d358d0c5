/* time_parse_iso8601 (dateRange of contact lists): any text either fails or gives an instant
 * that, written back as ISO-8601, parses to the same instant. */
#include <string.h>

#include "fuzz.h"
#include "lib/timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    int64_t ms = 0, again = 0;
    if (time_parse_iso8601(s, &ms)) {
        char out[TIMEFMT_ISO_LEN + 1];
        time_iso8601(ms, out);
        FUZZ_CHECK(strlen(out) <= TIMEFMT_ISO_LEN, "formatted past its buffer");
        /* Years before 0 or after 9999 have no 4-digit form: nothing to compare then. */
        if (time_parse_iso8601(out, &again))
            FUZZ_CHECK(again == ms, "\"%s\" -> %lld -> \"%s\" -> %lld", s, (long long)ms, out, (long long)again);
    }
    free(s);
    return 0;
}
