"""Webhooks (API.md §7, beyond): registration and its validation, roles and tenancy, signed
deliveries with retries and backoff, the delivery log, redelivery, deletion, and deliveries that
survive a crash of crmd. A local HTTP receiver on 127.0.0.1 plays the subscriber."""

import hashlib
import hmac
import ipaddress
import http.server
import json
import socket
import threading
import time

import harness as h
from harness import ApiTest

# Short retries so the suite stays fast: ~100 ms, 200 ms, 400 ms; failed after 4 attempts. The
# receiver is on loopback, which only an operator's CRMD_WEBHOOK_ALLOW_PRIVATE=1 lets webhooks
# reach (the class PublicOnly runs without it).
ENV = {"CRMD_WEBHOOK_BACKOFF_MS": "100", "CRMD_WEBHOOK_MAX_ATTEMPTS": "4", "CRMD_WEBHOOK_ALLOW_PRIVATE": "1"}
EVENTS = ["contact_created", "contact_updated", "contact_removed"]


# --------------------------------------------------------------------------------------------
# The receiver


class Sink:
    """One endpoint of the receiver: answers with `statuses` in turn, then `default`; records
    every request as (headers, body bytes, arrival time)."""

    def __init__(self, statuses=(), default=200, hold=None, location=None):
        self.statuses = list(statuses)
        self.location = location       # sent as Location (with a 3xx status)
        self.default = default
        self.hold = hold               # a threading.Event the handler waits on before answering
        self.requests = []
        self.cond = threading.Condition()

    def next_status(self):
        with self.cond:
            return self.statuses.pop(0) if self.statuses else self.default

    def record(self, headers, body):
        with self.cond:
            self.requests.append((headers, body, time.time()))
            self.cond.notify_all()

    def wait(self, n, timeout=15.0):
        with self.cond:
            self.cond.wait_for(lambda: len(self.requests) >= n, timeout)
            return len(self.requests)

    def count(self):
        with self.cond:
            return len(self.requests)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802 - http.server's name
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        sink = self.server.sinks.get(self.path)
        if sink is None:
            status = 404
        else:
            sink.record({k.lower(): v for k, v in self.headers.items()}, body)
            if sink.hold is not None:
                sink.hold.wait(30)
            status = sink.next_status()
        try:
            self.send_response(status)
            if sink is not None and sink.location:
                self.send_header("Location", sink.location)
            self.send_header("Content-Length", "2")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"ok")
        except OSError:
            pass   # crmd gave up on this request (stopped, or timed out)

    def log_message(self, *args):
        pass


