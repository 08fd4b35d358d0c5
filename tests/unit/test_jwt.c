/* Unit tests for lib/jwt: HS256 round trip and every way a token must be refused. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/jwt.h"
#include "tap.h"

#define NOW 1777645800LL

static unsigned char secret[JWT_SECRET_LEN], other[JWT_SECRET_LEN];

static jwt_claims sample(void)
{
    jwt_claims c;
    memset(&c, 0, sizeof c);
    strcpy(c.sub, "507f1f77bcf86cd799439011");
    strcpy(c.org, "507f191e810c19729de860ea");
    strcpy(c.role, "ADMIN");
    c.iat = NOW;
    c.exp = NOW + 86400;
    c.ver = 3;
    return c;
}

static char *b64(const char *s)
{
    size_t cap = sodium_base64_ENCODED_LEN(strlen(s), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(cap);
    sodium_bin2base64(out, cap, (const unsigned char *)s, strlen(s),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* Builds "b64(header).b64(payload)" and signs it with key, as an attacker with or without the
 * key would. Caller frees. */
static char *forge(const char *header, const char *payload, const unsigned char *key)
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    char sig[64], *h = b64(header), *p = b64(payload);
    char *t = malloc(strlen(h) + strlen(p) + sizeof sig + 3);
    sprintf(t, "%s.%s", h, p);
    crypto_auth_hmacsha256(mac, (unsigned char *)t, strlen(t), key);
    sodium_bin2base64(sig, sizeof sig, mac, sizeof mac, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strcat(t, ".");
    strcat(t, sig);
    free(h);
    free(p);
    return t;
}

#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define CLAIMS(extra)                                                                       \
    "{\"sub\":\"507f1f77bcf86cd799439011\",\"org\":\"507f191e810c19729de860ea\","           \
    "\"role\":\"ADMIN\",\"iat\":1777645800,\"exp\":1777732200,\"ver\":3" extra "}"

static void test_roundtrip(void)
{
    jwt_claims c = sample(), out;
    char *t = jwt_issue(&c, secret);
    const char *dot;
    ok(t != NULL, "issued: %s", t ? t : "(null)");
    dot = strchr(t, '.');
    ok(dot && strchr(dot + 1, '.') && !strchr(strchr(dot + 1, '.') + 1, '.'), "three parts");
    ok(strchr(t, '=') == NULL, "no padding");
    is_int(jwt_verify(t, secret, NOW, &out), JWT_OK, "verifies");
    is_str(out.sub, c.sub, "sub");
    is_str(out.org, c.org, "org");
    is_str(out.role, "ADMIN", "role");
    is_int(out.iat, c.iat, "iat");
    is_int(out.exp, c.exp, "exp");
    is_int(out.ver, 3, "ver");
    is_int(jwt_verify(t, secret, NOW, NULL), JWT_OK, "out may be NULL");
    is_int(jwt_verify(t, secret, c.exp - 1, &out), JWT_OK, "valid one second before exp");
    is_int(jwt_verify(t, secret, c.exp, &out), JWT_EXPIRED, "exp == now is expired");
    is_int(jwt_verify(t, secret, c.exp + 100, &out), JWT_EXPIRED, "after exp is expired");
    is_int(jwt_verify(t, other, NOW, &out), JWT_BAD_SIGNATURE, "wrong secret");
    is_int(jwt_verify(t, other, c.exp + 100, &out), JWT_BAD_SIGNATURE,
           "wrong secret is reported before expiry");
    free(t);

    /* A SUPERADMIN token: no organization. */
    c.org[0] = '\0';
    strcpy(c.role, "SUPERADMIN");
    c.ver = 0;
    t = jwt_issue(&c, secret);
    is_int(jwt_verify(t, secret, NOW, &out), JWT_OK, "token without org verifies");
    is_str(out.org, "", "org is empty");
    is_str(out.role, "SUPERADMIN", "role SUPERADMIN");
    free(t);

    /* The reference token layout: a foreign HS256 signer with the same secret is accepted. */
    t = forge("{\"typ\":\"JWT\",\"alg\":\"HS256\"}", CLAIMS(""), secret);
    is_int(jwt_verify(t, secret, NOW, &out), JWT_OK, "header keys in other order");
    free(t);
    t = forge("{\"alg\":\"HS256\"}", CLAIMS(",\"extra\":[1,2,{}]"), secret);
    is_int(jwt_verify(t, secret, NOW, &out), JWT_OK, "no typ, unknown claim ignored");
    free(t);
    t = forge("{\"alg\":\"HS256\",\"typ\":\"jwt\"}", CLAIMS(""), secret);
    is_int(jwt_verify(t, secret, NOW, &out), JWT_OK, "typ is case-insensitive");
    free(t);
}

