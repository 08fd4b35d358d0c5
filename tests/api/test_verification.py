"""Verification (API.md §5.6): PATCH /api/contacts/{id}/verify and /unverify (ADMIN), /phone-number/verify
and /verify-contact-methods; the fields on the contact and on each number and email; the log
entries and contact_updated events; If-Match; verification surviving a PATCH that keeps a value."""

import time

import harness as h
from harness import ApiTest
from test_events import stream_events


def setUpModule():
    h.start_module_server(env={"CRMD_SSE_KEEPALIVE_MS": "200"})


def tearDownModule():
    h.stop_module_server()


UNKNOWN_ID = "0123456789abcdef01234567"
NULLS = {"verifiedAt": None, "verifiedBy": None, "verificationSource": None}
WHEN = "2026-05-01T14:30:00.000Z"


def etag_of(c):
    return '"%s.%d"' % (c["_id"], c["__v"])


def url(cid, what):
    return "/api/contacts/%s/%s" % (cid, what)


def entry_of(c, key, value):
    for e in c[key]:
        if e["value"] == value:
            return e
    raise AssertionError("no %s %r in %r" % (key, value, c[key]))


class VerifyTest(ApiTest):
    def setUp(self):
        self.o = h.create_org()

    def contact(self, token=None, **fields):
        return h.create_contact(token or self.o.token, **fields)

    def ok(self, r, message):
        d = self.assertOk(r, 200, message)
        c = d["contact"]
        self.assertEqual(r.headers.get("ETag"), etag_of(c))
        return c

    def logs(self, cid, *types):
        return [e for e in h.events_for(self.o.token, cid) if e["type"] in types]


class Shape(VerifyTest):
    def test_new_contact_is_unverified_everywhere(self):
        c = self.contact(email=["a@x.com", "b@x.com"], secondaryPhoneNumber=[h.us_phone()])
        self.assertIs(c["isVerified"], False)
        for k, v in NULLS.items():
            self.assertIn(k, c)
            self.assertIsNone(c[k], k)
        for key in ("phoneNumber", "secondaryPhoneNumber", "emails"):
            for e in c[key]:
                self.assertEqual({k: e[k] for k in NULLS}, NULLS, key)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)


