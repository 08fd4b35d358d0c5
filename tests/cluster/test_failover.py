"""PostgreSQL primary failover under crmd servers (docs/deploy.md): a primary with a synchronous
streaming standby, two crmd servers behind HAProxy on a libpq multi-host URL with
target_session_attrs=read-write; the primary dies (an immediate stop) under a write load and the
standby is promoted. The servers find the new primary by themselves and nothing they
acknowledged is lost. The pair is this module's own, not the shared test cluster."""

import time

import cluster
import harness as h
from harness import ApiTest

BACKENDS = ("postgres",)


class PgPair:
    """A primary and, once attach_standby ran, a synchronous streaming standby of it."""

    def __init__(self):
        self.servers = [h.PgServer("wal_level = replica\nmax_wal_senders = 5\n")]

    def attach_standby(self):
        primary = self.servers[0]
        self.servers.append(h.PgServer("application_name = standby\n", standby_of=primary))
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.psql("SELECT pg_reload_conf()")
        deadline = time.time() + 30
        while primary.psql("SELECT sync_state FROM pg_stat_replication") != "sync":
            if time.time() > deadline:
                raise h.HarnessError("the standby did not become synchronous")
            time.sleep(0.2)

    def url(self, db):
        return "postgresql://postgres@/%s?host=%s&target_session_attrs=read-write" % (
            db, ",".join(pg.dir for pg in self.servers))

    def destroy(self):
        for pg in self.servers:
            pg.destroy()


class Failover(ApiTest):
    def setUp(self):
        self.pair = PgPair()
        self.cl = None

    def tearDown(self):
        if self.cl:
            self.cl.stop()
        h.SERVER = None
        h._token_cache.clear()
        self.pair.destroy()

    def test_promoted_standby_takes_over_and_nothing_acknowledged_is_lost(self):
        self.pair.servers[0].psql("CREATE DATABASE crmd_failover")
        self.pair.attach_standby()
        self.cl = cluster.Cluster(2, db_url=self.pair.url("crmd_failover")).start()
        h.SERVER = self.cl.front
        h._token_cache.clear()
        o = h.create_org()
        t0 = time.time()
        load = h.CreateLoad(o.token)
        try:
            time.sleep(1.0)
            self.assertGreater(load.count(), 0, "writes through the synchronous pair")
            self.pair.servers[0].ctl("stop")       # the primary's machine is gone
            time.sleep(1.0)
            self.pair.servers[1].ctl("promote")
            promoted = load.count()
            deadline = time.time() + 30
            while load.count() <= promoted + 20 and time.time() < deadline:
                time.sleep(0.2)
            self.assertGreater(load.count(), promoted + 20, "the servers write to the new primary by themselves")
        finally:
            load.stop()
        print("# failover and recovery took %.1f s" % (time.time() - t0))
        self.assertEqual(load.answers["other"], [], "every create was answered 201 or unavailable")
        self.assertGreater(load.answers["unavailable"], 0, "writes were refused while there was no primary")
        print("# %d creates acknowledged, %d refused during the failover" % (len(load.acked), load.answers["unavailable"]))
        stored = set(self.pair.servers[1].psql("SELECT id FROM contacts", db="crmd_failover").split())
        lost = [c["_id"] for c in load.acked if c["_id"] not in stored]
        self.assertEqual(lost, [], "acknowledged contacts lost in the failover")
        # A commit the primary made durable on the standby just before it died may have had no
        # answer: more rows than 201s is possible, fewer is not. Every server reads them back.
        for c in load.acked[-40:]:
            for srv in self.cl.servers:
                g = h.get("/api/contacts/" + c["_id"], token=o.token, server=srv)
                self.assertStatus(g, 200, "read back through port %d" % srv.port)
                self.assertEqual(g.json["data"]["contact"], c)
