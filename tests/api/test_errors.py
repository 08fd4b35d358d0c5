"""Envelope and transport errors: malformed JSON, 413, 415, 404/405, request ids, health."""

import http.client
import json
import re
import socket
import time

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


class Health(ApiTest):
    def test_healthz_without_auth(self):
        r = h.get("/healthz")
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("X-Request-Id"), "healthz has no X-Request-Id")

    def test_readyz_without_auth(self):
        r = h.get("/readyz")
        self.assertStatus(r, 200)

    def test_healthz_ignores_bad_token(self):
        r = h.get("/healthz", token="garbage")
        self.assertStatus(r, 200)


class MalformedBodies(ApiTest):
    def post_raw(self, raw, ctype="application/json", path="/api/contact"):
        return h.request("POST", path, raw=raw, token=org().token, content_type=ctype)

    def test_not_json(self):
        r = self.post_raw(b"{not json")
        self.assertError(r, 400, "invalid_json")

    def test_truncated_json(self):
        r = self.post_raw(b'{"phoneNumber": "+12125550100"')
        self.assertError(r, 400, "invalid_json")

    def test_top_level_array(self):
        r = self.post_raw(b'[{"phoneNumber": "+12125550100"}]')
        self.assertError(r, 400, "invalid_json")

    def test_top_level_string(self):
        r = self.post_raw(b'"hello"')
        self.assertError(r, 400, "invalid_json")

    def test_top_level_number(self):
        r = self.post_raw(b"42")
        self.assertError(r, 400, "invalid_json")

    def test_empty_body(self):
        # Not valid JSON: invalid_json (treating it as {} and naming the missing phone is tolerable).
        r = self.post_raw(b"")
        self.assertStatus(r, 400)
        self.assertIn(r.json.get("error"), ("invalid_json", "validation_failed"), r)
        self.assertIs(r.json.get("success"), False)

    def test_invalid_utf8(self):
        r = self.post_raw(b'{"phoneNumber": "+12125550100", "firstName": "\xff\xfe"}')
        self.assertEqual(r.status, 400, "invalid UTF-8 must be rejected: %r" % r)
        self.assertIn(r.json.get("error"), ("invalid_json", "validation_failed"))

    def test_trailing_garbage(self):
        r = self.post_raw(b'{"phoneNumber": "+12125550100"} xyz')
        self.assertError(r, 400, "invalid_json")

    def test_login_malformed_json(self):
        r = h.request("POST", "/api/auth/login", raw=b"{email:")
        self.assertError(r, 400, "invalid_json")

    def test_nothing_written_on_invalid_json(self):
        before = h.event_total(org().token)
        self.post_raw(b'{"phoneNumber": ')
        self.assertEqual(h.event_total(org().token), before)


class Limits(ApiTest):
    def head(self, length):
        return ("POST /api/contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                % (org().token, length)).encode()

    def test_body_over_1mib_413(self):
        big = b'{"firstName": "' + b"a" * (1024 * 1024 + 100) + b'", "phoneNumber": "+12125550100"}'
        chunks = [big[i:i + 65536] for i in range(0, len(big), 65536)]
        try:
            r = h.raw_exchange(self.head(len(big)), chunks)
        except ConnectionError as ex:
            self.fail("no 413 reply: %s" % ex)
        self.assertError(r, 413, "payload_too_large")

    def test_declared_length_over_1mib_413_without_body(self):
        # Content-Length of 50 MiB, only a few bytes sent: the server must answer without waiting.
        t0 = time.time()
        try:
            r = h.raw_exchange(self.head(50 * 1024 * 1024), [b'{"a": "'], timeout=8)
        except (ConnectionError, socket.timeout) as ex:
            self.fail("no 413 reply: %r" % ex)
        self.assertError(r, 413, "payload_too_large")
        self.assertLess(time.time() - t0, 5)

    def test_chunked_body_over_1mib_413(self):
        piece = b"a" * 65536
        chunks = [b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(20)] + [b"0\r\n\r\n"]
        head = ("POST /api/contact HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                % org().token).encode()
        try:
            r = h.raw_exchange(head, [b"%x\r\n{\"x\": \"\r\n" % 7] + chunks)
        except ConnectionError as ex:
            self.fail("no 413 reply: %s" % ex)
        self.assertError(r, 413, "payload_too_large")

    def test_body_just_under_1mib_is_read(self):
        # ~1000 KiB of an ignored key: the body is parsed; the ignored key does not matter.
        phone = h.us_phone()
        filler = "b" * (1000 * 1024)
        r = h.post("/api/contact", {"phoneNumber": phone, "ignoredKey": filler}, token=org().token)
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["phoneNumber"][0]["value"], phone)


class MediaType(ApiTest):
    def test_text_plain_415(self):
        r = h.request("POST", "/api/contact", raw=b'{"phoneNumber": "+12125550100"}',
                      token=org().token, content_type="text/plain")
        self.assertError(r, 415, "unsupported_media_type")

    def test_form_urlencoded_415(self):
        r = h.request("POST", "/api/contact", raw=b"phoneNumber=%2B12125550100",
                      token=org().token, content_type="application/x-www-form-urlencoded")
        self.assertError(r, 415, "unsupported_media_type")

    def test_missing_content_type_treated_as_json(self):
        phone = h.us_phone()
        r = h.request("POST", "/api/contact", raw=json.dumps({"phoneNumber": phone}).encode(),
                      token=org().token, content_type=None)
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["phoneNumber"][0]["value"], phone)

    def test_json_with_charset_accepted(self):
        phone = h.us_phone()
        r = h.request("POST", "/api/contact", raw=json.dumps({"phoneNumber": phone}).encode(),
                      token=org().token, content_type="application/json; charset=utf-8")
        self.assertStatus(r, 201)

    def test_reply_is_json(self):
        r = h.get("/api/user/profile", token=org().token)
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers.get("Content-Type"))
        r = h.get("/api/nope", token=org().token)
        self.assertTrue(r.headers.get("Content-Type", "").startswith("application/json"),
                        r.headers.get("Content-Type"))


