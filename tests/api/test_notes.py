"""Notes on contacts (API.md §5.7): POST /api/contact-notes, GET ?contactId= with a cursor, PATCH and
DELETE /api/contact-notes/{id} (author or ADMIN); mentions are users of the organization; a note
on a contact the caller cannot see is 404; NOTE_* entries in the contact's timeline, note_* events
over SSE; deleting a contact deletes its notes."""

import harness as h
from harness import ApiTest
from test_events import stream_events


def setUpModule():
    h.start_module_server(env={"CRMD_SSE_KEEPALIVE_MS": "200"})


def tearDownModule():
    h.stop_module_server()


UNKNOWN_ID = "0123456789abcdef01234567"
NOTE_KEYS = {"_id", "organizationId", "contactId", "userId", "note", "mentions", "attachments", "createdAt",
             "updatedAt"}
PDF = {"filename": "quote.pdf", "url": "https://files.example/quote.pdf"}


class NotesTest(ApiTest):
    def setUp(self):
        self.o = h.create_org()
        self.c = h.create_contact(self.o.token)

    def create(self, body, token=None):
        return h.post("/api/contact-notes", body, token=token or self.o.token)

    def create_ok(self, token=None, **fields):
        body = {"contactId": self.c["_id"], "note": "Called, will call back"}
        body.update(fields)
        d = self.assertOk(self.create(body, token), 201, "Note created")
        return d["note"]

    def list_notes(self, cid=None, token=None, **q):
        q = dict(q, contactId=cid or self.c["_id"])
        qs = "&".join("%s=%s" % kv for kv in q.items())
        return h.get("/api/contact-notes?" + qs, token=token or self.o.token)

    def notes_of(self, cid=None, token=None):
        d = self.assertOk(self.list_notes(cid, token, limit=100), 200)
        return d["notes"]

    def logs(self, *types, cid=None):
        return [e for e in h.events_for(self.o.token, cid or self.c["_id"]) if e["type"] in types]


