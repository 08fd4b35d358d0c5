"""crmd migrate --from URL --to URL: a populated installation moves from SQLite to PostgreSQL and
back without losing a record, a token, an API key, an event number or a rule: every contact reads
the same, search finds by name and by number in any format (the derived indexes are rebuilt),
a migrated number is still refused with 409, an Idempotency-Key still replays, and new events
number after the old ones. A target that holds data is refused and left unchanged."""

import os

import harness as h
import test_events
from harness import ApiTest

BACKENDS = ("postgres",)   # needs both backends: the tier with a PostgreSQL cluster


def migrate(src, dst):
    return h.run_cli(["migrate", "--from", src, "--to", dst], timeout=120)


class Installation:
    """What a populated server showed before a migration, to compare with after."""

    def __init__(self, srv):
        self.srv = srv
        o = self.org = h.create_org(server=srv, timezone="Europe/London", defaultCountry="GB")
        self.rep = o.add_user("SALES_REP")
        self.admin_token = o.token
        self.rep_token = self.rep.token
        r = h.post("/api/user/api-key/regenerate", {}, token=self.rep_token, server=srv)
        self.api_key = r.json["data"]["apiKey"]
        self.provisioned = h.gb_phone()
        r = h.post("/api/organizations/%s/phone-numbers" % o.id, {"phoneNumber": self.provisioned,
                   "provider": "twilio"}, token=self.admin_token, server=srv)
        assert r.status == 201, r
        r = h.post("/api/webhooks", {"url": "https://hooks.example.com/crm", "events": ["contact_created"]},
                   token=self.admin_token, server=srv)
        assert r.status == 201, r
        qualified = o.stage("Qualified")["_id"] if any(
            s["name"] == "Qualified" for s in o.default_pipeline()["pipelineStages"]) else None
        self.numbers = []
        for i in range(12):
            phone = h.gb_phone()
            self.numbers.append(phone)
            fields = {"firstName": "Zoë%d" % i, "lastName": "O'Brien \\ \"quoted\" Łukasz",
                      "email": "zoe%d@Example.COM" % i}
            if i % 3 == 0:
                fields["secondaryPhoneNumber"] = h.gb_phone()
            if i % 4 == 0:
                fields["assignees"] = [self.rep.id]
            h.create_contact(self.admin_token, phone=phone, server=srv, **fields)
        c = h.create_contact(self.rep_token, phone=h.gb_phone(), server=srv, firstName="Rep's", lastName="Own")
        body = {"firstName": "Changed", "source": "tab\tand\nnewline"}
        if qualified:
            body["stageId"] = qualified
        r = h.patch("/api/contacts/" + c["_id"], body, token=self.admin_token, server=srv)
        assert r.status == 200, r
        # A note with a mention, and a verified contact and number (API.md §5.6, §5.7).
        r = h.post("/api/contact-notes", {"contactId": c["_id"], "note": "Call back\non Monday", "mentions": [self.rep.id]},
                   token=self.admin_token, server=srv)
        assert r.status == 201, r
        self.noted = c["_id"]
        r = h.patch("/api/contacts/%s/verify" % c["_id"], {"verificationSource": "call"}, token=self.admin_token,
                    server=srv)
        assert r.status == 200, r
        r = h.patch("/api/contacts/%s/verify-contact-methods" % c["_id"],
                    {"type": "phone", "value": c["phoneNumber"][0]["value"], "verifiedAt": None}, token=self.admin_token,
                    server=srv)
        gone = h.create_contact(self.admin_token, server=srv, firstName="Deleted")
        assert h.delete("/api/contacts/" + gone["_id"], token=self.admin_token, server=srv).status == 200
        self.idem_body = {"phoneNumber": h.gb_phone(), "firstName": "Idem"}
        r = h.post("/api/contact", self.idem_body, token=self.admin_token, server=srv,
                   headers={"Idempotency-Key": "migrate-key-1"})
        assert r.status == 201, r
        self.idem_reply = r.json

        self.contacts = self.read_contacts(self.admin_token)
        self.rep_view = self.ids(self.rep_token)
        self.log_total = h.event_total(self.admin_token, server=srv)
        sse = test_events.SseReader(self.admin_token, after=0, server=srv)
        self.events = sse.events(100, timeout=1.0)
        sse.close()
        self.notes = h.get("/api/contact-notes?contactId=" + self.noted, token=self.admin_token, server=srv).json
        self.phone_numbers = h.get("/api/organizations/%s/phone-numbers" % o.id, token=self.admin_token,
                                   server=srv).json
        self.webhooks = h.get("/api/webhooks", token=self.admin_token, server=srv).json

    def ids(self, token, **q):
        qs = "&".join("%s=%s" % kv for kv in dict({"ownerFilter": "all", "size": 100}, **q).items())
        r = h.get("/api/contacts?" + qs, token=token, server=self.srv)
        assert r.status == 200, r
        return [c["_id"] for c in r.json["data"]["contacts"]]

    def read_contacts(self, token):
        return [h.get("/api/contacts/" + i, token=token, server=self.srv).json["data"]["contact"]
                for i in self.ids(token)]


