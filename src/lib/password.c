/* Argon2id password hashing, API keys and constant-time comparison, on libsodium. */
#include "lib/password.h"
#include "lib/log.h"
#include "lib/random.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <string.h>

#define APIKEY_PREFIX "tk_live_"
#define APIKEY_RANDOM 32

static _Atomic bool test_limits;

void password_use_test_limits(void)
{
    test_limits = true;
}

bool password_test_limits(void)
{
    return test_limits;
}

void password_warn_test_limits(void)
{
    static atomic_flag warned = ATOMIC_FLAG_INIT;
    if (!atomic_flag_test_and_set(&warned))
        log_warn("CRMD_TEST_WEAK_PASSWORD_HASHES=1: new passwords are hashed with test limits (1 pass, "
                 "8 KiB), not the interactive ones; never set it outside a test suite");
}

int password_hash(const char *password, char out[PASSWORD_HASH_MAX])
{
    _Static_assert(PASSWORD_HASH_MAX >= crypto_pwhash_argon2id_STRBYTES, "hash buffer too small");
    out[0] = '\0';
    if (!password || random_init() < 0)
        return -1;
    /* The argon2id function, not crypto_pwhash_str: the algorithm must not change with the
     * library's default. */
    bool weak = test_limits;
    if (weak)
        password_warn_test_limits();
    if (crypto_pwhash_argon2id_str(out, password, strlen(password),
                                   weak ? crypto_pwhash_argon2id_OPSLIMIT_MIN : crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
                                   weak ? crypto_pwhash_argon2id_MEMLIMIT_MIN : crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE) != 0) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static char dummy_hash[crypto_pwhash_argon2id_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
    /* Same parameters as real hashes, so verifying against it costs the same time. */
    if (password_hash("crmd timing equalizer", dummy_hash) != 0)
        dummy_hash[0] = '\0';
}

static bool well_formed(const char *hash)
{
    size_t prefix = sizeof crypto_pwhash_argon2id_STRPREFIX - 1;
    return hash && strncmp(hash, crypto_pwhash_argon2id_STRPREFIX, prefix) == 0 &&
           strnlen(hash, PASSWORD_HASH_MAX) < PASSWORD_HASH_MAX;
}

bool password_verify(const char *hash, const char *password)
{
    const char *pw = password ? password : "";
    if (random_init() < 0)
        return false;
    if (!well_formed(hash) || !password) {
        /* Burn the same work on a known hash, then fail whatever it says: an unknown user
         * or a broken row must take as long as a wrong password. */
        pthread_once(&dummy_once, dummy_make);
        if (dummy_hash[0]) {
            /* The result is meaningless here; only the work counts. */
            int burned = crypto_pwhash_argon2id_str_verify(dummy_hash, pw, strlen(pw));
            (void)burned;
        }
        return false;
    }
    return crypto_pwhash_argon2id_str_verify(hash, pw, strlen(pw)) == 0;
}

void apikey_new(char out[APIKEY_MAX])
{
    unsigned char raw[APIKEY_RANDOM];
    size_t prefix = sizeof APIKEY_PREFIX - 1;
    _Static_assert(sizeof APIKEY_PREFIX - 1 +
                       sodium_base64_ENCODED_LEN(APIKEY_RANDOM,
                                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) <=
                       APIKEY_MAX,
                   "API key buffer too small");
    random_bytes(raw, sizeof raw);
    memcpy(out, APIKEY_PREFIX, prefix);
    sodium_bin2base64(out + prefix, APIKEY_MAX - prefix, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void apikey_hash(const char *key, char out[APIKEY_HASH_HEX])
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    const char *k = key ? key : "";
    _Static_assert(APIKEY_HASH_HEX == 2 * crypto_hash_sha256_BYTES + 1, "hex digest size");
    crypto_hash_sha256(digest, (const unsigned char *)k, strlen(k));
    sodium_bin2hex(out, APIKEY_HASH_HEX, digest, sizeof digest);
}

bool ct_equal(const void *a, const void *b, size_t n)
{
    return n == 0 || sodium_memcmp(a, b, n) == 0;
}
