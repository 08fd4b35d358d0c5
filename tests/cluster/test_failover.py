"""PostgreSQL primary failover under crmd servers (docs/deploy.md): a primary with a synchronous
streaming standby, two crmd servers behind HAProxy on a libpq multi-host URL with
target_session_attrs=read-write; the primary dies (an immediate stop) under a write load and the
standby is promoted. The servers find the new primary by themselves and nothing they
acknowledged is lost. The pair is this module's own, not the shared test cluster."""

import os
import shutil
import subprocess
import tempfile
import time

import cluster
import harness as h
from harness import ApiTest
from test_cluster import Load

BACKENDS = ("postgres",)
BIN = os.environ.get("CRMD_TEST_PG_BIN", "")


def as_owner(args, **kw):
    prefix = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
    return subprocess.run(prefix + args, capture_output=True, text=True, timeout=120, **kw)


def check(r, what):
    if r.returncode != 0:
        raise h.HarnessError("%s failed: %s%s" % (what, r.stdout, r.stderr))


class PgPair:
    """A primary in dirs[0] and, once attach_standby ran, a synchronous standby in dirs[1]; each
    directory holds the server's socket and its data/."""

    def __init__(self):
        self.dirs = [tempfile.mkdtemp(prefix="crmd-failover-") for _ in range(2)]
        for d in self.dirs:
            os.chmod(d, 0o755)
            if os.getuid() == 0:
                shutil.chown(d, "postgres", "postgres")
        d = self.dirs[0]
        check(as_owner([os.path.join(BIN, "initdb"), "-D", d + "/data", "--auth=trust", "--username=postgres",
                        "--encoding=UTF8", "--locale=C.UTF-8"]), "initdb")
        self.configure(0, "wal_level = replica\nmax_wal_senders = 5\n")
        self.ctl(0, "start")

    def configure(self, i, extra=""):
        with open(os.path.join(self.dirs[i], "data", "postgresql.conf"), "a") as f:
            f.write("listen_addresses = ''\nunix_socket_directories = '%s'\nport = 5432\nfsync = on\n"
                    "synchronous_commit = on\n%s" % (self.dirs[i], extra))

    def ctl(self, i, *args):
        d = self.dirs[i]
        extra = ["-w", "-t", "60", "-l", d + "/server.log"] if args[0] == "start" else ["-w"]
        check(as_owner([os.path.join(BIN, "pg_ctl"), "-D", d + "/data"] + list(args) + extra), "pg_ctl " + " ".join(args))

    def psql(self, i, sql, db="postgres"):
        r = subprocess.run(["psql", "-h", self.dirs[i], "-U", "postgres", "-d", db, "-qAt", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        check(r, "psql " + sql)
        return r.stdout.strip()

    def attach_standby(self):
        d = self.dirs[1]
        check(as_owner([os.path.join(BIN, "pg_basebackup"), "-h", self.dirs[0], "-U", "postgres", "-D", d + "/data",
                        "-R", "-X", "stream", "-c", "fast"]), "pg_basebackup")
        self.configure(1, "application_name = standby\n")
        self.ctl(1, "start")
        self.psql(0, "ALTER SYSTEM SET synchronous_standby_names = '*'")
        self.psql(0, "SELECT pg_reload_conf()")
        deadline = time.time() + 30
        while self.psql(0, "SELECT sync_state FROM pg_stat_replication") != "sync":
            if time.time() > deadline:
                raise h.HarnessError("the standby did not become synchronous")
            time.sleep(0.2)

    def url(self, db):
        return "postgresql://postgres@/%s?host=%s,%s&target_session_attrs=read-write" % (db, self.dirs[0], self.dirs[1])

    def destroy(self):
        for d in self.dirs:
            if os.path.exists(d + "/data/postmaster.pid"):
                as_owner([os.path.join(BIN, "pg_ctl"), "-D", d + "/data", "-m", "immediate", "stop"])
            shutil.rmtree(d, ignore_errors=True)


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
        self.pair.psql(0, "CREATE DATABASE crmd_failover")
        self.pair.attach_standby()
        self.cl = cluster.Cluster(2, db_url=self.pair.url("crmd_failover")).start()
        h.SERVER = self.cl.front
        h._token_cache.clear()
        o = h.create_org()
        t0 = time.time()
        load = Load(o.token)
        try:
            time.sleep(1.0)
            self.assertGreater(load.count(), 0, "writes through the synchronous pair")
            self.pair.ctl(0, "stop", "-m", "immediate")       # the primary's machine is gone
            time.sleep(1.0)
            self.pair.ctl(1, "promote")
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
        stored = set(self.pair.psql(1, "SELECT id FROM contacts", db="crmd_failover").split())
        lost = [c["_id"] for c in load.acked if c["_id"] not in stored]
        self.assertEqual(lost, [], "acknowledged contacts lost in the failover")
        # A commit the primary made durable on the standby just before it died may have had no
        # answer: more rows than 201s is possible, fewer is not. Every server reads them back.
        for c in load.acked[-40:]:
            for srv in self.cl.servers:
                g = h.get("/api/contacts/" + c["_id"], token=o.token, server=srv)
                self.assertStatus(g, 200, "read back through port %d" % srv.port)
                self.assertEqual(g.json["data"]["contact"], c)
