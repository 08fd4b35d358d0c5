/* Token buckets by key (see ratelimit.h): a chained hash table under a secret SipHash key, so
 * that keys an attacker picks (emails, addresses) cannot all land in one chain. */
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "lib/ratelimit.h"
#include "lib/xalloc.h"

#define RATELIMIT_SAMPLES 8
#define RATELIMIT_SWEEP_EVERY_MS 1000

typedef struct entry {
    struct entry *next;
    double level;   /* tokens at `at` */
    int64_t at;
    char key[];
} entry;

struct ratelimit {
    ratelimit_rule rule;
    double per_ms;   /* tokens earned per millisecond */
    size_t max_keys, count, nslots;
    entry **slots;
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    int64_t last_sweep;
};

bool ratelimit_rule_parse(const char *text, ratelimit_rule *out)
{
    char *end;
    if (!text)
        return false;
    if (strcmp(text, "0") == 0) {
        *out = (ratelimit_rule){ 0, 1 };
        return true;
    }
    if (*text < '0' || *text > '9')
        return false;
    unsigned long n = strtoul(text, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long w = strtoul(end + 1, &end, 10);
    if (*end || n < 1 || n > 1000000 || w < 1 || w > 1000000)
        return false;
    *out = (ratelimit_rule){ (unsigned)n, (unsigned)w };
    return true;
}

ratelimit *ratelimit_new(ratelimit_rule rule, size_t max_keys)
{
    ratelimit *rl = xcalloc(1, sizeof *rl);
    if (sodium_init() < 0)
        abort();
    rl->rule = rule;
    if (rl->rule.window_s == 0)
        rl->rule.window_s = 1;
    rl->per_ms = (double)rl->rule.burst / (rl->rule.window_s * 1000.0);
    rl->max_keys = max_keys ? max_keys : 1;
    rl->nslots = 16;
    while (rl->nslots < rl->max_keys && rl->nslots < ((size_t)1 << 24))
        rl->nslots <<= 1;
    rl->slots = xcalloc(rl->nslots, sizeof *rl->slots);
    randombytes_buf(rl->hash_key, sizeof rl->hash_key);
    return rl;
}

void ratelimit_free(ratelimit *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->nslots; i++)
        for (entry *e = rl->slots[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    free(rl->slots);
    free(rl);
}

ratelimit_rule ratelimit_get_rule(const ratelimit *rl)
{
    return rl->rule;
}

size_t ratelimit_size(const ratelimit *rl)
{
    return rl->count;
}

static size_t slot_of(const ratelimit *rl, const char *key)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v = 0;
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), rl->hash_key);
    memcpy(&v, h, sizeof v < sizeof h ? sizeof v : sizeof h);
    return (size_t)(v & (rl->nslots - 1));
}

static double level_at(const ratelimit *rl, const entry *e, int64_t now_ms)
{
    double elapsed = now_ms > e->at ? (double)(now_ms - e->at) : 0;
    double level = e->level + elapsed * rl->per_ms;
    return level > rl->rule.burst ? rl->rule.burst : level;
}

static entry *find(const ratelimit *rl, const char *key, entry ***link_out)
{
    entry **link = &rl->slots[slot_of(rl, key)];
    for (; *link; link = &(*link)->next)
        if (strcmp((*link)->key, key) == 0)
            break;
    if (link_out)
        *link_out = link;
    return *link;
}

static void unlink_free(ratelimit *rl, entry **link)
{
    entry *e = *link;
    *link = e->next;
    free(e);
    rl->count--;
}

/* Full buckets carry nothing an absent key would not: drop them. */
static void sweep(ratelimit *rl, int64_t now_ms)
{
    rl->last_sweep = now_ms;
    for (size_t i = 0; i < rl->nslots; i++)
        for (entry **link = &rl->slots[i]; *link;) {
            if (level_at(rl, *link, now_ms) >= rl->rule.burst)
                unlink_free(rl, link);
            else
                link = &(*link)->next;
        }
}

