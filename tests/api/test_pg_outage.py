"""PostgreSQL going away under a running server: requests get 503 unavailable with Retry-After and
the error envelope (never a 2xx for a write that is not stored, never a crash), /readyz says 503,
and the same process serves again on its own once the database is back; a kill -9 of the whole
database server (a server of the test's own) under concurrent writers loses no acknowledged contact."""

import time

import harness as h
from harness import ApiTest

BACKENDS = ("postgres",)

# How long the server may take to serve again after the database is back (the requirement is
# 5 seconds; the margin is for a loaded test machine).
RECOVERY_DEADLINE = 15.0


class Outage(ApiTest):
    def setUp(self):
        # A PostgreSQL server of this test's own: stopping the tier's shared one would fail the
        # tiers that run beside this one.
        self.pg = h.PgServer()
        try:
            # Request limits off: 8 writers flood with one token.
            self.srv = h.Server(env={"CRMD_RATE_LIMIT": "0"}, db_url=self.pg.url())
            self.srv.init()
            self.srv.start()
        except BaseException:
            self.pg.destroy()
            raise
        h.SERVER = self.srv
        h._token_cache.clear()

    def tearDown(self):
        self.srv.cleanup()
        self.pg.destroy()
        h.SERVER = None
        h._token_cache.clear()

    def db_stop(self, how="stop"):
        self.pg.ctl(how)

    def db_start(self):
        self.pg.ctl("start")

    def wait_ready(self):
        deadline = time.time() + RECOVERY_DEADLINE
        while time.time() < deadline:
            if h.get("/readyz").status == 200:
                return
            time.sleep(0.1)
        self.fail("the server did not answer /readyz 200 within %.0fs of the database's return"
                  % RECOVERY_DEADLINE)

    def test_requests_get_503_then_the_server_recovers(self):
        o = h.create_org()
        c = h.create_contact(o.token, firstName="Before")
        self.db_stop()

        r = h.get("/readyz")
        self.assertError(r, 503, "unavailable")
        self.assertEqual(h.get("/healthz").status, 200, "the process itself is alive")
        r = h.get("/api/contacts/" + c["_id"], token=o.token)
        self.assertError(r, 503, "unavailable")
        self.assertTrue(r.headers.get("Retry-After", "").isdigit(), "Retry-After: %r" % r)
        self.assertTrue(r.headers.get("X-Request-Id"), "X-Request-Id on a 503")
        for word in ("postgres", "sqlstate", "socket", "select "):
            self.assertNotIn(word, r.body.decode("utf-8", "replace").lower(), "leaks internals")
        phone = h.us_phone()
        r = h.post("/api/contact", {"phoneNumber": phone, "firstName": "During"}, token=o.token)
        self.assertError(r, 503, "unavailable")
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "Changed"}, token=o.token)
        self.assertError(r, 503, "unavailable")
        self.assertTrue(self.srv.alive(), "crmd must not exit while its database is away")

        self.db_start()
        self.wait_ready()
        g = h.get("/api/contacts/" + c["_id"], token=o.token)
        self.assertStatus(g, 200)
        self.assertEqual(g.json["data"]["contact"]["firstName"], "Before", "the refused PATCH wrote nothing")
        lst = h.get("/api/contacts?ownerFilter=all", token=o.token)
        self.assertEqual(lst.json["data"]["total"], 1, "the refused create wrote nothing")
        r = h.post("/api/contact", {"phoneNumber": phone, "firstName": "After"}, token=o.token)
        self.assertStatus(r, 201, "its number is still free")

    def test_kill9_of_the_database_under_concurrent_writers(self):
        o = h.create_org()
        tok = o.token   # logged in once, before the crash
        load = h.CreateLoad(tok)
        try:
            time.sleep(1.0)
            self.db_stop("kill9")
            time.sleep(1.0)
            self.db_start()
            self.wait_ready()
            time.sleep(0.5)
        finally:
            load.stop()

        self.assertEqual(load.answers["other"], [], "every create was answered 201 or 503 unavailable")
        self.assertGreater(load.answers["201"], 0, "creates succeeded around the crash")
        self.assertGreater(load.answers["unavailable"], 0, "creates were refused while the database was down")
        self.assertTrue(self.srv.alive())
        for c in load.acked:
            g = h.get("/api/contacts/" + c["_id"], token=tok)
            self.assertStatus(g, 200, "acknowledged contact %s lost in the crash" % c["_id"])
            self.assertEqual(g.json["data"]["contact"], c)
