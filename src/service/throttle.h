/* Abuse limits, in this process's memory: failed-login throttling by account and client address,
 * and request rate limits per credential. Several crmd processes each keep their own counts
 * (docs/security.md, "Login throttling and rate limits"). Thread-safe. */
#ifndef CRM_THROTTLE_H
#define CRM_THROTTLE_H

#include <stdbool.h>
#include <stddef.h>
#include "lib/ratelimit.h"

typedef struct throttle_config {
    ratelimit_rule request;         /* requests per credential (a user's tokens; its API key) */
    ratelimit_rule login_pair;      /* failed logins per (account, address) */
    ratelimit_rule login_address;   /* failed logins per address, whatever the account */
    ratelimit_rule login_account;   /* failed logins per account from addresses it never
                                       logged in from */
    unsigned trust_days;            /* how long a login keeps its address known to the account */
    size_t max_keys;                /* entries per table */
} throttle_config;

/* The defaults of docs/security.md, overridden by CRMD_RATE_LIMIT, CRMD_LOGIN_LIMIT,
 * CRMD_LOGIN_LIMIT_ADDRESS, CRMD_LOGIN_LIMIT_ACCOUNT ("N/SECONDS" or "0" for off),
 * CRMD_LOGIN_TRUST_DAYS and CRMD_RATE_LIMIT_KEYS. -1 with a message in err for a bad value. */
int throttle_config_from_env(throttle_config *cfg, char *err, size_t errlen);

typedef struct throttle throttle;
throttle *throttle_new(const throttle_config *cfg);   /* caller owns; throttle_free */
void throttle_free(throttle *t);

/* A login attempt for account (the email as typed, normalized if it is one) from address (a
 * key of netaddr_client_key). begin, before the password is checked, returns false with the
 * seconds to wait when a bucket that applies is empty; it charges nothing, so that a user's
 * concurrent correct logins never throttle each other. end charges a failure to every bucket
 * that applies, into debt if concurrent guesses got through together (they are paid for by a
 * longer wait); a success forgets the (account, address) failures and marks the address as
 * known to the account; an attempt that was neither (storage unavailable) changes nothing. */
typedef enum throttle_outcome { THROTTLE_SUCCESS, THROTTLE_FAILURE, THROTTLE_NEITHER } throttle_outcome;
bool throttle_login_begin(throttle *t, const char *account, const char *address, unsigned *retry_after_s);
void throttle_login_end(throttle *t, const char *account, const char *address, throttle_outcome outcome);

/* One request by credential: counts it if the bucket allows. st gets what the RateLimit-*
 * headers say. With the rule off, returns true and st->limit is 0. */
typedef struct throttle_status {
    unsigned limit, remaining, window_s;
    unsigned reset_s;         /* until the bucket is full again */
    unsigned retry_after_s;   /* when refused: until one request is allowed */
} throttle_status;
bool throttle_request(throttle *t, const char *credential, throttle_status *st);

#endif
