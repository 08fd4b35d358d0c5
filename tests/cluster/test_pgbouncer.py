"""Two servers reach their database through PgBouncer in session pooling, as docs/deploy.md
describes: every endpoint works through the pooler, an event committed through one server
reaches the other's stream (LISTEN runs on a pooled session), the pooler holds no more server
connections than the documented --threads + 7 per crmd server (no import running), and when the
pooler itself is killed and restarted the servers answer 503 meanwhile (never 500) and recover by
themselves."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import cluster
import harness as h
import test_events
from harness import ApiTest

BACKENDS = ("postgres",)

THREADS = 4


class PgBouncer:
    """Debian's pgbouncer in a temp dir, on a loopback port, in front of one database of the test
    cluster; session pooling, trust auth for the postgres user (the test cluster's own)."""

    def __init__(self, db_url):
        q = urllib.parse.urlparse(db_url)
        self.dbname = q.path.lstrip("/")
        pg_host = urllib.parse.parse_qs(q.query)["host"][0]
        self.port = h.free_port()
        self.dir = tempfile.mkdtemp(prefix="crmd-pgbouncer-")
        self.as_owner = []
        if os.getuid() == 0:   # pgbouncer refuses to run as root
            shutil.chown(self.dir, "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.cfg = os.path.join(self.dir, "pgbouncer.ini")
        with open(os.path.join(self.dir, "users.txt"), "w") as f:
            f.write('"postgres" ""\n')
        with open(self.cfg, "w") as f:
            f.write("[databases]\n"
                    "crmd = host=%s dbname=%s user=postgres\n"
                    "[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\n"
                    "listen_port = %d\n"
                    "unix_socket_dir =\n"
                    "auth_type = trust\n"
                    "auth_file = %s/users.txt\n"
                    "admin_users = postgres\n"
                    "pool_mode = session\n"
                    "max_client_conn = 100\n"
                    "default_pool_size = 40\n"
                    "logfile = %s/pgbouncer.log\n"
                    "pidfile = %s/pgbouncer.pid\n"
                    % (pg_host, self.dbname, self.port, self.dir, self.dir, self.dir))
        self.proc = None
        self.start()

    @property
    def url(self):
        return "postgresql://postgres@127.0.0.1:%d/crmd" % self.port

    def start(self):
        self.proc = subprocess.Popen(self.as_owner + ["pgbouncer", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            if self.proc.poll() is not None:
                raise h.HarnessError("pgbouncer exited: %s" % self.log_tail())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise h.HarnessError("pgbouncer did not listen: %s" % self.log_tail())

    def kill(self):
        """SIGKILL to pgbouncer itself (under runuser, self.proc is runuser)."""
        try:
            with open(os.path.join(self.dir, "pgbouncer.pid")) as f:
                os.kill(int(f.read().strip()), signal.SIGKILL)
        except (OSError, ValueError):
            pass
        if self.proc and self.proc.poll() is None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def show(self, what):
        """Rows of SHOW <what> on the pooler's admin console, as lists of strings."""
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "pgbouncer",
                            "-qAt", "-F", "\t", "-c", "SHOW %s" % what], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise h.HarnessError("SHOW %s: %s" % (what, r.stderr))
        return [line.split("\t") for line in r.stdout.splitlines()]

    def log_tail(self, lines=20):
        try:
            with open(os.path.join(self.dir, "pgbouncer.log"), "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


BOUNCER = None
SERVERS = []


def setUpModule():
    global BOUNCER, SERVERS
    h._token_cache.clear()
    h._shared_orgs.clear()
    BOUNCER = PgBouncer(h.pg_new_database("crmd_pgbouncer"))
    env = dict(cluster.ENV, CRMD_THREADS=str(THREADS))
    SERVERS = [h.Server(db_url=BOUNCER.url, env=env) for _ in range(2)]
    try:
        SERVERS[0].init()
        for s in SERVERS:
            s.start()
    except BaseException:
        tearDownModule()
        raise
    h.SERVER = SERVERS[0]


def tearDownModule():
    h.SERVER = None
    for s in SERVERS:
        s.cleanup()
    if BOUNCER:
        BOUNCER.stop()


def crmd_clients():
    """The pooler's client connections to the crmd database."""
    return [row for row in BOUNCER.show("CLIENTS") if len(row) > 2 and row[2] == "crmd"]


class ThroughPgBouncer(ApiTest):
    def test_a_write_through_one_server_is_read_and_streamed_through_the_other(self):
        a, b = SERVERS
        o = h.create_org(server=a)
        reader = test_events.SseReader(o.token, after=0, server=b)
        try:
            c = h.create_contact(o.token, server=a, firstName="Pooled")
            got = reader.next_event(timeout=5.0)
            self.assertIsNotNone(got, "the event reached the other server's stream")
            self.assertEqual(got[1], "contact_created")
            self.assertEqual(got[2]["contact"]["_id"], c["_id"])
        finally:
            reader.close()
        r = h.get("/api/contacts/%s" % c["_id"], token=o.token, server=b)
        self.assertOk(r)
        self.assertEqual(r.json["data"]["contact"]["firstName"], "Pooled")
        # The phone rule holds across servers through the pooler too.
        number = r.json["data"]["contact"]["phoneNumber"][0]["value"]
        dup = h.post("/api/contact", {"firstName": "Again", "phoneNumber": number}, token=o.token, server=b)
        j = self.assertError(dup, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), c["_id"])

    def test_the_pool_holds_at_most_threads_plus_seven_connections_per_server(self):
        o = h.create_org(server=SERVERS[0])
        for i in range(20):   # work on every server so that its connections are open
            h.create_contact(o.token, server=SERVERS[i % 2], firstName="Load%d" % i)
        clients = crmd_clients()
        print("# client connections of two servers with --threads %d: %d" % (THREADS, len(clients)))
        self.assertGreaterEqual(len(clients), 2, "both servers are connected through the pooler")
        self.assertLessEqual(len(clients), 2 * (THREADS + 7), "docs/deploy.md: --threads + 7 per server")
        pools = [row for row in BOUNCER.show("POOLS") if row[0] == "crmd"]
        self.assertEqual(len(pools), 1)
        self.assertEqual(pools[0][-1], "session", "session pooling")


class PoolerRestart(ApiTest):
    def wait_until_created(self, tok, server, deadline):
        last = None
        while time.time() < deadline:
            last = h.post("/api/contact", {"firstName": "Back", "phoneNumber": h.us_phone()}, token=tok, server=server)
            if last.status == 201:
                return last
            self.assertError(last, 503, "unavailable")
            time.sleep(0.2)
        self.fail("no 201 after the pooler came back: %s %s" % (last.status, last.json))

    def test_servers_answer_503_while_the_pooler_is_down_and_recover_when_it_returns(self):
        a, b = SERVERS
        o = h.create_org(server=a)
        h.create_contact(o.token, server=b, firstName="Before")
        BOUNCER.kill()
        try:
            for s in SERVERS:
                r = h.post("/api/contact", {"firstName": "During", "phoneNumber": h.us_phone()}, token=o.token,
                           server=s)
                self.assertError(r, 503, "unavailable")
                self.assertIn("Retry-After", r.headers)
        finally:
            BOUNCER.start()
        t0 = time.time()
        deadline = t0 + 20
        for s in SERVERS:
            self.wait_until_created(o.token, s, deadline)
        print("# both servers wrote again %.2f s after the pooler restarted" % (time.time() - t0))
        # Nothing of the refused writes was kept, and the listener is back: an event written
        # through one server reaches the other's stream again.
        r = h.get("/api/contacts?limit=100", token=o.token, server=a)
        self.assertOk(r)
        names = sorted(c["firstName"] for c in r.json["data"]["contacts"])
        self.assertEqual(names, ["Back", "Back", "Before"])
        reader = test_events.SseReader(o.token, server=b)
        try:
            end = time.time() + 20
            while True:
                c = h.create_contact(o.token, server=a, firstName="Live")
                got = reader.next_event(timeout=1.0)
                while got is not None and got[2].get("contact", {}).get("_id") != c["_id"]:
                    got = reader.next_event(timeout=1.0)
                if got is not None:
                    break
                self.assertLess(time.time(), end, "the other server's listener did not come back")
        finally:
            reader.close()
