/* service/throttle: which login attempts the buckets let through, and the reservation that
 * keeps concurrent guesses from sharing the last token. Windows are an hour long, so nothing
 * refills while the test runs. */
#include <string.h>

#include "service/throttle.h"
#include "tap.h"

static throttle *fresh(void)
{
    throttle_config cfg = {
        .request = { 2, 3600 },
        .login_pair = { 3, 3600 },
        .login_address = { 6, 3600 },
        .login_account = { 4, 3600 },
        .trust_days = 30,
        .max_keys = 1000,
    };
    return throttle_new(&cfg);
}

static bool attempt(throttle *t, const char *account, const char *address, throttle_outcome outcome)
{
    unsigned wait;
    if (!throttle_login_begin(t, account, address, &wait))
        return false;
    throttle_login_end(t, account, address, outcome);
    return true;
}

int main(void)
{
    unsigned wait = 0;
    throttle *t = fresh();

    /* The real user logged in from home once: home is known to the account. */
    ok(attempt(t, "ann@x.io", "home", THROTTLE_SUCCESS), "ann logs in from home");
    for (int i = 0; i < 3; i++)
        ok(attempt(t, "ann@x.io", "evil1", THROTTLE_FAILURE), "guess %d from evil1", i + 1);
    ok(!throttle_login_begin(t, "ann@x.io", "evil1", &wait), "the 4th from evil1 waits");
    ok(wait >= 1199 && wait <= 1201, "for one token of the pair: 3600 s / 3 (%u s)", wait);
    ok(attempt(t, "ann@x.io", "evil2", THROTTLE_FAILURE), "one guess from evil2: the account's 4th failure");
    ok(!throttle_login_begin(t, "ann@x.io", "evil3", &wait), "a new address waits once the account has 4 failures");
    ok(wait >= 899 && wait <= 901, "for one token of the account: 3600 s / 4 (%u s)", wait);
    ok(attempt(t, "ann@x.io", "home", THROTTLE_SUCCESS), "ann still logs in from home");
    ok(attempt(t, "bob@x.io", "evil3", THROTTLE_FAILURE), "another account is not affected");

    /* A success forgets the pair's failures. */
    ok(attempt(t, "cy@x.io", "office", THROTTLE_FAILURE) && attempt(t, "cy@x.io", "office", THROTTLE_FAILURE),
       "cy mistypes twice");
    ok(attempt(t, "cy@x.io", "office", THROTTLE_SUCCESS), "then gets it right");
    for (int i = 0; i < 3; i++)
        ok(attempt(t, "cy@x.io", "office", THROTTLE_FAILURE), "and has three tries again (%d)", i + 1);
    ok(!throttle_login_begin(t, "cy@x.io", "office", &wait), "not four");

    /* Attempts that are neither success nor failure (storage down) give their tokens back. */
    for (int i = 0; i < 10; i++)
        ok(attempt(t, "dee@x.io", "cafe", THROTTLE_NEITHER), "storage down %d: not counted", i + 1);

    /* Concurrent logins: a user's parallel correct logins never throttle each other ... */
    for (int i = 0; i < 20; i++)
        ok(throttle_login_begin(t, "eve@x.io", "lab", &wait), "login %d in flight", i + 1);
    for (int i = 0; i < 20; i++)
        throttle_login_end(t, "eve@x.io", "lab", THROTTLE_SUCCESS);
    ok(throttle_login_begin(t, "eve@x.io", "lab", &wait), "and leave nothing behind");
    /* ... while concurrent guesses that got through together are all paid for. */
    for (int i = 0; i < 5; i++)
        ok(throttle_login_begin(t, "fay@x.io", "lab2", &wait), "guess %d in flight", i + 1);
    for (int i = 0; i < 5; i++)
        throttle_login_end(t, "fay@x.io", "lab2", THROTTLE_FAILURE);
    ok(!throttle_login_begin(t, "fay@x.io", "lab2", &wait), "then the pair waits");
    ok(wait >= 3599 && wait <= 3601, "for the 2 guesses of debt and one more: 3 x 1200 s (%u s)", wait);

    /* The address bucket: many accounts from one address. */
    throttle_free(t);
    t = fresh();
    char account[32];
    int through = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(account, sizeof account, "user%d@x.io", i);
        through += attempt(t, account, "sprayer", THROTTLE_FAILURE);
    }
    is_int(through, 6, "one address gets 6 failures across accounts");
    ok(attempt(t, "user0@x.io", "elsewhere", THROTTLE_SUCCESS), "the accounts still log in from elsewhere");

    /* Requests per credential */
    throttle_status st;
    ok(throttle_request(t, "u1:jwt", &st) && st.limit == 2 && st.remaining == 1 && st.window_s == 3600,
       "first request: 1 of 2 left");
    ok(throttle_request(t, "u1:jwt", &st) && st.remaining == 0 && st.reset_s > 0, "second: none left");
    bool refused = !throttle_request(t, "u1:jwt", &st);
    ok(refused && st.retry_after_s >= 1799 && st.retry_after_s <= 1801 && st.remaining == 0,
       "third refused; one more in half the window (%u s)", st.retry_after_s);
    ok(throttle_request(t, "u1:key", &st) && st.remaining == 1, "the same user's API key has its own bucket");
    ok(throttle_request(t, "u2:jwt", &st), "another user too");
    throttle_free(t);

    throttle_config off = { .request = { 0, 1 }, .login_pair = { 0, 1 }, .login_address = { 0, 1 },
                            .login_account = { 0, 1 }, .trust_days = 0, .max_keys = 100 };
    t = throttle_new(&off);
    for (int i = 0; i < 100; i++)
        attempt(t, "ann@x.io", "evil", THROTTLE_FAILURE);
    ok(attempt(t, "ann@x.io", "evil", THROTTLE_FAILURE), "rules at 0 are off");
    ok(throttle_request(t, "u1:jwt", &st) && st.limit == 0, "and requests carry no limit");
    throttle_free(t);
    return tap_done();
}
