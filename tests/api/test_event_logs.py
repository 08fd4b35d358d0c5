"""GET /api/event-logs: shape, paging, validation, filters, tenancy."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


EVENT_KEYS = {"_id", "organizationId", "userId", "contactId", "type", "source", "changes", "createdAt"}

org = h.shared_org


class Shape(ApiTest):
    def test_empty_org(self):
        o = org("empty")
        d = self.assertOk(h.get("/api/event-logs", token=o.token))
        self.assertEqual(d["events"], [])
        self.assertEqual(d["total"], 0)
        self.assertEqual(d["page"], 1)
        self.assertIsInstance(d["limit"], int)
        self.assertGreaterEqual(d["limit"], 1)

    def test_entries_newest_first(self):
        o = org("order")
        made = [h.create_contact(o.token) for _ in range(4)]
        d = self.assertOk(h.get("/api/event-logs", token=o.token))
        self.assertEqual(d["total"], 4)
        self.assertEqual([e["contactId"] for e in d["events"]], [c["_id"] for c in reversed(made)])
        for e in d["events"]:
            self.assertEqual(set(e.keys()), EVENT_KEYS)
            self.assertEqual(e["type"], "CONTACT_CREATE")
            self.assertEqual(e["source"], "manual")
            self.assertEqual(e["organizationId"], o.id)
            self.assertEqual(e["userId"], o.admin.id)
            self.assertObjectId(e["_id"])
            self.assertTimestamp(e["createdAt"])
        stamps = [e["createdAt"] for e in d["events"]]
        self.assertEqual(stamps, sorted(stamps, reverse=True))


class Paging(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.o = org("paging")
        cls.made = [h.create_contact(cls.o.token) for _ in range(5)]

    def test_limit_and_pages(self):
        tok = self.o.token
        p1 = self.assertOk(h.get("/api/event-logs?limit=2&page=1", token=tok))
        p2 = self.assertOk(h.get("/api/event-logs?limit=2&page=2", token=tok))
        p3 = self.assertOk(h.get("/api/event-logs?limit=2&page=3", token=tok))
        p4 = self.assertOk(h.get("/api/event-logs?limit=2&page=4", token=tok))
        self.assertEqual((p1["page"], p1["limit"], p1["total"]), (1, 2, 5))
        self.assertEqual(p2["page"], 2)
        self.assertEqual([len(p["events"]) for p in (p1, p2, p3, p4)], [2, 2, 1, 0])
        ids = [e["contactId"] for p in (p1, p2, p3) for e in p["events"]]
        self.assertEqual(ids, [c["_id"] for c in reversed(self.made)])

    def test_limit_bounds(self):
        tok = self.o.token
        self.assertEqual(self.assertOk(h.get("/api/event-logs?limit=1", token=tok))["limit"], 1)
        self.assertEqual(self.assertOk(h.get("/api/event-logs?limit=200", token=tok))["limit"], 200)
        for q in ("limit=0", "limit=201", "limit=-5", "limit=abc", "page=0", "page=-1", "page=x",
                  "limit=1.5", "page=99999999999999999999999"):
            self.assertError(h.get("/api/event-logs?" + q, token=tok), 400, "validation_failed", msg=q)

    def test_contact_filter(self):
        c = self.made[2]
        d = self.assertOk(h.get("/api/event-logs?contactId=" + c["_id"], token=self.o.token))
        self.assertEqual(d["total"], 1)
        self.assertEqual([e["contactId"] for e in d["events"]], [c["_id"]])
        d = self.assertOk(h.get("/api/event-logs?contactId=" + "0" * 24, token=self.o.token))
        self.assertEqual((d["total"], d["events"]), (0, []))
        self.assertError(h.get("/api/event-logs?contactId=nope", token=self.o.token), 400, "validation_failed")

    def test_user_filter(self):
        o = self.o
        rep = o.add_user("SALES_REP")
        c = h.create_contact(rep.token)
        d = self.assertOk(h.get("/api/event-logs?userId=" + rep.id, token=o.token))
        self.assertEqual(d["total"], 1)
        self.assertEqual(d["events"][0]["contactId"], c["_id"])
        self.assertEqual(d["events"][0]["userId"], rep.id)


class Tenancy(ApiTest):
    def test_org_scoped(self):
        a, b = org("ta"), org("tb")
        ca = h.create_contact(a.token)
        db = self.assertOk(h.get("/api/event-logs", token=b.token))
        self.assertNotIn(ca["_id"], [e["contactId"] for e in db["events"]])
        d = self.assertOk(h.get("/api/event-logs?contactId=" + ca["_id"], token=b.token))
        self.assertEqual(d["total"], 0)
        self.assertEqual(d["events"], [])

    def test_superadmin_forbidden(self):
        self.assertError(h.get("/api/event-logs", token=h.sa_token()), 403, "forbidden")

    def test_unauthenticated(self):
        self.assertError(h.get("/api/event-logs"), 401, "unauthorized")

    def test_sales_rep_sees_only_its_own_entries(self):
        o = org("rep")
        rep = o.add_user("SALES_REP")
        admins = h.create_contact(o.token, firstName="Secret")
        own = h.create_contact(rep.token)
        d = self.assertOk(h.get("/api/event-logs", token=rep.token))
        self.assertEqual([e["contactId"] for e in d["events"]], [own["_id"]])
        self.assertEqual(d["total"], 1)
        d = self.assertOk(h.get("/api/event-logs?contactId=" + admins["_id"], token=rep.token))
        self.assertEqual(d["events"], [])
        self.assertError(h.get("/api/event-logs?userId=" + o.admin.id, token=rep.token), 403, "forbidden",
                         field="userId")
        # The ADMIN still sees both.
        d = self.assertOk(h.get("/api/event-logs", token=o.token))
        self.assertTrue({admins["_id"], own["_id"]} <= {e["contactId"] for e in d["events"]})


class DeepPaging(ApiTest):
    def test_offset_past_the_cap_points_to_keyset_paging(self):
        o = org()
        r = h.get("/api/event-logs?page=1000&limit=200", token=o.token)
        self.assertError(r, 400, "validation_failed", field="page")
        r = h.get("/api/contacts?ownerFilter=all&page=600&size=200", token=o.token)
        self.assertError(r, 400, "validation_failed", field="page")
        self.assertStatus(h.get("/api/contacts?ownerFilter=all&page=500&size=200", token=o.token), 200)
