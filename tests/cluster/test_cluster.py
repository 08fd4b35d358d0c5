"""Three crmd servers on one PostgreSQL database behind deploy/haproxy.cfg act as one server
(API.md §10): a write through one is read through the others at once; one number taken at once
through every server in different formats is taken once; each webhook delivery is made by one
server, once; a server killed under a write load loses nothing it acknowledged, the proxy sends
the load to the others, and the restarted server rejoins."""

import json
import time

import cluster
import harness as h
from harness import ApiTest
from test_webhooks import Receiver

BACKENDS = ("postgres",)


def setUpModule():
    # A server leaving on SIGTERM answers /readyz 503 for 4 s first: HAProxy checks every second
    # and takes it out after two failures (deploy/haproxy.cfg; docs/deploy.md).
    cluster.start_module_cluster(3, env={"CRMD_DRAIN_MS": "4000"})


def tearDownModule():
    cluster.stop_module_cluster()


def servers():
    return cluster.CLUSTER.servers


class OneSystem(ApiTest):
    def test_a_write_through_one_server_is_read_through_every_other(self):
        o = h.create_org(server=servers()[0])
        tok = o.token
        for i, writer in enumerate(servers()):
            c = h.create_contact(tok, server=writer, firstName="Via%d" % i)
            for reader in servers() + [cluster.CLUSTER.front]:
                g = h.get("/api/contacts/" + c["_id"], token=tok, server=reader)
                self.assertStatus(g, 200, "written through server %d, read through port %d" % (i, reader.port))
                self.assertEqual(g.json["data"]["contact"], c)
            r = h.patch("/api/contacts/" + c["_id"], {"lastName": "Changed%d" % i}, token=tok,
                        server=servers()[(i + 1) % 3])
            self.assertStatus(r, 200)
            for reader in servers():
                g = h.get("/api/contacts/" + c["_id"], token=tok, server=reader)
                self.assertEqual(g.json["data"]["contact"]["lastName"], "Changed%d" % i,
                                 "no server answers from a stale copy")
        totals = {h.get("/api/contacts?ownerFilter=all", token=tok, server=s).json["data"]["total"]
                  for s in servers()}
        self.assertEqual(totals, {3})

    def test_one_number_in_24_formats_over_every_server_is_taken_once(self):
        o = h.create_org(server=servers()[0])
        tok = o.token
        e164 = h.us_phone()
        d = e164[2:]
        formats = [e164, h.us_national(e164), h.us_dashed(e164), "1" + d, "+1 " + d, "(%s)%s%s" % (d[:3], d[3:6], d[6:]),
                   "%s.%s.%s" % (d[:3], d[3:6], d[6:]), "+1-%s-%s-%s" % (d[:3], d[3:6], d[6:])] * 3
        targets = servers() + [cluster.CLUSTER.front]

        def create(i):
            return h.post("/api/contact", {"phoneNumber": formats[i], "firstName": "Racer%d" % i}, token=tok,
                          server=targets[i % len(targets)])
        answers = h.parallel(create, 24)
        for a in answers:
            self.assertNotIsInstance(a, Exception, a)
        won = [a for a in answers if a.status == 201]
        self.assertEqual(len(won), 1, [a.status for a in answers])
        holder = won[0].json["data"]["contact"]["_id"]
        for a in answers:
            if a.status != 201:
                self.assertError(a, 409, "phone_taken")
                self.assertEqual((a.json.get("value"), a.json.get("contactId")), (e164, holder))
        lst = h.get("/api/contacts?ownerFilter=all", token=tok)
        self.assertEqual(lst.json["data"]["total"], 1)

    def test_each_webhook_delivery_is_made_once(self):
        receiver = Receiver()
        try:
            url, sink = receiver.sink()
            o = h.create_org()
            r = h.post("/api/webhooks", {"url": url, "events": ["contact_created"]}, token=o.token)
            self.assertStatus(r, 201)
            made = [h.create_contact(o.token, server=servers()[i % 3], firstName="Hook%d" % i)["_id"]
                    for i in range(30)]
            self.assertEqual(sink.wait(30, timeout=30), 30)
            time.sleep(1.5)   # a second delivery of any event would arrive within the senders' polls
            ids = [json.loads(b)["data"]["contact"]["_id"] for _, b, _ in sink.requests]
            self.assertEqual(len(ids), 30, "no event delivered twice")
            self.assertEqual(sorted(ids), sorted(made))
            seqs = [json.loads(b)["seq"] for _, b, _ in sink.requests]
            self.assertEqual(len(set(seqs)), 30)
        finally:
            receiver.shutdown()
            receiver.server_close()


class Faults(ApiTest):
    def assert_all_readable(self, acked, tok):
        for c in acked:
            g = h.get("/api/contacts/" + c["_id"], token=tok, server=servers()[0])
            self.assertStatus(g, 200, "acknowledged contact %s lost" % c["_id"])
            self.assertEqual(g.json["data"]["contact"], c)

    def test_sigterm_drains_a_server_without_a_failed_request(self):
        o = h.create_org()
        load = h.CreateLoad(o.token)
        leaving = servers()[2]
        try:
            time.sleep(1.0)
            t0 = time.time()
            self.assertEqual(leaving.stop(timeout=30), 0)
            self.assertGreater(time.time() - t0, 3.5, "it served on while /readyz said 503 (CRMD_DRAIN_MS)")
            before = load.count()
            time.sleep(1.0)
            self.assertGreater(load.count(), before, "the others go on")
            leaving.start(same_port=True)
            time.sleep(3.0)
        finally:
            load.stop()
        self.assertEqual((load.answers["other"], load.answers["unavailable"]), ([], 0),
                         "no client saw the server leave")
        self.assert_all_readable(load.acked, o.token)

    def test_kill9_of_one_server_under_load_loses_nothing_acknowledged(self):
        o = h.create_org()
        load = h.CreateLoad(o.token)
        victim = servers()[1]
        try:
            time.sleep(1.0)
            victim.kill()
            time.sleep(1.5)
            during = load.count()
            time.sleep(1.0)
            self.assertGreater(load.count(), during, "the others keep acknowledging writes")
            victim.start(same_port=True)
            time.sleep(3.0)   # health checks see it again (inter 1s, rise 2)
        finally:
            load.stop()
        self.assertEqual(load.answers["other"], [], "every create was answered 201 or unavailable")
        self.assertGreater(load.answers["201"], 50)
        self.assert_all_readable(load.acked, o.token)
        # The restarted server takes its share of requests again, once HAProxy's health checks
        # have seen it twice (a loaded machine may take longer than the 3 s above).
        before = victim.log_tail(100000).count("POST /api/contact ")
        deadline = time.monotonic() + 15
        for i in range(12):
            self.assertStatus(h.post("/api/contact", {"phoneNumber": h.us_phone()}, token=o.token), 201)
        while victim.log_tail(100000).count("POST /api/contact ") == before and time.monotonic() < deadline:
            self.assertStatus(h.post("/api/contact", {"phoneNumber": h.us_phone()}, token=o.token), 201)
            time.sleep(0.1)
        self.assertGreater(victim.log_tail(100000).count("POST /api/contact "), before, "the restarted server rejoined")
