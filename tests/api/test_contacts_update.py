"""Changing contacts: PATCH /api/contacts/{id} (validation, phones, versions, ETag/If-Match, the
CONTACT_UPDATE log, stage re-resolution, ids and tenancy) and Tether's board move PUT /api/contact."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


UNKNOWN_ID = "0123456789abcdef01234567"


def etag_of(contact):
    return '"%s.%d"' % (contact["_id"], contact["__v"])


def strip_etag(e):
    """`"id.v"` or `W/"id.v"` → `id.v`."""
    if e is None:
        return None
    if e.startswith("W/"):
        e = e[2:]
    return e.strip('"')


def second_pipeline(o, names=("Intro", "Deal", "Closed")):
    body = {"name": h.uniq("Second "), "type": "Contact",
            "pipelineStages": [{"name": n, "color": "#112233", "position": i} for i, n in enumerate(names)]}
    r = h.post("/api/pipelines/create", body, token=o.token)
    if r.status != 201:
        raise AssertionError("POST /api/pipelines/create failed: %r" % r)
    j = r.json
    return j["pipeline"] if "pipeline" in j else j["data"]["pipeline"]


class UpdateTest(ApiTest):
    def patch_ok(self, tok, cid, body, **kw):
        r = h.patch("/api/contacts/" + cid, body, token=tok, **kw)
        d = self.assertOk(r, 200, "Contact updated successfully")
        self.assertEqual(d.get("message"), "Contact updated successfully")
        self.assertIn("contact", d)
        return d["contact"], r

    def assertUnchanged(self, tok, before):
        now = h.get_contact(tok, before["_id"])
        self.assertEqual(now, before, "the contact must be unchanged")

    def update_events(self, tok, cid):
        return [e for e in h.events_for(tok, cid) if e["type"] == "CONTACT_UPDATE"]


# ------------------------------------------------------------------------------------------
# Fields


class Fields(UpdateTest):
    def test_names_reply_and_readback(self):
        o = org()
        c = h.create_contact(o.token, firstName="Old", lastName="Name")
        u, r = self.patch_ok(o.token, c["_id"], {"firstName": "New", "lastName": "Surname"})
        self.assertEqual(u["firstName"], "New")
        self.assertEqual(u["lastName"], "Surname")
        self.assertEqual(u["__v"], c["__v"] + 1)
        self.assertEqual(set(u.keys()), set(c.keys()), "the contact keeps all its keys")
        for k in ("_id", "organizationId", "userId", "createdBy", "createdAt", "phoneNumber", "status",
                  "pipelineId", "pipelineStage", "assignees"):
            self.assertEqual(u[k], c[k], k)
        self.assertTimestamp(u["updatedAt"])
        self.assertGreaterEqual(u["updatedAt"], c["updatedAt"])
        self.assertEqual(h.get_contact(o.token, c["_id"]), u, "GET must return what PATCH replied")

    def test_process_source_email(self):
        o = org()
        c = h.create_contact(o.token)
        u, _ = self.patch_ok(o.token, c["_id"], {"process": "Onboarding", "source": "web",
                                                 "email": "  Mixed.Case@Example.COM "})
        self.assertEqual(u["process"], "Onboarding")
        self.assertEqual(u["source"], "web")
        self.assertEqual(u["email"], "mixed.case@example.com")
        self.assertEqual(u["emails"], [h.entry("mixed.case@example.com", True)])
        u2, _ = self.patch_ok(o.token, c["_id"], {"email": [{"value": "a@example.com"},
                                                             {"value": "b@example.com", "isPrimary": True}]})
        self.assertEqual(u2["email"], "b@example.com")
        self.assertEqual(u2["emails"], [h.entry("a@example.com", False),
                                        h.entry("b@example.com", True)])
        self.assertEqual(h.get_contact(o.token, c["_id"]), u2)

    def test_null_clears_optional_strings(self):
        o = org()
        c = h.create_contact(o.token, firstName="F", lastName="L", email="x@example.com", process="p",
                             source="s")
        u, _ = self.patch_ok(o.token, c["_id"], {"firstName": None, "lastName": None, "email": None,
                                                 "process": None, "source": None})
        for k in ("firstName", "lastName", "email", "process", "source"):
            self.assertIsNone(u[k], k)
        self.assertEqual(u["emails"], [])
        self.assertEqual(u["phoneNumber"], c["phoneNumber"])
        self.assertEqual(h.get_contact(o.token, c["_id"]), u)

    def test_assignees(self):
        o = org()
        rep = o.add_user("SALES_REP")
        c = h.create_contact(o.token)
        self.assertEqual(c["assignees"], [o.admin.id])
        u, _ = self.patch_ok(o.token, c["_id"], {"assignees": [rep.id, rep.id, o.admin.id]})
        self.assertEqual(sorted(u["assignees"]), sorted([rep.id, o.admin.id]))
        other = org("b")
        r = h.patch("/api/contacts/" + c["_id"], {"assignees": [other.admin.id]}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="assignees[0]")
        self.assertEqual(sorted(h.get_contact(o.token, c["_id"])["assignees"]), sorted([rep.id, o.admin.id]))

    def test_unknown_keys_ignored(self):
        o = org()
        c = h.create_contact(o.token, firstName="Keep")
        u, _ = self.patch_ok(o.token, c["_id"], {"lastName": "Changed", "favouriteColour": "blue",
                                                 "organizationId": org("b").id})
        self.assertEqual(u["lastName"], "Changed")
        self.assertEqual(u["organizationId"], o.id)
        self.assertNotIn("favouriteColour", u)

    def test_validation(self):
        o = org()
        c = h.create_contact(o.token)
        cases = [
            ({"firstName": "x" * 201}, "firstName"),
            ({"lastName": "y" * 201}, "lastName"),
            ({"firstName": 12}, "firstName"),
            ({"source": "s" * 101}, "source"),
            ({"process": "p" * 101}, "process"),
            ({"status": "t" * 101}, "status"),
            ({"email": "not-an-email"}, "email"),
            ({"email": ["a@example.com", "A@example.com"]}, None),
            ({"phoneNumber": None}, "phoneNumber"),
            ({"phoneNumber": []}, "phoneNumber"),
            ({"phoneNumber": [{"value": "12"}]}, "phoneNumber[0].value"),
            ({"phoneNumber": [{"value": h.us_phone()}, {"value": "not a phone"}]}, "phoneNumber[1].value"),
            ({"phoneNumber": ["not a phone"]}, "phoneNumber[0]"),
            ({"phoneNumber": [{"value": h.us_phone(), "isPrimary": True},
                              {"value": h.us_phone(), "isPrimary": True}]}, None),
            ({"phoneNumber": 5}, "phoneNumber"),
            ({"secondaryPhoneNumber": [{"value": "nope"}]}, "secondaryPhoneNumber[0].value"),
            ({"pipelineId": "bad"}, "pipelineId"),
            ({"pipelineStage": "0" * 23}, "pipelineStage"),
            ({"assignees": ["nope"]}, "assignees[0]"),
            ({"firstName": "a\u0000b"}, "firstName"),
            ({"phoneNumber": [{"value": h.us_phone()} for _ in range(21)]}, None),
        ]
        for body, field in cases:
            r = h.patch("/api/contacts/" + c["_id"], body, token=o.token)
            self.assertError(r, 400, "validation_failed", field=field, msg=repr(body)[:80])
        self.assertUnchanged(o.token, c)
        self.assertEqual(self.update_events(o.token, c["_id"]), [])

    def test_invalid_json(self):
        o = org()
        c = h.create_contact(o.token)
        r = h.patch("/api/contacts/" + c["_id"], raw=b"{not json", token=o.token)
        self.assertError(r, 400, "invalid_json")
        r = h.patch("/api/contacts/" + c["_id"], [1, 2], token=o.token)
        self.assertError(r, 400, "invalid_json")
        self.assertUnchanged(o.token, c)


# ------------------------------------------------------------------------------------------
# Phones


class Phones(UpdateTest):
    def test_renormalized(self):
        o = org()
        c = h.create_contact(o.token)
        p, s = h.us_phone(), h.us_phone()
        u, _ = self.patch_ok(o.token, c["_id"], {"phoneNumber": h.us_national(p),
                                                 "secondaryPhoneNumber": [{"value": h.us_dashed(s)}]})
        self.assertEqual(u["phoneNumber"], [h.entry(p, True)])
        self.assertEqual(u["secondaryPhoneNumber"], [h.entry(s, False)])
        r = h.post("/api/contacts/phoneNumber", {"phoneNumber": h.us_dashed(p)}, token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["contact"]["_id"], c["_id"])

    def test_phone_number_replaces_the_list(self):
        o = org()
        p1, p2, p3 = h.us_phone(), h.us_phone(), h.us_phone()
        c = h.create_contact(o.token, phone=[{"value": p1}, {"value": p2}])
        self.assertEqual(len(c["phoneNumber"]), 2)
        u, _ = self.patch_ok(o.token, c["_id"], {"phoneNumber": [{"value": p3}]})
        self.assertEqual(u["phoneNumber"], [h.entry(p3, True)])
        # The numbers left out are free again.
        self.assertStatus(h.post("/api/contact", {"phoneNumber": p1}, token=o.token), 201)
        self.assertStatus(h.post("/api/contact", {"phoneNumber": h.us_national(p2)}, token=o.token), 201)
        self.assertEqual(h.get_contact(o.token, c["_id"])["phoneNumber"], [h.entry(p3, True)])

    def test_primary_choice(self):
        o = org()
        c = h.create_contact(o.token)
        p1, p2 = h.us_phone(), h.us_phone()
        u, _ = self.patch_ok(o.token, c["_id"], {"phoneNumber": [{"value": p1}, {"value": p2, "isPrimary": True}]})
        self.assertEqual(u["phoneNumber"], [h.entry(p1, False), h.entry(p2, True)])

    def test_taken_number_409_with_holder(self):
        o = org()
        holder = h.create_contact(o.token)
        sec_holder = h.create_contact(o.token, secondaryPhoneNumber=[{"value": h.us_phone()}])
        c = h.create_contact(o.token)
        taken = holder["phoneNumber"][0]["value"]
        r = h.patch("/api/contacts/" + c["_id"], {"phoneNumber": [{"value": h.us_national(taken)}]}, token=o.token)
        j = self.assertError(r, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), holder["_id"])
        self.assertEqual(j.get("value"), taken)
        self.assertEqual(j.get("field"), "phoneNumber[0].value")
        # A secondary number of another contact is taken too, in either slot.
        sec = sec_holder["secondaryPhoneNumber"][0]["value"]
        r = h.patch("/api/contacts/" + c["_id"], {"secondaryPhoneNumber": [sec]}, token=o.token)
        j = self.assertError(r, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), sec_holder["_id"])
        self.assertEqual(j.get("value"), sec)
        r = h.patch("/api/contacts/" + c["_id"], {"phoneNumber": [h.us_phone(), sec]}, token=o.token)
        j = self.assertError(r, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), sec_holder["_id"])
        self.assertUnchanged(o.token, c)
        self.assertEqual(h.get_contact(o.token, holder["_id"]), holder)
        self.assertEqual(self.update_events(o.token, c["_id"]), [])

    def test_another_orgs_number_is_free(self):
        a, b = org(), org("b")
        other = h.create_contact(b.token)
        c = h.create_contact(a.token)
        n = other["phoneNumber"][0]["value"]
        u, _ = self.patch_ok(a.token, c["_id"], {"phoneNumber": n})
        self.assertEqual(u["phoneNumber"], [h.entry(n, True)])

    def test_own_numbers_may_be_resent(self):
        o = org()
        p1, p2, s1 = h.us_phone(), h.us_phone(), h.us_phone()
        c = h.create_contact(o.token, phone=[{"value": p1}, {"value": p2}], secondaryPhoneNumber=[s1])
        new = h.us_phone()
        u, _ = self.patch_ok(o.token, c["_id"], {"phoneNumber": [{"value": h.us_national(p1)}, {"value": new}]})
        self.assertEqual([x["value"] for x in u["phoneNumber"]], [p1, new])
        self.assertEqual(u["secondaryPhoneNumber"], [h.entry(s1, False)])
        # Moving own numbers between slots is fine too.
        u2, _ = self.patch_ok(o.token, c["_id"], {"phoneNumber": [s1], "secondaryPhoneNumber": [p1, new]})
        self.assertEqual(u2["phoneNumber"], [h.entry(s1, True)])
        self.assertEqual(u2["secondaryPhoneNumber"], [h.entry(p1, False),
                                                      h.entry(new, False)])
        self.assertEqual(h.get_contact(o.token, c["_id"]), u2)
        # p2 was dropped and is free.
        self.assertStatus(h.post("/api/contact", {"phoneNumber": p2}, token=o.token), 201)

    def test_secondary_alone_keeps_primary(self):
        o = org()
        c = h.create_contact(o.token, secondaryPhoneNumber=[h.us_phone()])
        s = h.gb_phone()
        u, _ = self.patch_ok(o.token, c["_id"], {"secondaryPhoneNumber": ["+44 " + h.gb_national(s)[1:]]})
        self.assertEqual(u["phoneNumber"], c["phoneNumber"])
        self.assertEqual(u["secondaryPhoneNumber"], [h.entry(s, False)])
        # The old secondary is free again.
        self.assertStatus(h.post("/api/contact", {"phoneNumber": c["secondaryPhoneNumber"][0]["value"]},
                                 token=o.token), 201)

    def test_concurrent_claims_of_one_number(self):
        o = org()
        targets = [h.create_contact(o.token) for _ in range(8)]
        p = h.us_phone()
        res = h.parallel(lambda i: h.patch("/api/contacts/" + targets[i]["_id"], {"phoneNumber": p},
                                           token=o.token), 8)
        statuses = sorted(r.status if isinstance(r, h.Response) else repr(r) for r in res)
        self.assertEqual(statuses, [200] + [409] * 7, statuses)
        winner = [t for t, r in zip(targets, res) if r.status == 200][0]
        for t, r in zip(targets, res):
            if r.status == 409:
                self.assertEqual(r.json.get("error"), "phone_taken")
                self.assertEqual(r.json.get("contactId"), winner["_id"])
                self.assertUnchanged(o.token, t)
        found = h.post("/api/contacts/phoneNumber", {"phoneNumber": p}, token=o.token)
        self.assertEqual(found.json["data"]["contact"]["_id"], winner["_id"])

    def test_same_number_twice_400(self):
        o = org()
        c = h.create_contact(o.token)
        p = h.us_phone()
        r = h.patch("/api/contacts/" + c["_id"], {"phoneNumber": [p, h.us_national(p)]}, token=o.token)
        self.assertError(r, 400, "validation_failed")
        r = h.patch("/api/contacts/" + c["_id"], {"secondaryPhoneNumber": [c["phoneNumber"][0]["value"]]},
                    token=o.token)
        self.assertError(r, 400, "validation_failed")
        self.assertUnchanged(o.token, c)

    def test_reserved_number(self):
        o = org()
        reserved = h.us_phone()
        r = h.post("/api/organizations/%s/phone-numbers" % o.id, {"phoneNumber": reserved, "provider": "twilio"},
                   token=o.token)
        self.assertStatus(r, 201)
        c = h.create_contact(o.token)
        r = h.patch("/api/contacts/" + c["_id"], {"phoneNumber": reserved}, token=o.token)
        self.assertError(r, 409, "phone_reserved")
        self.assertUnchanged(o.token, c)


# ------------------------------------------------------------------------------------------
# Versions, ETag, If-Match, the log


class Versions(UpdateTest):
    def test_v_counts_effective_changes(self):
        o = org()
        c = h.create_contact(o.token, firstName="A")
        self.assertEqual(c["__v"], 0)
        for i, name in enumerate(("B", "C", "D"), 1):
            u, _ = self.patch_ok(o.token, c["_id"], {"firstName": name})
            self.assertEqual(u["__v"], i)
        self.assertEqual(h.get_contact(o.token, c["_id"])["__v"], 3)
        self.assertEqual(len(self.update_events(o.token, c["_id"])), 3)

    def test_no_change_no_bump_no_log(self):
        o = org()
        c = h.create_contact(o.token, firstName="Same", email="same@example.com")
        u, _ = self.patch_ok(o.token, c["_id"], {"firstName": "Same"})
        self.assertEqual(u["__v"], 0)
        p = c["phoneNumber"][0]["value"]
        u, r = self.patch_ok(o.token, c["_id"], {"phoneNumber": h.us_national(p), "email": "SAME@example.com",
                                                 "status": c["status"].upper()})
        self.assertEqual(u["__v"], 0)
        self.assertEqual(u, c)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)
        self.assertEqual(self.update_events(o.token, c["_id"]), [])
        self.assertEqual(strip_etag(r.headers.get("ETag")), "%s.0" % c["_id"])

    def test_etag_on_get_and_patch(self):
        o = org()
        c = h.create_contact(o.token)
        g = h.get("/api/contacts/" + c["_id"], token=o.token)
        self.assertEqual(strip_etag(g.headers.get("ETag")), "%s.0" % c["_id"])
        u, r = self.patch_ok(o.token, c["_id"], {"lastName": "Etag"})
        e = r.headers.get("ETag")
        self.assertTrue(e, "PATCH reply has no ETag")
        self.assertEqual(strip_etag(e), "%s.%d" % (c["_id"], u["__v"]))
        self.assertNotEqual(e, g.headers.get("ETag"))
        self.assertEqual(h.get("/api/contacts/" + c["_id"], token=o.token).headers.get("ETag"), e)

    def test_if_match_current_ok(self):
        o = org()
        c = h.create_contact(o.token)
        e = h.get("/api/contacts/" + c["_id"], token=o.token).headers.get("ETag")
        u, r = self.patch_ok(o.token, c["_id"], {"firstName": "Matched"}, headers={"If-Match": e})
        self.assertEqual(u["firstName"], "Matched")
        self.assertEqual(u["__v"], 1)
        # The new ETag works for the next one.
        u2, _ = self.patch_ok(o.token, c["_id"], {"firstName": "Again"}, headers={"If-Match": r.headers.get("ETag")})
        self.assertEqual(u2["__v"], 2)

    def test_if_match_stale_412(self):
        o = org()
        c = h.create_contact(o.token, firstName="Orig")
        stale = h.get("/api/contacts/" + c["_id"], token=o.token).headers.get("ETag")
        u, _ = self.patch_ok(o.token, c["_id"], {"firstName": "Other writer"})
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "Lost update", "source": "x"}, token=o.token,
                    headers={"If-Match": stale})
        self.assertError(r, 412, "precondition_failed")
        self.assertUnchanged(o.token, u)
        self.assertEqual(len(self.update_events(o.token, c["_id"])), 1)
        # A made-up ETag is stale too.
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "Lost"}, token=o.token,
                    headers={"If-Match": '"%s.99"' % c["_id"]})
        self.assertError(r, 412, "precondition_failed")
        self.assertUnchanged(o.token, u)

    def test_concurrent_if_match_one_wins(self):
        o = org()
        c = h.create_contact(o.token)
        e = h.get("/api/contacts/" + c["_id"], token=o.token).headers.get("ETag")
        res = h.parallel(lambda i: h.patch("/api/contacts/" + c["_id"], {"firstName": "W%d" % i}, token=o.token,
                                           headers={"If-Match": e}), 8)
        statuses = sorted(r.status if isinstance(r, h.Response) else repr(r) for r in res)
        self.assertEqual(statuses, [200] + [412] * 7, statuses)
        final = h.get_contact(o.token, c["_id"])
        self.assertEqual(final["__v"], 1)
        winner = [r for r in res if r.status == 200][0].json["data"]["contact"]
        self.assertEqual(final["firstName"], winner["firstName"])

    def test_update_log_entry(self):
        o = org()
        c = h.create_contact(o.token, firstName="Before", lastName="Stays", source="old")
        self.patch_ok(o.token, c["_id"], {"firstName": "After", "lastName": "Stays", "source": "new"})
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 1)
        e = evs[0]
        self.assertEqual(e["contactId"], c["_id"])
        self.assertEqual(e["organizationId"], o.id)
        self.assertEqual(e["userId"], o.admin.id)
        self.assertEqual(e["source"], "manual")
        self.assertObjectId(e["_id"])
        self.assertTimestamp(e["createdAt"])
        self.assertEqual(e["changes"], {"firstName": {"from": "Before", "to": "After"},
                                        "source": {"from": "old", "to": "new"}})

    def test_log_records_who_changed(self):
        o = org()
        rep = o.add_user("SALES_REP")
        c = h.create_contact(rep.token)
        self.patch_ok(rep.token, c["_id"], {"lastName": None})
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["userId"], rep.id)
        self.assertEqual(evs[0]["changes"], {"lastName": {"from": c["lastName"], "to": None}})

    def test_log_phone_and_status_changes(self):
        o = org()
        c = h.create_contact(o.token)
        p = h.us_phone()
        self.patch_ok(o.token, c["_id"], {"phoneNumber": p})
        self.patch_ok(o.token, c["_id"], {"status": "Won"})
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 2)
        st, ph = evs[0]["changes"], evs[1]["changes"]   # newest first
        self.assertEqual(ph, {"phoneNumber": {"from": c["phoneNumber"], "to": [h.entry(p, True)]}})
        won = o.stage("Won")
        self.assertEqual(st, {"status": {"from": c["status"], "to": "Won"},
                              "pipelineStage": {"from": c["pipelineStage"], "to": won["_id"]}})

    def test_log_email_change(self):
        o = org()
        c = h.create_contact(o.token, email="one@example.com")
        self.patch_ok(o.token, c["_id"], {"email": "two@example.com"})
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 1)
        ch = evs[0]["changes"]
        self.assertEqual(ch.get("email"), {"from": "one@example.com", "to": "two@example.com"})
        self.assertLessEqual(set(ch), {"email", "emails"})

    def test_failed_update_leaves_no_trace(self):
        o = org()
        c = h.create_contact(o.token)
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "X", "status": "No Such Stage"}, token=o.token)
        self.assertError(r, 400, "stage_not_found")
        self.assertUnchanged(o.token, c)
        self.assertEqual(self.update_events(o.token, c["_id"]), [])


# ------------------------------------------------------------------------------------------
# Stage re-resolution


class Stages(UpdateTest):
    def test_status_by_name(self):
        o = org()
        c = h.create_contact(o.token)
        q = o.stage("Qualified")
        u, _ = self.patch_ok(o.token, c["_id"], {"status": "  qualified "})
        self.assertEqual(u["status"], "Qualified")
        self.assertEqual(u["pipelineStage"], q["_id"])
        self.assertEqual(u["pipelineId"], c["pipelineId"])

    def test_stage_by_id(self):
        o = org()
        c = h.create_contact(o.token)
        w = o.stage("Won")
        u, _ = self.patch_ok(o.token, c["_id"], {"pipelineStage": w["_id"]})
        self.assertEqual((u["status"], u["pipelineStage"]), ("Won", w["_id"]))
        u, _ = self.patch_ok(o.token, c["_id"], {"pipelineStage": o.stage("Lost")["_id"], "status": "lost"})
        self.assertEqual(u["status"], "Lost")

    def test_stage_errors(self):
        o = org()
        c = h.create_contact(o.token)
        other = second_pipeline(o)
        cases = [
            ({"status": "Nope"}, 400, "stage_not_found"),
            ({"status": "Deal"}, 400, "stage_not_found"),         # a stage of another pipeline
            ({"pipelineStage": UNKNOWN_ID}, 400, "stage_not_found"),
            ({"status": "Won", "pipelineStage": o.stage("Lost")["_id"]}, 400, "stage_mismatch"),
            ({"pipelineId": c["pipelineId"], "pipelineStage": other["pipelineStages"][0]["_id"]}, 400,
             "stage_not_found"),
            ({"pipelineId": UNKNOWN_ID}, 404, "pipeline_not_found"),
            ({"pipelineId": org("b").default_pipeline()["_id"]}, 404, "pipeline_not_found"),
            ({"pipelineStage": org("b").stage("Won")["_id"]}, 400, "stage_not_found"),
        ]
        for body, status, code in cases:
            r = h.patch("/api/contacts/" + c["_id"], body, token=o.token)
            self.assertError(r, status, code, msg=repr(body))
        self.assertUnchanged(o.token, c)

    def test_move_to_other_pipeline(self):
        o = org()
        c = h.create_contact(o.token, status="Contacted")
        other = second_pipeline(o)
        u, _ = self.patch_ok(o.token, c["_id"], {"pipelineId": other["_id"]})
        self.assertEqual(u["pipelineId"], other["_id"])
        self.assertEqual(u["pipelineStage"], other["pipelineStages"][0]["_id"])
        self.assertEqual(u["status"], "Intro")
        # A status alone now resolves within the contact's new pipeline.
        u, _ = self.patch_ok(o.token, c["_id"], {"status": "deal"})
        self.assertEqual((u["pipelineId"], u["status"]), (other["_id"], "Deal"))
        self.assertError(h.patch("/api/contacts/" + c["_id"], {"status": "Won"}, token=o.token), 400,
                         "stage_not_found")
        # A stage id alone selects that stage's pipeline.
        won = o.stage("Won")
        u, _ = self.patch_ok(o.token, c["_id"], {"pipelineStage": won["_id"]})
        self.assertEqual((u["pipelineId"], u["pipelineStage"], u["status"]), (c["pipelineId"], won["_id"], "Won"))
        # pipelineId and status together.
        u, _ = self.patch_ok(o.token, c["_id"], {"pipelineId": other["_id"], "status": "Closed"})
        self.assertEqual((u["pipelineId"], u["status"]), (other["_id"], "Closed"))
        self.assertEqual(h.get_contact(o.token, c["_id"]), u)
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 4)
        self.assertEqual(evs[-1]["changes"], {
            "pipelineId": {"from": c["pipelineId"], "to": other["_id"]},
            "pipelineStage": {"from": c["pipelineStage"], "to": other["pipelineStages"][0]["_id"]},
            "status": {"from": "Contacted", "to": "Intro"}})


# ------------------------------------------------------------------------------------------
# Ids, tenancy, auth


class Ids(UpdateTest):
    def test_malformed_id(self):
        o = org()
        for bad in ("abc", "0" * 23, "0" * 25, "ABCDEF0123456789ABCDEF01", "zzzzzzzzzzzzzzzzzzzzzzzz"):
            self.assertError(h.patch("/api/contacts/" + bad, {"firstName": "x"}, token=o.token), 400,
                             "validation_failed", msg=bad)

    def test_unknown_id(self):
        self.assertError(h.patch("/api/contacts/" + UNKNOWN_ID, {"firstName": "x"}, token=org().token), 404,
                         "not_found")

    def test_other_org_404(self):
        a, b = org(), org("b")
        c = h.create_contact(a.token, firstName="Mine")
        r = h.patch("/api/contacts/" + c["_id"], {"firstName": "Theirs"}, token=b.token)
        self.assertError(r, 404, "not_found")
        unknown = h.patch("/api/contacts/" + UNKNOWN_ID, {"firstName": "Theirs"}, token=b.token)
        self.assertEqual(r.json, unknown.json)
        self.assertUnchanged(a.token, c)
        self.assertEqual(self.update_events(a.token, c["_id"]), [])

    def test_deleted_contact_404(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertStatus(h.delete("/api/contacts/" + c["_id"], token=o.token), 200)
        self.assertError(h.patch("/api/contacts/" + c["_id"], {"firstName": "x"}, token=o.token), 404, "not_found")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "status": "Won"}, token=o.token), 404, "not_found")

    def test_auth(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertError(h.patch("/api/contacts/" + c["_id"], {"firstName": "x"}), 401, "unauthorized")
        self.assertError(h.patch("/api/contacts/" + c["_id"], {"firstName": "x"}, token=h.sa_token()), 403,
                         "forbidden")
        self.assertUnchanged(o.token, c)


# ------------------------------------------------------------------------------------------
# PUT /api/contact — Tether's board move


class Move(UpdateTest):
    def put_ok(self, tok, body):
        r = h.put("/api/contact", body, token=tok)
        self.assertStatus(r, 200)
        j = r.json
        self.assertIs(j.get("success"), True)
        self.assertEqual(j.get("message"), "Contact updated successfully")
        self.assertIsInstance(j.get("contact"), dict, r)
        return j["contact"]

    def test_by_status_name(self):
        o = org()
        c = h.create_contact(o.token)
        u = self.put_ok(o.token, {"_id": c["_id"], "status": "contacted"})
        self.assertEqual(u["_id"], c["_id"])
        self.assertEqual((u["status"], u["pipelineStage"]), ("Contacted", o.stage("Contacted")["_id"]))
        self.assertEqual(u["__v"], 1)
        self.assertEqual(h.get_contact(o.token, c["_id"]), u)
        evs = self.update_events(o.token, c["_id"])
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0]["changes"], {
            "status": {"from": "New Lead", "to": "Contacted"},
            "pipelineStage": {"from": c["pipelineStage"], "to": o.stage("Contacted")["_id"]}})

    def test_by_stage_id(self):
        o = org()
        c = h.create_contact(o.token)
        q = o.stage("Qualified")
        u = self.put_ok(o.token, {"_id": c["_id"], "pipelineStage": q["_id"]})
        self.assertEqual((u["status"], u["pipelineStage"], u["pipelineId"]), ("Qualified", q["_id"], c["pipelineId"]))
        self.assertEqual(h.get_contact(o.token, c["_id"])["status"], "Qualified")

    def test_to_other_pipeline_first_stage(self):
        o = org()
        c = h.create_contact(o.token, status="Won")
        other = second_pipeline(o, names=("Alpha", "Beta"))
        u = self.put_ok(o.token, {"_id": c["_id"], "pipelineId": other["_id"]})
        self.assertEqual(u["pipelineId"], other["_id"])
        self.assertEqual(u["pipelineStage"], other["pipelineStages"][0]["_id"])
        self.assertEqual(u["status"], "Alpha")
        self.assertEqual(h.get_contact(o.token, c["_id"]), u)

    def test_from_history_modal_no_log(self):
        o = org()
        c = h.create_contact(o.token)
        before = len(h.events_for(o.token, c["_id"]))
        u = self.put_ok(o.token, {"_id": c["_id"], "status": "Lost", "fromHistoryModal": True})
        self.assertEqual(u["status"], "Lost")
        self.assertEqual(h.get_contact(o.token, c["_id"])["status"], "Lost")
        self.assertEqual(len(h.events_for(o.token, c["_id"])), before)
        self.assertEqual(self.update_events(o.token, c["_id"]), [])
        # fromHistoryModal: false logs as usual.
        self.put_ok(o.token, {"_id": c["_id"], "status": "Won", "fromHistoryModal": False})
        self.assertEqual(len(self.update_events(o.token, c["_id"])), 1)

    def test_errors(self):
        o = org()
        c = h.create_contact(o.token)
        self.assertError(h.put("/api/contact", {"status": "Won"}, token=o.token), 400, "validation_failed",
                         field="_id")
        self.assertError(h.put("/api/contact", {"_id": "nope", "status": "Won"}, token=o.token), 400,
                         "validation_failed", field="_id")
        self.assertError(h.put("/api/contact", {"_id": UNKNOWN_ID, "status": "Won"}, token=o.token), 404,
                         "not_found")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "status": "Nope"}, token=o.token), 400,
                         "stage_not_found")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "status": "Won",
                                                "pipelineStage": o.stage("Lost")["_id"]}, token=o.token),
                         400, "stage_mismatch")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "pipelineId": UNKNOWN_ID}, token=o.token), 404,
                         "pipeline_not_found")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "status": "Won"}, token=org("b").token), 404,
                         "not_found")
        self.assertError(h.put("/api/contact", {"_id": c["_id"], "status": "Won"}), 401, "unauthorized")
        self.assertUnchanged(o.token, c)