class Create(NotesTest):
    def test_create_shape_log_and_event(self):
        u = self.o.add_user("DEPARTMENT_HEAD")
        n = self.create_ok(note="Line one\nLine two ü", mentions=[u.id, self.o.admin.id, u.id],
                           attachments=[PDF, {"filename": "b.png", "url": "b.png"}])
        self.assertEqual(set(n), NOTE_KEYS)
        self.assertObjectId(n["_id"])
        self.assertEqual(n["organizationId"], self.o.id)
        self.assertEqual(n["contactId"], self.c["_id"])
        self.assertEqual(n["userId"], self.o.admin.id)
        self.assertEqual(n["note"], "Line one\nLine two ü")
        self.assertEqual(n["mentions"], [u.id, self.o.admin.id], "the same user twice is one mention")
        self.assertEqual(n["attachments"], [PDF, {"filename": "b.png", "url": "b.png"}])
        self.assertTimestamp(n["createdAt"])
        self.assertEqual(n["createdAt"], n["updatedAt"])
        self.assertEqual(self.notes_of(), [n])
        logs = self.logs("NOTE_CREATE")
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["userId"], self.o.admin.id)
        self.assertEqual(logs[0]["contactId"], self.c["_id"])
        self.assertEqual(logs[0]["changes"], {"note": n})
        evs = [(name, d) for _, name, d in stream_events(self.o.token) if name.startswith("note_")]
        self.assertEqual(len(evs), 1)
        self.assertEqual(evs[0][0], "note_created")
        self.assertEqual(evs[0][1]["note"], n)
        self.assertEqual(evs[0][1]["contact"]["_id"], self.c["_id"])
        self.assertEqual(h.get_contact(self.o.token, self.c["_id"]), self.c, "a note does not change the contact")

    def test_defaults_and_limits(self):
        n = self.create_ok(note="x" * 10000)
        self.assertEqual((n["mentions"], n["attachments"]), ([], []))
        n2 = self.create_ok(mentions=None, attachments=None, extra="ignored")
        self.assertEqual((n2["mentions"], n2["attachments"]), ([], []))
        self.create_ok(attachments=[PDF] * 10)

    def test_bad_bodies(self):
        cid = self.c["_id"]
        other = h.create_org()
        stranger = other.add_user("SALES_REP")
        cases = [
            ({"note": "x"}, "contactId"),
            ({"contactId": "abc", "note": "x"}, "contactId"),
            ({"contactId": 5, "note": "x"}, "contactId"),
            ({"contactId": cid}, "note"),
            ({"contactId": cid, "note": None}, "note"),
            ({"contactId": cid, "note": ""}, "note"),
            ({"contactId": cid, "note": " \n\t "}, "note"),
            ({"contactId": cid, "note": 7}, "note"),
            ({"contactId": cid, "note": ["x"]}, "note"),
            ({"contactId": cid, "note": "x" * 10001}, "note"),
            ({"contactId": cid, "note": "a\u0000b"}, "note"),
            ({"contactId": cid, "note": "x", "mentions": "someone"}, "mentions"),
            ({"contactId": cid, "note": "x", "mentions": [5]}, "mentions[0]"),
            ({"contactId": cid, "note": "x", "mentions": [self.o.admin.id, "nope"]}, "mentions[1]"),
            ({"contactId": cid, "note": "x", "mentions": [UNKNOWN_ID]}, "mentions[0]"),
            ({"contactId": cid, "note": "x", "mentions": [self.o.admin.id, stranger.id]}, "mentions[1]"),
            ({"contactId": cid, "note": "x", "mentions": [other.admin.id]}, "mentions[0]"),
            ({"contactId": cid, "note": "x", "attachments": {"filename": "a", "url": "b"}}, "attachments"),
            ({"contactId": cid, "note": "x", "attachments": [PDF] * 11}, "attachments"),
            ({"contactId": cid, "note": "x", "attachments": ["a.pdf"]}, "attachments[0]"),
            ({"contactId": cid, "note": "x", "attachments": [PDF, {"url": "u"}]}, "attachments[1].filename"),
            ({"contactId": cid, "note": "x", "attachments": [{"filename": "f"}]}, "attachments[0].url"),
            ({"contactId": cid, "note": "x", "attachments": [{"filename": "f", "url": 3}]}, "attachments[0].url"),
            ({"contactId": cid, "note": "x", "attachments": [{"filename": "", "url": "u"}]}, "attachments[0]"),
            ({"contactId": cid, "note": "x", "attachments": [{"filename": "f" * 256, "url": "u"}]},
             "attachments[0].filename"),
        ]
        for body, field in cases:
            self.assertError(self.create(body), 400, "validation_failed", field, msg=repr(body)[:120])
        self.assertError(h.post("/api/contact-notes", raw=b"{", token=self.o.token), 400, "invalid_json")
        self.assertError(h.post("/api/contact-notes", raw=b"[1]", token=self.o.token), 400, "invalid_json")
        self.assertError(h.post("/api/contact-notes", {"contactId": cid, "note": "x"}), 401, "unauthorized")
        self.assertError(h.post("/api/contact-notes", {"contactId": cid, "note": "x"}, token=h.sa_token()), 403,
                         "forbidden")
        self.assertEqual(self.notes_of(), [])
        self.assertEqual(self.logs("NOTE_CREATE"), [])

    def test_unknown_foreign_and_invisible_contacts(self):
        other = h.create_org()
        theirs = h.create_contact(other.token)
        for cid in (UNKNOWN_ID, theirs["_id"]):
            self.assertError(self.create({"contactId": cid, "note": "x"}), 404, "not_found")
        rep = self.o.add_user("SALES_REP")
        self.assertError(self.create({"contactId": self.c["_id"], "note": "x"}, token=rep.token), 404, "not_found")
        self.assertEqual(self.notes_of(), [])
        self.assertEqual(self.notes_of(theirs["_id"], other.token), [])
        mine = h.create_contact(rep.token)
        n = self.create_ok(token=rep.token, contactId=mine["_id"], mentions=[self.o.admin.id])
        self.assertEqual(n["userId"], rep.id)


class ListNotes(NotesTest):
    def test_newest_first_with_a_cursor(self):
        made = [self.create_ok(note="note %d" % i) for i in range(5)]
        other = h.create_contact(self.o.token)
        self.create_ok(contactId=other["_id"], note="elsewhere")
        seen, after = [], None
        while True:
            q = {"limit": 2}
            if after:
                q["after"] = after
            d = self.assertOk(self.list_notes(**q), 200)
            seen += d["notes"]
            after = d["nextCursor"]
            self.assertLessEqual(len(d["notes"]), 2)
            if after is None:
                break
            self.assertIsInstance(after, str)
        self.assertEqual(seen, list(reversed(made)))
        d = self.assertOk(self.list_notes(), 200)
        self.assertEqual(d["notes"], list(reversed(made)), "default limit is 20")
        self.assertIsNone(d["nextCursor"])

    def test_errors(self):
        tok = self.o.token
        self.assertError(h.get("/api/contact-notes", token=tok), 400, "validation_failed", "contactId")
        self.assertError(h.get("/api/contact-notes?contactId=xyz", token=tok), 400, "validation_failed", "contactId")
        for bad in ("0", "101", "-1", "x"):
            self.assertError(self.list_notes(limit=bad), 400, "validation_failed", "limit")
        for bad in ("x", "123", "123_abc", "_0123456789abcdef01234567"):
            self.assertError(self.list_notes(after=bad), 400, "validation_failed", "after")
        self.assertError(self.list_notes(UNKNOWN_ID), 404, "not_found")
        other = h.create_org()
        theirs = h.create_contact(other.token)
        h.post("/api/contact-notes", {"contactId": theirs["_id"], "note": "secret"}, token=other.token)
        self.assertError(self.list_notes(theirs["_id"]), 404, "not_found")
        rep = self.o.add_user("SALES_REP")
        self.create_ok()
        self.assertError(self.list_notes(token=rep.token), 404, "not_found")
        self.assertError(h.get("/api/contact-notes?contactId=" + self.c["_id"]), 401, "unauthorized")


