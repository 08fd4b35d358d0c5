"""Black-box test harness for crmd: start the real binary, talk HTTP to it, craft JWTs.

Python 3 standard library only. One server per test module (setUpModule/tearDownModule call
start_module_server/stop_module_server); tests reach it through the module-level helpers
(get/post/...), which always target the current server unless `server=` is given.
"""

import atexit
import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Set by run.py (--crmd) or the CRMD env var; default build/crmd of the repo.
CRMD = os.environ.get("CRMD") or os.path.join(REPO, "build", "crmd")

JWT_SECRET = "crmd-api-tests-secret"
SA_EMAIL = "root@crmd.test"
SA_PASSWORD = "superadmin-pass-1"

OBJECTID_RE = re.compile(r"^[0-9a-f]{24}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
E164_RE = re.compile(r"^\+[1-9]\d{6,14}$")

HTTP_TIMEOUT = float(os.environ.get("CRMD_TEST_HTTP_TIMEOUT", "15"))

# When set, every exchange of request() is appended to this JSONL file for openapi/validate-traffic.mjs,
# which checks it against the OpenAPI document (docs/openapi.md). run.py sets CURRENT_TEST.
TRAFFIC_LOG = os.environ.get("CRMD_TEST_TRAFFIC")
CURRENT_TEST = None
_traffic_lock = threading.Lock()


class HarnessError(Exception):
    """The environment is not usable (no binary, server will not start). Reported briefly."""


# The storage backend the servers run on: "sqlite" (a file in the server's temp dir), or
# "postgres" (a fresh database per server in the throwaway cluster of scripts/with-postgres,
# whose socket directory is CRMD_TEST_PG_DIR).
BACKEND = os.environ.get("CRMD_TEST_BACKEND", "sqlite")
PG_DIR = os.environ.get("CRMD_TEST_PG_DIR")


def pg_new_database(prefix="crmd_api"):
    """Creates an empty database in the test cluster; returns its postgres:// URL."""
    if not PG_DIR:
        raise HarnessError("CRMD_TEST_BACKEND=postgres needs the cluster of scripts/with-postgres")
    name = "%s_%s" % (prefix, os.urandom(6).hex())
    r = subprocess.run(["psql", "-h", PG_DIR, "-U", "postgres", "-d", "postgres", "-qAt", "-c",
                        "CREATE DATABASE %s" % name], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise HarnessError("cannot create database %s: %s" % (name, r.stderr.strip()))
    return "postgresql://postgres@/%s?host=%s" % (name, PG_DIR)


def _process_exists(pid):
    """Whether pid names a process, a zombie included (what kill(pid, 0) tells PostgreSQL)."""
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _process_running(pid):
    """Whether pid is a process that has not exited (a zombie has)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class PgServer:
    """A PostgreSQL server of a test's own (not the tier's shared cluster, which other tiers use
    at the same time): a temp dir holding its socket and data/, fsync on as in production.
    With standby_of, a streaming copy of that server (pg_basebackup) instead of a new one."""

    BIN = os.environ.get("CRMD_TEST_PG_BIN", "")

    def __init__(self, extra_conf="", standby_of=None):
        self.dir = tempfile.mkdtemp(prefix="crmd-pg-")
        os.chmod(self.dir, 0o755)
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        try:
            if standby_of is None:
                self._run("initdb", "-D", self.data, "--auth=trust", "--username=postgres", "--encoding=UTF8",
                          "--locale=C.UTF-8")
            else:
                self._run("pg_basebackup", "-h", standby_of.dir, "-U", "postgres", "-D", self.data, "-R",
                          "-X", "stream", "-c", "fast")
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write("listen_addresses = ''\nunix_socket_directories = '%s'\nport = 5432\nfsync = on\n"
                        "synchronous_commit = on\n%s" % (self.dir, extra_conf))
            self.ctl("start")
        except BaseException:
            self.destroy()
            raise

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def _run(self, prog, *args):
        as_owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        r = subprocess.run(as_owner + [os.path.join(self.BIN, prog)] + list(args), capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            raise HarnessError("%s %s failed: %s%s" % (prog, args[0], r.stdout, r.stderr))

    def ctl(self, action):
        """start; stop (immediately, as a crash would); kill9 (the postmaster and every backend at
        once, as a machine crash leaves them); promote (a standby)."""
        if action == "kill9":
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline())
            # Stopped first, the postmaster forks no backend after the list of its children is
            # read: one forked between the list and the kill outlived it and held the shared
            # memory, so the restart failed ("pre-existing shared memory block is still in use").
            os.kill(pid, signal.SIGSTOP)
            children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
            for c in children:
                try:
                    os.kill(int(c), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.kill(pid, signal.SIGKILL)
            # A new postmaster refuses to start while the old one's pid names a process (even a
            # zombie not reaped yet) or while any old backend still holds the shared memory.
            deadline = time.time() + 30
            while _process_exists(pid) or any(_process_running(int(c)) for c in children):
                if time.time() > deadline:
                    raise HarnessError("the killed PostgreSQL server did not go away")
                time.sleep(0.05)
            return
        args = {"start": ["start", "-w", "-t", "60", "-l", os.path.join(self.dir, "server.log")],
                "stop": ["stop", "-w", "-m", "immediate"], "promote": ["promote", "-w"]}[action]
        try:
            self._run("pg_ctl", "-D", self.data, *args)
        except HarnessError as e:
            try:
                with open(os.path.join(self.dir, "server.log")) as f:
                    log = f.read()[-2000:]
            except OSError:
                log = "(no server log)"
            raise HarnessError("%s\n--- server.log ---\n%s" % (e, log))

    def psql(self, sql, db="postgres"):
        """Runs sql on this server; returns its output, stripped."""
        r = subprocess.run(["psql", "-h", self.dir, "-U", "postgres", "-d", db, "-qAt", "-c", sql],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise HarnessError("psql %s: %s" % (sql, r.stderr.strip()))
        return r.stdout.strip()

    def url(self, db="postgres"):
        return "postgresql://postgres@/%s?host=%s" % (db, self.dir)

    def destroy(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            try:
                self.ctl("stop")
            except HarnessError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_query(url, sql):
    """Runs sql in the database of url with psql; returns its rows as lists of strings."""
    r = subprocess.run(["psql", url, "-qAt", "-F", "\t", "-c", sql], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        raise HarnessError("psql failed: %s" % r.stderr.strip())
    return [line.split("\t") for line in r.stdout.splitlines() if line]


# --------------------------------------------------------------------------------------------
# The server process


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def check_binary():
    if not os.path.isfile(CRMD):
        raise HarnessError("crmd binary not found at %s (build it: make build/crmd)" % CRMD)
    if not os.access(CRMD, os.X_OK):
        raise HarnessError("crmd binary at %s is not executable" % CRMD)


def run_cli(args, env=None, timeout=30, input_=None):
    """Runs `crmd ARGS`; returns CompletedProcess (text mode). Raises HarnessError if absent."""
    check_binary()
    e = dict(os.environ)
    e.pop("CRMD_JWT_SECRET", None)
    if env:
        e.update(env)
    return subprocess.run([CRMD] + list(args), capture_output=True, text=True, env=e,
                          timeout=timeout, input=input_)


_live = set()   # servers with a running process, killed at exit whatever happens


@atexit.register
def _kill_leftovers():
    for srv in list(_live):
        try:
            srv.kill()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


class Server:
    """One crmd process on a fresh database of the tier's backend, or on the SQLite file db_path,
    or on the database of db_url."""

    def __init__(self, workdir=None, db_path=None, secret=JWT_SECRET, env=None, db_url=None):
        self.own_dir = workdir is None
        self.env = dict(env or {})      # extra environment of `crmd serve` (e.g. CRMD_WEBHOOK_BACKOFF_MS)
        self.dir = workdir or tempfile.mkdtemp(prefix="crmd-test-")
        self.db_path = db_path or os.path.join(self.dir, "crmd.db")
        # A server of the postgres backend gets its own database, unless the test names a file.
        self.pg_url = db_url or (pg_new_database() if BACKEND == "postgres" and db_path is None else None)
        self.secret = secret
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "server-stderr.log")
        self.log_file = None
        self.starts = 0

    @property
    def db_url(self):
        return self.pg_url or "sqlite:" + self.db_path

    def init(self, email=SA_EMAIL, password=SA_PASSWORD):
        r = run_cli(["init", "--db", self.db_url, "--email", email, "--password", password])
        if r.returncode != 0:
            raise HarnessError("crmd init failed (exit %d): %s%s" % (r.returncode, r.stdout, r.stderr))
        return r

    def start(self, timeout=10.0, same_port=False):
        """Starts crmd serve on a free port, or on the port of its last start (a restart behind
        a proxy that knows it)."""
        check_binary()
        if not (same_port and self.port):
            self.port = free_port()
        env = dict(os.environ)
        env.pop("CRMD_JWT_SECRET", None)
        if self.secret is not None:
            env["CRMD_JWT_SECRET"] = self.secret
        env.update(self.env)
        self.log_file = open(self.log_path, "ab")
        self.starts += 1
        self.log_file.write(("\n==== start #%d on port %d ====\n" % (self.starts, self.port)).encode())
        self.log_file.flush()
        self.proc = subprocess.Popen(
            [CRMD, "serve", "--db", self.db_url, "--listen", "127.0.0.1:%d" % self.port],
            stdout=self.log_file, stderr=self.log_file, stdin=subprocess.DEVNULL, env=env)
        _live.add(self)
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise HarnessError("crmd serve exited with status %s before answering /healthz; log:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            try:
                r = request("GET", "/healthz", server=self, timeout=1.0)
                if r.status == 200:
                    return self
                last = "status %d" % r.status
            except (OSError, http.client.HTTPException) as ex:
                last = repr(ex)
            time.sleep(0.05)
        self.kill()
        raise HarnessError("crmd serve did not answer GET /healthz with 200 within %.0fs (last: %s); log:\n%s"
                           % (timeout, last, self.log_tail()))

    def stop(self, timeout=15.0):
        """SIGTERM and wait; returns the exit status (None if it had to be killed)."""
        if not self.proc:
            return None
        rc = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                rc = None
        else:
            rc = self.proc.returncode
        self.proc = None
        _live.discard(self)
        self._close_log()
        return rc

    def kill(self):
        """kill -9, as a crash."""
        if self.proc:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        _live.discard(self)
        self._close_log()

    def _close_log(self):
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines=40):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(data[-lines:])

    def cleanup(self):
        self.kill()
        if self.own_dir and not os.environ.get("CRMD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


class HAProxy:
    """deploy/haproxy.cfg run as it is, with only its bind line and its server lines pointed at
    this test's ports; stop() ends it."""

    CFG = os.path.join(REPO, "deploy", "haproxy.cfg")
    SERVERS = "".join("    server crmd%d 127.0.0.1:%d\n" % (i, 2211 + i) for i in (1, 2, 3))

    def __init__(self, backend_ports):
        self.port = free_port()
        with open(self.CFG) as f:
            text = f.read()
        if "bind 127.0.0.1:8080" not in text or text.count(self.SERVERS) != 1:
            raise HarnessError("deploy/haproxy.cfg no longer has the bind and server lines the tests point elsewhere")
        servers = "".join("    server crmd%d 127.0.0.1:%d\n" % (i + 1, p) for i, p in enumerate(backend_ports))
        text = text.replace("bind 127.0.0.1:8080", "bind 127.0.0.1:%d" % self.port).replace(self.SERVERS, servers)
        self.dir = tempfile.mkdtemp(prefix="crmd-haproxy-")
        path = os.path.join(self.dir, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(text)
        self.log_path = os.path.join(self.dir, "haproxy.log")
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["haproxy", "-db", "-f", path], stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        for _ in range(200):
            if self.proc.poll() is not None:
                raise HarnessError("haproxy exited: %s" % open(self.log_path).read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise HarnessError("haproxy did not listen")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class CreateLoad:
    """Eight clients creating contacts (through h.SERVER) until stopped; what they were answered:
    201 (the contacts in acked), unavailable (a 503, or a proxy's 502, with that error code), or
    anything else (in answers["other"])."""

    def __init__(self, tok):
        self.tok = tok
        self.acked, self.lock, self.stop_ = [], threading.Lock(), threading.Event()
        self.answers = {"201": 0, "unavailable": 0, "other": []}
        self.threads = [threading.Thread(target=self.writer, args=(i,)) for i in range(8)]
        for t in self.threads:
            t.start()

    def writer(self, i):
        n = 0
        while not self.stop_.is_set():
            n += 1
            try:
                r = post("/api/contact", {"phoneNumber": us_phone(), "firstName": "L%d-%d" % (i, n)},
                           token=self.tok, timeout=30)
            except Exception as ex:  # noqa: BLE001 - every failure is reported
                with self.lock:
                    self.answers["other"].append(repr(ex))
                continue
            with self.lock:
                if r.status == 201:
                    self.answers["201"] += 1
                    self.acked.append(r.json["data"]["contact"])
                elif r.status in (502, 503) and r.json.get("error") == "unavailable":
                    self.answers["unavailable"] += 1
                else:
                    self.answers["other"].append(r.status)

    def count(self):
        with self.lock:
            return self.answers["201"]

    def stop(self):
        self.stop_.set()
        for t in self.threads:
            t.join(60)


SERVER = None           # the current module's server
_token_cache = {}       # (port-start, email, password) -> token


_shared_orgs = {}      # key -> Org made on the module server now running


def shared_org(key="a", **fields):
    """An organization made once per module server and key, for tests that only need one to
    exist (fields go to create_org the first time)."""
    if key not in _shared_orgs:
        _shared_orgs[key] = create_org(**fields)
    return _shared_orgs[key]


def start_module_server(env=None):
    """For setUpModule: a fresh DB, init, serve (with extra environment `env`). Raises HarnessError
    with a clear message."""
    global SERVER
    _token_cache.clear()
    _shared_orgs.clear()
    s = Server(env=env)
    try:
        s.init()
        s.start()
    except BaseException:
        s.cleanup()
        raise
    SERVER = s
    return s


SANITIZER_MARKERS = (b"ERROR: AddressSanitizer", b"ERROR: LeakSanitizer", b"runtime error:",
                     b"WARNING: ThreadSanitizer", b"Assertion `", b"Segmentation fault")


def sanitizer_report(srv):
    """The first sanitizer/assert complaint in the server's log, or None."""
    try:
        with open(srv.log_path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for m in SANITIZER_MARKERS:
        i = data.find(m)
        if i >= 0:
            return data[max(0, i - 200):i + 1500].decode("utf-8", "replace")
    return None


def stop_module_server():
    """For tearDownModule: SIGTERM the server; it must exit 0 with no sanitizer report."""
    global SERVER
    srv, SERVER = SERVER, None
    _token_cache.clear()
    if not srv:
        return
    alive = srv.alive()
    rc = srv.stop()
    report = sanitizer_report(srv)
    tail = srv.log_tail(30)
    srv.cleanup()
    if not alive:
        raise AssertionError("the server had already exited (status %s) before the end of the module; log:\n%s"
                             % (rc, tail))
    if srv.starts > 1:
        raise AssertionError("the server crashed during this module and was restarted %d time(s); see above%s"
                             % (srv.starts - 1, ("; sanitizer report:\n" + report) if report else ""))
    if rc != 0:
        raise AssertionError("the server exited with status %s after SIGTERM (want 0); log:\n%s" % (rc, tail))
    if report:
        raise AssertionError("the server log holds a sanitizer/assert report:\n%s" % report)


# --------------------------------------------------------------------------------------------
# HTTP


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # http.client.HTTPMessage: case-insensitive .get()
        self.body = body
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (ValueError, UnicodeDecodeError):
            self.json = None

    def __iter__(self):
        return iter((self.status, self.headers, self.json))

    @property
    def data(self):
        return (self.json or {}).get("data") if isinstance(self.json, dict) else None

    def __repr__(self):
        b = self.body[:600].decode("utf-8", "replace")
        return "<HTTP %s %s>" % (self.status, b)


def request(method, path, body=None, token=None, headers=None, raw=None, server=None,
            content_type="application/json", timeout=None, source=None):
    """One request on a fresh connection. `body` is JSON-encoded; `raw` (bytes) is sent as is.
    `source` is the client address to connect from (any of 127.0.0.0/8 reaches the server), so
    that a test can be several clients."""
    srv = server or SERVER
    if srv is None or srv.port is None:
        raise HarnessError("no crmd server is running")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=timeout or HTTP_TIMEOUT,
                                      source_address=(source, 0) if source else None)
    hdrs = {}
    payload = None
    if raw is not None:
        payload = raw
    elif body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    if payload is not None and content_type is not None:
        hdrs["Content-Type"] = content_type
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    if headers:
        hdrs.update(headers)
    try:
        conn.request(method, path, body=payload, headers=hdrs)
        r = conn.getresponse()
        data = r.read()
        if TRAFFIC_LOG:
            _record_exchange(method, path, hdrs, payload, r, data)
        return Response(r.status, r.headers, data)
    finally:
        conn.close()


def _text_or_b64(data):
    """A body as UTF-8 text when it is, else base64 (the validator then knows it is not JSON)."""
    if data is None:
        return None, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), True


def _record_exchange(method, path, hdrs, payload, r, data):
    req_ct = next((v for k, v in hdrs.items() if k.lower() == "content-type"), None)
    req_body, req_b64 = _text_or_b64(payload)
    resp_body, resp_b64 = _text_or_b64(data)
    rec = {"test": CURRENT_TEST, "method": method, "target": path,
           "headers": {k: v for k, v in hdrs.items() if k.lower() != "authorization"},
           "auth": any(k.lower() == "authorization" for k in hdrs),
           "requestContentType": req_ct, "requestBody": req_body, "requestBodyBase64": req_b64,
           "status": r.status, "responseContentType": r.headers.get("Content-Type"),
           "responseHeaders": {k.lower(): v for k, v in r.headers.items()},
           "responseBody": resp_body, "responseBodyBase64": resp_b64}
    line = json.dumps(rec, ensure_ascii=False) + "\n"
    with _traffic_lock:
        with open(TRAFFIC_LOG, "a", encoding="utf-8") as f:
            f.write(line)


def raw_exchange(head, body_chunks=(), server=None, timeout=10.0):
    """Sends `head` (bytes: request line + headers + blank line), then as much of body_chunks as the
    server takes, then reads the reply even if the server answered early and stopped reading.
    Returns a Response, or raises ConnectionError if no reply at all could be read."""
    srv = server or SERVER
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    try:
        sock.sendall(head)
        for chunk in body_chunks:
            try:
                sock.sendall(chunk)
            except OSError:
                break
        data = b""
        try:
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        while True:
            try:
                part = sock.recv(65536)
            except OSError:
                break
            if not part:
                break
            data += part
    finally:
        sock.close()
    if not data:
        raise ConnectionError("the server closed the connection without a reply")
    head_b, _, body = data.partition(b"\r\n\r\n")
    lines = head_b.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    msg = http.client.HTTPMessage()
    for ln in lines[1:]:
        if ":" in ln:
            k, v = ln.split(":", 1)
            msg[k.strip()] = v.strip()
    if msg.get("Transfer-Encoding", "").lower() == "chunked":
        out, rest = b"", body
        while rest:
            size_s, _, rest = rest.partition(b"\r\n")
            size = int(size_s.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    elif msg.get("Content-Length"):
        body = body[:int(msg["Content-Length"])]
    return Response(status, msg, body)


def get(path, token=None, **kw):
    return request("GET", path, token=token, **kw)


def post(path, body=None, token=None, **kw):
    return request("POST", path, body=body, token=token, **kw)


def put(path, body=None, token=None, **kw):
    return request("PUT", path, body=body, token=token, **kw)


def patch(path, body=None, token=None, **kw):
    return request("PATCH", path, body=body, token=token, **kw)


def delete(path, body=None, token=None, **kw):
    return request("DELETE", path, body=body, token=token, **kw)


def parallel(fn, n):
    """Runs fn(i) for i in range(n) on n threads released together; returns the results in order
    (an exception is returned in place of its result)."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def work(i):
        try:
            barrier.wait(10)
            results[i] = fn(i)
        except BaseException as ex:  # noqa: BLE001 - reported to the caller
            results[i] = ex

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results


# --------------------------------------------------------------------------------------------
# JWT crafting


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s):
    s += "=" * (-len(s) % 4)
    return base64.urlsafe_b64decode(s.encode())


def jwt_claims(token):
    return json.loads(b64url_decode(token.split(".")[1]))


def jwt_header(token):
    return json.loads(b64url_decode(token.split(".")[0]))


def make_jwt(claims, secret=JWT_SECRET, alg="HS256", header=None):
    """HMAC key is SHA-256 of the secret's UTF-8 bytes (crmd's CRMD_JWT_SECRET rule)."""
    hdr = header or {"alg": alg, "typ": "JWT"}
    signing_input = b64url(json.dumps(hdr, separators=(",", ":"))) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")))
    key = hashlib.sha256(secret.encode("utf-8")).digest()
    if alg == "HS256":
        sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    elif alg == "HS512":
        sig = hmac.new(key, signing_input.encode(), hashlib.sha512).digest()
    elif alg == "HS384":
        sig = hmac.new(key, signing_input.encode(), hashlib.sha384).digest()
    elif alg.lower() == "none":
        return signing_input + "."
    else:
        raise ValueError(alg)
    return signing_input + "." + b64url(sig)


# --------------------------------------------------------------------------------------------
# Fixtures: users, orgs, phones


def login_raw(email, password, server=None):
    return post("/api/auth/login", {"email": email, "password": password}, server=server)


def login(email, password, server=None):
    srv = server or SERVER
    key = (srv.port, srv.starts, email, password)
    tok = _token_cache.get(key)
    if tok is None:
        r = login_raw(email, password, server=srv)
        if r.status != 200 or not isinstance(r.json, dict) or not r.json.get("token"):
            raise AssertionError("login of %s failed: %r" % (email, r))
        tok = r.json["token"]
        _token_cache[key] = tok
    return tok


def forget_token(email):
    for k in list(_token_cache):
        if k[2] == email:
            del _token_cache[k]


def sa_token(server=None):
    return login(SA_EMAIL, SA_PASSWORD, server=server)


_uniq = itertools.count(1)
_run_tag = "%x" % random.randrange(16 ** 6)


def uniq(prefix="x"):
    return "%s%s%d" % (prefix, _run_tag, next(_uniq))


def unique_email(prefix="user"):
    return "%s@%s.test" % (uniq(prefix), "example")


class User:
    def __init__(self, id_, email, password, role, org=None, server=None):
        self.id = id_
        self.email = email
        self.password = password
        self.role = role
        self.org = org
        self.server = server

    @property
    def token(self):
        return login(self.email, self.password, server=self.server)


class Org:
    def __init__(self, id_, name, admin, body, server=None):
        self.id = id_
        self.name = name
        self.admin = admin
        self.body = body
        self.server = server
        self._pipeline = None

    @property
    def token(self):
        return self.admin.token

    def default_pipeline(self):
        if self._pipeline is None:
            r = get("/api/pipelines?type=Contact", token=self.token, server=self.server)
            if r.status != 200:
                raise AssertionError("GET /api/pipelines failed: %r" % r)
            self._pipeline = r.json["pipeline"]
        return self._pipeline

    def stage(self, name):
        for st in self.default_pipeline()["pipelineStages"]:
            if st["name"] == name:
                return st
        raise AssertionError("no stage %r" % name)

    def add_user(self, role="SALES_REP", **extra):
        email = unique_email(role.lower().replace("_", ""))
        password = "pw-" + uniq("p") + "-long"
        body = {"fullName": "Test " + role.title(), "email": email, "password": password,
                "accessRole": role}
        body.update(extra)
        r = post("/api/users", body, token=self.token, server=self.server)
        if r.status != 201:
            raise AssertionError("POST /api/users failed: %r" % r)
        return User(r.json["data"]["user"]["_id"], email, password, role, org=self, server=self.server)


def create_org_raw(name=None, admin_email=None, admin_password=None, server=None, token=None, **fields):
    body = {"name": name or uniq("Org "),
            "adminDetails": {"fullName": "Admin Person", "email": admin_email or unique_email("admin"),
                             "password": admin_password or "admin-pass-123"}}
    body.update(fields)
    return post("/api/organizations", body, token=token or sa_token(server), server=server), body


def create_org(name=None, server=None, **fields):
    r, body = create_org_raw(name=name, server=server, **fields)
    if r.status != 201:
        raise AssertionError("POST /api/organizations failed: %r" % r)
    d = r.json["data"]
    admin = User(d["admin"]["_id"], body["adminDetails"]["email"], body["adminDetails"]["password"],
                 "ADMIN", server=server)
    org = Org(d["organization"]["_id"], body["name"], admin, d, server=server)
    admin.org = org
    return org


_US_AREAS = ["212", "415", "617", "312", "202", "303", "206", "512", "718", "305"]
_phone_seen = set()
_phone_lock = threading.Lock()


def us_phone():
    """A fresh valid US number, E.164. Unique within this test process."""
    with _phone_lock:
        while True:
            n = "+1%s%d%04d" % (random.choice(_US_AREAS), random.randint(200, 999), random.randint(0, 9999))
            if n not in _phone_seen:
                _phone_seen.add(n)
                return n


def gb_phone():
    """A fresh valid London number, E.164 (+44 20 3xxx xxxx)."""
    with _phone_lock:
        while True:
            n = "+44203%07d" % random.randint(0, 9999999)
            if n not in _phone_seen:
                _phone_seen.add(n)
                return n


def us_national(e164):
    """+12125550100 -> (212) 555-0100"""
    d = e164[2:]
    return "(%s) %s-%s" % (d[:3], d[3:6], d[6:])


def us_dashed(e164):
    d = e164[2:]
    return "%s-%s-%s" % (d[:3], d[3:6], d[6:])


def gb_national(e164):
    """+442031234567 -> 020 3123 4567"""
    d = e164[3:]
    return "0%s %s %s" % (d[:2], d[2:6], d[6:])


def create_contact(token, phone=None, server=None, **fields):
    body = {"phoneNumber": phone or us_phone(), "firstName": "Test", "lastName": "Contact"}
    body.update(fields)
    r = post("/api/contact", body, token=token, server=server)
    if r.status != 201:
        raise AssertionError("POST /api/contact failed: %r" % r)
    return r.json["data"]["contact"]


def event_total(token, server=None, **q):
    qs = "&".join("%s=%s" % kv for kv in q.items())
    r = get("/api/event-logs" + ("?" + qs if qs else ""), token=token, server=server)
    if r.status != 200:
        raise AssertionError("GET /api/event-logs failed: %r" % r)
    return r.json["data"]["total"]


# --------------------------------------------------------------------------------------------
# Assertions


class ApiTest(unittest.TestCase):
    maxDiff = 4000

    def assertStatus(self, r, status, msg=None):
        if r.status != status:
            self.fail("%sexpected HTTP %d, got %r" % ((msg + ": ") if msg else "", status, r))

    def assertError(self, r, status, error, field=None, msg=None):
        """The error envelope of API.md §1: success false, error code, message; field if given."""
        self.assertStatus(r, status, msg)
        j = r.json
        self.assertIsInstance(j, dict, "error body is not a JSON object: %r" % r)
        self.assertIs(j.get("success"), False, "success must be false: %r" % r)
        self.assertEqual(j.get("error"), error, "error code: %r" % r)
        self.assertIsInstance(j.get("message"), str, "message must be a string: %r" % r)
        self.assertTrue(j.get("message"), "message must not be empty: %r" % r)
        if field is not None:
            self.assertEqual(j.get("field"), field, "field: %r" % r)
        return j

    def assertOk(self, r, status=200, message=None):
        """The success envelope: success true, message string, data present."""
        self.assertStatus(r, status)
        j = r.json
        self.assertIsInstance(j, dict, "body is not a JSON object: %r" % r)
        self.assertIs(j.get("success"), True, "success must be true: %r" % r)
        self.assertIn("data", j, "no data: %r" % r)
        if message is not None:
            self.assertEqual(j.get("message"), message)
        return j["data"]

    def assertObjectId(self, v, what="id"):
        self.assertIsInstance(v, str, "%s is not a string: %r" % (what, v))
        self.assertRegex(v, OBJECTID_RE, "%s is not 24 lowercase hex" % what)

    def assertTimestamp(self, v, what="timestamp"):
        self.assertIsInstance(v, str, "%s is not a string: %r" % (what, v))
        self.assertRegex(v, TS_RE, "%s is not ISO-8601 with ms and Z" % what)

    def assertNoSecrets(self, obj, where="reply"):
        """No key anywhere in obj mentions a password, a hash or an API key."""
        def walk(o, path):
            if isinstance(o, dict):
                for k, v in o.items():
                    lk = k.lower()
                    if "password" in lk or "hash" in lk or "apikey" in lk or "api_key" in lk:
                        self.fail("%s leaks key %r at %s" % (where, k, path))
                    walk(v, path + "." + k)
            elif isinstance(o, list):
                for i, v in enumerate(o):
                    walk(v, "%s[%d]" % (path, i))
        walk(obj, "$")


# --------------------------------------------------------------------------------------------
# Helpers for the contact update/delete/list and pipeline-write modules


def events_for(token, contact_id, server=None, **q):
    """The event-log entries of one contact, newest first (GET /api/event-logs?contactId=)."""
    q = dict(q, contactId=contact_id, limit=q.get("limit", 200))
    qs = "&".join("%s=%s" % kv for kv in q.items())
    r = get("/api/event-logs?" + qs, token=token, server=server)
    if r.status != 200:
        raise AssertionError("GET /api/event-logs failed: %r" % r)
    return r.json["data"]["events"]


def entry(value, primary):
    """A phone or email entry of a contact as replies show it: not verified (API.md §5.6)."""
    return {"value": value, "isPrimary": primary, "verifiedAt": None, "verifiedBy": None,
            "verificationSource": None}


def get_contact(token, contact_id, server=None):
    """GET /api/contacts/{id} → the contact; AssertionError unless 200."""
    r = get("/api/contacts/" + contact_id, token=token, server=server)
    if r.status != 200:
        raise AssertionError("GET /api/contacts/%s failed: %r" % (contact_id, r))
    return r.json["data"]["contact"]