static void test_tampering(void)
{
    jwt_claims c = sample(), out;
    char *t = jwt_issue(&c, secret), *copy, *p, *evil;
    size_t len = strlen(t);
    char *dot1 = strchr(t, '.'), *dot2 = strchr(dot1 + 1, '.');

    /* flip one character of the payload */
    copy = strdup(t);
    p = copy + (dot1 - t) + 5;
    *p = *p == 'A' ? 'B' : 'A';
    is_int(jwt_verify(copy, secret, NOW, &out), JWT_BAD_SIGNATURE, "tampered payload");
    free(copy);

    /* flip one character of the signature (not the last: its low bits may be padding) */
    copy = strdup(t);
    p = copy + (dot2 - t) + 3;
    *p = *p == 'A' ? 'B' : 'A';
    is_int(jwt_verify(copy, secret, NOW, &out), JWT_BAD_SIGNATURE, "tampered signature");
    free(copy);

    /* a payload that claims another role, signed with the wrong key */
    evil = forge(HS256, "{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"SUPERADMIN\","
                        "\"iat\":1,\"exp\":99999999999,\"ver\":3}", other);
    is_int(jwt_verify(evil, secret, NOW, &out), JWT_BAD_SIGNATURE, "forged with another key");
    free(evil);

    /* the signature of one token on the payload of another */
    {
        jwt_claims c2 = sample();
        char *t2, *mix;
        strcpy(c2.role, "SUPERADMIN");
        t2 = jwt_issue(&c2, secret);
        mix = malloc(len + strlen(t2) + 1);
        sprintf(mix, "%.*s%s", (int)(strchr(strchr(t2, '.') + 1, '.') - t2), t2, dot2);
        is_int(jwt_verify(mix, secret, NOW, &out), JWT_BAD_SIGNATURE, "spliced signature");
        free(mix);
        free(t2);
    }

    /* truncated signature */
    copy = strdup(t);
    copy[len - 4] = '\0';
    ok(jwt_verify(copy, secret, NOW, &out) != JWT_OK, "truncated signature refused");
    free(copy);
    /* empty signature */
    copy = strdup(t);
    copy[dot2 - t + 1] = '\0';
    is_int(jwt_verify(copy, secret, NOW, &out), JWT_MALFORMED, "empty signature");
    free(copy);
    free(t);
}

