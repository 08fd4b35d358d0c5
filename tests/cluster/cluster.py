"""The cluster tier's harness: several crmd servers on one PostgreSQL database (a database of
its own in the cluster of scripts/with-postgres) behind deploy/haproxy.cfg. Tests talk to the
proxy (`front`, which harness.request takes as a server) or to one server directly."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import harness as h  # noqa: E402

# Behind a proxy every connection comes from the proxy's address, and one token drives the
# tests' load: the per-address and per-credential limits are off (the proxy has its own).
ENV = {"CRMD_RATE_LIMIT": "0", "CRMD_CONNECTIONS_PER_IP": "0", "CRMD_SSE_PER_IP": "0",
       "CRMD_SOCKETIO_PER_IP": "0", "CRMD_WEBHOOK_ALLOW_PRIVATE": "1", "CRMD_WEBHOOK_BACKOFF_MS": "100",
       "CRMD_SSE_KEEPALIVE_MS": "200"}


class Front:
    """The proxy, as the harness sees a server: a port, and HAProxy's log for failures."""

    proc = None
    starts = 1   # tokens cached for it stay valid: the servers behind it keep their secret

    def __init__(self, proxy):
        self.port = proxy.port
        self.log_path = proxy.log_path

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no proxy log)"


class Cluster:
    def __init__(self, n=3, env=None, db_url=None):
        self.db_url = db_url or h.pg_new_database("crmd_cluster")
        env = dict(ENV, **(env or {}))
        self.servers = [h.Server(db_url=self.db_url, env=env) for _ in range(n)]
        self.proxy = None
        self.front = None

    def start(self):
        try:
            self.servers[0].init()
            for s in self.servers:
                s.start()
            self.proxy = h.HAProxy([s.port for s in self.servers])
            self.front = Front(self.proxy)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        if self.proxy:
            self.proxy.stop()
        for s in self.servers:
            s.cleanup()


CLUSTER = None


def start_module_cluster(n=3, env=None):
    """For setUpModule: a started cluster whose front is the harness's default server."""
    global CLUSTER
    h._token_cache.clear()
    h._shared_orgs.clear()
    CLUSTER = Cluster(n, env).start()
    h.SERVER = CLUSTER.front
    return CLUSTER


def stop_module_cluster():
    global CLUSTER
    h.SERVER = None
    if CLUSTER:
        CLUSTER.stop()
    CLUSTER = None
