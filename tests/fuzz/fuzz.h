/* Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): the entry point's prototype (the
 * build has -Wmissing-prototypes) and a check that aborts with a message, so that a broken
 * invariant is a finding with a stack trace like a crash is. */
#ifndef CRM_FUZZ_H
#define CRM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond, ...)                                                     \
    do {                                                                          \
        if (!(cond)) {                                                            \
            fprintf(stderr, "fuzz check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
            abort();                                                              \
        }                                                                         \
    } while (0)

/* The input as a NUL-terminated string (malloc'd; the caller frees). Bytes after an embedded
 * NUL are kept but unseen by string functions, as they would be in a request. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    for (size_t i = 0; i < size; i++)
        s[i] = (char)data[i];
    s[size] = '\0';
    return s;
}

#endif
