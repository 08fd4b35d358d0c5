/* jwt_verify on bearer tokens. Forged signatures are never accepted, so a fuzzer alone would
 * only ever reach the signature check; half of the inputs are therefore turned into a token
 * signed with the server's key here (header JSON, newline, payload JSON), which takes the
 * header and claim checks behind the signature into reach as an attacker holding the key
 * (or finding a flaw in the HMAC) would. */
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "lib/jwt.h"

static const unsigned char secret[JWT_SECRET_LEN] = "fuzzing-secret-of-32-bytes-long";
static const int64_t now = 1767225600;   /* 2026-01-01: tokens of the corpus expire later */

static char *b64(const uint8_t *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    if (!s)
        abort();
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* "<b64 header>.<b64 payload>.<b64 HMAC>" for the two JSON texts of the input. */
static char *signed_token(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t hl = nl ? (size_t)(nl - data) : size;
    char *h = b64(data, hl), *p = b64(nl ? nl + 1 : data, nl ? size - hl - 1 : 0);
    size_t len = strlen(h) + 1 + strlen(p);
    char *t = malloc(len + 2 + sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                                         sodium_base64_VARIANT_URLSAFE_NO_PADDING));
    if (!t)
        abort();
    sprintf(t, "%s.%s", h, p);
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256(mac, (const unsigned char *)t, len, secret);
    char *m = b64(mac, sizeof mac);
    sprintf(t + len, ".%s", m);
    free(h);
    free(p);
    free(m);
    return t;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *tok = data[0] & 1 ? signed_token(data + 1, size - 1) : fuzz_cstr(data + 1, size - 1);
    jwt_claims c;
    memset(&c, 0x5a, sizeof c);
    enum jwt_result r = jwt_verify(tok, secret, now, &c);
    if (r == JWT_OK) {
        /* Accepted claims are whole C strings and a usable time window. */
        FUZZ_CHECK(memchr(c.sub, 0, sizeof c.sub) && memchr(c.org, 0, sizeof c.org) &&
                       memchr(c.role, 0, sizeof c.role),
                   "claims not terminated in %s", tok);
        FUZZ_CHECK(c.exp > now, "an expired token (exp %lld) accepted", (long long)c.exp);
        /* Issuing these claims again gives a token that verifies to the same claims. */
        char *again = jwt_issue(&c, secret);
        jwt_claims c2;
        FUZZ_CHECK(again && jwt_verify(again, secret, now, &c2) == JWT_OK && strcmp(c.sub, c2.sub) == 0 &&
                       strcmp(c.org, c2.org) == 0 && strcmp(c.role, c2.role) == 0 && c.exp == c2.exp &&
                       c.ver == c2.ver,
                   "re-issued claims of %s differ", tok);
        free(again);
    }
    free(tok);
    return 0;
}
