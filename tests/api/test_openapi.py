"""GET /api/openapi.json and GET /api/docs (§12): the document and its rendering, served from the
binary without credentials. That the document matches the routes is tests/unit/test_openapi.c;
that it matches every exchange of this tier is openapi/validate-traffic.mjs (docs/openapi.md)."""

import json
import os
import re

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


def built_document():
    """The document the build embedded: openapi.json beside the crmd binary under test."""
    with open(os.path.join(os.path.dirname(os.path.abspath(h.CRMD)), "openapi.json"), encoding="utf-8") as f:
        return json.load(f)


class Document(ApiTest):
    def test_served_without_credentials_as_built(self):
        r = h.get("/api/openapi.json")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-Type"], "application/json")
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(r.json, built_document())
        self.assertEqual(r.json["openapi"], "3.1.0")
        # A bad token does not matter: the document is public.
        self.assertEqual(h.get("/api/openapi.json", token="not-a-token").json, r.json)

    def test_both_security_schemes(self):
        doc = h.get("/api/openapi.json").json
        schemes = doc["components"]["securitySchemes"]
        self.assertEqual(schemes["bearerJwt"], {**schemes["bearerJwt"], "type": "http", "scheme": "bearer",
                                                "bearerFormat": "JWT"})
        self.assertEqual(schemes["apiKey"]["type"], "http")
        self.assertEqual(schemes["apiKey"]["scheme"], "bearer")
        self.assertEqual(doc["security"], [{"bearerJwt": []}, {"apiKey": []}])
        # Login, the health checks and the document itself take no credentials.
        for path in ("/api/auth/login", "/healthz", "/readyz", "/api/openapi.json", "/api/docs"):
            item = doc["paths"][path]
            op = item.get("get") or item.get("post")
            self.assertEqual(op["security"], [], path)

    def test_the_tether_example_creates_a_contact(self):
        doc = h.get("/api/openapi.json").json
        example = doc["paths"]["/api/contact"]["post"]["requestBody"]["content"]["application/json"][
            "examples"]["tether"]["value"]
        self.assertEqual((example["firstName"], example["lastName"], example["status"]), ("Jane", "Doe", "New Lead"))
        self.assertEqual(example["phoneNumber"][0]["value"], "+14165550100")
        o = h.create_org()   # a fresh organization: the example's number is free there
        r = h.post("/api/contact", example, token=o.token)
        self.assertStatus(r, 201)
        c = r.data["contact"]
        self.assertEqual([p["value"] for p in c["phoneNumber"]], ["+14165550100"])
        self.assertEqual((c["firstName"], c["lastName"], c["status"], c["email"]),
                         ("Jane", "Doe", "New Lead", "jane.doe@example.com"))

    def test_only_get(self):
        r = h.post("/api/openapi.json", {})
        self.assertError(r, 405, "method_not_allowed")
        self.assertEqual(r.headers["Allow"], "GET")


class Docs(ApiTest):
    def test_page_loads_only_from_this_server(self):
        r = h.get("/api/docs")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-Type"], "text/html; charset=utf-8")
        page = r.body.decode()
        self.assertIn('<redoc spec-url="/api/openapi.json"></redoc>', page)
        self.assertEqual(re.findall(r'<script[^>]*src="([^"]+)"', page), ["/api/docs/redoc.standalone.js"])
        self.assertNotRegex(page, r"https?://", "nothing from another host")
        csp = dict(d.strip().split(" ", 1) for d in r.headers["Content-Security-Policy"].split(";"))
        self.assertEqual(csp["default-src"], "'none'")
        self.assertEqual(csp["script-src"], "'self'")
        self.assertEqual(csp["connect-src"], "'self'")
        self.assertEqual(csp["frame-ancestors"], "'none'")

    def test_renderer_is_served_from_the_binary(self):
        r = h.get("/api/docs/redoc.standalone.js")
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-Type"], "text/javascript; charset=utf-8")
        self.assertEqual(r.headers["X-Content-Type-Options"], "nosniff")
        self.assertGreater(len(r.body), 100000)
        self.assertIn(b"Redoc", r.body[:200000])
        path = os.path.join(h.REPO, "openapi", "node_modules", "redoc", "bundles", "redoc.standalone.js")
        with open(path, "rb") as f:   # the file the build embedded, byte for byte
            self.assertEqual(r.body, f.read())
        self.assertError(h.get("/api/docs/other.js"), 404, "not_found")
