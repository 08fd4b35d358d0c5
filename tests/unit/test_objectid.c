/* Unit tests for lib/objectid: format, timestamp prefix, uniqueness across threads, validity. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/objectid.h"
#include "tap.h"

#define PER_THREAD 25000
#define THREADS 4

static objectid ids[THREADS * PER_THREAD];

static void *mint(void *arg)
{
    objectid *slot = arg;
    for (int i = 0; i < PER_THREAD; i++)
        objectid_new(slot[i]);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(objectid));
}

static int lower_hex(const char *s)
{
    for (int i = 0; i < OBJECTID_LEN; i++)
        if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0')
            return 0;
    return s[OBJECTID_LEN] == '\0';
}

static void test_format(void)
{
    objectid a, b;
    time_t before = time(NULL), after;
    unsigned long secs;
    objectid_new(a);
    objectid_new(b);
    after = time(NULL);
    is_int(strlen(a), 24, "24 characters");
    ok(lower_hex(a), "lowercase hex: %s", a);
    ok(objectid_valid(a), "a new id is valid");
    ok(strcmp(a, b) != 0, "two ids differ");
    ok(memcmp(a + 8, b + 8, 10) == 0, "same process → same 5 random bytes");
    secs = strtoul((char[9]){a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], 0}, NULL, 16);
    ok(secs >= (unsigned long)before && secs <= (unsigned long)after,
       "timestamp prefix %lu is now (%ld..%ld)", secs, (long)before, (long)after);
    {
        unsigned long ca = strtoul(a + 18, NULL, 16), cb = strtoul(b + 18, NULL, 16);
        is_int(cb, (ca + 1) & 0xFFFFFF, "counter increments by one");
    }
}

static void test_unique(void)
{
    pthread_t t[THREADS];
    size_t n = sizeof ids / sizeof ids[0], dups = 0, bad = 0;
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, mint, ids[i * PER_THREAD]);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (size_t i = 0; i < n; i++)
        if (!objectid_valid(ids[i]))
            bad++;
    qsort(ids, n, sizeof ids[0], cmp);
    for (size_t i = 1; i < n; i++)
        if (strcmp(ids[i - 1], ids[i]) == 0)
            dups++;
    is_int(bad, 0, "%zu ids from %d threads are all valid", n, THREADS);
    is_int(dups, 0, "%zu ids from %d threads are all distinct", n, THREADS);
}

static const struct {
    const char *s;
    int valid;
} cases[] = {
    {"0123456789abcdef01234567", 1},
    {"000000000000000000000000", 1},
    {"ffffffffffffffffffffffff", 1},
    {"507f1f77bcf86cd799439011", 1},
    {"507F1F77BCF86CD799439011", 0},   /* upper case */
    {"507f1f77bcf86cd79943901", 0},    /* 23 */
    {"507f1f77bcf86cd7994390111", 0},  /* 25 */
    {"507f1f77bcf86cd79943901g", 0},
    {"507f1f77bcf86cd79943901 ", 0},
    {" 507f1f77bcf86cd79943901", 0},
    {"507f1f77-bcf86cd79943901", 0},
    {"", 0},
    {"zzzzzzzzzzzzzzzzzzzzzzzz", 0},
    {"0x7f1f77bcf86cd799439011", 0},
    {"507f1f77bcf86cd7994390\xc3\xa9", 0},
};

static void test_valid(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        is_int(objectid_valid(cases[i].s), cases[i].valid, "objectid_valid(\"%s\")", cases[i].s);
    ok(!objectid_valid(NULL), "NULL is not valid");
    /* A NUL inside the 24 characters ends the string early. */
    ok(!objectid_valid("507f1f77bcf8\0" "6cd799439011"), "embedded NUL");
}

int main(void)
{
    test_format();
    test_unique();
    test_valid();
    return tap_done();
}
