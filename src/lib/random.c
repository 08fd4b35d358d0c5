/* libsodium's one-time setup and its generator. */
#include "lib/random.h"

#include <pthread.h>
#include <sodium.h>

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status;

static void sodium_start(void)
{
    sodium_status = sodium_init() < 0 ? -1 : 0;
}

int random_init(void)
{
    pthread_once(&sodium_once, sodium_start);
    return sodium_status;
}

void random_bytes(void *buf, size_t n)
{
    if (random_init() < 0)
        sodium_misuse();
    randombytes_buf(buf, n);
}
