/* HS256 JSON Web Tokens on libsodium and jansson. Only the one algorithm crmd issues is ever
 * accepted, and only with the header it issues, so no "alg" or "kid" games are possible. */
#include "lib/jwt.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/objectid.h"

#define TOKEN_MAX 4096
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* Encodes into a fresh malloc'd string; NULL when out of memory. */
static char *b64_encode(const void *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, B64);
    char *s = malloc(cap);
    if (s)
        sodium_bin2base64(s, cap, bin, len, B64);
    return s;
}

/* Strict decode: only [A-Za-z0-9_-], no '=', no whitespace, no stray bits in the last
 * character (libsodium checks those), and the whole of [s, s+len) consumed. */
static bool b64_decode(const char *s, size_t len, unsigned char *bin, size_t cap, size_t *out_len)
{
    const char *end = NULL;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
    }
    if (sodium_base642bin(bin, cap, s, len, NULL, out_len, &end, B64) != 0)
        return false;
    return end == s + len;
}

static void sign(const char *input, size_t len, const unsigned char secret[JWT_SECRET_LEN],
                 unsigned char mac[crypto_auth_hmacsha256_BYTES])
{
    _Static_assert(JWT_SECRET_LEN == crypto_auth_hmacsha256_KEYBYTES, "HS256 key size");
    crypto_auth_hmacsha256(mac, (const unsigned char *)input, len, secret);
}

char *jwt_issue(const jwt_claims *c, const unsigned char secret[JWT_SECRET_LEN])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    json_t *payload = NULL;
    char *payload_json = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *token = NULL;
    size_t hl, pl, sl;
    payload = json_pack("{s:s, s:s, s:I, s:I, s:I}", "sub", c->sub, "role", c->role,
                        "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp,
                        "ver", (json_int_t)c->ver);
    if (!payload)
        goto done;
    /* A SUPERADMIN has no organization: its claim is the empty string. */
    if (json_object_set_new(payload, "org", json_string(c->org)) != 0)
        goto done;
    payload_json = json_dumps(payload, JSON_COMPACT);
    if (!payload_json)
        goto done;
    h64 = b64_encode(HEADER, strlen(HEADER));
    p64 = b64_encode(payload_json, strlen(payload_json));
    if (!h64 || !p64)
        goto done;
    hl = strlen(h64);
    pl = strlen(p64);
    sl = sodium_base64_ENCODED_LEN(sizeof mac, B64) - 1;
    token = malloc(hl + 1 + pl + 1 + sl + 1);
    if (!token)
        goto done;
    memcpy(token, h64, hl);
    token[hl] = '.';
    memcpy(token + hl + 1, p64, pl + 1);
    sign(token, hl + 1 + pl, secret, mac);
    s64 = b64_encode(mac, sizeof mac);
    if (!s64) {
        free(token);
        token = NULL;
        goto done;
    }
    token[hl + 1 + pl] = '.';
    memcpy(token + hl + 1 + pl + 1, s64, sl + 1);
done:
    json_decref(payload);
    free(payload_json);
    free(h64);
    free(p64);
    free(s64);
    return token;
}

