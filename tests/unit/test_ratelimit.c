/* lib/ratelimit: token buckets by key, with the clock in the test's hands. */
#include <stdio.h>
#include <string.h>

#include "lib/ratelimit.h"
#include "tap.h"

static void test_parse(void)
{
    ratelimit_rule r;
    ok(ratelimit_rule_parse("1200/60", &r) && r.burst == 1200 && r.window_s == 60, "1200/60");
    ok(ratelimit_rule_parse("0", &r) && r.burst == 0, "0 is off");
    static const char *const bad[] = { "", "60", "/60", "10/", "10/0", "0/10", "-1/10", "10/-1", "10/6x", "x/10",
                                       "10 /60", "1000001/1", "1/1000001", "10/60/1", " 10/60", "+10/60", NULL };
    for (int i = 0; bad[i]; i++)
        ok(!ratelimit_rule_parse(bad[i], &r), "'%s' is refused", bad[i]);
    ok(!ratelimit_rule_parse(NULL, &r), "NULL is refused");
}

static void test_bucket(void)
{
    ratelimit *rl = ratelimit_new((ratelimit_rule){ 3, 30 }, 100);   /* one token per 10 s */
    int64_t t = 1000000;
    is_int(ratelimit_level(rl, "a", t), 3, "an unknown key is full");
    is_int(ratelimit_size(rl), 0, "and takes no room");
    ok(ratelimit_take(rl, "a", t) && ratelimit_take(rl, "a", t) && ratelimit_take(rl, "a", t), "three at once");
    ok(!ratelimit_take(rl, "a", t), "not a fourth");
    is_int(ratelimit_level(rl, "a", t), 0, "empty");
    is_int(ratelimit_wait_ms(rl, "a", t), 10001, "one token in 10 s");
    is_int(ratelimit_full_in_ms(rl, "a", t), 30001, "full in 30 s");
    ok(ratelimit_take(rl, "b", t), "another key has its own bucket");
    ok(!ratelimit_take(rl, "a", t + 9999), "still empty after 9.999 s");
    ok(ratelimit_take(rl, "a", t + 10000), "one token after 10 s");
    ok(!ratelimit_take(rl, "a", t + 10000), "only one");
    is_int(ratelimit_level(rl, "a", t + 10000 + 60000), 3, "never more than the burst");
    ratelimit_charge(rl, "a", t + 10000);
    ratelimit_charge(rl, "a", t + 10000);
    is_int(ratelimit_level(rl, "a", t + 10000), 0, "charged into debt: nothing left");
    is_int(ratelimit_wait_ms(rl, "a", t + 10000), 30001, "and three tokens' time to the next one");
    for (int i = 0; i < 10; i++)
        ratelimit_charge(rl, "a", t + 10000);
    is_int(ratelimit_wait_ms(rl, "a", t + 10000), 40001, "debt stops at minus the burst");
    ok(ratelimit_take(rl, "a", t + 50000) && !ratelimit_take(rl, "a", t + 50000), "paid off after 40 s");
    ratelimit_drain(rl, "b", t);
    is_int(ratelimit_level(rl, "b", t), 0, "drained");
    ratelimit_reset(rl, "b");
    is_int(ratelimit_level(rl, "b", t), 3, "reset is full");
    ratelimit_charge(rl, "c", t);
    is_int(ratelimit_level(rl, "c", t), 2, "a charge to a full bucket takes one");
    is_int(ratelimit_wait_ms(rl, "c", t), 0, "no wait while tokens remain");
    ratelimit_drain(rl, "d", t + 20000);
    ok(!ratelimit_take(rl, "d", t + 10000), "a clock that goes back earns nothing");
    ratelimit_free(rl);

    rl = ratelimit_new((ratelimit_rule){ 0, 1 }, 10);
    for (int i = 0; i < 1000; i++)
        ratelimit_take(rl, "x", t);
    ok(ratelimit_take(rl, "x", t) && ratelimit_size(rl) == 0, "an off rule allows everything and keeps nothing");
    ratelimit_free(rl);
}

/* However many keys arrive, the table holds at most max_keys, and prefers to keep the emptiest. */
static void test_bounded(void)
{
    ratelimit *rl = ratelimit_new((ratelimit_rule){ 5, 50 }, 100);
    int64_t t = 5000000;
    char key[32];
    for (int i = 0; i < 5; i++)
        ratelimit_take(rl, "victim", t);
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ratelimit_take(rl, key, t);
    }
    ok(ratelimit_size(rl) <= 100, "10000 keys, at most 100 entries (%zu)", ratelimit_size(rl));
    is_int(ratelimit_level(rl, "victim", t), 0, "the empty bucket outlived the nearly full ones");
    /* once they have refilled, a sweep clears them for new keys */
    ok(ratelimit_take(rl, "late", t + 60000) && ratelimit_size(rl) == 1, "refilled entries are swept (%zu left)",
       ratelimit_size(rl));
    ratelimit_free(rl);
}

int main(void)
{
    test_parse();
    test_bucket();
    test_bounded();
    return tap_done();
}
