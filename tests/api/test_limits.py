"""Abuse limits (docs/security.md, "Login throttling and rate limits"): failed logins throttled
per (account, address), per address and per account with 429 rate_limited and Retry-After,
without locking the real user out; request rate limits per credential with the RateLimit-*
headers. Each class runs a server of its own with small limits set through the environment;
client addresses are told apart by connecting from different addresses of 127.0.0.0/8."""

import time

import harness as h
from harness import ApiTest

WRONG = "not-the-password-1"


def login_from(source, email, password):
    return h.request("POST", "/api/auth/login", {"email": email, "password": password}, source=source)


class OwnServer(ApiTest):
    """A server of the class's own, started with SERVER_ENV (limits are state of the process)."""
    SERVER_ENV = {}

    @classmethod
    def setUpClass(cls):
        cls.saved = h.SERVER
        cls.srv = h.Server(env=cls.SERVER_ENV)
        cls.srv.init()
        cls.srv.start()
        h.SERVER = cls.srv
        h._token_cache.clear()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        h.SERVER = cls.saved
        h._token_cache.clear()

    def assertRateLimited(self, r, max_wait):
        self.assertError(r, 429, "rate_limited")
        ra = r.headers.get("Retry-After")
        self.assertIsNotNone(ra, "a 429 without Retry-After")
        self.assertTrue(ra.isdigit(), "Retry-After %r is not delta-seconds" % ra)
        self.assertGreaterEqual(int(ra), 1)
        self.assertLessEqual(int(ra), max_wait)
        return int(ra)


class LoginThrottling(OwnServer):
    # Per (account, address): 3 failures, then one more every 200 s. Per address: 6. Per account
    # (from addresses it never logged in from): 5. Request limits off, not to mix the two.
    SERVER_ENV = {"CRMD_LOGIN_LIMIT": "3/600", "CRMD_LOGIN_LIMIT_ADDRESS": "6/600",
                  "CRMD_LOGIN_LIMIT_ACCOUNT": "5/600", "CRMD_RATE_LIMIT": "0"}

    def user(self):
        o = h.create_org()
        return o.add_user("SALES_REP")

    def test_429_after_failures_then_even_the_right_password_waits(self):
        u = self.user()
        for i in range(3):
            self.assertError(login_from("127.0.0.11", u.email, WRONG), 401, "unauthorized", msg="failure %d" % i)
        r = login_from("127.0.0.11", u.email, WRONG)
        self.assertRateLimited(r, 200)
        # Throttled before the password is checked: a right guess now would tell nothing.
        self.assertRateLimited(login_from("127.0.0.11", u.email, u.password), 200)
        # The same account spelled otherwise is the same account.
        self.assertRateLimited(login_from("127.0.0.11", "  " + u.email.upper(), u.password), 200)

    def test_real_user_logs_in_from_another_address(self):
        u = self.user()
        for _ in range(3):
            self.assertStatus(login_from("127.0.0.12", u.email, WRONG), 401)
        self.assertRateLimited(login_from("127.0.0.12", u.email, WRONG), 200)
        r = login_from("127.0.0.13", u.email, u.password)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["user"]["email"], u.email)
        self.assertEqual(h.get("/api/auth/verify-token", token=r.json["token"]).status, 200)

    def test_success_resets_the_failures(self):
        u = self.user()
        for _ in range(2):
            self.assertStatus(login_from("127.0.0.14", u.email, WRONG), 401)
        self.assertStatus(login_from("127.0.0.14", u.email, u.password), 200)
        for i in range(3):
            self.assertError(login_from("127.0.0.14", u.email, WRONG), 401, "unauthorized",
                             msg="failure %d after the success" % i)
        self.assertRateLimited(login_from("127.0.0.14", u.email, WRONG), 200)

    def test_account_limit_spares_addresses_the_user_logged_in_from(self):
        u = self.user()
        self.assertStatus(login_from("127.0.0.15", u.email, u.password), 200)   # the user's usual place
        # A distributed guesser: 3 failures from one address, 2 from another, and the account
        # has had its 5 from addresses it does not know.
        for _ in range(3):
            self.assertStatus(login_from("127.0.0.16", u.email, WRONG), 401)
        for _ in range(2):
            self.assertStatus(login_from("127.0.0.17", u.email, WRONG), 401)
        self.assertRateLimited(login_from("127.0.0.17", u.email, WRONG), 120)
        self.assertRateLimited(login_from("127.0.0.18", u.email, u.password), 120)
        # ... but the user, from where they logged in before, is not locked out.
        r = login_from("127.0.0.15", u.email, u.password)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["user"]["email"], u.email)

    def test_address_limit_across_accounts(self):
        # Password spraying: one wrong password for many accounts from one address.
        for i in range(6):
            self.assertStatus(login_from("127.0.0.19", h.unique_email("spray"), WRONG), 401, msg="account %d" % i)
        self.assertRateLimited(login_from("127.0.0.19", h.unique_email("spray"), WRONG), 100)
        u = self.user()
        self.assertRateLimited(login_from("127.0.0.19", u.email, u.password), 100)
        self.assertStatus(login_from("127.0.0.20", u.email, u.password), 200)

    def test_unknown_and_malformed_accounts_count_alike(self):
        # An address that is no account, or no email at all, is throttled like a real one: the
        # 429 must not tell which accounts exist.
        for email in (h.unique_email("ghost"), "not an email"):
            for _ in range(3):
                self.assertError(login_from("127.0.0.21", email, WRONG), 401, "unauthorized")
            self.assertRateLimited(login_from("127.0.0.21", email, WRONG), 200)

    def test_bad_requests_are_not_failures(self):
        u = self.user()
        for _ in range(10):
            self.assertError(h.request("POST", "/api/auth/login", {"email": u.email}, source="127.0.0.22"),
                             400, "validation_failed")
            self.assertError(h.request("POST", "/api/auth/login", raw=b"{", source="127.0.0.22"), 400,
                             "invalid_json")
        self.assertStatus(login_from("127.0.0.22", u.email, u.password), 200)

    def test_other_accounts_unaffected(self):
        a, b = self.user(), self.user()
        for _ in range(3):
            self.assertStatus(login_from("127.0.0.23", a.email, WRONG), 401)
        self.assertRateLimited(login_from("127.0.0.23", a.email, WRONG), 200)
        self.assertStatus(login_from("127.0.0.23", b.email, b.password), 200)


