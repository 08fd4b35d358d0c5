"""Durability: a 201 means the contact is on disk (kill -9 right after); tokens survive restarts;
SIGTERM finishes and exits 0."""

import os
import random
import signal
import socket
import time

import harness as h
from harness import ApiTest


class Durability(ApiTest):
    def setUp(self):
        # Writes and reads back as many contacts as it can with one token: no request limit
        # (test_limits tests that).
        self.srv = h.Server(env={"CRMD_RATE_LIMIT": "0"})
        self.srv.init()
        self.srv.start()
        h.SERVER = self.srv          # so the runner prints this server's log on failure
        h._token_cache.clear()

    def tearDown(self):
        self.srv.cleanup()
        h.SERVER = None
        h._token_cache.clear()

    def restart(self, kill9=False):
        if kill9:
            self.srv.kill()
        else:
            rc = self.srv.stop()
            self.assertEqual(rc, 0, "crmd did not exit 0 on SIGTERM")
        h._token_cache.clear()
        self.srv.start()

    def test_kill9_after_acknowledged_creates(self):
        o = h.create_org()
        tok = o.token
        n = 50
        phones = [h.us_phone() for _ in range(n)]
        res = h.parallel(lambda i: h.post("/api/contact", {"phoneNumber": phones[i], "firstName": "D%d" % i,
                                                             "email": "d%d@example.com" % i}, token=tok), n)
        # kill -9 immediately after the last reply arrived.
        self.srv.kill()
        acked = [r.json["data"]["contact"] for r in res if not isinstance(r, BaseException) and r.status == 201]
        self.assertEqual(len(acked), n, "not every create succeeded: %r" %
                         [r for r in res if isinstance(r, BaseException) or r.status != 201][:3])
        self.srv.start()
        h._token_cache.clear()
        tok = h.login(o.admin.email, o.admin.password)
        for c in acked:
            g = h.get("/api/contacts/" + c["_id"], token=tok)
            self.assertStatus(g, 200, "acknowledged contact %s lost after kill -9" % c["_id"])
            self.assertEqual(g.json["data"]["contact"], c)
        self.assertEqual(h.event_total(tok), n)
        # The numbers are still taken after the restart.
        r = h.post("/api/contact", {"phoneNumber": phones[0]}, token=tok)
        j = self.assertError(r, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), [c for c in acked if c["phoneNumber"][0]["value"] == phones[0]][0]["_id"])

    def test_kill9_during_writes_db_still_opens(self):
        o = h.create_org()
        tok = o.token
        import threading
        stop = threading.Event()
        acked = []

        def writer():
            while not stop.is_set():
                try:
                    r = h.post("/api/contact", {"phoneNumber": h.us_phone()}, token=tok, timeout=5)
                    if r.status == 201:
                        acked.append(r.json["data"]["contact"]["_id"])
                except Exception:
                    return
        ts = [threading.Thread(target=writer) for _ in range(8)]
        for t in ts:
            t.start()
        import time
        time.sleep(1.0)
        self.srv.kill()
        stop.set()
        for t in ts:
            t.join(10)
        self.srv.start()
        h._token_cache.clear()
        tok = h.login(o.admin.email, o.admin.password)
        self.assertGreater(len(acked), 0)
        for cid in acked:
            self.assertStatus(h.get("/api/contacts/" + cid, token=tok), 200, "lost " + cid)
        self.assertStatus(h.get("/readyz"), 200)

    def test_tokens_and_key_survive_restart(self):
        o = h.create_org()
        jwt = o.token
        key = h.post("/api/user/api-key/regenerate", {}, token=jwt).json["data"]["apiKey"]
        c = h.create_contact(jwt)
        self.restart()
        self.assertStatus(h.get("/api/contacts/" + c["_id"], token=jwt), 200)
        self.assertStatus(h.get("/api/contacts/" + c["_id"], token=key), 200)

    def test_secret_generated_at_init_survives_restart(self):
        # Without CRMD_JWT_SECRET the secret stored in the DB signs tokens; it survives a restart,
        # and it is not the test secret.
        self.srv.stop()
        self.srv.secret = None
        self.srv.start()
        h._token_cache.clear()
        tok = h.sa_token()
        forged = h.make_jwt(h.jwt_claims(tok))     # signed with the test secret: must be refused
        self.assertError(h.get("/api/user/profile", token=forged), 401, "unauthorized")
        self.restart()
        self.assertStatus(h.get("/api/user/profile", token=tok), 200)

    def test_revocation_survives_restart(self):
        o = h.create_org()
        u = o.add_user("SALES_REP")
        old = u.token
        self.assertStatus(h.put("/api/user/profile", {"password": "another-password"}, token=old), 200)
        self.restart()
        self.assertError(h.get("/api/user/profile", token=old), 401, "unauthorized")
        self.assertStatus(h.login_raw(u.email, "another-password"), 200)

    def test_sigterm_finishes_in_flight_and_exits_0(self):
        o = h.create_org()
        tok = o.token
        phones = [h.us_phone() for _ in range(16)]
        results = {}
        import threading

        def fire(i):
            try:
                results[i] = h.post("/api/contact", {"phoneNumber": phones[i]}, token=tok, timeout=15)
            except OSError:
                pass  # refused after shutdown began: fine; an accepted request must complete
        ts = [threading.Thread(target=fire, args=(i,)) for i in range(16)]
        for t in ts:
            t.start()
        os.kill(self.srv.proc.pid, signal.SIGTERM)
        for t in ts:
            t.join(20)
        rc = self.srv.proc.wait(15)
        self.srv.proc = None
        self.srv._close_log()
        self.assertEqual(rc, 0, "exit status after SIGTERM")
        for r in results.values():
            self.assertIn(r.status, (201, 503), "in-flight request during shutdown: %r" % r)
        self.srv.start()
        tok = h.login(o.admin.email, o.admin.password)
        for i, r in results.items():
            if r.status == 201:
                cid = r.json["data"]["contact"]["_id"]
                self.assertStatus(h.get("/api/contacts/" + cid, token=tok), 200)

    def test_sigint_exits_0(self):
        self.srv.proc.send_signal(signal.SIGINT)
        rc = self.srv.proc.wait(15)
        self.srv.proc = None
        self.srv._close_log()
        self.assertEqual(rc, 0)


