/* Token buckets by key, in memory: "burst N per W seconds" lets a key spend up to N at once and
 * earns them back at N/W per second. A key never seen, or whose bucket has refilled, is full;
 * such entries are dropped first when the table reaches its size, so its memory stays bounded
 * however many keys callers invent. Not thread-safe: the caller serializes (one lock around
 * the calls that must be atomic together). Times are the caller's monotonic milliseconds. */
#ifndef CRM_RATELIMIT_H
#define CRM_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ratelimit_rule {
    unsigned burst;      /* bucket size; 0: the rule is off (every take succeeds) */
    unsigned window_s;   /* seconds in which an empty bucket refills completely (>= 1) */
} ratelimit_rule;

/* Parses "N/SECONDS" (e.g. "1200/60") or "0" (off). Returns false on anything else, or N or
 * SECONDS out of 1..1000000. */
bool ratelimit_rule_parse(const char *text, ratelimit_rule *out);

typedef struct ratelimit ratelimit;

/* max_keys: how many buckets that are not full the table keeps at most (>= 1). When it is
 * full of them, a new key takes the place of a sampled one that is closest to full (the least
 * information lost). Caller owns; free with ratelimit_free. */
ratelimit *ratelimit_new(ratelimit_rule rule, size_t max_keys);
void ratelimit_free(ratelimit *rl);
ratelimit_rule ratelimit_get_rule(const ratelimit *rl);

/* Tokens in key's bucket at now (burst for an unknown key), whole tokens. */
unsigned ratelimit_level(ratelimit *rl, const char *key, int64_t now_ms);
/* Milliseconds until key's bucket holds at least one token (0: it does now). */
int64_t ratelimit_wait_ms(ratelimit *rl, const char *key, int64_t now_ms);
/* Milliseconds until key's bucket is full again (0: it is). */
int64_t ratelimit_full_in_ms(ratelimit *rl, const char *key, int64_t now_ms);
/* Takes one token if there is one: true. Otherwise false, and nothing changes. */
bool ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms);
/* Takes one token even when there is none: the bucket goes into debt (down to -burst), which
 * it pays off before it allows anything again. For costs known only afterwards (a failed
 * login), so that attempts that were let through together are all paid for. */
void ratelimit_charge(ratelimit *rl, const char *key, int64_t now_ms);
/* Empties key's bucket; it refills over the window from now. */
void ratelimit_drain(ratelimit *rl, const char *key, int64_t now_ms);
/* Forgets key: its bucket is full again. */
void ratelimit_reset(ratelimit *rl, const char *key);
size_t ratelimit_size(const ratelimit *rl);   /* entries held now (for tests and metrics) */

#endif
