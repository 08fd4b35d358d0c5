/* Unit tests for lib/arena: alignment, zeroing, large blocks, reset, string helpers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "lib/arena.h"
#include "tap.h"

static int all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static void test_alloc(void)
{
    static const size_t sizes[] = {0, 1, 3, 7, 15, 16, 17, 31, 100, 1000, 4095, 4096, 4097,
                                   16384, 16385, 100000, 1 << 20};
    arena *a = arena_new();
    unsigned char *prev = NULL;
    ok(a != NULL, "arena_new");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *p = arena_alloc(a, n);
        ok(p != NULL, "alloc %zu", n);
        is_int((uintptr_t)p % 16, 0, "alloc %zu is 16-byte aligned", n);
        ok(all_zero(p, n), "alloc %zu is zeroed", n);
        memset(p, 0xAB, n ? n : 1);   /* ASan catches an overrun of the promised size */
        ok(p != prev, "alloc %zu is a fresh pointer", n);
        prev = p;
    }
    arena_destroy(a);
}

static void test_many(void)
{
    arena *a = arena_new();
    unsigned char *ptrs[5000];
    int distinct = 1, intact = 1;
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i % 97) + 1;
        ptrs[i] = arena_alloc(a, n);
        memset(ptrs[i], i & 0xFF, n);
    }
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)(i % 97) + 1;
        for (size_t k = 0; k < n; k++)
            if (ptrs[i][k] != (unsigned char)(i & 0xFF))
                intact = 0;
        if (i && ptrs[i] == ptrs[i - 1])
            distinct = 0;
    }
    ok(intact, "5000 small allocations do not overlap");
    ok(distinct, "and are distinct");
    arena_destroy(a);
}

static void test_reset(void)
{
    arena *a = arena_new();
    for (int round = 0; round < 3; round++) {
        unsigned char *big, *small;
        for (int i = 0; i < 1000; i++)
            memset(arena_alloc(a, 64), 0xFF, 64);
        big = arena_alloc(a, 200000);
        memset(big, 0xEE, 200000);
        arena_reset(a);
        small = arena_alloc(a, 256);
        ok(all_zero(small, 256), "round %d: memory after reset is zeroed again", round);
        big = arena_alloc(a, 50000);
        ok(all_zero(big, 50000), "round %d: large block after reset is zeroed", round);
        arena_reset(a);
    }
    arena_destroy(a);
}

/* arena_destroy(NULL) must return normally: run it in a child so that a crash fails the test
 * instead of ending the program before its plan. */
static void test_destroy_null(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        arena_destroy(NULL);
        _exit(7);
    }
    int status = 0;
    ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7,
       "arena_destroy(NULL) returns normally");
}

static void test_strings(void)
{
    arena *a = arena_new();
    char big[10000];
    is_str(arena_strdup(a, "hello"), "hello", "strdup");
    ok(arena_strdup(a, NULL) == NULL, "strdup(NULL) → NULL");
    is_str(arena_strdup(a, ""), "", "strdup of empty");
    is_str(arena_strndup(a, "hello", 3), "hel", "strndup cuts");
    is_str(arena_strndup(a, "hi", 10), "hi", "strndup stops at NUL");
    is_str(arena_strndup(a, "abc", 0), "", "strndup 0");
    is_str(arena_wrap(a, "{\"a\":", "[1,2]", "}"), "{\"a\":[1,2]}", "wrap");
    is_str(arena_wrap(a, "", "", ""), "", "wrap of nothing");
    {
        char text[5000];
        memset(text, 'x', sizeof text - 1);
        text[sizeof text - 1] = '\0';
        const char *w = arena_wrap(a, "<", text, ">");
        ok(strlen(w) == sizeof text + 1 && w[0] == '<' && w[1] == 'x' && w[sizeof text - 1] == 'x' &&
               w[sizeof text] == '>', "wrap of 4,999 bytes");
    }
    ok(arena_strndup(a, NULL, 3) == NULL, "strndup(NULL) → NULL");
    is_str(arena_printf(a, "%s-%d-%05.1f", "x", 42, 3.14159), "x-42-003.1", "printf");
    is_str(arena_printf(a, "%s", ""), "", "printf empty");
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    {
        char *p = arena_printf(a, "<%s>", big);
        is_int(strlen(p), sizeof big + 1, "printf of a long string");
        ok(p[0] == '<' && p[sizeof big] == '>', "printf long content");
        p = arena_strdup(a, big);
        ok(strcmp(p, big) == 0, "strdup long string (own block)");
    }
    arena_destroy(a);
}

int main(void)
{
    test_alloc();
    test_many();
    test_reset();
    test_destroy_null();
    test_strings();
    return tap_done();
}
