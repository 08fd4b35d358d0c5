"""GET /metrics (API.md §9): Prometheus text for the SUPERADMIN only."""

import re
import time

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


def value(text, pattern):
    m = re.search(r"^" + pattern + r" ([0-9.e+-]+)$", text, re.M)
    return float(m.group(1)) if m else None


class Metrics(ApiTest):
    def test_counts_requests_latency_and_storage(self):
        o = h.create_org()
        h.create_contact(o.token)
        for _ in range(3):
            self.assertStatus(h.get("/api/contacts/%s" % ("0" * 24), token=o.token), 404)
        self.assertStatus(h.get("/no/such/path"), 404)
        # A request is counted when it completes, which can be just after its reply reached the
        # client: on a busy machine the last 404 may land after a first read of /metrics.
        pattern = r'crmd_http_requests_total\{method="GET",route="/api/contacts/:id",status="404"\}'
        for _ in range(50):
            r = h.get("/metrics", token=h.sa_token())
            self.assertStatus(r, 200)
            text = r.body.decode()
            if value(text, pattern) == 3:
                break
            time.sleep(0.1)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        self.assertEqual(value(text, pattern), 3)
        self.assertGreaterEqual(value(text, r'crmd_http_requests_total\{method="POST",route="/api/contact",status="201"\}'), 1)
        self.assertGreaterEqual(value(text, r'crmd_http_requests_total\{method="",route="unmatched",status="404"\}'), 1)
        count = value(text, r'crmd_http_request_duration_seconds_count\{\}')
        inf = value(text, r'crmd_http_request_duration_seconds_bucket\{le="\+Inf"\}')
        self.assertGreaterEqual(count, 6)
        self.assertEqual(count, inf)
        self.assertGreaterEqual(value(text, r'crmd_store_write_seconds_count\{\}'), 2)   # org + contact
        self.assertIsNotNone(value(text, r"crmd_http_open_connections"))
        # Buckets are cumulative.
        buckets = [float(x) for x in re.findall(r'^crmd_http_request_duration_seconds_bucket\{le="[^"]+"\} (\d+)$', text, re.M)]
        self.assertEqual(buckets, sorted(buckets))

    def test_only_the_superadmin(self):
        o = h.create_org()
        self.assertError(h.get("/metrics"), 401, "unauthorized")
        self.assertError(h.get("/metrics", token=o.token), 403, "forbidden")