class RequestLimits(OwnServer):
    # 4 requests at once per credential, one more every second.
    SERVER_ENV = {"CRMD_RATE_LIMIT": "4/4"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.org = h.create_org()

    def burn(self, token, source=None):
        """Requests until the first 429 (at most 40); returns (the 2xx replies, the 429)."""
        ok = []
        for _ in range(40):
            r = h.get("/api/user/profile", token=token) if source is None else \
                h.request("GET", "/api/user/profile", token=token, source=source)
            if r.status == 429:
                return ok, r
            self.assertStatus(r, 200)
            ok.append(r)
        self.fail("no 429 after 40 requests with a limit of 4 per 4 s")

    def check_headers(self, r):
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"):
            self.assertIsNotNone(r.headers.get(name), "no %s on %r" % (name, r))
        self.assertEqual(r.headers["RateLimit-Limit"], "4")
        self.assertEqual(r.headers["RateLimit-Policy"], "4;w=4")
        remaining, reset = int(r.headers["RateLimit-Remaining"]), int(r.headers["RateLimit-Reset"])
        self.assertTrue(0 <= remaining <= 3, r.headers)
        self.assertTrue(0 <= reset <= 4, r.headers)
        return remaining, reset

    def test_headers_then_429_then_allowed_again(self):
        u = self.org.add_user("SALES_REP")
        tok = u.token
        ok, refused = self.burn(tok)
        self.assertGreaterEqual(len(ok), 4, "fewer than the 4 requests of the limit were let through")
        self.assertEqual(self.check_headers(ok[0])[0], 3, "the first request leaves 3")
        for r in ok:
            self.check_headers(r)
        self.assertEqual(self.check_headers(refused)[0], 0)
        wait = self.assertRateLimited(refused, 1)
        self.assertGreaterEqual(int(refused.headers["RateLimit-Reset"]), 1)
        time.sleep(wait)
        r = h.get("/api/user/profile", token=tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["user"]["email"], u.email)

    def test_limits_are_per_user(self):
        a, b = self.org.add_user("SALES_REP"), self.org.add_user("SALES_REP")
        ta, tb = a.token, b.token
        # A second JWT of a, taken before the burst: a login can be slow (Argon2), and the
        # bucket must not refill between the 429 and the request with it.
        fresh = h.login_raw(a.email, a.password)
        self.assertStatus(fresh, 200)
        self.burn(ta)
        # Another JWT of the same user shares a's bucket: logging in again is no way around it.
        self.assertRateLimited(h.get("/api/user/profile", token=fresh.json["token"]), 1)
        # Another user is not slowed by a's burst.
        r = h.get("/api/user/profile", token=tb)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["user"]["email"], b.email)
        self.assertEqual(self.check_headers(r)[0], 3)

    def test_api_key_has_its_own_bucket(self):
        u = self.org.add_user("SALES_REP")
        tok = u.token
        r = h.post("/api/user/api-key/regenerate", token=tok)
        self.assertStatus(r, 200)
        key = r.json["data"]["apiKey"]
        self.burn(tok)
        r = h.get("/api/user/profile", token=key)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["user"]["email"], u.email)
        self.assertEqual(self.check_headers(r)[0], 3, "the API key's bucket is fresh")
        self.burn(key)

    def test_refused_request_has_no_effect(self):
        tok = self.org.token
        before = self.assertOk(h.get("/api/contacts?ownerFilter=all&size=1", token=tok))
        self.burn(tok)
        r = h.post("/api/contact", {"firstName": "Not", "lastName": "Created", "phoneNumber": h.us_phone()},
                   token=tok)
        self.assertRateLimited(r, 1)
        time.sleep(int(r.headers["Retry-After"]))
        after = self.assertOk(h.get("/api/contacts?ownerFilter=all&size=1", token=tok))
        self.assertEqual(after.get("total"), before.get("total"), "a refused create wrote a contact")

    def test_unauthenticated_and_public_requests_carry_no_limit(self):
        r = h.get("/healthz")
        self.assertStatus(r, 200)
        self.assertIsNone(r.headers.get("RateLimit-Limit"))
        r = h.get("/api/user/profile", token="not-a-token")
        self.assertError(r, 401, "unauthorized")
        self.assertIsNone(r.headers.get("RateLimit-Limit"))


