"""Deleting contacts: DELETE /api/contacts/{id} and DELETE /api/contacts/bulk-delete."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


UNKNOWN_ID = "0123456789abcdef01234567"


class DeleteTest(ApiTest):
    def assertDeleted(self, r, n):
        self.assertStatus(r, 200)
        j = r.json
        self.assertIsInstance(j, dict, r)
        self.assertEqual(j.get("message"), "Contacts deleted", r)
        self.assertEqual(j.get("deletedCount"), n, r)
        self.assertIsNot(j.get("success"), False, r)

    def assertGone(self, tok, cid):
        self.assertError(h.get("/api/contacts/" + cid, token=tok), 404, "not_found")

    def assertThere(self, tok, c):
        r = h.get("/api/contacts/" + c["_id"], token=tok)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["contact"], c)

    def delete_events(self, tok, cid):
        return [e for e in h.events_for(tok, cid) if e["type"] == "CONTACT_DELETE"]


class DeleteOne(DeleteTest):
    def test_delete_then_404(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertDeleted(h.delete("/api/contacts/" + c["_id"], token=o.token), 1)
        self.assertGone(o.token, c["_id"])
        # Nor is it listed or found by its number.
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all&size=200", token=o.token))
        self.assertNotIn(c["_id"], [x["_id"] for x in d["contacts"]])
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": c["phoneNumber"][0]["value"]}, token=o.token)
        self.assertError(r, 404, "not_found")

    def test_total_counts_what_is_left(self):
        o = org("total")
        made = [h.create_contact(o.token) for _ in range(4)]
        before = self.assertOk(h.get("/api/contacts?ownerFilter=all", token=o.token))["total"]
        self.assertEqual(before, 4)
        self.assertDeleted(h.delete("/api/contacts/" + made[1]["_id"], token=o.token), 1)
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all", token=o.token))
        self.assertEqual(d["total"], 3)
        self.assertEqual(len(d["contacts"]), 3)

    def test_twice_404(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertDeleted(h.delete("/api/contacts/" + c["_id"], token=o.token), 1)
        self.assertError(h.delete("/api/contacts/" + c["_id"], token=o.token), 404, "not_found")
        self.assertEqual(len(self.delete_events(o.token, c["_id"])), 1)

    def test_numbers_are_freed(self):
        o = org()
        p, s = h.us_phone(), h.us_phone()
        c = h.create_contact(o.token, phone=p, secondaryPhoneNumber=[s])
        self.assertError(h.post("/api/contact", {"phoneNumber": p}, token=o.token), 409, "phone_taken")
        self.assertDeleted(h.delete("/api/contacts/" + c["_id"], token=o.token), 1)
        r = h.post("/api/contact", {"phoneNumber": h.us_national(p), "secondaryPhoneNumber": [s]}, token=o.token)
        self.assertStatus(r, 201)
        new = r.json["data"]["contact"]
        self.assertEqual(new["phoneNumber"], [h.entry(p, True)])
        self.assertEqual(new["secondaryPhoneNumber"], [h.entry(s, False)])
        self.assertNotEqual(new["_id"], c["_id"])
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": p}, token=o.token)
        self.assertEqual(r.json["data"]["contact"]["_id"], new["_id"])

    def test_delete_log_entry(self):
        o = org()
        c = h.create_contact(o.token)
        total = h.event_total(o.token)
        self.assertDeleted(h.delete("/api/contacts/" + c["_id"], token=o.token), 1)
        self.assertEqual(h.event_total(o.token), total + 1)
        evs = self.delete_events(o.token, c["_id"])
        self.assertEqual(len(evs), 1)
        e = evs[0]
        self.assertEqual(e["contactId"], c["_id"])
        self.assertEqual(e["organizationId"], o.id)
        self.assertEqual(e["userId"], o.admin.id)
        self.assertEqual(e["source"], "manual")
        self.assertObjectId(e["_id"])
        self.assertTimestamp(e["createdAt"])
        # The history of a deleted contact stays readable: newest first, the delete on top.
        types = [x["type"] for x in h.events_for(o.token, c["_id"])]
        self.assertEqual(types, ["CONTACT_DELETE", "CONTACT_CREATE"])

    def test_malformed_unknown_other_org(self):
        a, b = org(), org("b")
        c = h.create_contact(a.token)
        for bad in ("abc", "0" * 23, "ABCDEF0123456789ABCDEF01"):
            self.assertError(h.delete("/api/contacts/" + bad, token=a.token), 400, "validation_failed", msg=bad)
        self.assertError(h.delete("/api/contacts/" + UNKNOWN_ID, token=a.token), 404, "not_found")
        r = h.delete("/api/contacts/" + c["_id"], token=b.token)
        self.assertError(r, 404, "not_found")
        self.assertThere(a.token, c)
        self.assertEqual(self.delete_events(a.token, c["_id"]), [])

    def test_auth(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertError(h.delete("/api/contacts/" + c["_id"]), 401, "unauthorized")
        self.assertError(h.delete("/api/contacts/" + c["_id"], token=h.sa_token()), 403, "forbidden")
        self.assertThere(o.token, c)

    def test_sales_rep(self):
        o = org("rep")
        rep = o.add_user("SALES_REP")
        mine = h.create_contact(rep.token)
        assigned = h.create_contact(o.token, assignees=[rep.id])
        hidden = h.create_contact(o.token)
        self.assertError(h.delete("/api/contacts/" + hidden["_id"], token=rep.token), 404, "not_found")
        self.assertThere(o.token, hidden)
        self.assertDeleted(h.delete("/api/contacts/" + mine["_id"], token=rep.token), 1)
        self.assertDeleted(h.delete("/api/contacts/" + assigned["_id"], token=rep.token), 1)
        self.assertGone(o.token, mine["_id"])
        self.assertGone(o.token, assigned["_id"])
        self.assertEqual(self.delete_events(o.token, mine["_id"])[0]["userId"], rep.id)


class BulkDelete(DeleteTest):
    def test_mix_counts_only_own(self):
        a, b = org(), org("b")
        own = [h.create_contact(a.token) for _ in range(3)]
        keep = h.create_contact(a.token)
        foreign = h.create_contact(b.token)
        ids = [own[0]["_id"], UNKNOWN_ID, foreign["_id"], own[1]["_id"], own[2]["_id"]]
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": ids}, token=a.token)
        self.assertDeleted(r, 3)
        for c in own:
            self.assertGone(a.token, c["_id"])
            self.assertEqual(len(self.delete_events(a.token, c["_id"])), 1)
        self.assertThere(a.token, keep)
        self.assertThere(b.token, foreign)
        self.assertEqual(self.delete_events(b.token, foreign["_id"]), [])
        # Their numbers are free again.
        for c in own:
            self.assertStatus(h.post("/api/contact", {"phoneNumber": c["phoneNumber"][0]["value"]}, token=a.token),
                              201)

    def test_none_found(self):
        a, b = org(), org("b")
        foreign = h.create_contact(b.token)
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [UNKNOWN_ID, foreign["_id"]]}, token=a.token)
        self.assertDeleted(r, 0)
        self.assertThere(b.token, foreign)

    def test_repeated_id_counts_once(self):
        o = org()
        c = h.create_contact(o.token)
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [c["_id"], c["_id"]]}, token=o.token)
        self.assertDeleted(r, 1)
        self.assertGone(o.token, c["_id"])
        self.assertEqual(len(self.delete_events(o.token, c["_id"])), 1)

    def test_already_deleted_not_counted(self):
        o = org()
        c1, c2 = h.create_contact(o.token), h.create_contact(o.token)
        self.assertDeleted(h.delete("/api/contacts/" + c1["_id"], token=o.token), 1)
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [c1["_id"], c2["_id"]]}, token=o.token)
        self.assertDeleted(r, 1)
        self.assertGone(o.token, c2["_id"])

    def test_validation(self):
        o = org()
        c = h.create_contact(o.token)
        cases = [
            ({"contactIds": []}, "contactIds"),
            ({}, "contactIds"),
            ({"contactIds": c["_id"]}, "contactIds"),
            ({"contactIds": {"0": c["_id"]}}, "contactIds"),
            ({"contactIds": None}, "contactIds"),
            ({"contactIds": [c["_id"], "nope"]}, None),
            ({"contactIds": [c["_id"], 12]}, None),
            ({"contactIds": [c["_id"], "ABCDEF0123456789ABCDEF01"]}, None),
        ]
        for body, field in cases:
            r = h.delete("/api/contacts/bulk-delete", body, token=o.token)
            j = self.assertError(r, 400, "validation_failed", field=field, msg=repr(body))
            self.assertTrue(str(j.get("field", "")).startswith("contactIds"), "field: %r" % r)
        # A bad id anywhere in the list deletes nothing.
        self.assertThere(o.token, c)
        self.assertEqual(self.delete_events(o.token, c["_id"]), [])
        self.assertError(h.delete("/api/contacts/bulk-delete", raw=b"[1,", token=o.token), 400, "invalid_json")
        self.assertError(h.delete("/api/contacts/bulk-delete", [c["_id"]], token=o.token), 400, "invalid_json")
        self.assertThere(o.token, c)

    def test_auth(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertError(h.delete("/api/contacts/bulk-delete", {"contactIds": [c["_id"]]}), 401, "unauthorized")
        self.assertError(h.delete("/api/contacts/bulk-delete", {"contactIds": [c["_id"]]}, token=h.sa_token()),
                         403, "forbidden")
        self.assertThere(o.token, c)

    def test_sales_rep_only_visible(self):
        o = org("rep")
        rep = o.add_user("SALES_REP")
        mine = h.create_contact(rep.token)
        hidden = h.create_contact(o.token)
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [hidden["_id"], mine["_id"]]}, token=rep.token)
        self.assertDeleted(r, 1)
        self.assertGone(o.token, mine["_id"])
        self.assertThere(o.token, hidden)
