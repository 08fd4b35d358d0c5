"""The web console's files (API.md §13): served from inside the binary at / and /assets/, with a
strict CSP, nosniff, year-long caching of fingerprinted assets, pre-gzipped bodies, ETag/304."""

import gzip
import re

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


def assets():
    """The paths of the assets the page names, in order: CSS, socket.io client, app."""
    page = h.get("/").body.decode()
    return re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)


class Console(ApiTest):
    def test_page_is_html_with_strict_headers_and_no_inline_code(self):
        r = h.get("/")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        csp = r.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        self.assertEqual(directives["default-src"], "'self'")
        self.assertEqual(directives["script-src"], "'self'")
        self.assertEqual(directives["style-src"], "'self'")
        self.assertEqual(directives["connect-src"], "'self'")
        self.assertEqual(directives["frame-ancestors"], "'none'")
        self.assertNotIn("unsafe", csp)
        self.assertIsNone(r.headers.get("Content-Encoding"))
        page = r.body.decode()
        self.assertIn('<div id="app">', page)
        self.assertNotRegex(page, r"<script>|<script [^>]*>[^<]|<style|style=")   # nothing inline
        self.assertNotRegex(page, r"https?://")   # nothing from another host
        self.assertEqual(len(assets()), 3)

    def test_assets_are_fingerprinted_typed_and_cached_for_a_year(self):
        for path in assets():
            self.assertRegex(path, r"^/assets/[a-z.]+\.[0-9a-f]{12}\.(js|css)$")
            r = h.get(path)
            self.assertStatus(r, 200)
            kind = "text/css" if path.endswith(".css") else "text/javascript"
            self.assertEqual(r.headers["Content-Type"], kind + "; charset=utf-8")
            self.assertEqual(r.headers["Cache-Control"], "public, max-age=31536000, immutable")
            self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
            self.assertEqual(r.headers["Vary"], "Accept-Encoding")
            self.assertGreater(len(r.body), 100)
            self.assertNotIn(b"sourceMappingURL=http", r.body)

    def test_the_stock_socket_io_client_is_served(self):
        sio = [p for p in assets() if p.startswith("/assets/socket.io.")]
        self.assertEqual(len(sio), 1)
        body = h.get(sio[0]).body
        self.assertIn(b"Socket.IO v4", body)

    def test_gzip_only_when_accepted(self):
        for path in ["/"] + assets():
            plain = h.get(path)
            self.assertIsNone(plain.headers.get("Content-Encoding"))
            for ae in ("gzip", "br, gzip;q=0.5", "deflate, *", "GZIP"):
                z = h.get(path, headers={"Accept-Encoding": ae})
                self.assertStatus(z, 200)
                self.assertEqual(z.headers["Content-Encoding"], "gzip", ae)
                self.assertEqual(gzip.decompress(z.body), plain.body)
                self.assertLess(len(z.body), len(plain.body))
                self.assertNotEqual(z.headers["ETag"], plain.headers["ETag"])
            for ae in ("identity", "br", "gzip;q=0", "gzip;q=0.000, br", "*;q=0", "*, gzip;q=0"):
                r = h.get(path, headers={"Accept-Encoding": ae})
                self.assertIsNone(r.headers.get("Content-Encoding"), ae)
                self.assertEqual(r.body, plain.body)

    def test_etag_revalidation_answers_304(self):
        for path in ["/"] + assets():
            r = h.get(path)
            etag = r.headers["ETag"]
            self.assertRegex(etag, r'^"[0-9a-f]{12}"$')
            for inm in (etag, "W/" + etag, '"other", ' + etag, "*"):
                n = h.get(path, headers={"If-None-Match": inm})
                self.assertStatus(n, 304)
                self.assertEqual(n.body, b"")
                self.assertEqual(n.headers["ETag"], etag)
                self.assertEqual(n.headers["Cache-Control"], r.headers["Cache-Control"])
            # the gzipped variant's own tag revalidates too
            z = h.get(path, headers={"Accept-Encoding": "gzip"})
            n = h.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": z.headers["ETag"]})
            self.assertStatus(n, 304)
            for stale in ('"000000000000"', etag[:-2] + '"', "", '"' + etag.strip('"')[:6] + '"'):
                self.assertStatus(h.get(path, headers={"If-None-Match": stale}), 200)

    def test_head_has_the_headers_and_no_body(self):
        for path in ["/"] + assets():
            g = h.get(path)
            r = h.request("HEAD", path)
            self.assertStatus(r, 200)
            self.assertEqual(r.body, b"")
            self.assertEqual(r.headers["Content-Length"], str(len(g.body)))
            self.assertEqual(r.headers["ETag"], g.headers["ETag"])
            self.assertEqual(r.headers["Content-Type"], g.headers["Content-Type"])

    def test_unknown_assets_are_404_with_the_error_envelope(self):
        real = assets()[0]
        for path in ("/assets/app.000000000000.js", "/assets/nope", real + "x", real.replace(".", "%2E", 1),
                     "/assets/..%2F..%2Fetc%2Fpasswd", "/assets/" + "a" * 2000 + ".js"):
            r = h.get(path)
            self.assertError(r, 404, "not_found")
            self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertError(h.get("/assets/"), 404, "not_found")
        self.assertError(h.get("/index.html"), 404, "not_found")
        self.assertError(h.get("/contacts"), 404, "not_found")   # hash routing: one page at /

    def test_other_methods_are_405(self):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            r = h.request(method, "/")
            self.assertError(r, 405, "method_not_allowed")
            self.assertEqual(r.headers["Allow"], "GET, HEAD")
            r = h.request(method, assets()[0])
            self.assertError(r, 405, "method_not_allowed")

    def test_no_credentials_needed_and_a_bad_one_is_ignored(self):
        self.assertStatus(h.get("/", token="not-a-token"), 200)
        self.assertStatus(h.get(assets()[0], token="not-a-token"), 200)