class Receiver(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sinks = {}
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def sink(self, *args, **kw):
        """A new endpoint; returns (url, sink)."""
        path = "/" + h.uniq("hook")
        s = Sink(*args, **kw)
        self.sinks[path] = s
        return "http://127.0.0.1:%d%s" % (self.server_port, path), s


RECEIVER = None


def setUpModule():
    global RECEIVER
    RECEIVER = Receiver()
    h.start_module_server(env=ENV)


def tearDownModule():
    try:
        h.stop_module_server()
    finally:
        RECEIVER.shutdown()
        RECEIVER.server_close()


# --------------------------------------------------------------------------------------------
# Helpers


def create_hook(token, url, events=None, server=None, **extra):
    body = {"url": url, "events": events or ["contact_created"]}
    body.update(extra)
    r = h.post("/api/webhooks", body, token=token, server=server)
    if r.status != 201:
        raise AssertionError("POST /api/webhooks failed: %r" % r)
    return r.json["data"]["webhook"]


def deliveries(token, hook_id, server=None, **q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    r = h.get("/api/webhooks/%s/deliveries%s" % (hook_id, "?" + qs if qs else ""), token=token, server=server)
    if r.status != 200:
        raise AssertionError("GET deliveries failed: %r" % r)
    return r.json["data"]


def wait_for(pred, timeout=15.0, step=0.05):
    """Polls pred() until it returns something truthy; returns the last value."""
    deadline = time.time() + timeout
    v = pred()
    while not v and time.time() < deadline:
        time.sleep(step)
        v = pred()
    return v


def wait_delivery(token, hook_id, pred, timeout=15.0, server=None):
    """The newest delivery once pred(delivery) holds (or the last seen one)."""
    last = [None]

    def check():
        ds = deliveries(token, hook_id, server=server)["deliveries"]
        last[0] = ds[0] if ds else None
        return last[0] is not None and pred(last[0])
    wait_for(check, timeout)
    return last[0]


def check_signature(test, headers, body, secret):
    sig = headers.get("x-crmd-signature")
    test.assertIsNotNone(sig, "no X-Crmd-Signature header")
    parts = dict(p.split("=", 1) for p in sig.split(","))
    test.assertEqual(sorted(parts), ["t", "v1"], "signature header: %r" % sig)
    t = int(parts["t"])
    test.assertLess(abs(time.time() - t), 300, "signature timestamp far from now: %r" % sig)
    want = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    test.assertTrue(hmac.compare_digest(parts["v1"], want), "bad signature %r (want v1=%s)" % (sig, want))


# --------------------------------------------------------------------------------------------
# Registration, listing and validation


class Registration(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.org = h.create_org()

    def test_create_shape_and_secret_shown_once(self):
        url, _ = RECEIVER.sink()
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created", "contact_removed"]},
                   token=self.org.token)
        d = self.assertOk(r, 201)
        w = d["webhook"]
        self.assertObjectId(w["_id"])
        self.assertEqual(w["url"], url)
        self.assertEqual(w["events"], ["contact_created", "contact_removed"])
        self.assertEqual(w["organizationId"], self.org.id)
        self.assertEqual(w["createdBy"], self.org.admin.id)
        self.assertTimestamp(w["createdAt"])
        secret = w["secret"]
        self.assertRegex(secret, r"^whsec_[A-Za-z0-9_-]{43}$")
        self.assertEqual(d["secret"], secret)
        # Two webhooks never share a generated secret.
        other = create_hook(self.org.token, url)
        r2 = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=self.org.token)
        self.assertNotEqual(r2.json["data"]["secret"], secret)
        self.assertNotEqual(other["secret"], secret)
        # Never again: not in the list, not in the single read.
        lst = h.get("/api/webhooks", token=self.org.token)
        hooks = self.assertOk(lst)["webhooks"]
        self.assertIn(w["_id"], [x["_id"] for x in hooks])
        self.assertNotIn(secret.encode(), lst.body)
        for x in hooks:
            self.assertNotIn("secret", x)
        one = h.get("/api/webhooks/" + w["_id"], token=self.org.token)
        got = self.assertOk(one)["webhook"]
        self.assertNotIn(secret.encode(), one.body)
        self.assertEqual(got, {k: v for k, v in w.items() if k != "secret"})

    def test_given_secret(self):
        url, _ = RECEIVER.sink()
        s = "s" * 16
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"], "secret": s}, token=self.org.token)
        self.assertEqual(self.assertOk(r, 201)["webhook"]["secret"], s)
        s = "é" * 256   # characters, not bytes
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"], "secret": s}, token=self.org.token)
        self.assertEqual(self.assertOk(r, 201)["secret"], s)
        for bad in ["s" * 15, "s" * 257, "", 1234567890123456789, ["x" * 20], {"a": "b" * 20}]:
            r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"], "secret": bad},
                       token=self.org.token)
            self.assertError(r, 400, "validation_failed", field="secret", msg="secret %r" % (bad,))

    def test_bad_urls(self):
        bad = [
            "ftp://example.com/hook", "javascript:alert(1)", "JAVASCRIPT://example.com/%0aalert(1)",
            "file:///etc/passwd", "gopher://example.com/", "mailto:a@example.com", "//example.com/hook",
            "/relative/hook", "example.com/hook", "http://", "https://", "http:///path", "http://:80/x",
            "http://user:pw@example.com/hook", "https://user@example.com/", "http://example.com/hook#frag",
            "http://example.com:0/", "http://example.com:65536/", "http://example.com:8o/",
            "http://exa mple.com/", "http://example.com/a b", "http://example.com/\u00e9",
            "http://example.com\\@evil.com/", "http://[::1/", "http://[]/", " http://example.com/",
            "http://example.com/" + "a" * 2030, "",
            # a percent-encoded or zone-scoped host is no way around the address rules
            "http://%31%32%37.0.0.1/", "http://127.0.0.%31/", "http://[fe80::1%25eth0]/", "http://[::1%25lo]:80/",
            "http://1.2.3.4.5/", "http://256.0.0.1/", "http://example.123/",
        ]
        for u in bad:
            r = h.post("/api/webhooks", {"url": u, "events": ["contact_created"]}, token=self.org.token)
            self.assertError(r, 400, "validation_failed", field="url", msg="url %r" % u)
        for v in [None, 42, ["http://example.com/"], {"u": 1}]:
            body = {"events": ["contact_created"]}
            if v is not None:
                body["url"] = v
            r = h.post("/api/webhooks", body, token=self.org.token)
            self.assertError(r, 400, "validation_failed", field="url", msg="url %r" % (v,))

    def test_good_urls(self):
        good = ["https://example.com/hooks/crm?x=1&y=%20", "http://127.0.0.1:8080/x", "HTTPS://Example.COM",
                "http://[::1]:9000/hook", "https://a-b.example.co.uk:443/p/a/t/h",
                "http://example.com/" + "a" * (2048 - 19)]
        for u in good:
            self.assertEqual(len(u) <= 2048, True)
            r = h.post("/api/webhooks", {"url": u, "events": ["contact_updated"]}, token=self.org.token)
            self.assertEqual(self.assertOk(r, 201)["webhook"]["url"], u, "url %r" % u)
            self.assertStatus(h.delete("/api/webhooks/" + r.json["data"]["webhook"]["_id"], token=self.org.token), 200)

    def test_bad_events(self):
        url, _ = RECEIVER.sink()
        cases = [
            ({"url": url}, "events"),
            ({"url": url, "events": None}, "events"),
            ({"url": url, "events": "contact_created"}, "events"),
            ({"url": url, "events": {"contact_created": True}}, "events"),
            ({"url": url, "events": []}, "events"),
            ({"url": url, "events": ["contact_created", "contact_exploded"]}, "events[1]"),
            ({"url": url, "events": ["CONTACT_CREATED"]}, "events[0]"),
            ({"url": url, "events": ["contact_created", "contact_updated", "contact_created"]}, "events[2]"),
            ({"url": url, "events": [7]}, "events[0]"),
            ({"url": url, "events": [None]}, "events[0]"),
            ({"url": url, "events": ["*"]}, "events[0]"),
            ({"url": url, "events": ["contact_created"] * 40}, "events"),
        ]
        for body, field in cases:
            r = h.post("/api/webhooks", body, token=self.org.token)
            self.assertError(r, 400, "validation_failed", field=field, msg="body %r" % (body,))

    def test_all_events_accepted(self):
        url, _ = RECEIVER.sink()
        w = create_hook(self.org.token, url, EVENTS)
        self.assertEqual(w["events"], EVENTS)

    def test_body_errors(self):
        r = h.post("/api/webhooks", raw=b"{not json", token=self.org.token)
        self.assertError(r, 400, "invalid_json")
        r = h.post("/api/webhooks", raw=b"[]", token=self.org.token)
        self.assertError(r, 400, "invalid_json")
        r = h.post("/api/webhooks", raw=b"url=x", token=self.org.token, content_type="text/plain")
        self.assertError(r, 415, "unsupported_media_type")

    def test_at_most_20_per_org(self):
        o = h.create_org()
        url, _ = RECEIVER.sink()
        ids = [create_hook(o.token, url)["_id"] for _ in range(20)]
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
        self.assertError(r, 400, "validation_failed")
        self.assertEqual(len(h.get("/api/webhooks", token=o.token).json["data"]["webhooks"]), 20)
        # Deleting one frees a place.
        self.assertStatus(h.delete("/api/webhooks/" + ids[0], token=o.token), 200)
        create_hook(o.token, url)

    def test_delete(self):
        url, _ = RECEIVER.sink()
        w = create_hook(self.org.token, url)
        r = h.delete("/api/webhooks/" + w["_id"], token=self.org.token)
        self.assertEqual(self.assertOk(r)["webhookId"], w["_id"])
        self.assertNotIn(w["_id"], [x["_id"] for x in h.get("/api/webhooks", token=self.org.token).json["data"]["webhooks"]])
        self.assertError(h.delete("/api/webhooks/" + w["_id"], token=self.org.token), 404, "not_found")
        self.assertError(h.get("/api/webhooks/" + w["_id"], token=self.org.token), 404, "not_found")
        self.assertError(h.get("/api/webhooks/%s/deliveries" % w["_id"], token=self.org.token), 404, "not_found")
        self.assertError(h.delete("/api/webhooks/" + "0" * 24, token=self.org.token), 404, "not_found")

    def test_malformed_ids(self):
        tok = self.org.token
        self.assertError(h.delete("/api/webhooks/xyz", token=tok), 400, "validation_failed", field="id")
        self.assertError(h.get("/api/webhooks/ABCDEF0123456789abcdef01", token=tok), 400, "validation_failed",
                         field="id")
        self.assertError(h.get("/api/webhooks/123/deliveries", token=tok), 400, "validation_failed", field="id")
        w = create_hook(tok, RECEIVER.sink()[0])
        self.assertError(h.post("/api/webhooks/%s/deliveries/nope/redeliver" % w["_id"], token=tok), 400,
                         "validation_failed", field="deliveryId")

    def test_method_not_allowed(self):
        r = h.put("/api/webhooks", {}, token=self.org.token)
        self.assertError(r, 405, "method_not_allowed")


