/* Region allocator: a list of blocks carved front to back; everything is freed at once when
 * the request that owns the arena completes. */
#include "lib/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Under AddressSanitizer the unused parts of blocks are poisoned, so an overrun of one
 * allocation into the next is reported although both live in the same malloc'd block. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 16
#define BLOCK_SIZE (16 * 1024)
/* Anything larger than this gets a block of its own, so one big body does not waste the
 * tail of a shared block or make the next small allocations start a fresh one. */
#define LARGE (BLOCK_SIZE / 4)

struct block {
    struct block *next;
    size_t cap, used;
    /* With the block itself from aligned_alloc, this keeps data[] and so every carved
     * offset (a multiple of ALIGN) aligned for any type, max_align_t included. */
    _Alignas(ALIGN) unsigned char data[];
};

struct arena {
    struct block *head;    /* block being carved; large blocks are linked behind it */
    struct block *first;   /* kept by arena_reset so a reused arena does not malloc again */
};

static void *xalloc(size_t n)
{
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    void *p = aligned_alloc(ALIGN, (n + ALIGN - 1) & ~(size_t)(ALIGN - 1));
    if (!p)
        abort();
    return p;
}

static struct block *block_new(size_t cap)
{
    struct block *b;
    if (cap > SIZE_MAX - sizeof *b - ALIGN)
        abort();
    b = xalloc(sizeof *b + cap);
    b->next = NULL;
    b->cap = cap;
    b->used = 0;
    POISON(b->data, cap);
    return b;
}

arena *arena_new(void)
{
    arena *a = xalloc(sizeof *a);
    a->first = a->head = block_new(BLOCK_SIZE);
    return a;
}

static void free_chain(struct block *b, const struct block *keep)
{
    while (b) {
        struct block *next = b->next;
        if (b != keep)
            free(b);
        b = next;
    }
}

void arena_destroy(arena *a)
{
    if (!a)
        return;
    free_chain(a->head, NULL);
    free(a);
}

void arena_reset(arena *a)
{
    free_chain(a->head, a->first);
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    POISON(a->first->data, a->first->cap);
}

void *arena_alloc(arena *a, size_t n)
{
    struct block *b = a->head;
    unsigned char *p;
    size_t need;
    if (n == 0)
        n = 1;   /* distinct pointers for distinct calls, as malloc(0) callers expect */
    if (n > SIZE_MAX - ALIGN)
        abort();
    need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    if (need > LARGE) {
        /* Linked after head so the current block keeps being carved. */
        struct block *big = block_new(need);
        big->used = need;
        big->next = b->next;
        b->next = big;
        UNPOISON(big->data, n);
        memset(big->data, 0, n);
        return big->data;
    }
    if (b->cap - b->used < need) {
        b = block_new(BLOCK_SIZE);
        b->next = a->head;
        a->head = b;
    }
    p = b->data + b->used;
    b->used += need;
    UNPOISON(p, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p;
    if (!s)
        return NULL;
    n = strnlen(s, n);
    p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    return p;   /* already NUL-terminated: arena memory is zeroed */
}

char *arena_wrap(arena *a, const char *before, const char *text, const char *after)
{
    size_t nb = strlen(before), nt = strlen(text), na = strlen(after);
    char *p = arena_alloc(a, nb + nt + na + 1);
    memcpy(p, before, nb);
    memcpy(p + nb, text, nt);
    memcpy(p + nb + nt, after, na);
    return p;   /* NUL-terminated: arena memory is zeroed */
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap, ap2;
    int n;
    char *p;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return arena_strdup(a, "");   /* an encoding error is a caller bug; keep going */
    }
    p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}