class ContactVerify(VerifyTest):
    def test_verify_then_unverify(self):
        c = self.contact()
        before = time.time()
        v = self.ok(h.patch(url(c["_id"], "verify"), {"verificationSource": "id-check"}, token=self.o.token),
                    "Contact verified")
        self.assertIs(v["isVerified"], True)
        self.assertTimestamp(v["verifiedAt"])
        self.assertEqual(v["verifiedBy"], self.o.admin.id)
        self.assertEqual(v["verificationSource"], "id-check")
        self.assertEqual(v["__v"], c["__v"] + 1)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), v)
        logs = self.logs(c["_id"], "CONTACT_UPDATE")
        self.assertEqual(len(logs), 1)
        ch = logs[0]["changes"]
        self.assertEqual(ch["isVerified"], {"from": False, "to": True})
        self.assertEqual(ch["verifiedBy"], {"from": None, "to": self.o.admin.id})
        self.assertEqual(ch["verificationSource"], {"from": None, "to": "id-check"})
        self.assertLess(abs(h_time(v["verifiedAt"]) - before), 60)

        u = self.ok(h.patch(url(c["_id"], "unverify"), token=self.o.token), "Contact unverified")
        self.assertIs(u["isVerified"], False)
        self.assertEqual({k: u[k] for k in NULLS}, NULLS)
        self.assertEqual(u["__v"], v["__v"] + 1)
        self.assertEqual(len(self.logs(c["_id"], "CONTACT_UPDATE")), 2)
        names = [(n, d["contact"]["_id"], d["contact"]["__v"]) for _, n, d in stream_events(self.o.token)
                 if n == "contact_updated"]
        self.assertEqual(names, [("contact_updated", c["_id"], v["__v"]), ("contact_updated", c["_id"], u["__v"])])

    def test_verify_without_body_or_with_empty_object(self):
        c = self.contact()
        v = self.ok(h.patch(url(c["_id"], "verify"), token=self.o.token), "Contact verified")
        self.assertIs(v["isVerified"], True)
        self.assertIsNone(v["verificationSource"])
        v2 = self.ok(h.patch(url(c["_id"], "verify"), {}, token=self.o.token), "Contact verified")
        self.assertIs(v2["isVerified"], True)

    def test_unverify_of_unverified_writes_nothing(self):
        c = self.contact()
        u = self.ok(h.patch(url(c["_id"], "unverify"), token=self.o.token), "Contact unverified")
        self.assertEqual(u, c)
        self.assertEqual(self.logs(c["_id"], "CONTACT_UPDATE"), [])

    def test_admin_only(self):
        c = self.contact()
        for role in ("SALES_REP", "DEPARTMENT_HEAD"):
            tok = self.o.add_user(role).token
            mine = self.contact(token=tok)
            for what in ("verify", "unverify"):
                self.assertError(h.patch(url(c["_id"], what), {}, token=tok), 403, "forbidden")
                self.assertError(h.patch(url(mine["_id"], what), {}, token=tok), 403, "forbidden")
            self.assertEqual(h.get_contact(self.o.token, mine["_id"]), mine)
        self.assertError(h.patch(url(c["_id"], "verify"), {}, token=h.sa_token()), 403, "forbidden")
        self.assertError(h.patch(url(c["_id"], "verify"), {}), 401, "unauthorized")
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)

    def test_ids_and_tenancy(self):
        other = h.create_org()
        theirs = h.create_contact(other.token)
        for what in ("verify", "unverify"):
            self.assertError(h.patch(url("nothex", what), {}, token=self.o.token), 400, "validation_failed", "id")
            self.assertError(h.patch(url(UNKNOWN_ID, what), {}, token=self.o.token), 404, "not_found")
            self.assertError(h.patch(url(theirs["_id"], what), {}, token=self.o.token), 404, "not_found")
        self.assertEqual(h.get_contact(other.token, theirs["_id"]), theirs)

    def test_bad_bodies(self):
        c = self.contact()
        tok = self.o.token
        self.assertError(h.patch(url(c["_id"], "verify"), raw=b"{nope", token=tok), 400, "invalid_json")
        self.assertError(h.patch(url(c["_id"], "verify"), raw=b"[]", token=tok), 400, "invalid_json")
        for bad in (5, True, ["x"], {"a": 1}, "x" * 101, "a\u0000b"):
            self.assertError(h.patch(url(c["_id"], "verify"), {"verificationSource": bad}, token=tok), 400,
                             "validation_failed", "verificationSource")
        self.assertEqual(h.get_contact(tok, c["_id"]), c)

    def test_if_match(self):
        c = self.contact()
        tok = self.o.token
        stale = '"%s.%d"' % (c["_id"], c["__v"] + 7)
        self.assertError(h.patch(url(c["_id"], "verify"), {}, token=tok, headers={"If-Match": stale}), 412,
                         "precondition_failed")
        self.assertEqual(h.get_contact(tok, c["_id"]), c)
        v = self.ok(h.patch(url(c["_id"], "verify"), {}, token=tok, headers={"If-Match": etag_of(c)}),
                    "Contact verified")
        self.assertError(h.patch(url(c["_id"], "unverify"), token=tok, headers={"If-Match": etag_of(c)}), 412,
                         "precondition_failed")
        self.ok(h.patch(url(c["_id"], "unverify"), token=tok, headers={"If-Match": etag_of(v)}),
                "Contact unverified")


def h_time(ts):
    return time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone


class PhoneVerify(VerifyTest):
    def test_verify_in_any_format_and_clear(self):
        p, s = h.us_phone(), h.us_phone()
        c = self.contact(phone=p, secondaryPhoneNumber=[s])
        v = self.ok(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": h.us_national(p), "verifiedAt": WHEN},
                            token=self.o.token), "Contact method verified")
        self.assertEqual(entry_of(v, "phoneNumber", p),
                         {"value": p, "isPrimary": True, "verifiedAt": WHEN, "verifiedBy": self.o.admin.id,
                          "verificationSource": None})
        self.assertEqual({k: entry_of(v, "secondaryPhoneNumber", s)[k] for k in NULLS}, NULLS)
        self.assertIs(v["isVerified"], False, "a number's verification is not the contact's")
        self.assertEqual(v["__v"], c["__v"] + 1)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), v)
        logs = self.logs(c["_id"], "CONTACT_METHOD_VERIFIED")
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["userId"], self.o.admin.id)
        self.assertEqual(logs[0]["changes"], {"type": "phone", "value": p,
                                              "verifiedAt": {"from": None, "to": WHEN},
                                              "verifiedBy": {"from": None, "to": self.o.admin.id},
                                              "verificationSource": {"from": None, "to": None}})

        s2 = self.ok(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": h.us_dashed(s)},
                             token=self.o.token), "Contact method verified")
        self.assertTimestamp(entry_of(s2, "secondaryPhoneNumber", s)["verifiedAt"])

        u = self.ok(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": p, "verifiedAt": None},
                            token=self.o.token), "Contact method unverified")
        self.assertEqual({k: entry_of(u, "phoneNumber", p)[k] for k in NULLS}, NULLS)
        self.assertTimestamp(entry_of(u, "secondaryPhoneNumber", s)["verifiedAt"])
        un = self.logs(c["_id"], "CONTACT_METHOD_UNVERIFIED")
        self.assertEqual(len(un), 1)
        self.assertEqual(un[0]["changes"]["verifiedAt"], {"from": WHEN, "to": None})
        updated = [d["contact"]["__v"] for _, n, d in stream_events(self.o.token)
                   if n == "contact_updated" and d["contact"]["_id"] == c["_id"]]
        self.assertEqual(updated, [v["__v"], s2["__v"], u["__v"]])

    def test_same_verification_again_writes_nothing(self):
        p = h.us_phone()
        c = self.contact(phone=p)
        body = {"phoneNumber": p, "verifiedAt": WHEN}
        v = self.ok(h.patch(url(c["_id"], "phone-number/verify"), body, token=self.o.token), "Contact method verified")
        again = self.ok(h.patch(url(c["_id"], "phone-number/verify"), body, token=self.o.token),
                        "Contact method verified")
        self.assertEqual(again, v)
        self.assertEqual(len(self.logs(c["_id"], "CONTACT_METHOD_VERIFIED")), 1)
        other = self.contact()
        u = self.ok(h.patch(url(other["_id"], "phone-number/verify"), {"phoneNumber": other["phoneNumber"][0]["value"],
                                                                       "verifiedAt": None}, token=self.o.token),
                    "Contact method unverified")
        self.assertEqual(u, other)
        self.assertEqual(self.logs(other["_id"], "CONTACT_METHOD_UNVERIFIED"), [])

    def test_a_number_the_contact_does_not_have(self):
        c = self.contact()
        someone = self.contact()
        for number in (h.us_phone(), someone["phoneNumber"][0]["value"]):
            j = self.assertError(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": number},
                                         token=self.o.token), 404, "not_found", "phoneNumber")
            self.assertEqual(j.get("value"), number)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)
        self.assertEqual(h.get_contact(self.o.token, someone["_id"]), someone)

    def test_bad_bodies(self):
        c = self.contact()
        tok = self.o.token
        p = c["phoneNumber"][0]["value"]
        path = url(c["_id"], "phone-number/verify")
        self.assertError(h.patch(path, raw=b"nope", token=tok), 400, "invalid_json")
        self.assertError(h.patch(path, {}, token=tok), 400, "validation_failed", "phoneNumber")
        for bad in (None, 12125550100, ["+12125550100"], "", "not a number", "12"):
            self.assertError(h.patch(path, {"phoneNumber": bad}, token=tok), 400, "validation_failed", "phoneNumber")
        for bad in ("yesterday", 1714573800000, True, "2026-13-01T00:00:00.000Z", "1969-12-31T00:00:00.000Z"):
            self.assertError(h.patch(path, {"phoneNumber": p, "verifiedAt": bad}, token=tok), 400,
                             "validation_failed", "verifiedAt")
        self.assertEqual(h.get_contact(tok, c["_id"]), c)

    def test_visibility_roles_and_tenancy(self):
        rep = self.o.add_user("SALES_REP")
        mine = self.contact(token=rep.token)
        p = mine["phoneNumber"][0]["value"]
        v = self.ok(h.patch(url(mine["_id"], "phone-number/verify"), {"phoneNumber": p}, token=rep.token),
                    "Contact method verified")
        self.assertEqual(entry_of(v, "phoneNumber", p)["verifiedBy"], rep.id)
        hidden = self.contact()
        hp = hidden["phoneNumber"][0]["value"]
        self.assertError(h.patch(url(hidden["_id"], "phone-number/verify"), {"phoneNumber": hp}, token=rep.token),
                         404, "not_found")
        self.assertError(h.patch(url(hidden["_id"], "verify-contact-methods"),
                                 {"type": "phone", "value": hp}, token=rep.token), 404, "not_found")
        self.assertEqual(h.get_contact(self.o.token, hidden["_id"]), hidden)
        other = h.create_org()
        theirs = h.create_contact(other.token)
        tp = theirs["phoneNumber"][0]["value"]
        self.assertError(h.patch(url(theirs["_id"], "phone-number/verify"), {"phoneNumber": tp},
                                 token=self.o.token), 404, "not_found")
        self.assertError(h.patch(url(UNKNOWN_ID, "phone-number/verify"), {"phoneNumber": tp},
                                 token=self.o.token), 404, "not_found")
        self.assertError(h.patch(url("zz", "phone-number/verify"), {"phoneNumber": tp}, token=self.o.token),
                         400, "validation_failed", "id")
        self.assertError(h.patch(url(mine["_id"], "phone-number/verify"), {"phoneNumber": p}, token=h.sa_token()),
                         403, "forbidden")
        self.assertEqual(h.get_contact(other.token, theirs["_id"]), theirs)

    def test_if_match(self):
        c = self.contact()
        p = c["phoneNumber"][0]["value"]
        stale = '"%s.%d"' % (c["_id"], c["__v"] + 1)
        for path, body in ((url(c["_id"], "phone-number/verify"), {"phoneNumber": p}),
                           (url(c["_id"], "verify-contact-methods"), {"type": "phone", "value": p})):
            self.assertError(h.patch(path, body, token=self.o.token, headers={"If-Match": stale}), 412,
                             "precondition_failed")
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)
        v = self.ok(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": p}, token=self.o.token,
                            headers={"If-Match": etag_of(c)}), "Contact method verified")
        self.assertEqual(v["__v"], c["__v"] + 1)