static void test_algorithms(void)
{
    static const struct {
        const char *header;
        int want;
        const char *name;
    } cases[] = {
        {"{\"alg\":\"none\",\"typ\":\"JWT\"}", JWT_BAD_ALG, "alg none"},
        {"{\"alg\":\"None\"}", JWT_BAD_ALG, "alg None"},
        {"{\"alg\":\"HS512\",\"typ\":\"JWT\"}", JWT_BAD_ALG, "alg HS512"},
        {"{\"alg\":\"HS384\"}", JWT_BAD_ALG, "alg HS384"},
        {"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", JWT_BAD_ALG, "alg RS256"},
        {"{\"alg\":\"ES256\"}", JWT_BAD_ALG, "alg ES256"},
        {"{\"alg\":\"hs256\"}", JWT_BAD_ALG, "alg hs256 (case matters)"},
        {"{\"alg\":\"HS256 \"}", JWT_BAD_ALG, "alg with a trailing space"},
        {"{\"alg\":null}", JWT_BAD_ALG, "alg null"},
        {"{\"alg\":[\"HS256\"]}", JWT_BAD_ALG, "alg array"},
        {"{\"typ\":\"JWT\"}", JWT_BAD_ALG, "alg missing"},
        {"{\"alg\":\"none\",\"alg\":\"HS256\"}", JWT_MALFORMED, "duplicate alg"},
        {"{\"alg\":\"HS256\",\"kid\":\"../../key\"}", JWT_MALFORMED, "extra header kid"},
        {"{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", JWT_MALFORMED, "extra header crit"},
        {"{\"alg\":\"HS256\",\"typ\":\"JWE\"}", JWT_MALFORMED, "typ not JWT"},
        {"{\"alg\":\"HS256\",\"typ\":1}", JWT_MALFORMED, "typ not a string"},
        {"[\"HS256\"]", JWT_MALFORMED, "header is an array"},
        {"\"HS256\"", JWT_MALFORMED, "header is a string"},
        {"{\"alg\":\"HS256\"", JWT_MALFORMED, "header is broken JSON"},
        {"", JWT_MALFORMED, "header is empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* signed with the right secret: only the header can make these fail */
        char *t = forge(cases[i].header, CLAIMS(""), secret);
        is_int(jwt_verify(t, secret, NOW, NULL), cases[i].want, "%s", cases[i].name);
        free(t);
    }
    {
        /* the classic "alg": "none" token with an empty signature */
        char *h = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}"), *p = b64(CLAIMS("")), t[1024];
        snprintf(t, sizeof t, "%s.%s.", h, p);
        ok(jwt_verify(t, secret, NOW, NULL) != JWT_OK, "unsigned alg none token refused");
        free(h);
        free(p);
    }
}

static void test_claims(void)
{
    static const struct {
        const char *payload;
        int want;
        const char *name;
    } cases[] = {
        {CLAIMS(""), JWT_OK, "all claims"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":0,\"org\":null}", JWT_OK, "org null"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":0,\"org\":\"\"}", JWT_OK, "org empty"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"ver\":0}",
         JWT_MALFORMED, "exp missing"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"exp\":1777732200,\"ver\":0}",
         JWT_MALFORMED, "iat missing"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200}",
         JWT_MALFORMED, "ver missing"},
        {"{\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,\"ver\":0}", JWT_MALFORMED, "sub missing"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"iat\":1,\"exp\":1777732200,\"ver\":0}",
         JWT_MALFORMED, "role missing"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":0}", JWT_MALFORMED, "role empty"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMINISTRATOR_OF_EVERYTHING\",\"iat\":1,"
         "\"exp\":1777732200,\"ver\":0}", JWT_MALFORMED, "role too long for the struct"},
        {"{\"sub\":\"507F1F77BCF86CD799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":0}", JWT_MALFORMED, "sub not a lowercase objectid"},
        {"{\"sub\":\"admin\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,\"ver\":0}",
         JWT_MALFORMED, "sub not an objectid"},
        {"{\"sub\":12345,\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,\"ver\":0}",
         JWT_MALFORMED, "sub a number"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"org\":\"acme\",\"role\":\"ADMIN\",\"iat\":1,"
         "\"exp\":1777732200,\"ver\":0}", JWT_MALFORMED, "org not an objectid"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200.5,"
         "\"ver\":0}", JWT_MALFORMED, "exp not an integer"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1e10,"
         "\"ver\":0}", JWT_MALFORMED, "exp in exponent form"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":\"1777732200\","
         "\"ver\":0}", JWT_MALFORMED, "exp a string"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":true,"
         "\"ver\":0}", JWT_MALFORMED, "exp a boolean"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,"
         "\"exp\":99999999999999999999999,\"ver\":0}", JWT_MALFORMED, "exp overflows 64 bits"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":\"1\",\"exp\":1777732200,"
         "\"ver\":0}", JWT_MALFORMED, "iat a string"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":1.0}", JWT_MALFORMED, "ver a real"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777732200,"
         "\"ver\":0,\"role\":\"SUPERADMIN\"}", JWT_MALFORMED, "duplicate role"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"AD\\u0000MIN\",\"iat\":1,"
         "\"exp\":1777732200,\"ver\":0}", JWT_MALFORMED, "NUL inside role"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":1777645800,"
         "\"ver\":0}", JWT_EXPIRED, "exp == now"},
        {"{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,\"exp\":-5,\"ver\":0}",
         JWT_EXPIRED, "negative exp"},
        {"[1,2,3]", JWT_MALFORMED, "payload an array"},
        {"{", JWT_MALFORMED, "payload broken JSON"},
        {"null", JWT_MALFORMED, "payload null"},
        {"", JWT_MALFORMED, "payload empty"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        jwt_claims out;
        char *t = forge(HS256, cases[i].payload, secret);
        memset(&out, 0x5A, sizeof out);
        is_int(jwt_verify(t, secret, NOW, &out), cases[i].want, "%s", cases[i].name);
        if (cases[i].want != JWT_OK)
            ok(out.sub[0] == '\0' && out.exp == 0, "%s: out is cleared", cases[i].name);
        free(t);
    }
}

