/* The multipart reader (lib/multipart.c) on any bytes: the input's first line is taken as the
 * Content-Type, the rest as the body. The boundary it accepts is at most 70 characters; a part
 * it finds lies inside the body and its filename is a string. And any bytes wrapped as the file
 * part of a well-formed form (with a boundary they do not contain) come back whole. */
#include <string.h>

#include "fuzz.h"
#include "lib/arena.h"
#include "lib/multipart.h"

static void check_found(const char *body, size_t len, const multipart_part *p)
{
    FUZZ_CHECK(p->data >= body && p->data <= body + len, "part data outside the body");
    FUZZ_CHECK(p->len <= (size_t)(body + len - p->data), "part runs past the body");
    if (p->filename)
        FUZZ_CHECK(strlen(p->filename) < 4096, "filename is not a short string");
}

static void round_trip(const uint8_t *data, size_t size)
{
    static const char boundary[] = "crmd-fuzz-0123456789";
    static const char head[] = "preamble\r\n--crmd-fuzz-0123456789\r\n"
                               "Content-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\n"
                               "Content-Type: text/csv\r\n\r\n";
    static const char tail[] = "\r\n--crmd-fuzz-0123456789--\r\n";
    if (memmem(data, size, boundary, sizeof boundary - 1))
        return;
    size_t len = sizeof head - 1 + size + sizeof tail - 1;
    char *body = malloc(len);
    FUZZ_CHECK(body != NULL, "out of memory");
    memcpy(body, head, sizeof head - 1);
    if (size)
        memcpy(body + sizeof head - 1, data, size);
    memcpy(body + sizeof head - 1 + size, tail, sizeof tail - 1);
    arena *a = arena_new();
    multipart_part p;
    const char *why = NULL;
    int rc = multipart_find(body, len, boundary, "file", a, &p, &why);
    FUZZ_CHECK(rc == 1, "a well-formed form's file part was not found (%s)", why ? why : "-");
    FUZZ_CHECK(p.len == size && (size == 0 || memcmp(p.data, data, size) == 0), "the part's bytes changed");
    FUZZ_CHECK(p.filename && strcmp(p.filename, "leads.csv") == 0, "the filename changed");
    arena_destroy(a);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t type_len = nl ? (size_t)(nl - data) : size;
    char *type = malloc(type_len + 1);
    FUZZ_CHECK(type != NULL, "out of memory");
    memcpy(type, data, type_len);
    type[type_len] = '\0';
    const char *body = nl ? (const char *)nl + 1 : (const char *)data + size;
    size_t len = nl ? size - type_len - 1 : 0;

    char boundary[71];
    if (multipart_boundary(type, boundary)) {
        size_t b = strlen(boundary);
        FUZZ_CHECK(b >= 1 && b <= 70, "boundary of %zu characters", b);
        arena *a = arena_new();
        multipart_part p;
        const char *why = NULL;
        int rc = multipart_find(body, len, boundary, "file", a, &p, &why);
        FUZZ_CHECK(rc >= -1 && rc <= 1, "result %d", rc);
        if (rc == 1)
            check_found(body, len, &p);
        else if (rc == -1)
            FUZZ_CHECK(why != NULL, "a refusal without a reason");
        arena_destroy(a);
    }
    free(type);
    round_trip(data, size);
    return 0;
}
