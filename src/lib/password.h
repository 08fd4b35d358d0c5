/* Passwords hashed with Argon2id (libsodium), API keys generated and hashed for storage. */
#ifndef CRM_PASSWORD_H
#define CRM_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 128
#define APIKEY_MAX 64          /* "tk_live_" + 43 base64url characters + NUL fits */
#define APIKEY_HASH_HEX 65     /* hex SHA-256 + NUL */

/* For test suites only (CRMD_TEST_WEAK_PASSWORD_HASHES=1, src/main.c): hashes made after this
 * call use libsodium's least Argon2id limits (1 pass, 8 KiB) instead of the interactive ones
 * (2 passes, 64 MiB), which were three quarters of the API tier's CPU. A hash names its own
 * limits, so verification is the same either way. */
void password_use_test_limits(void);
bool password_test_limits(void);   /* whether they are in use */
void password_warn_test_limits(void);   /* logs that they are, once a process */
/* 0 on success, -1 when out of memory for the hash. */
int password_hash(const char *password, char out[PASSWORD_HASH_MAX]);
/* Constant-time; a NULL or malformed hash verifies a dummy so timing does not reveal it. */
bool password_verify(const char *hash, const char *password);
void apikey_new(char out[APIKEY_MAX]);                       /* "tk_live_<random>" */
void apikey_hash(const char *key, char out[APIKEY_HASH_HEX]); /* hex SHA-256 for lookups */
bool ct_equal(const void *a, const void *b, size_t n);        /* constant-time comparison */

#endif
