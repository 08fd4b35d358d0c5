"""deploy/haproxy.cfg in front of crmd, as docs/security.md recommends: the file is run as it is
(only its bind and server lines are pointed at this test's ports), and what it claims is
checked: the cases libmicrohttpd answers itself reach the client with crmd's envelope or are
refused before crmd, the smuggling cases still never run a hidden request, and normal traffic
(with one request id end to end) passes."""

import json
import socket
import threading
import time

import harness as h
from harness import ApiTest
from test_http_strict import parse_responses

_proxies = []
FRONT = None          # HAProxy before crmd
FRONT_FAKE = None     # HAProxy before a backend that answers like libmicrohttpd's own errors
_fake = None


def start_haproxy(backend_port):
    p = h.HAProxy([backend_port])
    _proxies.append(p)
    return p.port


class FakeBackend:
    """Answers every request the way libmicrohttpd answers what it refuses itself: a status, an
    HTML body, no X-Request-Id. The status is taken from the path (/431 -> 431)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                c.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    part = c.recv(4096)
                    if not part:
                        break
                    data += part
                if data.startswith(b"GET /readyz "):   # HAProxy's health check: up
                    c.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                    continue
                status = int(data.split(b" ")[1][1:4]) if data.startswith(b"GET /") else 500
                body = b"<html><body>Request too big</body></html>"
                c.sendall(b"HTTP/1.1 %d X\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                          % (status, len(body), body))

    def close(self):
        self.stop = True
        self.sock.close()


def setUpModule():
    global FRONT, FRONT_FAKE, _fake
    # behind a proxy every connection comes from the proxy's address: crmd's per-address
    # limits are off, the proxy's are on (docs/security.md)
    srv = h.start_module_server(env={"CRMD_CONNECTIONS_PER_IP": "0", "CRMD_SSE_PER_IP": "0",
                                     "CRMD_SOCKETIO_PER_IP": "0"})
    FRONT = start_haproxy(srv.port)
    _fake = FakeBackend()
    FRONT_FAKE = start_haproxy(_fake.port)


def tearDownModule():
    for p in _proxies:
        p.stop()
    if _fake:
        _fake.close()
    h.stop_module_server()


def exchange(port, data, timeout=5.0):
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    buf, closed = b"", False
    try:
        sock.sendall(data)
        deadline = time.time() + timeout
        while time.time() < deadline:
            sock.settimeout(max(0.05, deadline - time.time()))
            try:
                part = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not part:
                closed = True
                break
            buf += part
    finally:
        sock.close()
    return parse_responses(buf), closed


class BehindHAProxy(ApiTest):
    def test_requests_pass_with_one_request_id(self):
        rs, _ = exchange(FRONT, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual([r.status for r in rs], [200])
        self.assertEqual(rs[0].json, {"status": "ok"})
        rid = rs[0].raw_headers.get("x-request-id", "")
        self.assertRegex(rid, r"^[0-9A-F]{16,}$", "crmd took HAProxy's request id")
        # and the client's own id is kept
        rs, _ = exchange(FRONT, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: client-id-1\r\n"
                                b"Connection: close\r\n\r\n")
        self.assertEqual(rs[0].raw_headers.get("x-request-id"), "client-id-1")

    def test_long_chunk_extension_gets_the_envelope(self):
        # crmd alone: libmicrohttpd's HTML 500; HAProxy refuses it first, with crmd's envelope
        rs, closed = exchange(FRONT, b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     b"5;" + b"x" * 20000 + b"\r\nhello\r\n0\r\n\r\n")
        self.assertEqual(len(rs), 1, rs)
        self.assertError(rs[0], 400, "bad_request")
        self.assertIn("x-request-id", rs[0].raw_headers)
        self.assertTrue(closed)

    def test_smuggling_heads_are_refused_before_crmd(self):
        org = h.shared_org()
        heads = (b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 38\r\n\r\n",
                 b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n:1\r\n",
                 b"GET /healthz\x00/x HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
        for head in heads:
            email = h.unique_email("smuggled")
            body = json.dumps({"firstName": "Smuggled", "lastName": "Request", "phoneNumber": h.us_phone(),
                               "email": email}).encode()
            hidden = (b"POST /api/contact HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                      % (org.token.encode(), len(body), body))
            rs, closed = exchange(FRONT, head + hidden)
            self.assertEqual(len(rs), 1, (head, rs))
            self.assertGreaterEqual(rs[0].status, 400, (head, rs))
            self.assertLess(rs[0].status, 500, (head, rs))
            self.assertTrue(closed, head)
            r = h.get("/api/contacts?ownerFilter=all&search=" + email, token=org.token)
            self.assertEqual(r.json["data"]["total"], 0, "the hidden request ran: %r" % head)

    def test_folded_header_is_normalized(self):
        rs, _ = exchange(FRONT, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Foo: 1\r\n 2\r\nConnection: close\r\n\r\n")
        self.assertEqual([r.status for r in rs], [200])

    def test_head_over_the_proxy_limit_is_refused_there(self):
        hdrs = b"".join(b"X-H%03d: %s\r\n" % (i, b"v" * 1300) for i in range(10))
        rs, closed = exchange(FRONT, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + hdrs + b"\r\n")
        self.assertEqual([r.status for r in rs], [400])
        self.assertTrue(closed)

    def test_libmicrohttpd_html_errors_are_replaced(self):
        for status, want, code in ((400, 400, "bad_request"), (413, 413, "payload_too_large"),
                                   (414, 431, "headers_too_large"), (431, 431, "headers_too_large"),
                                   (500, 500, "internal"), (505, 400, "bad_request")):
            rs, _ = exchange(FRONT_FAKE, b"GET /%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % status)
            self.assertEqual(len(rs), 1, rs)
            self.assertError(rs[0], want, code)
            self.assertEqual(rs[0].raw_headers.get("content-type"), "application/json")
            self.assertIn("x-request-id", rs[0].raw_headers)

    def test_websocket_upgrade_passes(self):
        s = socket.create_connection(("127.0.0.1", FRONT), timeout=5)
        try:
            s.sendall(b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                part = s.recv(4096)
                if not part:
                    break
                data += part
            self.assertTrue(data.startswith(b"HTTP/1.1 101"), data[:200])
            self.assertIn(b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", data.replace(b"Sec-WebSocket-Accept", b"sec-websocket-accept"))
        finally:
            s.close()
