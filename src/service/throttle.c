/* Abuse limits (see throttle.h and docs/security.md). Every table sits behind one lock of its
 * group: a login's three buckets must be checked and charged together, and a request's one
 * bucket costs a hash lookup, far less than the request. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/throttle.h"
#include "lib/timefmt.h"
#include "lib/xalloc.h"

#define KEY_SEP "\x01"   /* cannot occur in an account (control characters are refused) */

struct throttle {
    pthread_mutex_t login_lock;
    ratelimit *pair, *address, *account;
    ratelimit *trusted;   /* (account, address) pairs that logged in: a bucket a success empties,
                             so the pair is known while it refills (trust_days) */
    pthread_mutex_t request_lock;
    ratelimit *request;
};

static int rule_from_env(const char *name, const char *def, ratelimit_rule *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    if (!v || !*v)
        v = def;
    if (ratelimit_rule_parse(v, out))
        return 0;
    snprintf(err, errlen, "%s must be N/SECONDS (N and SECONDS from 1 to 1000000) or 0 for off, not '%s'", name, v);
    return -1;
}

static int count_from_env(const char *name, long def, long min, long max, long *out, char *err, size_t errlen)
{
    const char *v = getenv(name);
    char *end;
    *out = def;
    if (!v || !*v)
        return 0;
    long n = strtol(v, &end, 10);
    if (*end || v[0] < '0' || v[0] > '9' || n < min || n > max) {
        snprintf(err, errlen, "%s must be a number from %ld to %ld, not '%s'", name, min, max, v);
        return -1;
    }
    *out = n;
    return 0;
}

int throttle_config_from_env(throttle_config *cfg, char *err, size_t errlen)
{
    long trust_days, keys;
    if (rule_from_env("CRMD_RATE_LIMIT", "1200/60", &cfg->request, err, errlen) ||
        rule_from_env("CRMD_LOGIN_LIMIT", "10/600", &cfg->login_pair, err, errlen) ||
        rule_from_env("CRMD_LOGIN_LIMIT_ADDRESS", "50/600", &cfg->login_address, err, errlen) ||
        rule_from_env("CRMD_LOGIN_LIMIT_ACCOUNT", "100/3600", &cfg->login_account, err, errlen) ||
        count_from_env("CRMD_LOGIN_TRUST_DAYS", 30, 0, 3650, &trust_days, err, errlen) ||
        count_from_env("CRMD_RATE_LIMIT_KEYS", 100000, 100, 10000000, &keys, err, errlen))
        return -1;
    cfg->trust_days = (unsigned)trust_days;
    cfg->max_keys = (size_t)keys;
    return 0;
}

throttle *throttle_new(const throttle_config *cfg)
{
    throttle *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->login_lock, NULL);
    pthread_mutex_init(&t->request_lock, NULL);
    t->pair = ratelimit_new(cfg->login_pair, cfg->max_keys);
    t->address = ratelimit_new(cfg->login_address, cfg->max_keys);
    t->account = ratelimit_new(cfg->login_account, cfg->max_keys);
    /* trust_days 0: no pair is ever known, the account bucket applies to every address */
    t->trusted = ratelimit_new((ratelimit_rule){ cfg->trust_days ? 1 : 0, cfg->trust_days * 86400u }, cfg->max_keys);
    t->request = ratelimit_new(cfg->request, cfg->max_keys);
    return t;
}

void throttle_free(throttle *t)
{
    if (!t)
        return;
    ratelimit_free(t->pair);
    ratelimit_free(t->address);
    ratelimit_free(t->account);
    ratelimit_free(t->trusted);
    ratelimit_free(t->request);
    pthread_mutex_destroy(&t->login_lock);
    pthread_mutex_destroy(&t->request_lock);
    free(t);
}

static int64_t now_ms(void)
{
    return time_now_us() / 1000;   /* monotonic: a clock step must not refill or empty buckets */
}

static unsigned to_seconds(int64_t ms)
{
    int64_t s = (ms + 999) / 1000;
    return s > UINT_MAX ? UINT_MAX : (unsigned)s;
}

static void pair_key(char *out, size_t outlen, const char *account, const char *address)
{
    snprintf(out, outlen, "%s" KEY_SEP "%s", account, address);
}

/* Whether the pair logged in within trust_days (its trust bucket is still refilling). */
static bool known(throttle *t, const char *pk, int64_t now)
{
    return ratelimit_get_rule(t->trusted).burst && ratelimit_level(t->trusted, pk, now) == 0;
}

bool throttle_login_begin(throttle *t, const char *account, const char *address, unsigned *retry_after_s)
{
    char pk[512];
    int64_t now = now_ms(), wait = 0, w;
    pair_key(pk, sizeof pk, account, address);
    pthread_mutex_lock(&t->login_lock);
    if ((w = ratelimit_wait_ms(t->pair, pk, now)) > wait)
        wait = w;
    if ((w = ratelimit_wait_ms(t->address, address, now)) > wait)
        wait = w;
    if (!known(t, pk, now) && (w = ratelimit_wait_ms(t->account, account, now)) > wait)
        wait = w;
    pthread_mutex_unlock(&t->login_lock);
    *retry_after_s = to_seconds(wait);
    return wait == 0;
}

void throttle_login_end(throttle *t, const char *account, const char *address, throttle_outcome outcome)
{
    char pk[512];
    int64_t now = now_ms();
    if (outcome == THROTTLE_NEITHER)
        return;
    pair_key(pk, sizeof pk, account, address);
    pthread_mutex_lock(&t->login_lock);
    if (outcome == THROTTLE_SUCCESS) {
        ratelimit_reset(t->pair, pk);
        ratelimit_drain(t->trusted, pk, now);
    } else {
        ratelimit_charge(t->pair, pk, now);
        ratelimit_charge(t->address, address, now);
        if (!known(t, pk, now))
            ratelimit_charge(t->account, account, now);
    }
    pthread_mutex_unlock(&t->login_lock);
}

bool throttle_request(throttle *t, const char *credential, throttle_status *st)
{
    int64_t now = now_ms();
    memset(st, 0, sizeof *st);
    ratelimit_rule rule = ratelimit_get_rule(t->request);
    if (rule.burst == 0)
        return true;
    pthread_mutex_lock(&t->request_lock);
    bool ok = ratelimit_take(t->request, credential, now);
    st->remaining = ratelimit_level(t->request, credential, now);
    st->reset_s = to_seconds(ratelimit_full_in_ms(t->request, credential, now));
    st->retry_after_s = ok ? 0 : to_seconds(ratelimit_wait_ms(t->request, credential, now));
    pthread_mutex_unlock(&t->request_lock);
    st->limit = rule.burst;
    st->window_s = rule.window_s;
    return ok;
}
