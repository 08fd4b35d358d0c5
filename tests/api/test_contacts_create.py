"""POST /api/contact — every step and every error row of API.md §5.2."""

import calendar
import time

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


CONTACT_KEYS = {"_id", "organizationId", "userId", "createdBy", "assignees", "firstName", "lastName",
                "phoneNumber", "secondaryPhoneNumber", "email", "emails", "status", "pipelineId",
                "pipelineStage", "process", "source", "createdAt", "updatedAt", "__v",
                "isVerified", "verifiedAt", "verifiedBy", "verificationSource"}
MSG = "Contact created successfully"
# A number sent as a bare string may be named either way in an error.
STRING_PHONE_FIELDS = ("phoneNumber", "phoneNumber[0].value")


def org(key="us", **fields):
    return h.shared_org(key, **fields)


def us():
    return org("us")


def gb():
    return org("gb", defaultCountry="GB")


def create(body, token=None, **kw):
    return h.post("/api/contact", body, token=token or us().token, **kw)


def primary_values(c):
    return [p["value"] for p in c["phoneNumber"]]


def secondary_values(c):
    return [p["value"] if isinstance(p, dict) else p for p in c["secondaryPhoneNumber"]]


class Shape(ApiTest):
    def test_reply_envelope_exact(self):
        r = create({"phoneNumber": h.us_phone()})
        self.assertStatus(r, 201)
        self.assertEqual(set(r.json.keys()), {"success", "message", "data"})
        self.assertIs(r.json["success"], True)
        self.assertEqual(r.json["message"], MSG)
        self.assertEqual(set(r.json["data"].keys()), {"contact", "message"})
        self.assertEqual(r.json["data"]["message"], MSG)

    def test_minimal_contact_every_key(self):
        o = us()
        phone = h.us_phone()
        t0 = time.time()
        r = create({"phoneNumber": phone})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(set(c.keys()), CONTACT_KEYS)
        self.assertObjectId(c["_id"])
        self.assertLess(abs(int(c["_id"][:8], 16) - t0), 120, "ObjectId does not start with the time")
        self.assertEqual(c["organizationId"], o.id)
        self.assertEqual(c["userId"], o.admin.id)
        self.assertEqual(c["createdBy"], o.admin.id)
        self.assertEqual(c["assignees"], [o.admin.id])
        for k in ("firstName", "lastName", "email", "process", "source"):
            self.assertIn(k, c)
            self.assertIsNone(c[k], k)
        self.assertEqual(c["emails"], [])
        self.assertEqual(c["phoneNumber"], [h.entry(phone, True)])
        self.assertEqual(c["secondaryPhoneNumber"], [])
        self.assertEqual(c["status"], "New Lead")
        p = o.default_pipeline()
        self.assertEqual(c["pipelineId"], p["_id"])
        self.assertEqual(c["pipelineStage"], o.stage("New Lead")["_id"])
        self.assertIs(type(c["__v"]), int)
        self.assertEqual(c["__v"], 0)
        self.assertIs(c["phoneNumber"][0]["isPrimary"], True)
        self.assertLessEqual(c["createdAt"], c["updatedAt"])
        self.assertTimestamp(c["createdAt"])
        self.assertTimestamp(c["updatedAt"])
        created = calendar.timegm(time.strptime(c["createdAt"][:19], "%Y-%m-%dT%H:%M:%S"))
        self.assertLess(abs(created - t0), 120, "createdAt is not now (UTC)")

    def test_full_round_trip(self):
        phone, sec = h.us_phone(), h.us_phone()
        body = {"phoneNumber": [{"value": phone, "isPrimary": True}],
                "secondaryPhoneNumber": [{"value": sec}],
                "firstName": "Jane", "lastName": "Doe", "email": "jane.doe@example.com",
                "process": "Inbound", "source": "Website"}
        r = create(body)
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["firstName"], "Jane")
        self.assertEqual(c["lastName"], "Doe")
        self.assertEqual(c["email"], "jane.doe@example.com")
        self.assertEqual(c["emails"], [h.entry("jane.doe@example.com", True)])
        self.assertEqual(c["process"], "Inbound")
        self.assertEqual(c["source"], "Website")
        self.assertEqual(primary_values(c), [phone])
        self.assertEqual(secondary_values(c), [sec])
        g = h.get("/api/contacts/" + c["_id"], token=us().token)
        self.assertStatus(g, 200)
        self.assertEqual(g.json["data"]["contact"], c)

    def test_unknown_keys_ignored_and_not_assignable(self):
        other = org("other")
        phone = h.us_phone()
        r = create({"phoneNumber": phone, "foo": {"bar": [1, 2]}, "_id": "0123456789abcdef01234567",
                    "organizationId": other.id, "userId": other.admin.id, "createdBy": other.admin.id,
                    "__v": 7, "createdAt": "1999-01-01T00:00:00.000Z"})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertNotEqual(c["_id"], "0123456789abcdef01234567")
        self.assertEqual(c["organizationId"], us().id)
        self.assertEqual(c["userId"], us().admin.id)
        self.assertEqual(c["createdBy"], us().admin.id)
        self.assertEqual(c["__v"], 0)
        self.assertFalse(c["createdAt"].startswith("1999"))
        self.assertNotIn("foo", c)