class Access(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.a = h.create_org()
        cls.b = h.create_org()
        cls.url, cls.sink = RECEIVER.sink()
        cls.hook = create_hook(cls.a.token, cls.url)

    def paths(self, hook_id, delivery_id="0" * 24):
        return [("GET", "/api/webhooks", None), ("POST", "/api/webhooks", {"url": self.url, "events": ["contact_created"]}),
                ("GET", "/api/webhooks/" + hook_id, None), ("DELETE", "/api/webhooks/" + hook_id, None),
                ("GET", "/api/webhooks/%s/deliveries" % hook_id, None),
                ("POST", "/api/webhooks/%s/deliveries/%s/redeliver" % (hook_id, delivery_id), None)]

    def test_other_roles_forbidden(self):
        for role in ["SALES_REP", "DEPARTMENT_HEAD"]:
            tok = self.a.add_user(role).token
            for method, path, body in self.paths(self.hook["_id"]):
                r = h.request(method, path, body=body, token=tok)
                self.assertError(r, 403, "forbidden", msg="%s %s %s" % (role, method, path))
        # The role is checked before the body is read.
        tok = self.a.add_user("SALES_REP").token
        self.assertError(h.post("/api/webhooks", raw=b"{bad", token=tok), 403, "forbidden")
        self.assertError(h.post("/api/webhooks", {"url": "ftp://x"}, token=tok), 403, "forbidden")

    def test_superadmin_forbidden(self):
        for method, path, body in self.paths(self.hook["_id"]):
            r = h.request(method, path, body=body, token=h.sa_token())
            self.assertError(r, 403, "forbidden", msg="SUPERADMIN %s %s" % (method, path))

    def test_unauthenticated(self):
        for method, path, body in self.paths(self.hook["_id"]):
            self.assertError(h.request(method, path, body=body), 401, "unauthorized", msg="%s %s" % (method, path))
            self.assertError(h.request(method, path, body=body, token="garbage"), 401, "unauthorized")

    def test_tenant_isolation(self):
        tok_b = self.b.token
        create_hook(tok_b, self.url)
        listed = h.get("/api/webhooks", token=tok_b).json["data"]["webhooks"]
        self.assertTrue(listed)
        self.assertNotIn(self.hook["_id"], [x["_id"] for x in listed])
        self.assertTrue(all(x["organizationId"] == self.b.id for x in listed))
        hid = self.hook["_id"]
        self.assertError(h.get("/api/webhooks/" + hid, token=tok_b), 404, "not_found")
        self.assertError(h.get("/api/webhooks/%s/deliveries" % hid, token=tok_b), 404, "not_found")
        self.assertError(h.delete("/api/webhooks/" + hid, token=tok_b), 404, "not_found")
        # A's webhook is untouched, and hears nothing of B's contacts.
        self.assertStatus(h.get("/api/webhooks/" + hid, token=self.a.token), 200)
        before, before_a = self.sink.count(), deliveries(self.a.token, hid)["total"]
        h.create_contact(tok_b)
        # B's own webhook (same URL) gets it; A's delivery log does not grow.
        self.assertGreaterEqual(self.sink.wait(before + 1), before + 1)
        time.sleep(0.3)
        self.assertEqual(deliveries(self.a.token, hid)["total"], before_a)

    def test_redeliver_other_org(self):
        url, sink = RECEIVER.sink()
        hook = create_hook(self.a.token, url)
        h.create_contact(self.a.token)
        d = wait_delivery(self.a.token, hook["_id"], lambda d: d["status"] == "succeeded")
        self.assertIsNotNone(d)
        path = "/api/webhooks/%s/deliveries/%s/redeliver" % (hook["_id"], d["_id"])
        self.assertError(h.post(path, token=self.b.token), 404, "not_found")
        # B's own webhook id with A's delivery id is not found either.
        hb = create_hook(self.b.token, url)
        self.assertError(h.post("/api/webhooks/%s/deliveries/%s/redeliver" % (hb["_id"], d["_id"]),
                                token=self.b.token), 404, "not_found")


# --------------------------------------------------------------------------------------------
# Delivery


class Delivery(ApiTest):
    def setUp(self):
        self.org = h.create_org()
        self.tok = self.org.token

    def test_retries_then_succeeds_signed(self):
        url, sink = RECEIVER.sink(statuses=[500, 500], default=200)
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=self.tok)
        hook = r.json["data"]["webhook"]
        secret = r.json["data"]["secret"]
        contact = h.create_contact(self.tok)
        self.assertEqual(sink.wait(3), 3, "expected 3 attempts")
        time.sleep(0.3)
        self.assertEqual(sink.count(), 3, "no attempt after the success")
        bodies = [b for _, b, _ in sink.requests]
        self.assertEqual(len(set(bodies)), 1, "every attempt sends the same bytes")
        for headers, body, _ in sink.requests:
            self.assertEqual(headers.get("content-type"), "application/json")
            self.assertTrue(headers.get("user-agent", "").startswith("crmd"), headers.get("user-agent"))
            self.assertEqual(headers.get("x-crmd-event"), "contact_created")
            check_signature(self, headers, body, secret)
        # Backoff: the retries are spread out (~100 ms then ~200 ms, ±20 %).
        times = [t for _, _, t in sink.requests]
        self.assertGreater(times[1] - times[0], 0.06)
        self.assertGreater(times[2] - times[1], 0.13)
        payload = json.loads(bodies[0])
        self.assertEqual(sorted(payload), sorted(["id", "event", "seq", "organizationId", "createdAt", "data"]))
        self.assertEqual(payload["event"], "contact_created")
        self.assertEqual(payload["organizationId"], self.org.id)
        self.assertIsInstance(payload["seq"], int)
        self.assertTimestamp(payload["createdAt"])
        self.assertEqual(payload["data"], {"contact": contact})
        self.assertEqual(sink.requests[0][0].get("x-crmd-delivery"), payload["id"])

        d = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] == "succeeded")
        self.assertEqual(d["status"], "succeeded", d)
        log = deliveries(self.tok, hook["_id"])
        self.assertEqual(log["total"], 1)
        self.assertEqual((log["page"], log["limit"]), (1, 50))
        d = log["deliveries"][0]
        self.assertEqual(d["_id"], payload["id"])
        self.assertEqual(d["webhookId"], hook["_id"])
        self.assertEqual(d["event"], "contact_created")
        self.assertEqual(d["eventSeq"], payload["seq"])
        self.assertEqual(d["attempts"], 3)
        self.assertEqual(d["lastStatusCode"], 200)
        self.assertIsNone(d["lastError"])
        self.assertIsNone(d["nextAttemptAt"])
        self.assertTimestamp(d["createdAt"])
        self.assertTimestamp(d["updatedAt"])
        self.assertNoSecrets(log)

    def test_fans_out_to_subscribers_only(self):
        url1, s1 = RECEIVER.sink()
        url2, s2 = RECEIVER.sink()
        url3, s3 = RECEIVER.sink()
        h1 = create_hook(self.tok, url1, ["contact_created"])
        create_hook(self.tok, url2, ["contact_updated", "contact_removed"])
        h3 = create_hook(self.tok, url3, EVENTS, secret="a-secret-of-my-own")
        c = h.create_contact(self.tok)
        self.assertEqual(s1.wait(1), 1)
        self.assertEqual(s3.wait(1), 1)
        time.sleep(0.4)
        self.assertEqual(s2.count(), 0, "a webhook not subscribed to contact_created was called")
        check_signature(self, s3.requests[0][0], s3.requests[0][1], "a-secret-of-my-own")
        b1, b3 = json.loads(s1.requests[0][1]), json.loads(s3.requests[0][1])
        self.assertNotEqual(b1["id"], b3["id"], "each webhook gets its own delivery id")
        self.assertEqual(b1["seq"], b3["seq"])
        self.assertEqual(b1["data"]["contact"]["_id"], c["_id"])
        self.assertEqual(deliveries(self.tok, h1["_id"])["total"], 1)
        self.assertEqual(deliveries(self.tok, h3["_id"])["total"], 1)

    def test_update_and_remove_events(self):
        url, sink = RECEIVER.sink()
        hook = create_hook(self.tok, url, ["contact_updated", "contact_removed"])
        c = h.create_contact(self.tok)
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "Renamed"}, token=self.tok)
        self.assertStatus(r, 200)
        self.assertStatus(h.delete("/api/contacts/" + c["_id"], token=self.tok), 200)
        self.assertEqual(sink.wait(2), 2)
        time.sleep(0.3)
        self.assertEqual(sink.count(), 2, "contact_created was sent to a webhook not subscribed to it")
        bodies = sorted((json.loads(b) for _, b, _ in sink.requests), key=lambda b: b["seq"])
        self.assertEqual([b["event"] for b in bodies], ["contact_updated", "contact_removed"])
        self.assertEqual([hd.get("x-crmd-event") for hd, _, _ in sorted(sink.requests, key=lambda q: json.loads(q[1])["seq"])],
                         ["contact_updated", "contact_removed"])
        self.assertEqual(bodies[0]["data"]["contact"]["firstName"], "Renamed")
        self.assertEqual(bodies[1]["data"]["contact"]["_id"], c["_id"])
        self.assertLess(bodies[0]["seq"], bodies[1]["seq"])
        self.assertEqual(deliveries(self.tok, hook["_id"])["total"], 2)

    def test_events_before_the_webhook_are_not_sent(self):
        h.create_contact(self.tok)
        url, sink = RECEIVER.sink()
        hook = create_hook(self.tok, url)
        time.sleep(0.5)
        self.assertEqual(sink.count(), 0)
        self.assertEqual(deliveries(self.tok, hook["_id"])["total"], 0)

    def test_gives_up_after_max_attempts(self):
        url, sink = RECEIVER.sink(default=503)
        hook = create_hook(self.tok, url)
        h.create_contact(self.tok)
        d = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] != "pending")
        self.assertEqual(d["status"], "failed", d)
        self.assertEqual(d["attempts"], 4)
        self.assertEqual(d["lastStatusCode"], 503)
        self.assertIn("503", d["lastError"])
        self.assertIsNone(d["nextAttemptAt"])
        time.sleep(0.5)
        self.assertEqual(sink.count(), 4)

    def test_unreachable_receiver(self):
        port = h.free_port()   # nothing listens there
        hook = create_hook(self.tok, "http://127.0.0.1:%d/hook" % port)
        h.create_contact(self.tok)
        d = wait_delivery(self.tok, hook["_id"], lambda d: d["attempts"] >= 1)
        self.assertGreaterEqual(d["attempts"], 1)
        self.assertIsNone(d["lastStatusCode"])
        self.assertIsInstance(d["lastError"], str)
        self.assertTrue(d["lastError"])
        d = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] == "failed")
        self.assertEqual((d["status"], d["attempts"]), ("failed", 4))

    def test_no_redirects_followed(self):
        # Every redirect status, so that no "follow 303 as GET" path slips through: a redirect
        # would let a public receiver send the sender to any address behind the first check.
        for code in (301, 302, 303, 307, 308):
            target, moved_to = RECEIVER.sink()
            url, sink = RECEIVER.sink(statuses=[code], default=200, location=target)
            hook = create_hook(self.tok, url)
            h.create_contact(self.tok)
            d = wait_delivery(self.tok, hook["_id"], lambda d: d["attempts"] >= 1)
            self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("pending", 1, code),
                             "a %d is no success" % code)
            self.assertEqual(d["lastError"], "HTTP %d" % code)
            d = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] != "pending")
            self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("succeeded", 2, 200))
            self.assertEqual(sink.count(), 2)
            self.assertEqual(moved_to.count(), 0, "a %d redirect was followed" % code)
            self.assertStatus(h.delete("/api/webhooks/" + hook["_id"], token=self.tok), 200)

    def test_delivery_log_pages(self):
        url, sink = RECEIVER.sink()
        hook = create_hook(self.tok, url)
        for _ in range(3):
            h.create_contact(self.tok)
        self.assertEqual(sink.wait(3), 3)
        all_ = deliveries(self.tok, hook["_id"])
        self.assertEqual(all_["total"], 3)
        seqs = [d["eventSeq"] for d in all_["deliveries"]]
        self.assertEqual(seqs, sorted(seqs, reverse=True), "newest first")
        p1 = deliveries(self.tok, hook["_id"], page=1, limit=2)
        p2 = deliveries(self.tok, hook["_id"], page=2, limit=2)
        self.assertEqual((p1["total"], p1["page"], p1["limit"], len(p1["deliveries"])), (3, 1, 2, 2))
        self.assertEqual((p2["total"], p2["page"], len(p2["deliveries"])), (3, 2, 1))
        self.assertEqual([d["_id"] for d in p1["deliveries"] + p2["deliveries"]], [d["_id"] for d in all_["deliveries"]])
        for q, field in [("limit=0", "limit"), ("limit=201", "limit"), ("page=0", "page"), ("page=x", "page")]:
            r = h.get("/api/webhooks/%s/deliveries?%s" % (hook["_id"], q), token=self.tok)
            self.assertError(r, 400, "validation_failed", field=field)

    def test_redeliver(self):
        url, sink = RECEIVER.sink()
        hook = create_hook(self.tok, url)
        secret = h.post("/api/webhooks", {"url": url, "events": ["contact_updated"]}, token=self.tok)  # unrelated
        self.assertStatus(secret, 201)
        h.create_contact(self.tok)
        self.assertEqual(sink.wait(1), 1)
        orig = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] == "succeeded")
        r = h.post("/api/webhooks/%s/deliveries/%s/redeliver" % (hook["_id"], orig["_id"]), token=self.tok)
        data = self.assertOk(r, 202)
        d = data["delivery"]
        self.assertEqual(data["redeliveryOf"], orig["_id"])
        self.assertObjectId(d["_id"])
        self.assertNotEqual(d["_id"], orig["_id"])
        self.assertEqual((d["status"], d["attempts"], d["event"], d["eventSeq"], d["webhookId"]),
                         ("pending", 0, orig["event"], orig["eventSeq"], hook["_id"]))
        self.assertIsNone(d["lastStatusCode"])
        self.assertTimestamp(d["nextAttemptAt"])
        self.assertEqual(sink.wait(2), 2)
        first, second = (json.loads(b) for _, b, _ in sink.requests[:2])
        self.assertEqual(second["id"], d["_id"])
        self.assertEqual(sink.requests[1][0].get("x-crmd-delivery"), d["_id"])
        self.assertEqual({k: v for k, v in first.items() if k != "id"}, {k: v for k, v in second.items() if k != "id"})
        got = wait_delivery(self.tok, hook["_id"], lambda x: x["_id"] == d["_id"] and x["status"] == "succeeded")
        self.assertEqual((got["status"], got["attempts"]), ("succeeded", 1))
        log = deliveries(self.tok, hook["_id"])
        self.assertEqual(log["total"], 2)
        old = [x for x in log["deliveries"] if x["_id"] == orig["_id"]][0]
        self.assertEqual((old["status"], old["attempts"]), ("succeeded", 1), "the original row stays as it was")
        # Unknown delivery, or a delivery of another webhook of the same org: 404.
        self.assertError(h.post("/api/webhooks/%s/deliveries/%s/redeliver" % (hook["_id"], "0" * 24), token=self.tok),
                         404, "not_found")
        other = create_hook(self.tok, url)
        self.assertError(h.post("/api/webhooks/%s/deliveries/%s/redeliver" % (other["_id"], orig["_id"]),
                                token=self.tok), 404, "not_found")

    def test_redeliver_a_failed_delivery(self):
        url, sink = RECEIVER.sink(default=500)
        hook = create_hook(self.tok, url)
        h.create_contact(self.tok)
        failed = wait_delivery(self.tok, hook["_id"], lambda d: d["status"] == "failed")
        self.assertEqual(failed["status"], "failed")
        sink.default = 200     # the receiver is fixed
        r = h.post("/api/webhooks/%s/deliveries/%s/redeliver" % (hook["_id"], failed["_id"]), token=self.tok)
        nd = self.assertOk(r, 202)["delivery"]
        got = wait_delivery(self.tok, hook["_id"], lambda x: x["_id"] == nd["_id"] and x["status"] != "pending")
        self.assertEqual((got["status"], got["attempts"], got["lastStatusCode"]), ("succeeded", 1, 200))

    def test_delete_stops_deliveries(self):
        url, sink = RECEIVER.sink(default=500)
        hook = create_hook(self.tok, url)
        h.create_contact(self.tok)
        self.assertEqual(sink.wait(1), 1)
        self.assertStatus(h.delete("/api/webhooks/" + hook["_id"], token=self.tok), 200)
        n = sink.count()
        time.sleep(1.2)   # several backoff periods
        self.assertLessEqual(sink.count(), n + 1, "deliveries continued after DELETE")   # one may be in flight
        n = sink.count()
        h.create_contact(self.tok)
        time.sleep(0.5)
        self.assertEqual(sink.count(), n, "a deleted webhook received a new event")


