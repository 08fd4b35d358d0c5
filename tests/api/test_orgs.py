"""Organizations: create (SUPERADMIN), read, timezone, provisioned SMS numbers."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


# docs/api-decisions.md "Time zones": the Zone and Link names of the tz database, nothing else.
NOT_ZONES = ["leapseconds", "localtime", "posixrules", "zone.tab", "zone1970.tab", "iso3166.tab", "tzdata.zi",
             "leap-seconds.list", "Factory", "posix/Europe/London", "right/Europe/London", "posix", "Europe",
             "/usr/share/zoneinfo/UTC", "../zoneinfo/UTC", "Europe/../UTC", "./UTC", "utc", "europe/london",
             "Etc/GMT+15"]
ZONES = ["Europe/Paris", "US/Eastern", "Asia/Calcutta", "Etc/GMT+5", "America/Argentina/Buenos_Aires", "UTC"]
ORG_KEYS = {"_id", "name", "phoneNumber", "address", "timezone", "defaultCountry", "createdAt", "updatedAt"}
USER_KEYS = {"_id", "email", "fullName", "organizationId", "accessRole", "phoneNumber", "designation",
             "sinchPhoneNumber", "loginDisabled", "createdAt", "updatedAt"}
PN_KEYS = {"phoneNumber", "provider", "targetUserId", "isDefault", "isInboundEnabled", "createdAt"}

org = h.shared_org


class CreateOrg(ApiTest):
    def test_create_defaults(self):
        email = h.unique_email("Admin")
        name = h.uniq("Acme ")
        r, body = h.create_org_raw(name=name, admin_email=email)
        d = self.assertOk(r, 201)
        self.assertEqual(set(d.keys()), {"organization", "admin"})
        o = d["organization"]
        self.assertEqual(set(o.keys()), ORG_KEYS)
        self.assertObjectId(o["_id"])
        self.assertEqual(o["name"], name)
        self.assertEqual(o["timezone"], "UTC")
        self.assertEqual(o["defaultCountry"], "US")
        self.assertIsNone(o["phoneNumber"])
        self.assertIsNone(o["address"])
        self.assertTimestamp(o["createdAt"])
        self.assertTimestamp(o["updatedAt"])
        a = d["admin"]
        self.assertEqual(set(a.keys()), USER_KEYS)
        self.assertObjectId(a["_id"])
        self.assertEqual(a["email"].lower(), email.lower())
        self.assertEqual(a["fullName"], "Admin Person")
        self.assertEqual(a["organizationId"], o["_id"])
        self.assertEqual(a["accessRole"], "ADMIN")
        self.assertIs(a["loginDisabled"], False)
        self.assertNoSecrets(r.json)
        # The admin can log in and sees the default pipeline.
        tok = h.login(email, body["adminDetails"]["password"])
        p = h.get("/api/pipelines", token=tok)
        self.assertStatus(p, 200)
        self.assertEqual(p.json["pipeline"]["organizationId"], o["_id"])

    def test_create_with_all_fields(self):
        r, body = h.create_org_raw(phoneNumber="+442079460958", address="1 Main St, London",
                                   timezone="Europe/London", defaultCountry="GB")
        d = self.assertOk(r, 201)
        o = d["organization"]
        self.assertEqual(o["timezone"], "Europe/London")
        self.assertEqual(o["defaultCountry"], "GB")
        self.assertEqual(o["address"], "1 Main St, London")
        self.assertEqual(o["phoneNumber"], "+442079460958")

    def test_admin_details_optional_fields(self):
        r, body = h.create_org_raw()
        body2 = {"name": h.uniq("Org "), "adminDetails": {
            "fullName": "Ann Admin", "email": h.unique_email("ann"), "password": "long-enough-pw",
            "phoneNumber": "+12125550142", "designation": "Boss"}}
        r = h.post("/api/organizations", body2, token=h.sa_token())
        d = self.assertOk(r, 201)
        self.assertEqual(d["admin"]["designation"], "Boss")
        self.assertEqual(d["admin"]["phoneNumber"], "+12125550142")

    def test_unknown_timezone(self):
        r, _ = h.create_org_raw(timezone="Mars/Olympus")
        self.assertError(r, 400, "validation_failed", field="timezone")

    def test_zoneinfo_files_that_are_no_zone(self):
        # Files and paths of /usr/share/zoneinfo that are not IANA zone names (they were accepted
        # when any regular file there passed).
        for tz in NOT_ZONES:
            r, _ = h.create_org_raw(timezone=tz)
            self.assertError(r, 400, "validation_failed", field="timezone", msg="timezone %r" % tz)

    def test_zone_and_link_names(self):
        for tz in ZONES:
            r, _ = h.create_org_raw(timezone=tz)
            self.assertEqual(self.assertOk(r, 201)["organization"]["timezone"], tz)

    def test_unknown_country(self):
        r, _ = h.create_org_raw(defaultCountry="XX")
        self.assertError(r, 400, "validation_failed", field="defaultCountry")

    def test_failed_create_leaves_admin_email_free(self):
        email = h.unique_email("again")
        r, _ = h.create_org_raw(admin_email=email, timezone="Mars/Olympus")
        self.assertError(r, 400, "validation_failed")
        r, _ = h.create_org_raw(admin_email=email)
        self.assertStatus(r, 201)

    def test_missing_name(self):
        r = h.post("/api/organizations", {"adminDetails": {"fullName": "X", "email": h.unique_email(),
                                                           "password": "password123"}}, token=h.sa_token())
        self.assertError(r, 400, "validation_failed", field="name")

    def test_missing_admin_details(self):
        r = h.post("/api/organizations", {"name": h.uniq("Org ")}, token=h.sa_token())
        j = self.assertError(r, 400, "validation_failed")
        self.assertIn("adminDetails", j.get("field", ""))

    def test_short_admin_password(self):
        r, _ = h.create_org_raw(admin_password="short")
        j = self.assertError(r, 400, "validation_failed")
        self.assertIn("password", j.get("field", ""))

    def test_bad_admin_email(self):
        r, _ = h.create_org_raw(admin_email="not-an-email")
        j = self.assertError(r, 400, "validation_failed")
        self.assertIn("email", j.get("field", ""))

    def test_duplicate_admin_email(self):
        email = h.unique_email("dup")
        r, _ = h.create_org_raw(admin_email=email)
        self.assertStatus(r, 201)
        r, _ = h.create_org_raw(admin_email=email)
        self.assertError(r, 409, "email_taken")
        r, _ = h.create_org_raw(admin_email=email.upper())
        self.assertError(r, 409, "email_taken")

    def test_non_superadmin_forbidden(self):
        o = org()
        rep = o.add_user("SALES_REP")
        for tok in (o.token, rep.token):
            r, _ = h.create_org_raw(token=tok)
            self.assertError(r, 403, "forbidden")

    def test_role_checked_before_body(self):
        # An ADMIN sending an incomplete body learns only that it may not do this.
        r = h.post("/api/organizations", {"name": "x"}, token=org().token)
        self.assertError(r, 403, "forbidden")

    def test_unauthenticated(self):
        r = h.post("/api/organizations", {"name": "x"})
        self.assertError(r, 401, "unauthorized")


class ReadOrg(ApiTest):
    def test_superadmin_and_members(self):
        o = org()
        rep = o.add_user("SALES_REP")
        for tok in (h.sa_token(), o.token, rep.token):
            r = h.get("/api/organizations/" + o.id, token=tok)
            d = self.assertOk(r)
            self.assertEqual(set(d["organization"].keys()), ORG_KEYS)
            self.assertEqual(d["organization"]["_id"], o.id)
            self.assertEqual(d["organization"]["name"], o.name)

    def test_other_org_is_404(self):
        a, b = org(), org("b")
        r = h.get("/api/organizations/" + a.id, token=b.token)
        self.assertError(r, 404, "not_found")

    def test_malformed_and_unknown(self):
        self.assertError(h.get("/api/organizations/xyz", token=h.sa_token()), 400, "validation_failed")
        self.assertError(h.get("/api/organizations/ABCDEF0123456789abcdef01", token=h.sa_token()),
                         400, "validation_failed")
        self.assertError(h.get("/api/organizations/" + "0" * 24, token=h.sa_token()), 404, "not_found")


class Timezone(ApiTest):
    def test_admin_sets_timezone(self):
        o = org("tz")
        r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": "America/New_York"}, token=o.token)
        d = self.assertOk(r)
        self.assertEqual(d["organization"]["timezone"], "America/New_York")
        self.assertEqual(set(d["organization"].keys()), ORG_KEYS)
        g = h.get("/api/organizations/" + o.id, token=o.token)
        self.assertEqual(g.json["data"]["organization"]["timezone"], "America/New_York")

    def test_superadmin_sets_timezone(self):
        o = org("tz2")
        r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": "Asia/Tokyo"}, token=h.sa_token())
        self.assertEqual(self.assertOk(r)["organization"]["timezone"], "Asia/Tokyo")

    def test_zoneinfo_files_that_are_no_zone(self):
        o = org("tzfiles")
        for tz in NOT_ZONES:
            r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": tz}, token=o.token)
            self.assertError(r, 400, "validation_failed", field="timezone", msg="timezone %r" % tz)
        g = h.get("/api/organizations/" + o.id, token=o.token)
        self.assertEqual(g.json["data"]["organization"]["timezone"], "UTC", "a refused zone was stored")
        for tz in ZONES:
            r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": tz}, token=o.token)
            self.assertEqual(self.assertOk(r)["organization"]["timezone"], tz)

    def test_unknown_timezone(self):
        o = org("tz")
        r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": "Mars/Olympus"}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="timezone")
        r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": "../../etc/passwd"}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="timezone")
        r = h.put("/api/organizations/%s/timezone" % o.id, {}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="timezone")
        g = h.get("/api/organizations/" + o.id, token=o.token)
        self.assertNotEqual(g.json["data"]["organization"]["timezone"], "Mars/Olympus")

    def test_sales_rep_forbidden(self):
        o = org("tz")
        rep = o.add_user("SALES_REP")
        r = h.put("/api/organizations/%s/timezone" % o.id, {"timezone": "UTC"}, token=rep.token)
        self.assertError(r, 403, "forbidden")

    def test_other_org_admin_404(self):
        a, b = org("tz"), org("b")
        r = h.put("/api/organizations/%s/timezone" % a.id, {"timezone": "UTC"}, token=b.token)
        self.assertError(r, 404, "not_found")


class PhoneNumbers(ApiTest):
    def path(self, o):
        return "/api/organizations/%s/phone-numbers" % o.id

    def test_lifecycle(self):
        o = org("pn-life")
        r = h.get(self.path(o), token=o.token)
        d = self.assertOk(r)
        self.assertEqual(d, {"phoneNumbers": []})
        num = h.us_phone()
        r = h.post(self.path(o), {"phoneNumber": h.us_national(num), "provider": "twilio"}, token=o.token)
        d = self.assertOk(r, 201)
        pn = d["phoneNumber"]
        self.assertEqual(set(pn.keys()), PN_KEYS)
        self.assertEqual(pn["phoneNumber"], num)
        self.assertEqual(pn["provider"], "twilio")
        self.assertIsNone(pn["targetUserId"])
        self.assertIs(pn["isDefault"], True)
        self.assertIs(pn["isInboundEnabled"], True)
        self.assertTimestamp(pn["createdAt"])
        r = h.get(self.path(o), token=o.token)
        self.assertEqual(self.assertOk(r)["phoneNumbers"], [pn])
        # Provisioned: a contact may not have it.
        c = h.post("/api/contact", {"phoneNumber": num}, token=o.token)
        self.assertError(c, 409, "phone_reserved")
        # Provisioning it again, in another format.
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "sinch"}, token=o.token)
        self.assertError(r, 409, "phone_taken")
        # Delete (in national format), then it is gone and free.
        r = h.delete(self.path(o), {"phoneNumber": h.us_dashed(num)}, token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(self.assertOk(h.get(self.path(o), token=o.token))["phoneNumbers"], [])
        r = h.delete(self.path(o), {"phoneNumber": num}, token=o.token)
        self.assertError(r, 404, "not_found")
        c = h.post("/api/contact", {"phoneNumber": num}, token=o.token)
        self.assertStatus(c, 201)

    def test_flags_and_target_user(self):
        o = org("pn")
        u = o.add_user("SALES_REP")
        num = h.us_phone()
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "textgrid", "targetUserId": u.id,
                                  "isDefault": False, "isInboundEnabled": False}, token=o.token)
        pn = self.assertOk(r, 201)["phoneNumber"]
        self.assertEqual(pn["targetUserId"], u.id)
        self.assertIs(pn["isDefault"], False)
        self.assertIs(pn["isInboundEnabled"], False)
        self.assertEqual(pn["provider"], "textgrid")

    def test_bad_provider(self):
        o = org("pn")
        for prov in ("nexmo", "", "Twilio ", 5):
            r = h.post(self.path(o), {"phoneNumber": h.us_phone(), "provider": prov}, token=o.token)
            self.assertError(r, 400, "validation_failed", field="provider", msg=repr(prov))
        r = h.post(self.path(o), {"phoneNumber": h.us_phone()}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="provider")

    def test_target_user_of_other_org(self):
        o, b = org("pn"), org("b")
        r = h.post(self.path(o), {"phoneNumber": h.us_phone(), "provider": "twilio",
                                  "targetUserId": b.admin.id}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="targetUserId")
        r = h.post(self.path(o), {"phoneNumber": h.us_phone(), "provider": "twilio",
                                  "targetUserId": "nope"}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="targetUserId")

    def test_flag_types(self):
        o = org("pn")
        for key in ("isDefault", "isInboundEnabled"):
            r = h.post(self.path(o), {"phoneNumber": h.us_phone(), "provider": "twilio", key: "yes"},
                       token=o.token)
            self.assertError(r, 400, "validation_failed", field=key)

    def test_users_sinch_number_counts_as_provisioned(self):
        o = org("pn")
        num = h.us_phone()
        o.add_user("SALES_REP", sinchPhoneNumber=num)
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "sinch"}, token=o.token)
        self.assertIn(r.status, (201, 409), r)   # provisioning a user's own sinch number is allowed or taken
        self.assertError(h.post("/api/contact", {"phoneNumber": num}, token=o.token), 409, "phone_reserved")

    def test_bad_number(self):
        o = org("pn")
        for bad in ("123", "not a phone", "", "+1 555"):
            r = h.post(self.path(o), {"phoneNumber": bad, "provider": "twilio"}, token=o.token)
            self.assertError(r, 400, "validation_failed", field="phoneNumber", msg=repr(bad))

    def test_contact_has_it(self):
        o = org("pn")
        num = h.us_phone()
        h.create_contact(o.token, phone=num)
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "twilio"}, token=o.token)
        self.assertError(r, 409, "phone_taken")
        nums = [p["phoneNumber"] for p in self.assertOk(h.get(self.path(o), token=o.token))["phoneNumbers"]]
        self.assertNotIn(num, nums)

    def test_contact_has_it_as_secondary(self):
        o = org("pn")
        num = h.us_phone()
        h.create_contact(o.token, secondaryPhoneNumber=[{"value": num}])
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "twilio"}, token=o.token)
        self.assertError(r, 409, "phone_taken")

    def test_gb_org_national_format(self):
        o = org("gb", defaultCountry="GB")
        num = h.gb_phone()
        r = h.post(self.path(o), {"phoneNumber": h.gb_national(num), "provider": "sinch"}, token=o.token)
        self.assertEqual(self.assertOk(r, 201)["phoneNumber"]["phoneNumber"], num)

    def test_superadmin_manages(self):
        o = org("pn")
        num = h.us_phone()
        r = h.post(self.path(o), {"phoneNumber": num, "provider": "twilio"}, token=h.sa_token())
        self.assertStatus(r, 201)
        nums = [p["phoneNumber"] for p in self.assertOk(h.get(self.path(o), token=h.sa_token()))["phoneNumbers"]]
        self.assertIn(num, nums)
        self.assertStatus(h.delete(self.path(o), {"phoneNumber": num}, token=h.sa_token()), 200)

    def test_other_org_admin_404(self):
        a, b = org("pn"), org("b")
        self.assertError(h.get(self.path(a), token=b.token), 404, "not_found")
        r = h.post(self.path(a), {"phoneNumber": h.us_phone(), "provider": "twilio"}, token=b.token)
        self.assertError(r, 404, "not_found")
        r = h.delete(self.path(a), {"phoneNumber": h.us_phone()}, token=b.token)
        self.assertError(r, 404, "not_found")

    def test_sales_rep_forbidden(self):
        o = org("pn")
        rep = o.add_user("SALES_REP")
        self.assertError(h.get(self.path(o), token=rep.token), 403, "forbidden")
        r = h.post(self.path(o), {"phoneNumber": h.us_phone(), "provider": "twilio"}, token=rep.token)
        self.assertError(r, 403, "forbidden")

    def test_provisioned_in_one_org_free_for_another_orgs_contacts(self):
        a, c = org("pn"), org("c")
        num = h.us_phone()
        self.assertStatus(h.post(self.path(a), {"phoneNumber": num, "provider": "twilio"}, token=a.token), 201)
        self.assertError(h.post("/api/contact", {"phoneNumber": num}, token=a.token), 409, "phone_reserved")
        self.assertStatus(h.post("/api/contact", {"phoneNumber": num}, token=c.token), 201)