class StopWithKeepAliveWrites(ApiTest):
    """Writes that arrive, after SIGTERM, on keep-alive connections the server holds idle: each
    is answered or its connection closed, and the server exits 0. (Writes run on threads of their
    own on SQLite; once those stop, one that came later used to be queued to them anyway, and
    libmicrohttpd aborted the process on finding its connection still suspended.)"""
    N = 600

    def test_writes_during_the_stop_leave_no_connection_suspended(self):
        srv = h.Server(env={"CRMD_CONNECTIONS_PER_IP": "0", "CRMD_LOGIN_LIMIT": "0",
                            "CRMD_LOGIN_LIMIT_ADDRESS": "0", "CRMD_LOGIN_LIMIT_ACCOUNT": "0"})
        conns = []
        try:
            srv.init()
            srv.start()
            for _ in range(self.N):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertIn(b" 200 ", s.recv(4096).split(b"\r\n")[0])
                conns.append(s)
            body = b'{"email": "nobody@x.test", "password": "wrong-password"}'
            req = (b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            os.kill(srv.proc.pid, signal.SIGTERM)
            for s in conns:   # spread over the stop's steps
                try:
                    s.sendall(req)
                except OSError:
                    pass   # closed by the stop: fine
                time.sleep(random.random() * 0.0006)
            rc = srv.proc.wait(60)
            srv.proc = None
            srv._close_log()
            self.assertEqual(rc, 0, "exit status after SIGTERM (-6: aborted)")
            self.assertNotIn("suspended connections", srv.log_tail(50))
        finally:
            for s in conns:
                s.close()
            srv.cleanup()