# --------------------------------------------------------------------------------------------
# Restarts


class OwnServer(ApiTest):
    """A test with a server of its own, started with SERVER_ENV, that the helpers talk to."""
    SERVER_ENV = {}

    def setUp(self):
        self.saved = h.SERVER
        self.srv = h.Server(env=self.SERVER_ENV)
        self.srv.init()
        self.srv.start()
        h.SERVER = self.srv
        h._token_cache.clear()

    def tearDown(self):
        self.srv.cleanup()
        h.SERVER = self.saved
        h._token_cache.clear()


class Restart(OwnServer):
    """Deliveries are rows: a crash between attempts loses nothing, and SIGTERM does not wait for
    a receiver that hangs."""
    # A longer backoff, so that the crash surely falls between two attempts.
    SERVER_ENV = {"CRMD_WEBHOOK_BACKOFF_MS": "2000", "CRMD_WEBHOOK_ALLOW_PRIVATE": "1"}

    def test_pending_delivery_survives_kill9(self):
        url, sink = RECEIVER.sink(statuses=[500, 500], default=200)
        o = h.create_org()
        r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
        hook, secret = r.json["data"]["webhook"], r.json["data"]["secret"]
        h.create_contact(o.token)
        d = wait_delivery(o.token, hook["_id"], lambda d: d["attempts"] == 1)
        self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("pending", 1, 500))
        self.srv.kill()                       # a crash between attempt 1 and 2
        self.assertEqual(sink.count(), 1)
        self.srv.start()
        h._token_cache.clear()
        self.assertEqual(sink.wait(3, timeout=20), 3, "the pending delivery did not resume after the restart")
        tok = h.login(o.admin.email, o.admin.password)
        d = wait_delivery(tok, hook["_id"], lambda d: d["status"] == "succeeded")
        self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("succeeded", 3, 200))
        self.assertEqual(deliveries(tok, hook["_id"])["total"], 1, "a restart duplicated the delivery")
        self.assertEqual(len({b for _, b, _ in sink.requests}), 1)
        for headers, body, _ in sink.requests:
            check_signature(self, headers, body, secret)

    def test_sigterm_with_a_hanging_receiver(self):
        hold = threading.Event()
        url, sink = RECEIVER.sink(hold=hold)
        try:
            o = h.create_org()
            create_hook(o.token, url)
            h.create_contact(o.token)
            self.assertEqual(sink.wait(1), 1)
            t0 = time.time()
            rc = self.srv.stop(timeout=8)
            self.assertEqual(rc, 0, "crmd did not exit 0 on SIGTERM with a POST in flight")
            self.assertLess(time.time() - t0, 5, "SIGTERM waited for the receiver")
        finally:
            hold.set()
        # The abandoned POST is still pending and is sent again after the next start.
        self.srv.start()
        h._token_cache.clear()
        self.assertEqual(sink.wait(2, timeout=20), 2)


