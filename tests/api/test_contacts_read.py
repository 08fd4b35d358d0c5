"""Reading contacts: GET /api/contacts/{id} (ETag, ids, visibility), lookup by phone, list."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


class GetById(ApiTest):
    def test_read_back(self):
        o = org()
        c = h.create_contact(o.token, firstName="Read", lastName="Back", email="rb@example.com")
        r = h.get("/api/contacts/" + c["_id"], token=o.token)
        self.assertStatus(r, 200)
        self.assertIs(r.json["success"], True)
        self.assertEqual(r.json["data"], {"contact": c})
        etag = r.headers.get("ETag")
        self.assertTrue(etag, "no ETag header")
        r2 = h.get("/api/contacts/" + c["_id"], token=o.token)
        self.assertEqual(r2.headers.get("ETag"), etag, "ETag not stable across reads")

    def test_etags_differ_between_contacts(self):
        o = org()
        a, b = h.create_contact(o.token), h.create_contact(o.token)
        ea = h.get("/api/contacts/" + a["_id"], token=o.token).headers.get("ETag")
        eb = h.get("/api/contacts/" + b["_id"], token=o.token).headers.get("ETag")
        self.assertTrue(ea and eb)
        self.assertNotEqual(ea, eb)

    def test_malformed_ids(self):
        o = org()
        for bad in ("abc", "0" * 23, "0" * 25, "ABCDEF0123456789ABCDEF01", "zzzzzzzzzzzzzzzzzzzzzzzz",
                    "0123456789abcdef0123456%21", "'%20OR%201=1"):
            r = h.get("/api/contacts/" + bad, token=o.token)
            self.assertError(r, 400, "validation_failed", msg=bad)

    def test_unknown_id(self):
        r = h.get("/api/contacts/" + "0123456789abcdef01234567", token=org().token)
        self.assertError(r, 404, "not_found")

    def test_other_org_404(self):
        a, b = org(), org("b")
        c = h.create_contact(a.token)
        r = h.get("/api/contacts/" + c["_id"], token=b.token)
        self.assertError(r, 404, "not_found")
        unknown = h.get("/api/contacts/" + "0123456789abcdef01234567", token=b.token)
        self.assertEqual(r.json, unknown.json, "another org's id must look exactly like a missing id")

    def test_superadmin_forbidden(self):
        c = h.create_contact(org().token)
        self.assertError(h.get("/api/contacts/" + c["_id"], token=h.sa_token()), 403, "forbidden")

    def test_unauthenticated(self):
        c = h.create_contact(org().token)
        self.assertError(h.get("/api/contacts/" + c["_id"]), 401, "unauthorized")


class Visibility(ApiTest):
    def test_sales_rep_sees_own_and_assigned_only(self):
        o = org("vis")
        rep = o.add_user("SALES_REP")
        mine = h.create_contact(rep.token)
        assigned = h.create_contact(o.token, assignees=[rep.id])
        hidden = h.create_contact(o.token)
        self.assertStatus(h.get("/api/contacts/" + mine["_id"], token=rep.token), 200)
        self.assertStatus(h.get("/api/contacts/" + assigned["_id"], token=rep.token), 200)
        self.assertError(h.get("/api/contacts/" + hidden["_id"], token=rep.token), 404, "not_found")

    def test_department_head_and_admin_see_all(self):
        o = org("vis")
        rep = o.add_user("SALES_REP")
        head = o.add_user("DEPARTMENT_HEAD")
        c = h.create_contact(rep.token)
        for tok in (head.token, o.token):
            r = h.get("/api/contacts/" + c["_id"], token=tok)
            self.assertStatus(r, 200)
            self.assertEqual(r.json["data"]["contact"]["_id"], c["_id"])


class ByPhone(ApiTest):
    def test_find_in_any_format(self):
        o = org()
        p = h.us_phone()
        c = h.create_contact(o.token, phone=p)
        for fmt in (p, h.us_national(p), h.us_dashed(p)):
            r = h.post("/api/contacts/phoneNumber", {"phoneNumber": fmt}, token=o.token)
            self.assertStatus(r, 200, fmt)
            self.assertEqual(r.json["data"]["contact"]["_id"], c["_id"])

    def test_find_by_secondary(self):
        o = org()
        p = h.us_phone()
        c = h.create_contact(o.token, secondaryPhoneNumber=[{"value": p}])
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": p}, token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["contact"]["_id"], c["_id"])

    def test_not_found_and_other_org(self):
        a, b = org(), org("b")
        p = h.us_phone()
        h.create_contact(a.token, phone=p)
        self.assertError(h.post("/api/contacts/phoneNumber", {"phoneNumber": h.us_phone()}, token=a.token),
                         404, "not_found")
        self.assertError(h.post("/api/contacts/phoneNumber", {"phoneNumber": p}, token=b.token),
                         404, "not_found")


class ListContacts(ApiTest):
    def test_list_newest_first(self):
        o = org("list")
        made = [h.create_contact(o.token, firstName="L%d" % i) for i in range(3)]
        r = h.get("/api/contacts?ownerFilter=all", token=o.token)
        d = self.assertOk(r)
        self.assertEqual(d["total"], 3)
        self.assertEqual(d["page"], 1)
        self.assertEqual(d["size"], 50)
        self.assertEqual([c["_id"] for c in d["contacts"]], [c["_id"] for c in reversed(made)])

    def test_size_validation(self):
        o = org("list")
        for q in ("size=0", "size=201", "page=0", "page=-1", "size=abc"):
            self.assertError(h.get("/api/contacts?" + q, token=o.token), 400, "validation_failed", msg=q)
        self.assertStatus(h.get("/api/contacts?size=200&page=1", token=o.token), 200)


class SameBytesAsJansson(ApiTest):
    """The reads print the contact straight to text (lib/json_writer.h); the create's reply is
    still jansson's. The two must be the same bytes, hostile text included."""

    # Tab, CR and LF are the only control characters the API takes (api/request.c).
    HOSTILE = 'Q"uote \\back\\slash </script> \t\n\r / \u2028\u2029 é 日本 \U0001F600'

    def test_get_list_and_lookup_print_the_create_replys_bytes(self):
        o = org("same-bytes")
        phone, second = h.us_phone(), h.us_phone()
        body = {"phoneNumber": [phone, {"value": h.us_phone(), "isPrimary": False}],
                "secondaryPhoneNumber": second, "firstName": self.HOSTILE, "lastName": "x" * 200,
                "email": ["a@example.com", {"value": "b@example.com", "isPrimary": True}],
                "source": "\\u0000 {\"a\":1}", "process": None}
        r = h.post("/api/contact", body, token=o.token)
        self.assertStatus(r, 201)
        msg = b'"Contact created successfully"'
        head, tail = b'{"success":true,"message":' + msg + b',"data":{"contact":', b',"message":' + msg + b'}}'
        self.assertTrue(r.body.startswith(head) and r.body.endswith(tail), r.body[:200])
        contact = r.body[len(head):-len(tail)]
        cid = r.json["data"]["contact"]["_id"]

        got = h.get("/api/contacts/" + cid, token=o.token)
        self.assertStatus(got, 200)
        self.assertEqual(got.body, b'{"success":true,"message":"Contact","data":{"contact":' + contact + b'}}')
        by_phone = h.post("/api/contacts/phoneNumber", {"phoneNumber": phone}, token=o.token)
        self.assertEqual(by_phone.body, got.body)
        listed = h.get("/api/contacts?size=1", token=o.token)
        self.assertStatus(listed, 200)
        prefix = b'{"success":true,"message":"Contacts","data":{"contacts":[' + contact + b'],"total":1,"page":1,'
        cursor = listed.json["data"]["nextCursor"].encode()   # a full page: there may be more
        self.assertEqual(listed.body, prefix + b'"size":1,"nextCursor":"' + cursor + b'"}}')
        last = h.get("/api/contacts?size=2", token=o.token)
        self.assertEqual(last.body, prefix.replace(b'"page":1,', b'"page":1,"size":2,"nextCursor":null}}'))
