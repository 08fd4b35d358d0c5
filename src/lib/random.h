/* Random bytes from libsodium's generator, and the one-time libsodium setup every user of it
 * (passwords, keys, tokens) depends on. */
#ifndef CRM_RANDOM_H
#define CRM_RANDOM_H

#include <stddef.h>

/* Sets libsodium up once (idempotent, thread-safe); 0, or -1 when it has no usable entropy
 * source. Every function below and in lib/password.h calls it too, so that a caller that forgot
 * it never gets a generator or Argon2 implementation that was never set up. */
int random_init(void);

/* n random bytes; aborts (sodium_misuse) without an entropy source: predictable keys would be
 * worse than stopping. */
void random_bytes(void *buf, size_t n);

#endif