# --------------------------------------------------------------------------------------------
# Only public addresses, by default


class PublicOnly(OwnServer):
    """Without CRMD_WEBHOOK_ALLOW_PRIVATE a tenant's webhook cannot reach the operator's network:
    an IP literal that is loopback, private or link-local is refused at registration, and a name
    that resolves to one is refused when the sender connects."""
    SERVER_ENV = {"CRMD_WEBHOOK_BACKOFF_MS": "100", "CRMD_WEBHOOK_MAX_ATTEMPTS": "2"}

    def test_private_literals_refused_at_registration(self):
        o = h.create_org()
        for url in ["http://127.0.0.1:9/x", "http://[::1]/x", "http://10.0.0.8/x", "http://192.168.1.1/x",
                    "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://0.0.0.0/x",
                    # every spelling the resolver (inet_aton) or libcurl reads as such an address
                    "http://0177.0.0.1/x", "http://2130706433/x", "http://0x7f000001/x", "http://0x7f.0.0.1/x",
                    "http://127.1/x", "http://127.0.1:8080/x", "http://0/x", "http://0x/x", "http://127.0.0.1./x",
                    "http://0X7F.1/x", "http://017700000001/x", "http://10.1/x", "http://192.168.257/x",
                    "http://2852039166/latest/meta-data/", "http://0xa9fea9fe/", "http://0251.0376.0251.0376/",
                    "http://0xa9.0xfe.0xa9.0xfe/", "http://169.16689662/", "http://169.254.169.254./",
                    "http://[::ffff:127.0.0.1]/x", "http://[::ffff:7f00:1]/x", "http://[0:0:0:0:0:0:0:1]/x",
                    "http://[::]/x", "http://[::127.0.0.1]/x", "http://[::ffff:169.254.169.254]/x",
                    "http://[64:ff9b::a9fe:a9fe]/x", "http://[2002:7f00:1::]/x", "http://[fd00::1]:8080/x",
                    "http://localhost:9/x", "http://LOCALHOST./x", "http://api.localhost/x"]:
            r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
            self.assertError(r, 400, "validation_failed", field="url")
            self.assertIn("CRMD_WEBHOOK_ALLOW_PRIVATE", r.json["message"], url)
        r = h.get("/api/webhooks", token=o.token)
        self.assertEqual(self.assertOk(r)["webhooks"], [], "a refused webhook was kept")

    def test_numeric_hosts_that_are_no_address_refused(self):
        # A last label that is a number makes the host an address or nothing: no DNS guessing.
        o = h.create_org()
        for url in ["http://1.2.3.4.5/x", "http://256.1.1.1/x", "http://4294967296/x", "http://08.0.0.1/x",
                    "http://example.123/x", "http://1..1/x", "http://127.0.0.1../x"]:
            r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
            self.assertError(r, 400, "validation_failed", field="url")
            self.assertIn("invalid host", r.json["message"], url)
        self.assertEqual(self.assertOk(h.get("/api/webhooks", token=o.token))["webhooks"], [])

    def test_public_spellings_accepted(self):
        o = h.create_org()
        for url in ["http://0x5db8d822/x", "http://134744072/x", "http://93.184.216.34./x",
                    "http://[::ffff:8.8.8.8]/x", "http://example.com./x", "http://0x7f.example/x"]:
            r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
            self.assertEqual(self.assertOk(r, 201)["webhook"]["url"], url)

    def test_name_resolving_to_loopback_refused_at_connect(self):
        # A name other than localhost (refused at registration) that the resolver maps to
        # loopback: the machine's own name in /etc/hosts.
        name = loopback_name()
        self.assertFalse(ipaddress.ip_address(socket.gethostbyname(name)).is_global, name)
        url, sink = RECEIVER.sink()
        named = url.replace("127.0.0.1", name)
        o = h.create_org()
        r = h.post("/api/webhooks", {"url": named, "events": ["contact_created"]}, token=o.token)
        hook = self.assertOk(r, 201)["webhook"]
        h.create_contact(o.token)
        d = wait_delivery(o.token, hook["_id"], lambda d: d["status"] == "failed")
        self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("failed", 2, None))
        self.assertIn("not public", d["lastError"])
        # The tenant learns that the name is refused, not which internal address it maps to.
        for addr in ("127.", "::1", socket.gethostbyname(name)):
            self.assertNotIn(addr, d["lastError"])
        self.assertEqual(sink.count(), 0, "the receiver on loopback was reached")
        self.assertIn("refused to connect to %s" % socket.gethostbyname(name), self.srv.log_tail(200),
                      "the operator's log names the address")