class ChangeNotes(NotesTest):
    def patch(self, nid, body, token=None):
        return h.patch("/api/contact-notes/" + nid, body, token=token or self.o.token)

    def test_author_edits(self):
        rep = self.o.add_user("SALES_REP")
        mine = h.create_contact(rep.token)
        n = self.create_ok(token=rep.token, contactId=mine["_id"], attachments=[PDF])
        d = self.assertOk(self.patch(n["_id"], {"note": "Edited", "mentions": [self.o.admin.id]}, rep.token), 200,
                          "Note updated")
        u = d["note"]
        self.assertEqual(u["note"], "Edited")
        self.assertEqual(u["mentions"], [self.o.admin.id])
        self.assertEqual(u["attachments"], [PDF], "a key not sent is kept")
        self.assertEqual((u["_id"], u["createdAt"], u["userId"]), (n["_id"], n["createdAt"], rep.id))
        self.assertGreaterEqual(u["updatedAt"], n["updatedAt"])
        self.assertEqual(self.notes_of(mine["_id"]), [u])
        logs = self.logs("NOTE_UPDATE", cid=mine["_id"])
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["userId"], rep.id)
        self.assertEqual(logs[0]["changes"], {"noteId": n["_id"], "note": {"from": n["note"], "to": "Edited"},
                                              "mentions": {"from": [], "to": [self.o.admin.id]}})
        evs = [d for _, name, d in stream_events(rep.token) if name == "note_updated"]
        self.assertEqual([e["note"] for e in evs], [u])

        # Sending what is there changes nothing and writes nothing.
        same = self.assertOk(self.patch(n["_id"], {"note": "Edited", "attachments": [PDF]}, rep.token), 200,
                             "Note updated")["note"]
        self.assertEqual(same, u)
        self.assertEqual(len(self.logs("NOTE_UPDATE", cid=mine["_id"])), 1)
        # null clears the lists
        cleared = self.assertOk(self.patch(n["_id"], {"mentions": None, "attachments": None}, rep.token), 200)["note"]
        self.assertEqual((cleared["mentions"], cleared["attachments"]), ([], []))

    def test_who_may_change(self):
        rep = self.o.add_user("SALES_REP")
        head = self.o.add_user("DEPARTMENT_HEAD")
        mine = h.create_contact(rep.token)
        n = self.create_ok(token=rep.token, contactId=mine["_id"])
        # another role that sees the contact but is not the author
        self.assertError(self.patch(n["_id"], {"note": "no"}, head.token), 403, "forbidden")
        self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=head.token), 403, "forbidden")
        # a SALES_REP that cannot see the contact does not learn the note exists
        rep2 = self.o.add_user("SALES_REP")
        self.assertError(self.patch(n["_id"], {"note": "no"}, rep2.token), 404, "not_found")
        self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=rep2.token), 404, "not_found")
        self.assertEqual(self.notes_of(mine["_id"]), [n])
        # the ADMIN may
        u = self.assertOk(self.patch(n["_id"], {"note": "By the admin"}), 200)["note"]
        self.assertEqual((u["note"], u["userId"]), ("By the admin", rep.id))
        self.assertEqual(self.logs("NOTE_UPDATE", cid=mine["_id"])[0]["userId"], self.o.admin.id)

    def test_bad_requests(self):
        n = self.create_ok()
        other = h.create_org()
        cases = [
            ({"note": ""}, "note"), ({"note": None}, "note"), ({"note": 1}, "note"), ({"note": "x" * 10001}, "note"),
            ({"mentions": [UNKNOWN_ID]}, "mentions[0]"), ({"mentions": [other.admin.id]}, "mentions[0]"),
            ({"mentions": "x"}, "mentions"), ({"attachments": [PDF] * 11}, "attachments"),
            ({"attachments": [{"filename": 1, "url": "u"}]}, "attachments[0].filename"),
        ]
        for body, field in cases:
            self.assertError(self.patch(n["_id"], body), 400, "validation_failed", field, msg=repr(body)[:100])
        self.assertError(h.patch("/api/contact-notes/" + n["_id"], raw=b"nope", token=self.o.token), 400,
                         "invalid_json")
        self.assertError(self.patch("bad", {"note": "x"}), 400, "validation_failed", "id")
        self.assertError(self.patch(UNKNOWN_ID, {"note": "x"}), 404, "not_found")
        self.assertError(self.patch(n["_id"], {"note": "x"}, other.token), 404, "not_found")
        self.assertError(h.patch("/api/contact-notes/" + n["_id"], {"note": "x"}), 401, "unauthorized")
        self.assertEqual(self.notes_of(), [n])
        self.assertEqual(self.logs("NOTE_UPDATE"), [])

    def test_delete(self):
        keep = self.create_ok(note="keep")
        n = self.create_ok(note="remove me")
        other = h.create_org()
        self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=other.token), 404, "not_found")
        self.assertError(h.delete("/api/contact-notes/nothex", token=self.o.token), 400, "validation_failed", "id")
        self.assertError(h.delete("/api/contact-notes/" + UNKNOWN_ID, token=self.o.token), 404, "not_found")
        d = self.assertOk(h.delete("/api/contact-notes/" + n["_id"], token=self.o.token), 200, "Note deleted")
        self.assertEqual(d["note"], n)
        self.assertEqual(self.notes_of(), [keep])
        self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=self.o.token), 404, "not_found")
        self.assertError(self.patch(n["_id"], {"note": "x"}), 404, "not_found")
        logs = self.logs("NOTE_DELETE")
        self.assertEqual(len(logs), 1)
        self.assertEqual(logs[0]["changes"], {"note": n})
        names = [(name, d["note"]["_id"]) for _, name, d in stream_events(self.o.token) if name.startswith("note_")]
        self.assertEqual(names, [("note_created", keep["_id"]), ("note_created", n["_id"]),
                                 ("note_removed", n["_id"])])


