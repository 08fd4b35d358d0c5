"""Tenant isolation: org B never sees or touches org A's records; another org's id is a 404."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


class Isolation(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.a, cls.b = org("A"), org("B")
        cls.phone = h.us_phone()
        cls.ca = h.create_contact(cls.a.token, phone=cls.phone, firstName="Secret", email="secret@a.test")

    def test_contact_of_other_org_is_404(self):
        r = h.get("/api/contacts/" + self.ca["_id"], token=self.b.token)
        self.assertError(r, 404, "not_found")
        self.assertNotIn("Secret", r.body.decode())

    def test_other_org_sales_rep_and_head_too(self):
        for role in ("SALES_REP", "DEPARTMENT_HEAD", "ADMIN"):
            u = self.b.add_user(role)
            self.assertError(h.get("/api/contacts/" + self.ca["_id"], token=u.token), 404, "not_found",
                             msg=role)

    def test_pipeline_of_other_org(self):
        pa = self.a.default_pipeline()
        self.assertError(h.get("/api/pipelines?pipelineId=" + pa["_id"], token=self.b.token),
                         404, "pipeline_not_found")
        pb = self.b.default_pipeline()
        self.assertNotEqual(pa["_id"], pb["_id"])

    def test_event_logs_of_other_org(self):
        d = h.get("/api/event-logs?contactId=" + self.ca["_id"], token=self.b.token)
        self.assertStatus(d, 200)
        self.assertEqual(d.json["data"]["total"], 0)
        all_b = h.get("/api/event-logs?limit=200", token=self.b.token).json["data"]["events"]
        self.assertNotIn(self.ca["_id"], [e["contactId"] for e in all_b])
        for e in all_b:
            self.assertEqual(e["organizationId"], self.b.id)

    def test_same_phone_in_other_org(self):
        r = h.post("/api/contact", {"phoneNumber": h.us_national(self.phone)}, token=self.b.token)
        self.assertStatus(r, 201)
        cb = r.json["data"]["contact"]
        self.assertEqual(cb["phoneNumber"][0]["value"], self.phone)
        self.assertNotEqual(cb["_id"], self.ca["_id"])
        self.assertEqual(cb["organizationId"], self.b.id)
        # A's contact is unchanged and still A's.
        ga = h.get("/api/contacts/" + self.ca["_id"], token=self.a.token).json["data"]["contact"]
        self.assertEqual(ga, self.ca)
        # And B's copy is taken in B now (uniqueness is per org).
        r = h.post("/api/contact", {"phoneNumber": self.phone}, token=self.b.token)
        j = self.assertError(r, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), cb["_id"])

    def test_phone_lookup_of_other_org(self):
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": self.phone}, token=org("C").token)
        self.assertError(r, 404, "not_found")

    def test_list_of_other_org(self):
        r = h.get("/api/contacts?ownerFilter=all&size=200", token=org("C").token)
        d = self.assertOk(r)
        self.assertNotIn(self.ca["_id"], [c["_id"] for c in d["contacts"]])

    def test_cannot_assign_other_orgs_user(self):
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "assignees": [self.a.admin.id]},
                   token=self.b.token)
        self.assertError(r, 400, "validation_failed", field="assignees[0]")

    def test_other_org_admin_cannot_read_org(self):
        self.assertError(h.get("/api/organizations/" + self.a.id, token=self.b.token), 404, "not_found")

    def test_user_list_is_org_scoped(self):
        r = h.get("/api/user/list", token=self.b.token)
        self.assertStatus(r, 200)
        for u in r.json:
            self.assertEqual(u["organizationId"], self.b.id)
        self.assertNotIn(self.a.admin.id, [u["_id"] for u in r.json])
