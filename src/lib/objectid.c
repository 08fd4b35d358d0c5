/* MongoDB-style ObjectIds: 4-byte big-endian seconds, 5 random bytes fixed per process,
 * 3-byte counter started at a random value. */
#include "lib/objectid.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

static unsigned char process_random[5];
static atomic_uint_least32_t counter;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void pick_random(void)
{
    uint32_t start;
    /* randombytes_buf is usable before sodium_init: it initializes its generator lazily. */
    randombytes_buf(process_random, sizeof process_random);
    randombytes_buf(&start, sizeof start);
    atomic_store(&counter, start & 0xFFFFFF);
}

static void init_once(void)
{
    pick_random();
    /* A forked child would otherwise mint the same ids as its parent. */
    pthread_atfork(NULL, NULL, pick_random);
}

void objectid_new(objectid out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[12];
    uint32_t secs, n;
    pthread_once(&once, init_once);
    secs = (uint32_t)time(NULL);
    /* Only the low 24 bits are used; the wrap of the 32-bit atomic is harmless. */
    n = (uint32_t)atomic_fetch_add(&counter, 1);
    b[0] = (unsigned char)(secs >> 24);
    b[1] = (unsigned char)(secs >> 16);
    b[2] = (unsigned char)(secs >> 8);
    b[3] = (unsigned char)secs;
    for (int i = 0; i < 5; i++)
        b[4 + i] = process_random[i];
    b[9] = (unsigned char)(n >> 16);
    b[10] = (unsigned char)(n >> 8);
    b[11] = (unsigned char)n;
    for (int i = 0; i < 12; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[OBJECTID_LEN] = '\0';
}

bool objectid_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < OBJECTID_LEN; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;   /* also stops at a NUL before 24 characters */
    }
    return s[OBJECTID_LEN] == '\0';
}