class Defaults(OwnServer):
    SERVER_ENV = {}

    def test_default_request_limit_is_documented_one(self):
        r = h.get("/api/user/profile", token=h.sa_token())
        self.assertStatus(r, 200)
        self.assertEqual(r.headers.get("RateLimit-Limit"), "1200")
        self.assertEqual(r.headers.get("RateLimit-Policy"), "1200;w=60")
        self.assertEqual(r.headers.get("RateLimit-Remaining"), "1199")

    def test_a_few_typos_are_no_lockout(self):
        o = h.create_org()
        for _ in range(5):
            self.assertStatus(login_from("127.0.0.31", o.admin.email, WRONG), 401)
        self.assertStatus(login_from("127.0.0.31", o.admin.email, o.admin.password), 200)

    def test_bad_setting_refuses_to_start(self):
        for name, value in (("CRMD_RATE_LIMIT", "fast"), ("CRMD_LOGIN_LIMIT", "10/0"),
                            ("CRMD_LOGIN_LIMIT_ACCOUNT", "-5/60"), ("CRMD_LOGIN_TRUST_DAYS", "x"),
                            ("CRMD_RATE_LIMIT_KEYS", "5")):
            r = h.run_cli(["serve", "--db", self.srv.db_url, "--listen", "127.0.0.1:%d" % h.free_port()],
                          env={name: value}, timeout=20)
            self.assertEqual(r.returncode, 1, "%s=%s: %s" % (name, value, r.stderr))
            self.assertIn(name, r.stderr)