class Phones(ApiTest):
    def test_string_e164(self):
        p = h.us_phone()
        c = h.create_contact(us().token, phone=p)
        self.assertEqual(c["phoneNumber"], [h.entry(p, True)])

    def test_us_formats(self):
        fmts = [h.us_national, h.us_dashed,
                lambda e: e[2:5] + "." + e[5:8] + "." + e[8:],
                lambda e: "+1 (%s) %s-%s" % (e[2:5], e[5:8], e[8:]),
                lambda e: "1-" + h.us_dashed(e),
                lambda e: e[2:],
                lambda e: " " + e + " "]
        for f in fmts:
            p = h.us_phone()
            r = create({"phoneNumber": f(p)})
            self.assertStatus(r, 201, f(p))
            self.assertEqual(primary_values(r.json["data"]["contact"]), [p], f(p))

    def test_416_example(self):
        r = create({"phoneNumber": "(416) 555-0100"})
        self.assertStatus(r, 201)
        self.assertEqual(primary_values(r.json["data"]["contact"]), ["+14165550100"])

    def test_gb_org_national(self):
        r = create({"phoneNumber": "020 7946 0958"}, token=gb().token)
        self.assertStatus(r, 201)
        self.assertEqual(primary_values(r.json["data"]["contact"]), ["+442079460958"])

    def test_gb_org_other_formats(self):
        p = h.gb_phone()
        r = create({"phoneNumber": [{"value": h.gb_national(p)}]}, token=gb().token)
        self.assertEqual(primary_values(r.json["data"]["contact"]), [p])
        us_num = h.us_phone()
        r = create({"phoneNumber": "+1 " + h.us_national(us_num)}, token=gb().token)
        self.assertStatus(r, 201)
        self.assertEqual(primary_values(r.json["data"]["contact"]), [us_num])
        # A US national number is read as GB: "(212) 555-0100" is not a valid GB number.
        # (Careful: many US area codes, e.g. 3xx, do form valid UK numbers.)
        r = create({"phoneNumber": "(212) 555-0100"}, token=gb().token)
        self.assertError(r, 400, "validation_failed")

    def test_us_org_international_gb(self):
        p = h.gb_phone()
        r = create({"phoneNumber": "+44 " + h.gb_national(p)[1:]})
        self.assertStatus(r, 201)
        self.assertEqual(primary_values(r.json["data"]["contact"]), [p])
        r = create({"phoneNumber": h.gb_national(h.gb_phone())})
        self.assertError(r, 400, "validation_failed")

    def test_array_first_is_primary(self):
        a, b, c_ = h.us_phone(), h.us_phone(), h.us_phone()
        r = create({"phoneNumber": [{"value": a}, {"value": h.us_national(b)}, {"value": c_, "isPrimary": False}]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(sorted(primary_values(c)), sorted([a, b, c_]))
        prim = [p["value"] for p in c["phoneNumber"] if p["isPrimary"] is True]
        self.assertEqual(prim, [a])
        self.assertEqual(sum(1 for p in c["phoneNumber"] if p["isPrimary"] is False), 2)

    def test_marked_primary_wins(self):
        a, b = h.us_phone(), h.us_phone()
        r = create({"phoneNumber": [{"value": a}, {"value": b, "isPrimary": True}]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        prim = [p["value"] for p in c["phoneNumber"] if p["isPrimary"] is True]
        self.assertEqual(prim, [b])

    def test_all_marked_not_primary_first_wins(self):
        a, b = h.us_phone(), h.us_phone()
        r = create({"phoneNumber": [{"value": a, "isPrimary": False}, {"value": b, "isPrimary": False}]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual([p["value"] for p in c["phoneNumber"] if p["isPrimary"] is True], [a])

    def test_two_primaries(self):
        a, b = h.us_phone(), h.us_phone()
        r = create({"phoneNumber": [{"value": a, "isPrimary": True}, {"value": b, "isPrimary": True}]})
        self.assertError(r, 400, "validation_failed")
        self.assertStatus(create({"phoneNumber": a}), 201)

    def test_invalid_numbers_name_entry(self):
        good = h.us_phone()
        for bad in ("123", "not a phone", "+1 555", "", "+999 123456", "5551234567"):
            r = create({"phoneNumber": [{"value": good}, {"value": bad}]})
            self.assertError(r, 400, "validation_failed", field="phoneNumber[1].value", msg=repr(bad))
        r = create({"phoneNumber": "abc"})
        j = self.assertError(r, 400, "validation_failed")
        self.assertIn(j.get("field"), STRING_PHONE_FIELDS)
        r = create({"phoneNumber": good, "secondaryPhoneNumber": [{"value": h.us_phone()}, {"value": "12"}]})
        self.assertError(r, 400, "validation_failed", field="secondaryPhoneNumber[1].value")
        self.assertStatus(create({"phoneNumber": good}), 201)

    def test_missing_or_empty(self):
        for body in ({}, {"phoneNumber": []}, {"phoneNumber": None}, {"firstName": "x"}):
            r = create(body)
            self.assertError(r, 400, "validation_failed", field="phoneNumber", msg=repr(body))

    def test_wrong_phone_types(self):
        for val in ({}, 5, True, {"value": "+12125550100"}):
            r = create({"phoneNumber": val})
            self.assertError(r, 400, "validation_failed", field="phoneNumber", msg=repr(val))
        r = create({"phoneNumber": [5]})
        j = self.assertError(r, 400, "validation_failed")
        self.assertTrue(j.get("field", "").startswith("phoneNumber[0]"), j)
        r = create({"phoneNumber": [{"value": 2125550100}]})
        j = self.assertError(r, 400, "validation_failed")
        self.assertTrue(j.get("field", "").startswith("phoneNumber[0]"), j)
        r = create({"phoneNumber": [{"value": h.us_phone(), "isPrimary": "yes"}]})
        j = self.assertError(r, 400, "validation_failed")
        self.assertTrue(j.get("field", "").startswith("phoneNumber[0]"), j)
        r = create({"phoneNumber": h.us_phone(), "secondaryPhoneNumber": "x"})
        j = self.assertError(r, 400, "validation_failed")
        self.assertTrue(j.get("field", "").startswith("secondaryPhoneNumber"), j)

    def test_duplicate_in_request_same_format(self):
        p = h.us_phone()
        r = create({"phoneNumber": [{"value": p}, {"value": p}]})
        self.assertError(r, 400, "validation_failed")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_duplicate_in_request_different_formats(self):
        p = h.us_phone()
        r = create({"phoneNumber": [{"value": p}, {"value": h.us_national(p)}]})
        self.assertError(r, 400, "validation_failed")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_duplicate_across_primary_and_secondary(self):
        p = h.us_phone()
        r = create({"phoneNumber": p, "secondaryPhoneNumber": [{"value": h.us_dashed(p)}]})
        self.assertError(r, 400, "validation_failed")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_twenty_numbers_ok_twenty_one_not(self):
        nums = [h.us_phone() for _ in range(21)]
        r = create({"phoneNumber": [{"value": n} for n in nums]})
        self.assertError(r, 400, "validation_failed")
        r = create({"phoneNumber": [{"value": n} for n in nums[:15]],
                    "secondaryPhoneNumber": [{"value": n} for n in nums[15:]]})
        self.assertError(r, 400, "validation_failed")
        r = create({"phoneNumber": [{"value": n} for n in nums[:20]]})
        self.assertStatus(r, 201)
        self.assertEqual(len(r.json["data"]["contact"]["phoneNumber"]), 20)
        self.assertStatus(create({"phoneNumber": nums[20]}), 201)


class Uniqueness(ApiTest):
    def test_taken(self):
        p = h.us_phone()
        holder = h.create_contact(us().token, phone=p)
        r = create({"phoneNumber": [{"value": h.us_national(p)}]})
        j = self.assertError(r, 409, "phone_taken", field="phoneNumber[0].value")
        self.assertEqual(j.get("value"), p)
        self.assertEqual(j.get("contactId"), holder["_id"])

    def test_taken_string_form(self):
        p = h.us_phone()
        holder = h.create_contact(us().token, phone=p)
        r = create({"phoneNumber": h.us_dashed(p)})
        j = self.assertError(r, 409, "phone_taken")
        self.assertIn(j.get("field"), STRING_PHONE_FIELDS)
        self.assertEqual(j.get("value"), p)
        self.assertEqual(j.get("contactId"), holder["_id"])

    def test_taken_at_index(self):
        p = h.us_phone()
        holder = h.create_contact(us().token, phone=p)
        fresh = h.us_phone()
        r = create({"phoneNumber": [{"value": fresh}, {"value": p}]})
        j = self.assertError(r, 409, "phone_taken", field="phoneNumber[1].value")
        self.assertEqual(j.get("value"), p)
        self.assertEqual(j.get("contactId"), holder["_id"])
        self.assertStatus(create({"phoneNumber": fresh}), 201, "the other number must still be free")

    def test_holder_has_it_as_secondary(self):
        p = h.us_phone()
        holder = h.create_contact(us().token, secondaryPhoneNumber=[{"value": p}])
        r = create({"phoneNumber": [{"value": p}]})
        j = self.assertError(r, 409, "phone_taken", field="phoneNumber[0].value")
        self.assertEqual(j.get("value"), p)
        self.assertEqual(j.get("contactId"), holder["_id"])

    def test_new_secondary_taken_as_primary(self):
        p = h.us_phone()
        holder = h.create_contact(us().token, phone=p)
        r = create({"phoneNumber": h.us_phone(), "secondaryPhoneNumber": [{"value": h.us_dashed(p)}]})
        j = self.assertError(r, 409, "phone_taken", field="secondaryPhoneNumber[0].value")
        self.assertEqual(j.get("value"), p)
        self.assertEqual(j.get("contactId"), holder["_id"])

    def test_other_org_may_have_same_number(self):
        p = h.us_phone()
        h.create_contact(us().token, phone=p)
        r = create({"phoneNumber": p}, token=org("other").token)
        self.assertStatus(r, 201)


class Reserved(ApiTest):
    def provision(self, o, num):
        r = h.post("/api/organizations/%s/phone-numbers" % o.id, {"phoneNumber": num, "provider": "twilio"},
                   token=o.token)
        self.assertStatus(r, 201)

    def test_provisioned_primary(self):
        num = h.us_phone()
        self.provision(us(), num)
        r = create({"phoneNumber": [{"value": h.us_national(num)}]})
        j = self.assertError(r, 409, "phone_reserved")
        if "field" in j:
            self.assertEqual(j["field"], "phoneNumber[0].value")
        if "value" in j:
            self.assertEqual(j["value"], num)

    def test_provisioned_secondary(self):
        num = h.us_phone()
        self.provision(us(), num)
        r = create({"phoneNumber": h.us_phone(), "secondaryPhoneNumber": [{"value": num}]})
        self.assertError(r, 409, "phone_reserved")

    def test_sinch_number_of_user(self):
        num = h.us_phone()
        o = us()
        o.add_user("SALES_REP", sinchPhoneNumber=num)
        self.assertError(create({"phoneNumber": num}), 409, "phone_reserved")


class Emails(ApiTest):
    def test_string(self):
        r = create({"phoneNumber": h.us_phone(), "email": "  Jane.Doe@Example.COM "})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["email"], "jane.doe@example.com")
        self.assertEqual(c["emails"], [h.entry("jane.doe@example.com", True)])

    def test_array_of_strings(self):
        r = create({"phoneNumber": h.us_phone(), "email": ["A@x.com", " b@Y.org"]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["email"], "a@x.com")
        self.assertEqual(c["emails"], [h.entry("a@x.com", True),
                                       h.entry("b@y.org", False)])

    def test_array_of_objects(self):
        r = create({"phoneNumber": h.us_phone(),
                    "email": [{"value": "one@x.com"}, {"value": "TWO@x.com", "isPrimary": True}]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["email"], "two@x.com")
        self.assertEqual(sorted(e["value"] for e in c["emails"]), ["one@x.com", "two@x.com"])
        self.assertEqual([e["value"] for e in c["emails"] if e["isPrimary"] is True], ["two@x.com"])

    def test_invalid(self):
        p = h.us_phone()
        for bad in ("not-an-email", "a@", "@x.com", "a@@x.com", "a b@x.com"):
            r = create({"phoneNumber": p, "email": bad})
            self.assertError(r, 400, "validation_failed", field="email", msg=bad)
        r = create({"phoneNumber": p, "email": ["ok@x.com", "bad"]})
        self.assertError(r, 400, "validation_failed", field="email[1]")
        r = create({"phoneNumber": p, "email": [{"value": "bad"}]})
        j = self.assertError(r, 400, "validation_failed")
        self.assertTrue(j.get("field", "").startswith("email[0]"), j)
        r = create({"phoneNumber": p, "email": 5})
        self.assertError(r, 400, "validation_failed", field="email")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_length_limit(self):
        p = h.us_phone()
        local = "a" * 64
        ok = local + "@" + ".".join(["b" * 60] * 3) + ".com"         # 64+1+182+4 = 251
        self.assertLessEqual(len(ok), 254)
        r = create({"phoneNumber": p, "email": ok})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["email"], ok)
        too_long = local + "@" + ".".join(["b" * 60] * 3) + ".comxyzw"  # 255
        self.assertGreater(len(too_long), 254)
        r = create({"phoneNumber": h.us_phone(), "email": too_long})
        self.assertError(r, 400, "validation_failed", field="email")

    def test_count_limit(self):
        emails = ["e%d@x.com" % i for i in range(21)]
        r = create({"phoneNumber": h.us_phone(), "email": emails})
        self.assertError(r, 400, "validation_failed")
        r = create({"phoneNumber": h.us_phone(), "email": emails[:20]})
        self.assertStatus(r, 201)
        self.assertEqual(len(r.json["data"]["contact"]["emails"]), 20)


class Strings(ApiTest):
    def test_name_limits(self):
        for key in ("firstName", "lastName"):
            r = create({"phoneNumber": h.us_phone(), key: "a" * 200})
            self.assertStatus(r, 201, key)
            self.assertEqual(r.json["data"]["contact"][key], "a" * 200)
            r = create({"phoneNumber": h.us_phone(), key: "a" * 201})
            self.assertError(r, 400, "validation_failed", field=key)

    def test_limits_count_characters_not_bytes(self):
        r = create({"phoneNumber": h.us_phone(), "firstName": "é" * 200})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["firstName"], "é" * 200)
        r = create({"phoneNumber": h.us_phone(), "lastName": "\U0001F600" * 200})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["lastName"], "\U0001F600" * 200)
        r = create({"phoneNumber": h.us_phone(), "firstName": "é" * 201})
        self.assertError(r, 400, "validation_failed", field="firstName")

    def test_short_field_limits(self):
        for key in ("process", "source"):
            r = create({"phoneNumber": h.us_phone(), key: "p" * 100})
            self.assertStatus(r, 201, key)
            self.assertEqual(r.json["data"]["contact"][key], "p" * 100)
            r = create({"phoneNumber": h.us_phone(), key: "p" * 101})
            self.assertError(r, 400, "validation_failed", field=key)
        r = create({"phoneNumber": h.us_phone(), "status": "s" * 101})
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.json["error"], ("validation_failed", "stage_not_found"))

    def test_nul_rejected(self):
        for key in ("firstName", "lastName", "source", "process"):
            r = create({"phoneNumber": h.us_phone(), key: "ab\u0000cd"})
            self.assertError(r, 400, "validation_failed", field=key)
        r = create({"phoneNumber": h.us_phone(), "email": "a\u0000b@x.com"})
        self.assertError(r, 400, "validation_failed")

    def test_wrong_types(self):
        cases = [("firstName", 5), ("lastName", ["x"]), ("source", True), ("process", {"a": 1}),
                 ("assignees", "x"), ("assignees", 5), ("pipelineId", 12), ("status", 3),
                 ("pipelineStage", ["x"])]
        for key, val in cases:
            r = create({"phoneNumber": h.us_phone(), key: val})
            self.assertError(r, 400, "validation_failed", field=key, msg="%s=%r" % (key, val))

    def test_hostile_strings_round_trip_or_400(self):
        hostile = ["Robert'); DROP TABLE contacts;--", "\" OR 1=1 --", "' OR ''='", "%s%n%x",
                   "\u202eevil\u202c", "\u200f\u05e9\u05dc\u05d5\u05dd\u200e", "\U0001F469\u200d\U0001F4BB",
                   "e\u0301\u0301\u0301", "back\\slash", "tab\there", "new\nline", "<script>x</script>",
                   "\ufeffbom", "\u2028sep", "${jndi:ldap://x}", "null", "\U0010FFFF"]
        for s in hostile:
            r = create({"phoneNumber": h.us_phone(), "firstName": s, "lastName": s, "source": s[:100]})
            self.assertIn(r.status, (201, 400), "%r -> %r" % (s, r))
            if r.status == 201:
                c = r.json["data"]["contact"]
                self.assertEqual(c["firstName"], s)
                g = h.get("/api/contacts/" + c["_id"], token=us().token).json["data"]["contact"]
                self.assertEqual(g["firstName"], s)
                self.assertEqual(g["lastName"], s)
            else:
                self.assertEqual(r.json["error"], "validation_failed")

    def test_hostile_email_round_trip(self):
        r = create({"phoneNumber": h.us_phone(), "email": "o'brien+tag@example.com"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["email"], "o'brien+tag@example.com")

    def test_very_long_string_in_phone(self):
        r = create({"phoneNumber": "1" * 10000})
        self.assertError(r, 400, "validation_failed")
        r = create({"phoneNumber": [{"value": "+1" + "2" * 500}]})
        self.assertError(r, 400, "validation_failed")

    def test_deep_nesting_no_crash(self):
        raw = b'{"phoneNumber": "+12125550100", "x": ' + b"[" * 5000 + b"]" * 5000 + b"}"
        r = h.request("POST", "/api/contact", raw=raw, token=us().token)
        self.assertIn(r.status, (201, 400), r)
        self.assertTrue(h.get("/healthz").status == 200)


class PipelineAndStage(ApiTest):
    @classmethod
    def second_pipeline(cls):
        if not hasattr(cls, "_p2"):
            o = us()
            r = h.post("/api/pipelines/create", {
                "name": h.uniq("Second "), "type": "Contact",
                "pipelineStages": [{"name": "Intro", "color": "#111111", "position": 0},
                                   {"name": "Closing", "color": "#222222", "position": 1}]},
                token=o.token)
            if r.status != 201:
                raise AssertionError("POST /api/pipelines/create failed: %r" % r)
            j = r.json
            cls._p2 = j.get("pipeline") or (j.get("data") or {}).get("pipeline")
        return cls._p2

    def test_status_case_insensitive_trimmed(self):
        o = us()
        r = create({"phoneNumber": h.us_phone(), "status": " new lead "})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["status"], "New Lead")
        self.assertEqual(c["pipelineStage"], o.stage("New Lead")["_id"])
        r = create({"phoneNumber": h.us_phone(), "status": "QUALIFIED"})
        c = r.json["data"]["contact"]
        self.assertEqual(c["status"], "Qualified")
        self.assertEqual(c["pipelineStage"], o.stage("Qualified")["_id"])

    def test_unknown_status(self):
        p = h.us_phone()
        self.assertError(create({"phoneNumber": p, "status": "Negotiating"}), 400, "stage_not_found")
        r = create({"phoneNumber": p, "status": ""})
        self.assertStatus(r, 400)
        self.assertIn(r.json.get("error"), ("stage_not_found", "validation_failed"))
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_pipeline_stage_alone(self):
        o = us()
        won = o.stage("Won")
        r = create({"phoneNumber": h.us_phone(), "pipelineStage": won["_id"]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["status"], "Won")
        self.assertEqual(c["pipelineStage"], won["_id"])
        self.assertEqual(c["pipelineId"], o.default_pipeline()["_id"])

    def test_unknown_pipeline_stage(self):
        r = create({"phoneNumber": h.us_phone(), "pipelineStage": "0" * 24})
        self.assertError(r, 400, "stage_not_found")

    def test_malformed_pipeline_stage(self):
        r = create({"phoneNumber": h.us_phone(), "pipelineStage": "won"})
        self.assertError(r, 400, "validation_failed", field="pipelineStage")

    def test_both_agree(self):
        o = us()
        st = o.stage("Contacted")
        r = create({"phoneNumber": h.us_phone(), "status": "contacted", "pipelineStage": st["_id"]})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["status"], "Contacted")
        self.assertEqual(r.json["data"]["contact"]["pipelineStage"], st["_id"])

    def test_both_disagree(self):
        o = us()
        p = h.us_phone()
        r = create({"phoneNumber": p, "status": "Won", "pipelineStage": o.stage("Lost")["_id"]})
        self.assertError(r, 400, "stage_mismatch")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_pipeline_id_default_explicit(self):
        o = us()
        r = create({"phoneNumber": h.us_phone(), "pipelineId": o.default_pipeline()["_id"], "status": "Lost"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["pipelineStage"], o.stage("Lost")["_id"])

    def test_unknown_pipeline(self):
        r = create({"phoneNumber": h.us_phone(), "pipelineId": "0" * 24})
        self.assertError(r, 404, "pipeline_not_found")

    def test_other_orgs_pipeline(self):
        other = org("other")
        r = create({"phoneNumber": h.us_phone(), "pipelineId": other.default_pipeline()["_id"]})
        self.assertError(r, 404, "pipeline_not_found")

    def test_other_orgs_stage(self):
        other = org("other")
        r = create({"phoneNumber": h.us_phone(), "pipelineStage": other.stage("Won")["_id"]})
        self.assertIn(r.status, (400, 404), r)
        self.assertIn(r.json["error"], ("stage_not_found", "pipeline_not_found"))

    def test_malformed_pipeline_id(self):
        r = create({"phoneNumber": h.us_phone(), "pipelineId": "xyz"})
        self.assertError(r, 400, "validation_failed", field="pipelineId")

    def test_stage_alone_selects_its_pipeline(self):
        p2 = self.second_pipeline()
        closing = [s for s in p2["pipelineStages"] if s["name"] == "Closing"][0]
        r = create({"phoneNumber": h.us_phone(), "pipelineStage": closing["_id"]})
        self.assertStatus(r, 201)
        c = r.json["data"]["contact"]
        self.assertEqual(c["pipelineId"], p2["_id"])
        self.assertEqual(c["status"], "Closing")

    def test_pipeline_id_first_stage(self):
        p2 = self.second_pipeline()
        r = create({"phoneNumber": h.us_phone(), "pipelineId": p2["_id"]})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["data"]["contact"]["status"], "Intro")

    def test_status_of_other_pipeline(self):
        p2 = self.second_pipeline()
        # "Intro" is not a stage of the default pipeline.
        self.assertError(create({"phoneNumber": h.us_phone(), "status": "Intro"}), 400, "stage_not_found")
        # "Won" is not a stage of p2.
        self.assertError(create({"phoneNumber": h.us_phone(), "pipelineId": p2["_id"], "status": "Won"}),
                         400, "stage_not_found")
        # A stage of the default pipeline with p2's id.
        r = create({"phoneNumber": h.us_phone(), "pipelineId": p2["_id"], "pipelineStage": us().stage("Won")["_id"]})
        self.assertEqual(r.status, 400, r)
        self.assertIn(r.json["error"], ("stage_not_found", "stage_mismatch"))


class Ownership(ApiTest):
    def test_default_assignee_is_caller(self):
        rep = us().add_user("SALES_REP")
        c = h.create_contact(rep.token)
        self.assertEqual(c["assignees"], [rep.id])
        self.assertEqual(c["userId"], rep.id)
        self.assertEqual(c["createdBy"], rep.id)

    def test_department_head_creates(self):
        head = us().add_user("DEPARTMENT_HEAD")
        c = h.create_contact(head.token)
        self.assertEqual(c["userId"], head.id)
        self.assertEqual(c["assignees"], [head.id])

    def test_given_assignees(self):
        o = us()
        a, b = o.add_user("SALES_REP"), o.add_user("DEPARTMENT_HEAD")
        c = h.create_contact(o.token, assignees=[a.id, b.id])
        self.assertEqual(sorted(c["assignees"]), sorted([a.id, b.id]))
        self.assertEqual(c["userId"], o.admin.id)

    def test_assignee_of_other_org(self):
        other = org("other")
        p = h.us_phone()
        r = create({"phoneNumber": p, "assignees": [other.admin.id]})
        self.assertError(r, 400, "validation_failed", field="assignees[0]")
        r = create({"phoneNumber": p, "assignees": [us().admin.id, other.admin.id]})
        self.assertError(r, 400, "validation_failed", field="assignees[1]")
        self.assertStatus(create({"phoneNumber": p}), 201)

    def test_assignee_unknown_or_malformed(self):
        r = create({"phoneNumber": h.us_phone(), "assignees": ["0" * 24]})
        self.assertError(r, 400, "validation_failed", field="assignees[0]")
        r = create({"phoneNumber": h.us_phone(), "assignees": ["nope"]})
        self.assertError(r, 400, "validation_failed", field="assignees[0]")
        r = create({"phoneNumber": h.us_phone(), "assignees": [5]})
        self.assertError(r, 400, "validation_failed", field="assignees[0]")

    def test_superadmin_forbidden(self):
        r = create({"phoneNumber": h.us_phone()}, token=h.sa_token())
        self.assertError(r, 403, "forbidden")

    def test_unauthenticated(self):
        self.assertError(h.post("/api/contact", {"phoneNumber": h.us_phone()}), 401, "unauthorized")


class SideEffects(ApiTest):
    def test_event_log_entry(self):
        o = us()
        rep = o.add_user("SALES_REP")
        c = h.create_contact(rep.token)
        r = h.get("/api/event-logs?contactId=" + c["_id"], token=o.token)
        d = self.assertOk(r)
        self.assertEqual(d["total"], 1)
        e = d["events"][0]
        self.assertEqual(e["type"], "CONTACT_CREATE")
        self.assertEqual(e["source"], "manual")
        self.assertEqual(e["contactId"], c["_id"])
        self.assertEqual(e["userId"], rep.id)
        self.assertEqual(e["organizationId"], o.id)
        self.assertObjectId(e["_id"])
        self.assertTimestamp(e["createdAt"])
        # Newest first over the whole org log.
        latest = h.get("/api/event-logs", token=o.token).json["data"]["events"][0]
        self.assertEqual(latest["contactId"], c["_id"])

    def test_failed_creates_leave_no_trace(self):
        o = us()
        taken = h.us_phone()
        h.create_contact(o.token, phone=taken)
        before = h.event_total(o.token)
        fresh = [h.us_phone() for _ in range(6)]
        bad = [
            ({"phoneNumber": [{"value": fresh[0]}, {"value": taken}]}, 409),
            ({"phoneNumber": fresh[1], "status": "Won", "pipelineStage": o.stage("Lost")["_id"]}, 400),
            ({"phoneNumber": fresh[2], "pipelineId": "0" * 24}, 404),
            ({"phoneNumber": fresh[3], "email": "bad"}, 400),
            ({"phoneNumber": fresh[4], "assignees": [org("other").admin.id]}, 400),
            ({"phoneNumber": [{"value": fresh[5]}, {"value": "12"}]}, 400),
        ]
        for body, st in bad:
            self.assertStatus(create(body), st, repr(body))
        self.assertEqual(h.event_total(o.token), before, "a failed create wrote an event-log entry")
        for p in fresh:
            self.assertStatus(create({"phoneNumber": p}), 201, "number %s was left taken" % p)
        self.assertEqual(h.event_total(o.token), before + len(fresh))


class Idempotency(ApiTest):
    def test_replay(self):
        o = us()
        key = h.uniq("idem-")
        body = {"phoneNumber": h.us_phone(), "firstName": "Idem"}
        a = create(body, headers={"Idempotency-Key": key})
        self.assertStatus(a, 201)
        before = h.event_total(o.token)
        b = create(body, headers={"Idempotency-Key": key})
        self.assertStatus(b, 201)
        self.assertEqual(a.json, b.json)
        self.assertEqual(h.event_total(o.token), before)

    def test_key_reused_other_body(self):
        key = h.uniq("idem-")
        self.assertStatus(create({"phoneNumber": h.us_phone()}, headers={"Idempotency-Key": key}), 201)
        r = create({"phoneNumber": h.us_phone()}, headers={"Idempotency-Key": key})
        self.assertError(r, 422, "idempotency_key_reused")