class Routing(ApiTest):
    def test_unknown_path_404(self):
        r = h.get("/api/does-not-exist", token=org().token)
        self.assertError(r, 404, "not_found")

    def test_unknown_path_outside_api_404(self):
        r = h.get("/nothing-here")
        self.assertError(r, 404, "not_found")

    def test_wrong_method_405_with_allow(self):
        r = h.delete("/api/contact", token=org().token)
        self.assertError(r, 405, "method_not_allowed")
        allow = r.headers.get("Allow")
        self.assertTrue(allow, "405 without Allow header")
        methods = [m.strip() for m in allow.split(",")]
        self.assertIn("POST", methods)
        self.assertNotIn("DELETE", methods)

    def test_wrong_method_on_login_405(self):
        r = h.get("/api/auth/login")
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("POST", r.headers.get("Allow", ""))

    def test_wrong_method_on_healthz_405(self):
        r = h.post("/healthz", {})
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("GET", r.headers.get("Allow", ""))

    def test_put_on_event_logs_405(self):
        r = h.put("/api/event-logs", {}, token=org().token)
        self.assertError(r, 405, "method_not_allowed")
        self.assertIn("GET", r.headers.get("Allow", ""))


class RequestId(ApiTest):
    def test_echoed(self):
        rid = "test-req-" + h.uniq()
        r = h.get("/healthz", headers={"X-Request-Id": rid})
        self.assertEqual(r.headers.get("X-Request-Id"), rid)

    def test_echoed_on_error(self):
        rid = "err-req-" + h.uniq()
        r = h.get("/api/user/profile", headers={"X-Request-Id": rid})
        self.assertError(r, 401, "unauthorized")
        self.assertEqual(r.headers.get("X-Request-Id"), rid)

    def test_generated_and_distinct(self):
        a = h.get("/healthz").headers.get("X-Request-Id")
        b = h.get("/api/nowhere").headers.get("X-Request-Id")
        self.assertTrue(a, "no X-Request-Id generated")
        self.assertTrue(b, "no X-Request-Id on a 404")
        self.assertNotEqual(a, b)

    def test_log_names_request_id(self):
        rid = "logged-" + h.uniq()
        h.get("/api/nowhere-" + rid[-4:], headers={"X-Request-Id": rid})
        time.sleep(0.2)
        with open(h.SERVER.log_path, "rb") as f:
            self.assertIn(rid.encode(), f.read(), "the server log does not name the request id")

    def test_long_request_id_no_error(self):
        r = h.get("/healthz", headers={"X-Request-Id": "r" * 2000})
        self.assertStatus(r, 200)
        self.assertTrue(r.headers.get("X-Request-Id"))
        self.assertLessEqual(len(r.headers.get("X-Request-Id")), 2000)

    def test_generated_on_405(self):
        r = h.post("/healthz", {})
        self.assertTrue(r.headers.get("X-Request-Id"))


