/* objectid_valid, the check on every id in a path, a query or a body: exactly 24 lowercase
 * hex digits and then the end of the string. */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "lib/objectid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    bool want = strlen(s) == OBJECTID_LEN && strspn(s, "0123456789abcdef") == OBJECTID_LEN;
    bool got = objectid_valid(s);
    FUZZ_CHECK(got == want, "objectid_valid(\"%s\") = %d", s, got);
    free(s);
    return 0;
}
