"""Users: create (ADMIN), list, profile read/edit, roles, email uniqueness."""

import time

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


USER_KEYS = {"_id", "email", "fullName", "organizationId", "accessRole", "phoneNumber", "designation",
             "sinchPhoneNumber", "loginDisabled", "createdAt", "updatedAt"}

org = h.shared_org


def new_user_body(role="SALES_REP", **extra):
    b = {"fullName": "Sam Seller", "email": h.unique_email("sam"), "password": "sam-password-1",
         "accessRole": role}
    b.update(extra)
    return b


class CreateUser(ApiTest):
    def test_create_shape(self):
        o = org()
        body = new_user_body("SALES_REP", phoneNumber="(212) 555-0147", designation="Rep")
        r = h.post("/api/users", body, token=o.token)
        d = self.assertOk(r, 201)
        u = d["user"]
        self.assertEqual(set(u.keys()), USER_KEYS)
        self.assertObjectId(u["_id"])
        self.assertEqual(u["email"].lower(), body["email"].lower())
        self.assertEqual(u["fullName"], "Sam Seller")
        self.assertEqual(u["organizationId"], o.id)
        self.assertEqual(u["accessRole"], "SALES_REP")
        self.assertEqual(u["designation"], "Rep")
        self.assertIs(u["loginDisabled"], False)
        self.assertIsNone(u["sinchPhoneNumber"])
        self.assertTimestamp(u["createdAt"])
        self.assertTimestamp(u["updatedAt"])
        self.assertNoSecrets(r.json)
        lr = h.login_raw(body["email"], body["password"])
        self.assertStatus(lr, 200)
        self.assertEqual(lr.json["user"]["id"], u["_id"])
        self.assertEqual(lr.json["user"]["accessRole"], "SALES_REP")

    def test_every_role(self):
        o = org()
        for role in ("ADMIN", "DEPARTMENT_HEAD", "SALES_REP"):
            r = h.post("/api/users", new_user_body(role), token=o.token)
            self.assertEqual(self.assertOk(r, 201)["user"]["accessRole"], role)

    def test_bad_role(self):
        o = org()
        for role in ("SUPERADMIN", "OWNER", "", None, 3):
            body = new_user_body()
            body["accessRole"] = role
            r = h.post("/api/users", body, token=o.token)
            self.assertError(r, 400, "validation_failed", field="accessRole", msg=repr(role))
        body = new_user_body()
        del body["accessRole"]
        self.assertError(h.post("/api/users", body, token=o.token), 400, "validation_failed",
                         field="accessRole")

    def test_password_length(self):
        o = org()
        r = h.post("/api/users", new_user_body(password="1234567"), token=o.token)
        self.assertError(r, 400, "validation_failed", field="password")
        r = h.post("/api/users", new_user_body(password="12345678"), token=o.token)
        self.assertStatus(r, 201)

    def test_missing_fields(self):
        o = org()
        for key in ("fullName", "email", "password"):
            body = new_user_body()
            del body[key]
            self.assertError(h.post("/api/users", body, token=o.token), 400, "validation_failed",
                             field=key)

    def test_bad_email(self):
        o = org()
        for bad in ("nope", "a@", "@b.com", "a b@c.com"):
            r = h.post("/api/users", new_user_body(email=bad), token=o.token)
            self.assertError(r, 400, "validation_failed", field="email", msg=bad)

    def test_email_unique_case_insensitive_across_orgs(self):
        a, b = org(), org("b")
        body = new_user_body()
        self.assertStatus(h.post("/api/users", body, token=a.token), 201)
        dup = new_user_body(email=body["email"].upper())
        self.assertError(h.post("/api/users", dup, token=a.token), 409, "email_taken")
        self.assertError(h.post("/api/users", dup, token=b.token), 409, "email_taken")
        self.assertError(h.post("/api/users", new_user_body(email=h.SA_EMAIL), token=a.token),
                         409, "email_taken")
        self.assertError(h.post("/api/users", new_user_body(email=b.admin.email), token=a.token),
                         409, "email_taken")

    def test_non_admin_forbidden(self):
        o = org()
        for role in ("SALES_REP", "DEPARTMENT_HEAD"):
            u = o.add_user(role)
            r = h.post("/api/users", new_user_body(), token=u.token)
            self.assertError(r, 403, "forbidden", msg=role)

    def test_sinch_number_stored_e164_and_reserved(self):
        o = org()
        num = h.us_phone()
        r = h.post("/api/users", new_user_body(sinchPhoneNumber=h.us_national(num)), token=o.token)
        self.assertEqual(self.assertOk(r, 201)["user"]["sinchPhoneNumber"], num)
        c = h.post("/api/contact", {"phoneNumber": num}, token=o.token)
        self.assertError(c, 409, "phone_reserved")


    def test_sinch_number_held_by_contact(self):
        o = org()
        c = h.create_contact(o.token)
        num = c["phoneNumber"][0]["value"]
        r = h.post("/api/users", new_user_body(sinchPhoneNumber=num), token=o.token)
        self.assertError(r, 409, "phone_taken")

    def test_sinch_number_of_other_org_contact_is_fine(self):
        o, b = org(), org("b")
        c = h.create_contact(b.token)
        r = h.post("/api/users", new_user_body(sinchPhoneNumber=c["phoneNumber"][0]["value"]), token=o.token)
        self.assertStatus(r, 201)