static void test_shapes(void)
{
    jwt_claims c = sample();
    char *t = jwt_issue(&c, secret), buf[8192];
    const char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
    int hl = (int)(d1 - t), pl = (int)(d2 - d1 - 1);
    const char *h = t, *p = d1 + 1, *s = d2 + 1;
    struct {
        const char *fmt;
        const char *name;
    } shapes[] = {
        {"%.*s%.*s%s", "no dots"},
        {"%.*s.%.*s%s", "one dot"},
        {"%.*s.%.*s..%s", "two dots in a row"},
        {"%.*s.%.*s.%s.", "trailing dot"},
        {".%.*s.%.*s.%s", "leading dot"},
        {"%.*s.%.*s.%s.x", "four parts"},
        {"%.*s.%.*s.%s=", "padding on the signature"},
        {"%.*s=.%.*s.%s", "padding on the header"},
        {"%.*s.%.*s==.%s", "padding on the payload"},
        {"%.*s.%.*s.%s ", "trailing space"},
        {" %.*s.%.*s.%s", "leading space"},
        {"%.*s.%.*s.%s\n", "trailing newline"},
        {"%.*s.%.*s.+%s", "'+' (standard base64) in the signature"},
        {"%.*s.%.*s./%s", "'/' (standard base64) in the signature"},
        {"%.*s.%.*s.%s*", "junk character"},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(buf, sizeof buf, shapes[i].fmt, hl, h, pl, p, s);
#pragma GCC diagnostic pop
        ok(jwt_verify(buf, secret, NOW, NULL) != JWT_OK, "%s refused", shapes[i].name);
        is_int(jwt_verify(buf, secret, NOW, NULL), JWT_MALFORMED, "%s is malformed",
               shapes[i].name);
    }
    is_int(jwt_verify(NULL, secret, NOW, NULL), JWT_MALFORMED, "NULL token");
    is_int(jwt_verify("", secret, NOW, NULL), JWT_MALFORMED, "empty token");
    is_int(jwt_verify("..", secret, NOW, NULL), JWT_MALFORMED, "only dots");
    is_int(jwt_verify("a.b.c", secret, NOW, NULL), JWT_MALFORMED, "one-character parts");
    is_int(jwt_verify("Bearer x.y.z", secret, NOW, NULL), JWT_MALFORMED, "Bearer prefix left in");

    /* base64url whose last character has non-zero unused bits: the 32-byte signature is 43
     * characters and its last one carries 2 bits that must be zero. */
    {
        static const char alphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        char *last;
        int idx;
        snprintf(buf, sizeof buf, "%s", t);
        last = buf + strlen(buf) - 1;
        idx = (int)(strchr(alphabet, *last) - alphabet);
        *last = alphabet[idx ^ 1];   /* flips an unused bit: the same decoded bytes */
        is_int(jwt_verify(buf, secret, NOW, NULL), JWT_MALFORMED,
               "non-canonical last character of the signature");
    }

    /* huge tokens */
    {
        size_t n = 5000;
        char *huge = malloc(n + 1);
        memset(huge, 'A', n);
        huge[n] = '\0';
        huge[100] = '.';
        huge[200] = '.';
        is_int(jwt_verify(huge, secret, NOW, NULL), JWT_MALFORMED, "5000-byte token");
        free(huge);
        /* a valid token padded with an enormous (signed) payload */
        char *bigpayload = malloc(6000), *big;
        strcpy(bigpayload, "{\"sub\":\"507f1f77bcf86cd799439011\",\"role\":\"ADMIN\",\"iat\":1,"
                           "\"exp\":1777732200,\"ver\":0,\"pad\":\"");
        size_t l = strlen(bigpayload);
        memset(bigpayload + l, 'x', 4000);
        strcpy(bigpayload + l + 4000, "\"}");
        big = forge(HS256, bigpayload, secret);
        ok(strlen(big) > 4096, "signed token of %zu bytes", strlen(big));
        is_int(jwt_verify(big, secret, NOW, NULL), JWT_MALFORMED, "over 4096 bytes is malformed");
        free(big);
        /* and one just under the limit verifies */
        bigpayload[l + 2600] = '\0';
        strcat(bigpayload, "\"}");
        big = forge(HS256, bigpayload, secret);
        ok(strlen(big) <= 4096, "signed token of %zu bytes", strlen(big));
        is_int(jwt_verify(big, secret, NOW, NULL), JWT_OK, "up to 4096 bytes is fine");
        free(big);
        free(bigpayload);
    }
    free(t);
}