class Envelope(ApiTest):
    """Every 4xx has success:false, error, message — spot-check across endpoints."""

    def test_error_envelopes(self):
        tok = org().token
        cases = [
            (h.get("/api/contacts/zzz", token=tok), 400, "validation_failed"),
            (h.get("/api/contacts/" + "0" * 24, token=tok), 404, "not_found"),
            (h.get("/api/user/profile"), 401, "unauthorized"),
            (h.create_org_raw(token=tok)[0], 403, "forbidden"),
            (h.post("/api/contact", {}, token=tok), 400, "validation_failed"),
            (h.get("/api/event-logs?limit=0", token=tok), 400, "validation_failed"),
        ]
        for r, st, code in cases:
            self.assertError(r, st, code)
            self.assertNotIn("sqlite", r.body.decode("utf-8", "replace").lower(), "leaks internals")

    def test_no_internal_leak_on_odd_input(self):
        r = h.post("/api/contact", {"phoneNumber": "'; DROP TABLE contacts; --"}, token=org().token)
        self.assertError(r, 400, "validation_failed")
        low = r.body.decode("utf-8", "replace").lower()
        for word in ("sqlite", "select ", "insert ", "/src/", ".c:"):
            self.assertNotIn(word, low)

    def test_missing_phone_field_named(self):
        r = h.post("/api/contact", {"firstName": "NoPhone"}, token=org().token)
        self.assertError(r, 400, "validation_failed", field="phoneNumber")

    def test_keepalive_two_requests_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", h.SERVER.port, timeout=10)
        try:
            for _ in range(2):
                conn.request("GET", "/healthz")
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
        finally:
            conn.close()

    def test_unknown_query_params_ok(self):
        r = h.get("/api/user/profile?foo=bar&baz", token=org().token)
        self.assertStatus(r, 200)

    def test_path_with_encoded_chars_404(self):
        r = h.get("/api/contacts/%00%ff", token=org().token)
        self.assertIn(r.status, (400, 404), r)
        self.assertIs(r.json.get("success"), False)
        self.assertTrue(re.match(r"^[a-z_]+$", r.json.get("error", "")))


class Robustness(ApiTest):
    def test_idle_connections_do_not_block(self):
        idle = []
        try:
            for _ in range(64):
                idle.append(socket.create_connection(("127.0.0.1", h.SERVER.port), timeout=5))
            t0 = time.time()
            r = h.get("/healthz", timeout=5)
            self.assertStatus(r, 200)
            self.assertLess(time.time() - t0, 2.0, "64 idle connections slowed the server down")
            r = h.get("/api/user/profile", token=org().token, timeout=5)
            self.assertStatus(r, 200)
        finally:
            for s_ in idle:
                s_.close()

    def test_half_sent_request_does_not_block(self):
        s_ = socket.create_connection(("127.0.0.1", h.SERVER.port), timeout=5)
        try:
            s_.sendall(b"POST /api/contact HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":")
            r = h.get("/healthz", timeout=5)
            self.assertStatus(r, 200)
        finally:
            s_.close()

    def test_garbage_request_line(self):
        s_ = socket.create_connection(("127.0.0.1", h.SERVER.port), timeout=5)
        try:
            s_.sendall(b"\x00\xff\xfe GARBAGE \r\n\r\n")
            try:
                s_.recv(4096)
            except OSError:
                pass
        finally:
            s_.close()
        self.assertStatus(h.get("/healthz"), 200)

    def test_huge_header(self):
        try:
            r = h.get("/api/user/profile", token=org().token, headers={"X-Big": "a" * 200000})
            self.assertIn(r.status, (400, 413, 431), r)
        except (ConnectionError, http.client.HTTPException):
            pass   # closing the connection is acceptable
        self.assertStatus(h.get("/healthz"), 200)

    def test_bad_percent_encoding_in_query(self):
        r = h.get("/api/event-logs?page=%zz&limit=%", token=org().token)
        self.assertIn(r.status, (200, 400), r)
        self.assertIs(r.json.get("success"), r.status == 200)

    def test_unicode_path(self):
        r = h.get("/api/contacts/%E2%98%83", token=org().token)
        self.assertIn(r.status, (400, 404), r)
        self.assertIs(r.json.get("success"), False)

    def test_pipelined_requests(self):
        s_ = socket.create_connection(("127.0.0.1", h.SERVER.port), timeout=5)
        try:
            s_.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
            data = b""
            while True:
                part = s_.recv(65536)
                if not part:
                    break
                data += part
        finally:
            s_.close()
        self.assertEqual(data.count(b"HTTP/1.1 200"), 2, data[:500])
