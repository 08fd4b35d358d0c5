"""GET /api/events: Server-Sent Events of the durable event stream (API.md §7). Replay from
Last-Event-ID (or ?after=) across disconnects and server restarts, then live events; each event
has its sequence number as id; organizations never see each other's events."""

import http.client
import json
import socket
import threading
import time

import harness as h
from harness import ApiTest

KEEPALIVE_MS = 300


class SseReader:
    """A raw SSE client: reads `id`/`event`/`data` blocks from a streaming response."""

    def __init__(self, token, after=None, header=True, server=None):
        srv = server or h.SERVER
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
        path = "/api/events"
        hdrs = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
        if after is not None and header:
            hdrs["Last-Event-ID"] = str(after)
        elif after is not None:
            path += "?after=%d" % after
        self.conn.request("GET", path, headers=hdrs)
        self.resp = self.conn.getresponse()
        self.comments = 0

    def next_event(self, timeout=5.0):
        """The next event as (id, name, data), or None when none arrives in time."""
        deadline = time.time() + timeout
        ev = {}
        try:
            while True:
                # Keep-alive comments arrive every KEEPALIVE_MS, so the deadline is checked between
                # lines (a socket timeout would leave the response unreadable).
                if time.time() >= deadline:
                    return None
                line = self.resp.readline()
                if not line:
                    return None
                line = line.decode("utf-8").rstrip("\n")
                if line == "":
                    if "data" in ev:
                        return int(ev["id"]), ev.get("event"), json.loads(ev["data"])
                    ev = {}
                    continue
                if line.startswith(":"):
                    self.comments += 1
                    continue
                key, _, value = line.partition(": ")
                ev[key] = value
        except (socket.timeout, TimeoutError):
            return None

    def events(self, n, timeout=5.0):
        out = []
        for _ in range(n):
            e = self.next_event(timeout)
            if e is None:
                break
            out.append(e)
        return out

    def close(self):
        self.conn.close()


def stream_events(token, timeout=1.0, server=None):
    """Every event the caller may hear so far, from the durable stream (an SSE replay from the
    start); ends when none arrives within timeout (run the server with a short keep-alive)."""
    r = SseReader(token, after=0, server=server)
    try:
        out = []
        while True:
            e = r.next_event(timeout)
            if e is None:
                return out
            out.append(e)
    finally:
        r.close()