/* The memo answers as jwt_verify would, for the tokens it holds and for every other. */
static void test_memo(void)
{
    jwt_claims c = sample(), out;
    char *t = jwt_issue(&c, secret), *evil = strdup(t);
    is_int(jwt_verify_memo(t, secret, NOW, &out), JWT_OK, "memo: verifies");
    memset(&out, 0, sizeof out);
    is_int(jwt_verify_memo(t, secret, NOW, &out), JWT_OK, "memo: verifies again, from the memo");
    ok(strcmp(out.sub, c.sub) == 0 && strcmp(out.org, c.org) == 0 && strcmp(out.role, "ADMIN") == 0 &&
           out.iat == c.iat && out.exp == c.exp && out.ver == 3, "memo: the same claims");
    is_int(jwt_verify_memo(t, secret, c.exp - 1, NULL), JWT_OK, "memo: out may be NULL");
    is_int(jwt_verify_memo(t, secret, c.exp, &out), JWT_EXPIRED, "memo: exp == now is expired");
    is_str(out.sub, "", "memo: no claims for an expired token");
    is_int(jwt_verify_memo(t, other, NOW, &out), JWT_BAD_SIGNATURE, "memo: the same token under another secret");
    /* 'A' and 'E' both leave the last character's two stray bits zero: the signature differs */
    evil[strlen(evil) - 1] = evil[strlen(evil) - 1] == 'A' ? 'E' : 'A';
    is_int(jwt_verify_memo(evil, secret, NOW, &out), JWT_BAD_SIGNATURE, "memo: a token one byte off");
    evil[strlen(evil) - 1] = '\0';
    /* MALFORMED or BAD_SIGNATURE, by the bits left in the signature's last character */
    enum jwt_result short_one = jwt_verify(evil, secret, NOW, NULL);
    ok(short_one != JWT_OK, "a token one byte short is refused");
    is_int(jwt_verify_memo(evil, secret, NOW, &out), short_one, "memo: a token one byte short, as jwt_verify says");
    is_int(jwt_verify_memo("", secret, NOW, &out), JWT_MALFORMED, "memo: empty");
    is_int(jwt_verify_memo(NULL, secret, NOW, &out), JWT_MALFORMED, "memo: NULL");
    /* More tokens than slots: each still verifies, first from jwt_verify, then perhaps the memo. */
    int good = 0;
    for (int i = 0; i < 40; i++) {
        jwt_claims ci = sample();
        ci.ver = i;
        char *ti = jwt_issue(&ci, secret);
        for (int k = 0; k < 2; k++)
            good += jwt_verify_memo(ti, secret, NOW, &out) == JWT_OK && out.ver == i;
        free(ti);
    }
    is_int(good, 80, "memo: 40 tokens, each verified twice with its own claims");
    is_int(jwt_verify_memo(t, secret, NOW, &out), JWT_OK, "memo: the first token after them");
    free(evil);
    free(t);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    randombytes_buf(secret, sizeof secret);
    randombytes_buf(other, sizeof other);
    test_roundtrip();
    test_tampering();
    test_algorithms();
    test_claims();
    test_shapes();
    test_memo();
    return tap_done();
}