class MethodVerify(VerifyTest):
    def test_email_case_insensitively_with_source(self):
        c = self.contact(email=["jane.doe@example.com", "other@example.com"])
        v = self.ok(h.patch(url(c["_id"], "verify-contact-methods"),
                            {"type": "email", "value": "  Jane.Doe@EXAMPLE.com", "verifiedAt": WHEN,
                             "verificationSource": "email-link"}, token=self.o.token), "Contact method verified")
        self.assertEqual(entry_of(v, "emails", "jane.doe@example.com"),
                         {"value": "jane.doe@example.com", "isPrimary": True, "verifiedAt": WHEN,
                          "verifiedBy": self.o.admin.id, "verificationSource": "email-link"})
        self.assertEqual({k: entry_of(v, "emails", "other@example.com")[k] for k in NULLS}, NULLS)
        log = self.logs(c["_id"], "CONTACT_METHOD_VERIFIED")
        self.assertEqual(log[0]["changes"]["type"], "email")
        self.assertEqual(log[0]["changes"]["verificationSource"], {"from": None, "to": "email-link"})
        u = self.ok(h.patch(url(c["_id"], "verify-contact-methods"),
                            {"type": "email", "value": "jane.doe@example.com", "verifiedAt": None},
                            token=self.o.token), "Contact method unverified")
        self.assertEqual({k: entry_of(u, "emails", "jane.doe@example.com")[k] for k in NULLS}, NULLS)

    def test_phone_type(self):
        p = h.us_phone()
        c = self.contact(phone=p)
        v = self.ok(h.patch(url(c["_id"], "verify-contact-methods"),
                            {"type": "phone", "value": h.us_dashed(p), "verificationSource": "sms"},
                            token=self.o.token), "Contact method verified")
        e = entry_of(v, "phoneNumber", p)
        self.assertTimestamp(e["verifiedAt"])
        self.assertEqual(e["verificationSource"], "sms")

    def test_not_an_entry(self):
        c = self.contact(email="a@example.com")
        for body, field in (({"type": "email", "value": "b@example.com"}, "value"),
                            ({"type": "phone", "value": h.us_phone()}, "value")):
            self.assertError(h.patch(url(c["_id"], "verify-contact-methods"), body, token=self.o.token), 404,
                             "not_found", field)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)

    def test_bad_bodies(self):
        c = self.contact(email="a@example.com")
        path = url(c["_id"], "verify-contact-methods")
        tok = self.o.token
        cases = [
            ({"value": "a@example.com"}, "type"),
            ({"type": "fax", "value": "a@example.com"}, "type"),
            ({"type": "EMAIL", "value": "a@example.com"}, "type"),
            ({"type": 1, "value": "a@example.com"}, "type"),
            ({"type": "email"}, "value"),
            ({"type": "email", "value": None}, "value"),
            ({"type": "email", "value": ["a@example.com"]}, "value"),
            ({"type": "email", "value": "not-an-email"}, "value"),
            ({"type": "phone", "value": "abc"}, "value"),
            ({"type": "email", "value": "a@example.com", "verifiedAt": "soon"}, "verifiedAt"),
            ({"type": "email", "value": "a@example.com", "verificationSource": 7}, "verificationSource"),
            ({"type": "email", "value": "a@example.com", "verificationSource": "s" * 101}, "verificationSource"),
        ]
        for body, field in cases:
            self.assertError(h.patch(path, body, token=tok), 400, "validation_failed", field, msg=repr(body))
        self.assertError(h.patch(path, raw=b'{"type": "email",', token=tok), 400, "invalid_json")
        self.assertError(h.patch(path, {"type": "email", "value": "a@example.com"}), 401, "unauthorized")
        self.assertEqual(h.get_contact(tok, c["_id"]), c)