class UserList(ApiTest):
    def test_bare_array_of_org_users(self):
        a, b = org(), org("b")
        u = a.add_user("SALES_REP")
        r = h.get("/api/user/list", token=a.token)
        self.assertStatus(r, 200)
        self.assertIsInstance(r.json, list, "user list must be a bare array: %r" % r)
        ids = [x["_id"] for x in r.json]
        self.assertIn(a.admin.id, ids)
        self.assertIn(u.id, ids)
        self.assertNotIn(b.admin.id, ids)
        for x in r.json:
            self.assertEqual(set(x.keys()), USER_KEYS)
            self.assertEqual(x["organizationId"], a.id)
        self.assertNoSecrets(r.json, "user list")
        self.assertEqual(len(ids), len(set(ids)))

    def test_sales_rep_can_list(self):
        a = org()
        u = a.add_user("SALES_REP")
        r = h.get("/api/user/list", token=u.token)
        self.assertStatus(r, 200)
        self.assertIn(u.id, [x["_id"] for x in r.json])


class Profile(ApiTest):
    def test_get_profile(self):
        o = org()
        r = h.get("/api/user/profile", token=o.token)
        d = self.assertOk(r)
        self.assertEqual(set(d["user"].keys()), USER_KEYS)
        self.assertEqual(d["user"]["_id"], o.admin.id)
        self.assertNoSecrets(r.json)

    def test_superadmin_profile(self):
        r = h.get("/api/user/profile", token=h.sa_token())
        d = self.assertOk(r)
        self.assertIsNone(d["user"]["organizationId"])
        self.assertEqual(d["user"]["accessRole"], "SUPERADMIN")

    def test_edit_self(self):
        u = org().add_user("SALES_REP")
        before = h.get("/api/user/profile", token=u.token).json["data"]["user"]
        time.sleep(0.01)
        r = h.put("/api/user/profile", {"fullName": "New Name", "phoneNumber": "+12125550163",
                                        "designation": "Senior"}, token=u.token)
        d = self.assertOk(r)
        self.assertEqual(d["user"]["fullName"], "New Name")
        self.assertEqual(d["user"]["phoneNumber"], "+12125550163")
        self.assertEqual(d["user"]["designation"], "Senior")
        self.assertEqual(d["user"]["_id"], u.id)
        self.assertGreater(d["user"]["updatedAt"], before["updatedAt"])
        self.assertEqual(d["user"]["createdAt"], before["createdAt"])
        g = self.assertOk(h.get("/api/user/profile", token=u.token))["user"]
        self.assertEqual(g, d["user"])

    def test_change_email(self):
        o = org()
        u = o.add_user("SALES_REP")
        new = h.unique_email("renamed")
        r = h.put("/api/user/profile", {"email": new}, token=u.token)
        self.assertEqual(self.assertOk(r)["user"]["email"].lower(), new.lower())
        self.assertStatus(h.login_raw(new, u.password), 200)
        self.assertError(h.login_raw(u.email, u.password), 401, "unauthorized")
        # Taken by someone else:
        r = h.put("/api/user/profile", {"email": o.admin.email.upper()},
                  token=h.login(new, u.password))
        self.assertError(r, 409, "email_taken")

    def test_short_password(self):
        u = org().add_user("SALES_REP")
        r = h.put("/api/user/profile", {"password": "short"}, token=u.token)
        self.assertError(r, 400, "validation_failed", field="password")
        self.assertStatus(h.login_raw(u.email, u.password), 200)

    def test_wrong_types(self):
        u = org().add_user("SALES_REP")
        r = h.put("/api/user/profile", {"fullName": 5}, token=u.token)
        self.assertError(r, 400, "validation_failed", field="fullName")

    def test_admin_edits_member(self):
        o = org()
        u = o.add_user("SALES_REP")
        r = h.put("/api/user/profile", {"id": u.id, "accessRole": "DEPARTMENT_HEAD",
                                        "designation": "Lead"}, token=o.token)
        d = self.assertOk(r)
        self.assertEqual(d["user"]["_id"], u.id)
        self.assertEqual(d["user"]["accessRole"], "DEPARTMENT_HEAD")
        self.assertEqual(d["user"]["designation"], "Lead")
        # The admin's own profile is untouched.
        me = self.assertOk(h.get("/api/user/profile", token=o.token))["user"]
        self.assertEqual(me["accessRole"], "ADMIN")
        self.assertNotEqual(me["designation"], "Lead")
        lst = {x["_id"]: x for x in h.get("/api/user/list", token=o.token).json}
        self.assertEqual(lst[u.id]["accessRole"], "DEPARTMENT_HEAD")

    def test_admin_cannot_make_superadmin(self):
        o = org()
        u = o.add_user("SALES_REP")
        r = h.put("/api/user/profile", {"id": u.id, "accessRole": "SUPERADMIN"}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="accessRole")

    def test_non_admin_own_id_ok(self):
        u = org().add_user("SALES_REP")
        r = h.put("/api/user/profile", {"id": u.id, "designation": "Self"}, token=u.token)
        self.assertEqual(self.assertOk(r)["user"]["designation"], "Self")

    def test_admin_sets_taken_email(self):
        o = org()
        a, b = o.add_user("SALES_REP"), o.add_user("SALES_REP")
        r = h.put("/api/user/profile", {"id": a.id, "email": b.email.upper()}, token=o.token)
        self.assertError(r, 409, "email_taken")

    def test_non_admin_other_id_forbidden(self):
        o = org()
        a = o.add_user("SALES_REP")
        b = o.add_user("DEPARTMENT_HEAD")
        r = h.put("/api/user/profile", {"id": a.id, "fullName": "Hacked"}, token=b.token)
        self.assertError(r, 403, "forbidden")
        lst = {x["_id"]: x for x in h.get("/api/user/list", token=o.token).json}
        self.assertNotEqual(lst[a.id]["fullName"], "Hacked")

    def test_non_admin_cannot_escalate(self):
        o = org()
        u = o.add_user("SALES_REP")
        r = h.put("/api/user/profile", {"accessRole": "ADMIN"}, token=u.token)
        self.assertIn(r.status, (400, 403), "a SALES_REP set its own accessRole: %r" % r)
        me = self.assertOk(h.get("/api/user/profile", token=u.token))["user"]
        self.assertEqual(me["accessRole"], "SALES_REP")

    def test_admin_other_org_id_404(self):
        a, b = org(), org("b")
        u = b.add_user("SALES_REP")
        r = h.put("/api/user/profile", {"id": u.id, "fullName": "Cross"}, token=a.token)
        self.assertError(r, 404, "not_found")

    def test_admin_malformed_id(self):
        r = h.put("/api/user/profile", {"id": "nope", "fullName": "X"}, token=org().token)
        self.assertError(r, 400, "validation_failed")

    def test_unauthenticated(self):
        self.assertError(h.get("/api/user/profile"), 401, "unauthorized")
        self.assertError(h.get("/api/user/list"), 401, "unauthorized")