class Migrate(ApiTest):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()

    def server(self, **kw):
        # secret=None: the token secret is the one kept in the database, which must travel too.
        srv = h.Server(secret=None, **kw)
        self.servers.append(srv)
        return srv

    def assert_same(self, before, srv):
        """srv, started on the migrated database, answers as the old server did."""
        before.srv = srv
        self.assertStatus(h.get("/api/user/profile", token=before.admin_token, server=srv), 200,
                          "a token issued before the migration is still valid")
        self.assertStatus(h.get("/api/user/profile", token=before.api_key, server=srv), 200,
                          "an API key made before the migration still works")
        self.assertTrue(h.login(before.rep.email, before.rep.password, server=srv), "passwords still work")
        self.assertEqual(before.read_contacts(before.admin_token), before.contacts)
        self.assertEqual(before.ids(before.rep_token), before.rep_view, "a SALES_REP sees what it saw")
        self.assertEqual(h.event_total(before.admin_token, server=srv), before.log_total)
        self.assertEqual(h.get("/api/organizations/%s/phone-numbers" % before.org.id, token=before.admin_token,
                               server=srv).json, before.phone_numbers)
        self.assertEqual(h.get("/api/webhooks", token=before.admin_token, server=srv).json, before.webhooks)
        self.assertEqual(h.get("/api/contact-notes?contactId=" + before.noted, token=before.admin_token, server=srv).json,
                         before.notes, "notes travel")
        self.assertEqual(len(before.notes["data"]["notes"]), 1)
        noted = [c for c in before.contacts if c["_id"] == before.noted][0]
        self.assertIs(noted["isVerified"], True, "and verification")

        # Search works from rebuilt indexes: a name substring, and a number in national format.
        by_name = before.ids(before.admin_token, search="brien")
        self.assertEqual(len(by_name), 12)
        first = before.numbers[0]
        holder = [c for c in before.contacts if c["phoneNumber"][0]["value"] == first][0]
        self.assertEqual(before.ids(before.admin_token, search="(%s)-%s" % (first[3:5], first[5:])),
                         [holder["_id"]])

        # The rules still hold on migrated rows.
        r = h.post("/api/contact", {"phoneNumber": h.gb_national(first)}, token=before.admin_token, server=srv)
        self.assertError(r, 409, "phone_taken")
        self.assertIn(holder["_id"], r.body.decode())
        r = h.post("/api/contact", {"phoneNumber": before.provisioned}, token=before.admin_token, server=srv)
        self.assertStatus(r, 409)
        r = h.post("/api/contact", before.idem_body, token=before.admin_token, server=srv,
                   headers={"Idempotency-Key": "migrate-key-1"})
        self.assertStatus(r, 201)
        self.assertEqual(r.json, before.idem_reply, "the Idempotency-Key replays its reply")

        # The event stream: the same events under the same numbers, and new ones after them.
        sse = test_events.SseReader(before.admin_token, after=0, server=srv)
        try:
            self.assertEqual(sse.events(len(before.events), timeout=2.0), before.events)
            c = h.create_contact(before.admin_token, server=srv, firstName="After")
            seq, name, data = sse.next_event(timeout=5.0)
            self.assertEqual(name, "contact_created")
            self.assertEqual(data["contact"], c)
            self.assertGreater(seq, before.events[-1][0], "new events number after the migrated ones")
        finally:
            sse.close()

    def test_sqlite_to_postgres_and_back(self):
        old = self.server()
        old.init()
        old.start()
        before = Installation(old)
        self.assertGreater(len(before.contacts), 12)
        self.assertGreater(len(before.events), 12)
        old.stop()

        pg_url = h.pg_new_database("crmd_migrate")
        r = migrate(old.db_url, pg_url)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("migrated", r.stdout)
        counts = {line.split()[0]: int(line.split()[1]) for line in r.stdout.splitlines()
                  if line.startswith("  ")}
        self.assertEqual(counts["contacts"], len(before.contacts))
        self.assertEqual(h.pg_query(pg_url, "SELECT count(*) FROM contacts c WHERE NOT EXISTS (SELECT 1 FROM "
                                              "contact_search s WHERE s.contact_id = c.id AND s.words <> '')"), [["0"]],
                         "every contact has its search document")
        r = h.run_cli(["check", "--db", pg_url])
        self.assertEqual(r.returncode, 0, "crmd check of the copy: " + r.stdout + r.stderr)

        on_pg = self.server(db_url=pg_url)
        on_pg.start()
        self.assert_same(before, on_pg)
        # What the PostgreSQL server wrote must travel back too.
        before = Installation(on_pg)
        on_pg.stop()

        back = os.path.join(old.dir, "back.db")
        r = migrate(pg_url, "sqlite:" + back)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = h.run_cli(["check", "--db", "sqlite:" + back])
        self.assertEqual(r.returncode, 0, "crmd check of the copy back: " + r.stdout + r.stderr)
        on_sqlite = self.server(db_path=back)
        on_sqlite.start()
        self.assert_same(before, on_sqlite)
        total = h.get("/api/contacts?ownerFilter=all", token=before.admin_token, server=on_sqlite).json["data"]["total"]
        self.assertEqual(total, len(before.contacts) + 1, "the kept count of contacts was rebuilt")

    def test_a_target_with_data_is_refused_and_left_alone(self):
        src = self.server()
        src.init()
        dst_url = h.pg_new_database("crmd_migrate")
        r = h.run_cli(["init", "--db", dst_url, "--email", "other@pg.test", "--password", "other-password"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = migrate(src.db_url, dst_url)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not empty", r.stderr)
        self.assertEqual(h.pg_query(dst_url, "SELECT email FROM users"), [["other@pg.test"]])

    def test_bad_invocations(self):
        r = h.run_cli(["migrate", "--from", "sqlite:/tmp/x.db"])
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("--to", r.stderr)
        r = h.run_cli(["migrate", "--from", "sqlite:/tmp/x.db", "--to", "sqlite:/tmp/x.db"])
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("same database", r.stderr)
        bad = "postgresql://someone:s3cr3t-pw@/nowhere?host=/nonexistent-socket-dir"
        r = migrate(bad, "sqlite:" + os.path.join(self.server().dir, "t.db"))
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("source", r.stderr)
        self.assertNotIn("s3cr3t-pw", r.stdout + r.stderr)
        r = migrate("mysql://x", "sqlite:/tmp/y.db")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("unknown database URL scheme", r.stderr)