class Survival(VerifyTest):
    """A verification follows its value through PATCHes of the lists."""

    def verify_phone(self, c, p):
        return self.ok(h.patch(url(c["_id"], "phone-number/verify"), {"phoneNumber": p, "verifiedAt": WHEN},
                               token=self.o.token), "Contact method verified")

    def patch(self, c, body):
        r = h.patch("/api/contacts/" + c["_id"], body, token=self.o.token)
        return self.assertOk(r, 200, "Contact updated successfully")["contact"]

    def test_reformatted_number_stays_verified(self):
        p = h.us_phone()
        c = self.verify_phone(self.contact(phone=p), p)
        u = self.patch(c, {"phoneNumber": [h.us_national(p)], "firstName": "Renamed"})
        self.assertEqual(entry_of(u, "phoneNumber", p)["verifiedAt"], WHEN)
        self.assertEqual(entry_of(u, "phoneNumber", p)["verifiedBy"], self.o.admin.id)
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), u)

    def test_moved_and_added_numbers(self):
        p, q = h.us_phone(), h.us_phone()
        c = self.verify_phone(self.contact(phone=p), p)
        u = self.patch(c, {"phoneNumber": [q], "secondaryPhoneNumber": [h.us_dashed(p)]})
        self.assertEqual(entry_of(u, "secondaryPhoneNumber", p)["verifiedAt"], WHEN)
        self.assertEqual({k: entry_of(u, "phoneNumber", q)[k] for k in NULLS}, NULLS)

    def test_replaced_number_loses_it_for_good(self):
        p, q = h.us_phone(), h.us_phone()
        c = self.verify_phone(self.contact(phone=p), p)
        u = self.patch(c, {"phoneNumber": [q]})
        self.assertEqual({k: entry_of(u, "phoneNumber", q)[k] for k in NULLS}, NULLS)
        back = self.patch(u, {"phoneNumber": [p]})
        self.assertEqual({k: entry_of(back, "phoneNumber", p)[k] for k in NULLS}, NULLS,
                         "a number dropped and entered again is not verified")

    def test_email_in_other_case_stays_verified(self):
        c = self.contact(email="kim@example.com")
        self.ok(h.patch(url(c["_id"], "verify-contact-methods"), {"type": "email", "value": "kim@example.com",
                                                                   "verifiedAt": WHEN}, token=self.o.token),
                "Contact method verified")
        u = self.patch(c, {"email": ["KIM@Example.com", "new@example.com"]})
        self.assertEqual(entry_of(u, "emails", "kim@example.com")["verifiedAt"], WHEN)
        self.assertEqual({k: entry_of(u, "emails", "new@example.com")[k] for k in NULLS}, NULLS)
        gone = self.patch(u, {"email": ["new@example.com"]})
        back = self.patch(gone, {"email": ["kim@example.com"]})
        self.assertEqual({k: entry_of(back, "emails", "kim@example.com")[k] for k in NULLS}, NULLS)

    def test_contact_verification_survives_patches(self):
        c = self.contact()
        v = self.ok(h.patch(url(c["_id"], "verify"), {"verificationSource": "kyc"}, token=self.o.token),
                    "Contact verified")
        u = self.patch(v, {"phoneNumber": [h.us_phone()], "lastName": "Other"})
        self.assertIs(u["isVerified"], True)
        self.assertEqual((u["verifiedAt"], u["verifiedBy"], u["verificationSource"]),
                         (v["verifiedAt"], v["verifiedBy"], "kyc"))

    def test_lists_show_verification(self):
        p = h.us_phone()
        c = self.verify_phone(self.contact(phone=p, firstName=h.uniq("Listed")), p)
        r = h.get("/api/contacts?ownerFilter=all&search=" + c["firstName"], token=self.o.token)
        rows = self.assertOk(r, 200)["contacts"]
        self.assertEqual(rows, [c])
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": h.us_national(p)}, token=self.o.token)
        self.assertEqual(self.assertOk(r, 200)["contact"], c)