class Events(ApiTest):
    def setUp(self):
        self.srv = h.Server(env={"CRMD_SSE_KEEPALIVE_MS": str(KEEPALIVE_MS)})
        self.srv.init()
        self.srv.start()
        h.SERVER = self.srv
        h._token_cache.clear()
        self.readers = []

    def tearDown(self):
        for r in self.readers:
            r.close()
        self.srv.cleanup()
        h.SERVER = None
        h._token_cache.clear()

    def reader(self, token, **kw):
        r = SseReader(token, **kw)
        self.readers.append(r)
        return r

    def test_stream_headers_and_live_event(self):
        o = h.create_org()
        r = self.reader(o.token)
        self.assertEqual(r.resp.status, 200)
        self.assertTrue(r.resp.getheader("Content-Type").startswith("text/event-stream"))
        self.assertEqual(r.resp.getheader("Cache-Control"), "no-cache")
        self.assertTrue(r.resp.getheader("X-Request-Id"))
        c = h.create_contact(o.token, firstName="Live")
        ev = r.next_event()
        self.assertIsNotNone(ev, "no live event within 5 s")
        seq, name, data = ev
        self.assertEqual(name, "contact_created")
        self.assertGreater(seq, 0)
        self.assertEqual(data["contact"], c)

    def test_update_and_delete_events_in_order(self):
        o = h.create_org()
        r = self.reader(o.token)
        c = h.create_contact(o.token)
        self.assertStatus(h.patch("/api/contacts/" + c["_id"], {"firstName": "Changed"}, token=o.token), 200)
        self.assertStatus(h.delete("/api/contacts/" + c["_id"], token=o.token), 200)
        evs = r.events(3)
        self.assertEqual([e[1] for e in evs], ["contact_created", "contact_updated", "contact_removed"])
        self.assertEqual([e[0] for e in evs], sorted(e[0] for e in evs))
        self.assertEqual(evs[1][2]["contact"]["firstName"], "Changed")
        self.assertEqual(evs[2][2]["contact"]["_id"], c["_id"])

    def test_resume_after_restart_gets_exactly_the_missed_events(self):
        o = h.create_org()
        r = self.reader(o.token)
        h.create_contact(o.token)
        first = r.next_event()
        self.assertIsNotNone(first)
        r.close()
        made = [h.create_contact(o.token, firstName="Missed%d" % i) for i in range(10)]
        self.assertEqual(self.srv.stop(), 0)
        h._token_cache.clear()
        self.srv.start()
        tok = o.admin.token
        r2 = self.reader(tok, after=first[0])
        evs = r2.events(10)
        self.assertEqual(len(evs), 10, evs)
        self.assertEqual([e[1] for e in evs], ["contact_created"] * 10)
        self.assertEqual([e[2]["contact"]["_id"] for e in evs], [c["_id"] for c in made])
        ids = [e[0] for e in evs]
        self.assertEqual(ids, sorted(ids))
        self.assertGreater(ids[0], first[0])
        # Nothing more: the replay ended exactly there, and the stream goes on live.
        self.assertIsNone(r2.next_event(timeout=0.8))
        later = h.create_contact(tok)
        ev = r2.next_event()
        self.assertIsNotNone(ev)
        self.assertEqual(ev[2]["contact"]["_id"], later["_id"])
        self.assertGreater(ev[0], ids[-1])

    def test_after_query_parameter(self):
        o = h.create_org()
        a = h.create_contact(o.token)
        b = h.create_contact(o.token)
        r = self.reader(o.token, after=0, header=False)
        evs = r.events(2)
        self.assertEqual([e[2]["contact"]["_id"] for e in evs], [a["_id"], b["_id"]])

    def test_replay_while_writes_continue_skips_and_repeats_nothing(self):
        o = h.create_org()
        before = [h.create_contact(o.token) for _ in range(20)]
        stop = threading.Event()
        made = []

        def writer():
            while not stop.is_set() and len(made) < 30:
                made.append(h.create_contact(o.token))

        t = threading.Thread(target=writer)
        t.start()
        r = self.reader(o.token, after=0)
        time.sleep(0.3)
        stop.set()
        t.join()
        want = [c["_id"] for c in before + made]
        evs = r.events(len(want))
        got = [e[2]["contact"]["_id"] for e in evs]
        self.assertEqual(got, want)
        self.assertIsNone(r.next_event(timeout=0.5))

    def test_other_org_never_sees_events(self):
        a, b = h.create_org(), h.create_org("b")
        rb = self.reader(b.token, after=0)
        h.create_contact(a.token)
        self.assertIsNone(rb.next_event(timeout=1.0))
        mine = h.create_contact(b.token)
        ev = rb.next_event()
        self.assertEqual(ev[2]["contact"]["_id"], mine["_id"])

    def test_sales_rep_gets_only_contacts_it_may_see(self):
        o = h.create_org()
        rep = o.add_user("SALES_REP")
        r = self.reader(rep.token)
        h.create_contact(o.token, firstName="NotYours")
        mine = h.create_contact(rep.token, firstName="Yours")
        assigned = h.create_contact(o.token, firstName="Assigned", assignees=[rep.id])
        evs = r.events(2)
        self.assertEqual([e[2]["contact"]["_id"] for e in evs], [mine["_id"], assigned["_id"]])
        self.assertIsNone(r.next_event(timeout=0.6))
        # The same rule on replay.
        r2 = self.reader(rep.token, after=0)
        self.assertEqual([e[2]["contact"]["_id"] for e in r2.events(2)], [mine["_id"], assigned["_id"]])
        self.assertIsNone(r2.next_event(timeout=0.6))

    def test_streams_per_user_are_capped(self):
        o = h.create_org()
        for _ in range(10):
            self.assertEqual(self.reader(o.token).resp.status, 200)
        r = h.get("/api/events", token=o.token)
        self.assertError(r, 429, "rate_limited")
        self.assertEqual(r.headers.get("Retry-After"), "15")
        # Closing one makes room again (noticed at the next keep-alive).
        self.readers.pop().close()
        time.sleep(KEEPALIVE_MS * 3 / 1000)
        self.assertEqual(self.reader(o.token).resp.status, 200)

    def test_keepalive_comments(self):
        o = h.create_org()
        r = self.reader(o.token)
        self.assertIsNone(r.next_event(timeout=KEEPALIVE_MS * 4 / 1000))
        self.assertGreaterEqual(r.comments, 2)

    def test_disabling_the_user_ends_its_stream(self):
        o = h.create_org()
        rep = o.add_user("SALES_REP")
        r = self.reader(rep.token)
        self.assertStatus(h.put("/api/user/profile", {"id": rep.id, "loginDisabled": True}, token=o.token), 200)
        deadline = time.time() + KEEPALIVE_MS * 10 / 1000
        ended = False
        while time.time() < deadline and not ended:
            ended = r.resp.readline() == b""
        self.assertTrue(ended, "the stream of a disabled user is still open")
        # The admin's own stream is unaffected and live.
        ra = self.reader(o.token)
        c = h.create_contact(o.token)
        self.assertEqual(ra.next_event()[2]["contact"]["_id"], c["_id"])

    def test_errors(self):
        o = h.create_org()
        self.assertError(h.get("/api/events"), 401, "unauthorized")
        self.assertError(h.get("/api/events", token=h.sa_token()), 403, "forbidden")
        for bad in ("-1", "abc", "1.5", ""):
            r = h.get("/api/events?after=" + bad, token=o.token)
            if bad == "":
                continue
            self.assertError(r, 400, "validation_failed", field="after")
        r = h.get("/api/events", token=o.token, headers={"Last-Event-ID": "x1"})
        self.assertError(r, 400, "validation_failed", field="Last-Event-ID")
        self.assertError(h.post("/api/events", {}, token=o.token), 405, "method_not_allowed")