def loopback_name():
    """A name other than localhost that resolves to a non-public address: one from /etc/hosts,
    else this machine's name (127.0.1.1 on Debian, a private address in a container)."""
    try:
        with open("/etc/hosts") as f:
            for line in f:
                fields = line.split("#")[0].split()
                if len(fields) >= 2 and fields[0].startswith("127."):
                    for name in fields[1:]:
                        if name.lower() != "localhost" and not name.lower().endswith(".localhost"):
                            return name
    except OSError:
        pass
    return socket.gethostname()


class ProxyListener:
    """A TCP port that counts the connections made to it (and closes them): a would-be proxy."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


class NoProxy(OwnServer):
    """A proxy in crmd's environment is not used: through it, the connect-time address check
    would judge the proxy instead of the receiver."""

    def setUp(self):
        self.proxy = ProxyListener()
        url = "http://127.0.0.1:%d" % self.proxy.port
        self.SERVER_ENV = dict(ENV, http_proxy=url, HTTP_PROXY=url, https_proxy=url, all_proxy=url, ALL_PROXY=url)
        super().setUp()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.proxy.close()

    def test_environment_proxy_ignored(self):
        url, sink = RECEIVER.sink()
        o = h.create_org()
        hook = create_hook(o.token, url)
        h.create_contact(o.token)
        self.assertEqual(sink.wait(1), 1, "the receiver got nothing")
        d = wait_delivery(o.token, hook["_id"], lambda d: d["status"] != "pending")
        self.assertEqual((d["status"], d["attempts"], d["lastStatusCode"]), ("succeeded", 1, 200))
        self.assertEqual(self.proxy.connections, 0, "the delivery went through the environment's proxy")