class Cascade(NotesTest):
    def test_deleting_a_contact_deletes_its_notes(self):
        a = self.create_ok(note="a")
        b = self.create_ok(note="b")
        other = h.create_contact(self.o.token)
        elsewhere = self.create_ok(contactId=other["_id"], note="elsewhere")
        r = h.delete("/api/contacts/" + self.c["_id"], token=self.o.token)
        self.assertStatus(r, 200)
        for n in (a, b):
            self.assertError(h.patch("/api/contact-notes/" + n["_id"], {"note": "x"}, token=self.o.token), 404,
                             "not_found")
            self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=self.o.token), 404, "not_found")
        self.assertError(self.list_notes(), 404, "not_found")
        self.assertEqual(self.notes_of(other["_id"]), [elsewhere])
        # the timeline keeps what happened
        self.assertEqual(len(self.logs("NOTE_CREATE")), 2)

    def test_bulk_delete_too(self):
        n = self.create_ok()
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [self.c["_id"]]}, token=self.o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["deletedCount"], 1)
        self.assertError(h.delete("/api/contact-notes/" + n["_id"], token=self.o.token), 404, "not_found")
        # a new contact with the same number starts without notes
        again = h.create_contact(self.o.token, phone=self.c["phoneNumber"][0]["value"])
        self.assertEqual(self.notes_of(again["_id"]), [])


class Delivery(NotesTest):
    def test_sales_rep_hears_only_notes_of_contacts_it_sees(self):
        rep = self.o.add_user("SALES_REP")
        mine = h.create_contact(rep.token)
        self.create_ok(note="hidden from the rep")
        visible = self.create_ok(contactId=mine["_id"], note="on the rep's contact")
        got = [d["note"]["_id"] for _, name, d in stream_events(rep.token) if name == "note_created"]
        self.assertEqual(got, [visible["_id"]])
        other = h.create_org()
        self.assertEqual([e for e in stream_events(other.token) if e[1].startswith("note_")], [])

    def test_webhooks_accept_note_events(self):
        r = h.post("/api/webhooks", {"url": "https://hooks.example/crm", "events": ["note_created", "note_updated",
                                                                                   "note_removed"]},
                   token=self.o.token)
        self.assertStatus(r, 201)
        r = h.post("/api/webhooks", {"url": "https://hooks.example/crm", "events": ["note_deleted"]},
                   token=self.o.token)
        self.assertError(r, 400, "validation_failed", "events[0]")