/* The fullest entry of a few chains at random goes: a cheap stand-in for "least recently
 * drained". Every entry of a sampled chain counts, not its head alone: eviction from heads
 * empties short chains first, and under a flood of new keys the table ended as a few long chains,
 * so that 8 samples could all land on a drained bucket's chain and evict it (1 run in 60 of
 * test_ratelimit's flood; a drained bucket evicted is a limit reset). */
static void evict_one(ratelimit *rl, int64_t now_ms)
{
    entry **victim = NULL;
    double best = -1;
    for (int n = 0, tries = 0; n < RATELIMIT_SAMPLES && tries < RATELIMIT_SAMPLES * 64; tries++) {
        size_t i = randombytes_uniform((uint32_t)(rl->nslots > UINT32_MAX ? UINT32_MAX : rl->nslots));
        if (!rl->slots[i])
            continue;
        n++;
        for (entry **link = &rl->slots[i]; *link; link = &(*link)->next) {
            double l = level_at(rl, *link, now_ms);
            if (l > best) {
                best = l;
                victim = link;
            }
        }
    }
    for (size_t i = 0; !victim && i < rl->nslots; i++)   /* a sparse table: take any */
        if (rl->slots[i])
            victim = &rl->slots[i];
    if (victim)
        unlink_free(rl, victim);
}

/* The entry of key, created (full) when absent. */
static entry *get(ratelimit *rl, const char *key, int64_t now_ms)
{
    entry **link;
    entry *e = find(rl, key, &link);
    if (e)
        return e;
    if (rl->count >= rl->max_keys) {
        if (now_ms - rl->last_sweep >= RATELIMIT_SWEEP_EVERY_MS)
            sweep(rl, now_ms);
        while (rl->count >= rl->max_keys)
            evict_one(rl, now_ms);
        find(rl, key, &link);   /* the chain may have changed */
    }
    size_t n = strlen(key) + 1;
    e = xmalloc(sizeof *e + n);
    memcpy(e->key, key, n);
    e->level = rl->rule.burst;
    e->at = now_ms;
    e->next = NULL;
    *link = e;
    rl->count++;
    return e;
}

unsigned ratelimit_level(ratelimit *rl, const char *key, int64_t now_ms)
{
    entry *e = find(rl, key, NULL);
    if (!e)
        return rl->rule.burst;
    double l = level_at(rl, e, now_ms);
    return l > 0 ? (unsigned)l : 0;   /* a bucket in debt has nothing */
}

int64_t ratelimit_wait_ms(ratelimit *rl, const char *key, int64_t now_ms)
{
    entry *e = find(rl, key, NULL);
    if (!e || rl->rule.burst == 0)
        return 0;
    double l = level_at(rl, e, now_ms);
    if (l >= 1)
        return 0;
    double ms = (1 - l) / rl->per_ms;
    return (int64_t)ms + 1;
}

int64_t ratelimit_full_in_ms(ratelimit *rl, const char *key, int64_t now_ms)
{
    entry *e = find(rl, key, NULL);
    if (!e || rl->rule.burst == 0)
        return 0;
    double missing = rl->rule.burst - level_at(rl, e, now_ms);
    return missing > 0 ? (int64_t)(missing / rl->per_ms) + 1 : 0;
}

bool ratelimit_take(ratelimit *rl, const char *key, int64_t now_ms)
{
    if (rl->rule.burst == 0)
        return true;
    entry *e = get(rl, key, now_ms);
    double l = level_at(rl, e, now_ms);
    if (l < 1)
        return false;
    e->level = l - 1;
    e->at = now_ms;
    return true;
}

void ratelimit_charge(ratelimit *rl, const char *key, int64_t now_ms)
{
    if (rl->rule.burst == 0)
        return;
    entry *e = get(rl, key, now_ms);
    double l = level_at(rl, e, now_ms) - 1;
    e->level = l < -(double)rl->rule.burst ? -(double)rl->rule.burst : l;
    e->at = now_ms;
}

void ratelimit_drain(ratelimit *rl, const char *key, int64_t now_ms)
{
    if (rl->rule.burst == 0)
        return;
    entry *e = get(rl, key, now_ms);
    e->level = 0;
    e->at = now_ms;
}

void ratelimit_reset(ratelimit *rl, const char *key)
{
    entry **link;
    if (find(rl, key, &link))
        unlink_free(rl, link);
}