/* Parses decoded bytes as a JSON object; NULL on any failure. */
static json_t *parse_object(const unsigned char *buf, size_t n)
{
    /* Duplicate keys refused: {"alg":"none","alg":"HS256"} must not mean two things. */
    json_t *j = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static enum jwt_result check_header(json_t *h)
{
    const char *key;
    json_t *v;
    const json_t *alg = json_object_get(h, "alg");
    if (!json_is_string(alg) || strcmp(json_string_value(alg), "HS256") != 0)
        return JWT_BAD_ALG;
    json_object_foreach(h, key, v) {
        if (strcmp(key, "alg") == 0)
            continue;
        /* "typ" is a media type, compared case-insensitively (RFC 7515 §4.1.9). */
        if (strcmp(key, "typ") == 0 && json_is_string(v) &&
            strcasecmp(json_string_value(v), "JWT") == 0)
            continue;
        return JWT_MALFORMED;   /* kid, jku, crit, x5u...: nothing crmd issues */
    }
    return JWT_OK;
}

static bool get_int(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return false;   /* 1.5, 1e10, "123" and true are not integers */
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool get_str(const json_t *o, const char *key, char *out, size_t cap)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool read_claims(const json_t *p, jwt_claims *c)
{
    const json_t *org = json_object_get(p, "org");
    if (!get_str(p, "sub", c->sub, sizeof c->sub) || !objectid_valid(c->sub))
        return false;
    /* jansson refuses "\u0000" without JSON_ALLOW_NUL, so no claim can hide a NUL. */
    if (!get_str(p, "role", c->role, sizeof c->role) || c->role[0] == '\0')
        return false;
    if (!get_int(p, "iat", &c->iat) || !get_int(p, "exp", &c->exp) || !get_int(p, "ver", &c->ver))
        return false;
    if (org && !json_is_null(org)) {
        if (!get_str(p, "org", c->org, sizeof c->org))
            return false;
        if (c->org[0] && !objectid_valid(c->org))
            return false;
    }
    return true;
}

enum jwt_result jwt_verify(const char *token, const unsigned char secret[JWT_SECRET_LEN],
                           int64_t now, jwt_claims *out)
{
    /* Decoded parts are at most 3/4 of the token, so TOKEN_MAX bytes hold any of them. */
    unsigned char mac[crypto_auth_hmacsha256_BYTES], buf[TOKEN_MAX], sig[TOKEN_MAX];
    const char *dot1, *dot2;
    size_t len, n, sig_len;
    json_t *header = NULL, *payload = NULL;
    jwt_claims c;
    enum jwt_result r = JWT_MALFORMED;
    memset(&c, 0, sizeof c);
    if (out)
        memset(out, 0, sizeof *out);
    if (!token)
        goto done;
    len = strnlen(token, TOKEN_MAX + 1);
    if (len > TOKEN_MAX)
        goto done;
    dot1 = memchr(token, '.', len);
    dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
        goto done;   /* exactly three parts */
    if (!b64_decode(token, (size_t)(dot1 - token), buf, sizeof buf, &n))
        goto done;
    header = parse_object(buf, n);
    if (!header)
        goto done;
    r = check_header(header);
    if (r != JWT_OK)
        goto done;
    r = JWT_MALFORMED;
    /* Every part must be well-formed base64url before the signature decides anything. */
    if (!b64_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf, sizeof buf, &n) ||
        !b64_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig, sizeof sig, &sig_len))
        goto done;
    sign(token, (size_t)(dot2 - token), secret, mac);
    /* The payload's JSON is parsed only once its signature holds: nothing unsigned is
     * trusted. The compare is constant-time. */
    if (sig_len != sizeof mac || sodium_memcmp(sig, mac, sizeof mac) != 0) {
        r = JWT_BAD_SIGNATURE;
        goto done;
    }
    payload = parse_object(buf, n);
    if (!payload || !read_claims(payload, &c))
        goto done;
    r = c.exp <= now ? JWT_EXPIRED : JWT_OK;
    if (out && r == JWT_OK)
        *out = c;
done:
    json_decref(header);
    json_decref(payload);
    return r;
}

/* A few tokens per thread, the ones it saw last: a thread that serves many clients (a waiting
 * thread takes any connection's write) verifies the others again, one HMAC each. Longer tokens
 * than MEMO_TOKEN (none that crmd issues) are verified every time. */
#define MEMO_SLOTS 8
#define MEMO_TOKEN 384

typedef struct memo_slot {
    size_t len;                  /* 0: empty */
    unsigned char secret[JWT_SECRET_LEN];
    char token[MEMO_TOKEN];
    jwt_claims claims;
} memo_slot;

static _Thread_local memo_slot memo[MEMO_SLOTS];

/* From the signature's last bytes: what picks a slot only decides which entry is replaced. */
static unsigned memo_index(const char *token, size_t len)
{
    unsigned h = 2166136261u;
    for (size_t i = len > 8 ? len - 8 : 0; i < len; i++)
        h = (h ^ (unsigned char)token[i]) * 16777619u;
    return h % MEMO_SLOTS;
}

enum jwt_result jwt_verify_memo(const char *token, const unsigned char secret[JWT_SECRET_LEN],
                                int64_t now, jwt_claims *out)
{
    size_t len = token ? strnlen(token, MEMO_TOKEN) : MEMO_TOKEN;
    if (len == 0 || len == MEMO_TOKEN)
        return jwt_verify(token, secret, now, out);
    memo_slot *m = &memo[memo_index(token, len)];
    if (m->len == len && sodium_memcmp(m->token, token, len) == 0 &&
        sodium_memcmp(m->secret, secret, JWT_SECRET_LEN) == 0) {
        bool live = m->claims.exp > now;
        if (out)
            *out = live ? m->claims : (jwt_claims){0};
        return live ? JWT_OK : JWT_EXPIRED;
    }
    jwt_claims c;
    enum jwt_result r = jwt_verify(token, secret, now, &c);
    if (r == JWT_OK) {
        m->len = len;
        memcpy(m->token, token, len);
        memcpy(m->secret, secret, JWT_SECRET_LEN);
        m->claims = c;
    }
    if (out)
        *out = c;
    return r;
}
