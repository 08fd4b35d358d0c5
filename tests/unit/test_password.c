/* Unit tests for lib/password: Argon2id hash/verify, dummy verification, API keys, helpers. */
#include <string.h>
#include <time.h>

#include "lib/password.h"
#include "lib/random.h"
#include "tap.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

static void test_passwords(void)
{
    char h1[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    const char *p1 = h1;
    is_int(random_init(), 0, "random_init");
    is_int(random_init(), 0, "random_init again is fine");
    is_int(password_hash("correct horse battery staple", h1), 0, "hash");
    ok(strncmp(p1, "$argon2id$", 10) == 0, "Argon2id string: %s", p1);
    ok(strstr(p1, "m=65536,t=2,p=1") != NULL, "interactive limits (64 MiB, 2 passes)");
    is_int(password_hash("correct horse battery staple", h2), 0, "hash again");
    ok(strcmp(h1, h2) != 0, "salted: the same password hashes differently");
    ok(password_verify(h1, "correct horse battery staple"), "right password verifies");
    ok(password_verify(h2, "correct horse battery staple"), "second hash verifies too");
    ok(!password_verify(h1, "correct horse battery stapler"), "wrong password fails");
    ok(!password_verify(h1, ""), "empty password fails");
    ok(!password_verify(h1, NULL), "NULL password fails");
    is_int(password_hash("", h2), 0, "empty password can be hashed");
    ok(password_verify(h2, ""), "and verified");
    is_int(password_hash(NULL, h2), -1, "NULL password → -1");
    is_int(password_hash("p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91", h2), 0, "UTF-8 password");
    ok(password_verify(h2, "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91"), "UTF-8 password verifies");
}

static void test_bad_hashes(void)
{
    static const char *const bad[] = {
        "",
        "garbage",
        "$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "$argon2id$",
        "$argon2id$v=19$m=65536,t=2,p=1$garbage",
        "$2b$12$KIXQJ6wq8f5yE7aGm3w2HOc1w1FZ9v1t1Y2m1j1bX0Zl5yV1uO7a",
        "5f4dcc3b5aa765d61d8327deb882cf99",
    };
    double t0, t_null, t_real;
    char h[PASSWORD_HASH_MAX];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ok(!password_verify(bad[i], "password"), "malformed hash %zu fails", i);
    ok(!password_verify(NULL, "password"), "NULL hash fails");
    ok(!password_verify(NULL, NULL), "NULL hash and password fail");

    /* A missing user (NULL hash) must cost about what a wrong password costs. */
    password_hash("secret-password", h);
    t0 = now_s();
    password_verify(h, "wrong");
    t_real = now_s() - t0;
    t0 = now_s();
    password_verify(NULL, "wrong");
    t_null = now_s() - t0;
    ok(t_null > t_real / 4 && t_null < t_real * 4,
       "NULL hash takes a similar time (%.0f ms vs %.0f ms)", t_null * 1e3, t_real * 1e3);
}

static void test_apikeys(void)
{
    char k1[APIKEY_MAX], k2[APIKEY_MAX], h1[APIKEY_HASH_HEX], h2[APIKEY_HASH_HEX];
    const char *pk1 = k1, *ph1 = h1, *ph2 = h2;
    int chars_ok = 1;
    apikey_new(k1);
    apikey_new(k2);
    ok(strncmp(pk1, "tk_live_", 8) == 0, "key starts with tk_live_: %s", pk1);
    is_int(strlen(k1), 8 + 43, "8 + 43 characters (32 bytes base64url, no padding)");
    for (size_t i = 8; k1[i]; i++)
        if (!b64url_char(k1[i]))
            chars_ok = 0;
    ok(chars_ok, "key body is base64url without padding");
    ok(strcmp(k1, k2) != 0, "two keys differ");

    apikey_hash(k1, h1);
    apikey_hash(k1, h2);
    is_int(strlen(h1), 64, "hash is 64 characters");
    ok(strspn(h1, "0123456789abcdef") == 64, "lowercase hex");
    is_str(ph1, ph2, "hash is stable");
    apikey_hash(k2, h2);
    ok(strcmp(h1, h2) != 0, "different keys hash differently");
    apikey_hash("abc", h1);
    is_str(ph1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
           "SHA-256 test vector for \"abc\"");
    apikey_hash("", h1);
    is_str(ph1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
           "SHA-256 of the empty string");
}

static void test_helpers(void)
{
    unsigned char a[32] = {0}, b[32] = {0};
    ok(ct_equal(a, b, sizeof a), "equal buffers");
    b[31] = 1;
    ok(!ct_equal(a, b, sizeof a), "last byte differs");
    ok(ct_equal(a, b, 31), "compares only n bytes");
    ok(ct_equal(a, b, 0), "zero length is equal");
    random_bytes(a, sizeof a);
    random_bytes(b, sizeof b);
    ok(!ct_equal(a, b, sizeof a), "random_bytes gives different bytes each call");
}

int main(void)
{
    test_passwords();
    test_bad_hashes();
    test_apikeys();
    test_helpers();
    return tap_done();
}
