/* JSON Web Tokens, HS256 only: issue and verify. Every other "alg", including "none", is refused. */
#ifndef CRM_JWT_H
#define CRM_JWT_H

#include <stdint.h>
#include <stddef.h>

#define JWT_SECRET_LEN 32

typedef struct jwt_claims {
    char sub[25];       /* user id */
    char org[25];       /* organization id, "" for none */
    char role[24];      /* access role name */
    int64_t iat, exp;   /* seconds since the epoch */
    int64_t ver;        /* the user's token version at issue ("ver"); a change revokes */
} jwt_claims;

enum jwt_result { JWT_OK = 0, JWT_MALFORMED, JWT_BAD_ALG, JWT_BAD_SIGNATURE, JWT_EXPIRED };

/* Returns a malloc'd token (caller frees) or NULL on allocation failure. */
char *jwt_issue(const jwt_claims *c, const unsigned char secret[JWT_SECRET_LEN]);
/* Verifies signature (constant time), algorithm, and exp against `now` (seconds). */
enum jwt_result jwt_verify(const char *token, const unsigned char secret[JWT_SECRET_LEN],
                           int64_t now, jwt_claims *out);
/* jwt_verify, answered from this thread's memo of the last tokens it verified when token is one
 * of them (the same bytes and secret, compared in constant time): only exp is checked again. A
 * client sends its token with every request; decoding it and parsing its JSON twice each time
 * was about 5 % of a create's CPU. */
enum jwt_result jwt_verify_memo(const char *token, const unsigned char secret[JWT_SECRET_LEN],
                                int64_t now, jwt_claims *out);

#endif
