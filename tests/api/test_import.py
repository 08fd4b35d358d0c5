"""CSV import (API.md §11): POST /api/contacts/import makes a durable job (202 + Location) whose
rows each go through the rules of POST /api/contact; GET /api/contacts/imports/:id and
/rows report it; import_progress events; a server killed mid-import finishes the job with every
row exactly once; `crmd import` does the same from the command line."""

import csv
import io
import json
import os
import signal
import time
import urllib.parse

import harness as h
from harness import ApiTest
from test_events import stream_events


def setUpModule():
    h.start_module_server(env={"CRMD_SSE_KEEPALIVE_MS": "300"})


def tearDownModule():
    h.stop_module_server()


def start(token, text, expect=202, content_type="text/csv", server=None, **q):
    """POSTs the CSV (str or bytes) with the options q; the reply, checked for `expect`."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    path = "/api/contacts/import" + ("?" + urllib.parse.urlencode(q) if q else "")
    r = h.request("POST", path, raw=raw, token=token, content_type=content_type, server=server)
    assert r.status == expect, r
    return r


def wait(token, import_id, timeout=60, server=None):
    """The import once it is no longer running."""
    deadline = time.time() + timeout
    while True:
        r = h.get("/api/contacts/imports/" + import_id, token=token, server=server)
        assert r.status == 200, r
        imp = r.json["data"]["import"]
        if imp["state"] != "running":
            return imp
        if time.time() > deadline:
            raise AssertionError("import still running after %ds: %r" % (timeout, imp))
        time.sleep(0.05)


def run(token, text, **q):
    """Starts an import and waits for it: (the import, its rows by row number)."""
    r = start(token, text, **q)
    imp = wait(token, r.json["data"]["import"]["_id"])
    return imp, {x["row"]: x for x in all_rows(token, imp["_id"])}


def all_rows(token, import_id, **q):
    out, page = [], 1
    while True:
        r = h.get("/api/contacts/imports/%s/rows?%s" % (import_id, urllib.parse.urlencode(dict(q, page=page, limit=1000))),
                  token=token)
        assert r.status == 200, r
        out += r.json["data"]["rows"]
        if len(out) >= r.json["data"]["total"]:
            return out
        page += 1


def contacts(token):
    r = h.get("/api/contacts?ownerFilter=all&size=200", token=token)
    assert r.status == 200, r
    return r.json["data"]["contacts"]


def by_phone(token, phone):
    r = h.post("/api/contacts/phoneNumber", {"phoneNumber": phone}, token=token)
    return r.json["data"]["contact"] if r.status == 200 else None


def progress_of(token):
    """The ids of the imports whose import_progress events this user's SSE stream carries."""
    return [e[2]["import"]["_id"] for e in stream_events(token) if e[1] == "import_progress"]


def csv_text(rows, delimiter=",", eol="\r\n"):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=eol)
    for row in rows:
        w.writerow(row)
    return buf.getvalue()


class Import(ApiTest):
    def test_created_rows_are_contacts_with_their_log_and_events(self):
        o = h.create_org()
        stage = o.default_pipeline()["pipelineStages"][2]
        p1, p2, p3 = h.us_phone(), h.us_phone(), h.us_phone()
        text = csv_text([["First Name", "Last Name", "Phone Number", "Mobile", "E-mail", "Status", "Lead Source", "Notes"],
                         ["Ann", "Lee", h.us_national(p1), h.us_dashed(p2), "Ann@X.com", stage["name"].upper(), "Fair", "x"],
                         ["Bob", "", p3, "", "", "", "", ""]])
        r = start(o.token, text)
        imp = r.json["data"]["import"]
        self.assertObjectId(imp["_id"])
        self.assertEqual(r.headers["Location"], "/api/contacts/imports/" + imp["_id"])
        self.assertEqual(r.json["success"], True)
        self.assertEqual((imp["state"], imp["total"], imp["dryRun"], imp["onDuplicate"], imp["fileName"]),
                         ("running", 2, False, "skip", None))
        done = wait(o.token, imp["_id"])
        self.assertEqual({k: done[k] for k in ("state", "total", "processed", "created", "updated", "skipped", "failed")},
                         {"state": "done", "total": 2, "processed": 2, "created": 2, "updated": 0, "skipped": 0,
                          "failed": 0})
        self.assertRegex(done["finishedAt"], h.TS_RE)
        self.assertRegex(done["createdAt"], h.TS_RE)
        self.assertEqual((done["userId"], done["organizationId"]), (o.admin.id, o.id))
        rows = {x["row"]: x for x in all_rows(o.token, imp["_id"])}
        self.assertEqual(sorted(rows), [2, 3], "rows are numbered as a spreadsheet does: the header is row 1")
        ann = by_phone(o.token, p1)
        self.assertEqual(rows[2], {"row": 2, "status": "created", "contactId": ann["_id"]})
        self.assertEqual((ann["firstName"], ann["lastName"], ann["email"], ann["status"], ann["pipelineStage"],
                          ann["source"], ann["userId"], ann["createdBy"], ann["assignees"]),
                         ("Ann", "Lee", "ann@x.com", stage["name"], stage["_id"], "Fair", o.admin.id, o.admin.id,
                          [o.admin.id]))
        self.assertEqual([(x["value"], x["isPrimary"]) for x in ann["phoneNumber"]], [(p1, True), (p2, False)],
                         "two phone columns: two numbers, the first primary")
        bob = by_phone(o.token, p3)
        self.assertEqual((bob["firstName"], bob["lastName"], bob["email"], bob["status"]), ("Bob", None, None, "New Lead"))
        logs = h.get("/api/event-logs?contactId=" + ann["_id"], token=o.token).json["data"]["events"]
        self.assertEqual([(e["type"], e["source"], e["userId"]) for e in logs], [("CONTACT_CREATE", "import", o.admin.id)])
        events = stream_events(o.token)
        created = [e for e in events if e[1] == "contact_created"]
        self.assertEqual(sorted(e[2]["contact"]["_id"] for e in created), sorted([ann["_id"], bob["_id"]]))
        progress = [e[2]["import"] for e in events if e[1] == "import_progress"]
        self.assertTrue(progress, "import_progress events")
        self.assertEqual((progress[-1]["_id"], progress[-1]["state"], progress[-1]["processed"], progress[-1]["created"]),
                         (imp["_id"], "done", 2, 2))

    def test_every_kind_of_failed_row_with_the_code_of_post_contact(self):
        o = h.create_org()
        taken = h.create_contact(o.token)
        reserved = h.us_phone()
        r = h.post("/api/organizations/%s/phone-numbers" % o.id, {"phoneNumber": reserved, "provider": "twilio"},
                   token=o.token)
        self.assertEqual(r.status, 201, r)
        dup = h.us_phone()
        text = csv_text([["firstName", "phone", "email", "status"],
                         ["Bad phone", "12", "", ""],
                         ["Reserved", h.us_national(reserved), "", ""],
                         ["Taken", h.us_dashed(taken["phoneNumber"][0]["value"]), "", ""],
                         ["First", dup, "", ""],
                         ["Repeat", h.us_national(dup), "", ""],
                         ["Bad email", h.us_phone(), "not-an-email", ""],
                         ["Bad stage", h.us_phone(), "", "Nowhere"],
                         ["Long name" * 30, h.us_phone(), "", ""]])
        imp, rows = run(o.token, text, onDuplicate="error")
        self.assertEqual((imp["state"], imp["total"], imp["created"], imp["failed"]), ("done", 8, 1, 7))
        for row, status, code, field, value in (
                (2, 400, "validation_failed", "phoneNumber[0]", None),
                (3, 409, "phone_reserved", "phoneNumber[0].value", reserved),
                (4, 409, "phone_taken", "phoneNumber[0].value", taken["phoneNumber"][0]["value"]),
                (6, 409, "phone_taken", "phoneNumber[0].value", dup),
                (7, 400, "validation_failed", "email[0]", None),
                (8, 400, "stage_not_found", "status", None),
                (9, 400, "validation_failed", "firstName", None)):
            got = rows[row]
            self.assertEqual((got["status"], got["error"], got.get("field"), got.get("value", value)),
                             ("failed", code, field, value), (row, got))
            self.assertTrue(got["message"])
        self.assertEqual(rows[4]["contactId"] if "contactId" in rows[4] else None, None,
                         "a failed row names no contact of its own")
        self.assertEqual(rows[5]["status"], "created")
        # the same bodies through POST /api/contact give the same codes
        r = h.post("/api/contact", {"phoneNumber": ["12"]}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="phoneNumber[0]")
        r = h.post("/api/contact", {"phoneNumber": [dup]}, token=o.token)
        self.assertError(r, 409, "phone_taken", field="phoneNumber[0].value")
        self.assertEqual(r.json["contactId"], rows[5]["contactId"])
        self.assertEqual(len(contacts(o.token)), 2, "only the good row and the contact made before")

    def test_on_duplicate_skip_update_and_error_against_the_organization(self):
        o = h.create_org()
        old = h.create_contact(o.token, firstName="Old", lastName="Name", source="Web")
        phone = old["phoneNumber"][0]["value"]
        text = csv_text([["First Name", "Phone", "Source"], ["New", h.us_national(phone), "Fair"]])
        imp, rows = run(o.token, text)
        self.assertEqual((imp["onDuplicate"], imp["skipped"], imp["created"]), ("skip", 1, 0), "skip is the default")
        self.assertEqual((rows[2]["status"], rows[2]["contactId"], rows[2]["error"], rows[2]["value"]),
                         ("skipped", old["_id"], "phone_taken", phone))
        self.assertEqual(h.get_contact(o.token, old["_id"])["firstName"], "Old")
        imp, rows = run(o.token, text, onDuplicate="error")
        self.assertEqual((rows[2]["status"], rows[2]["error"], rows[2]["field"], rows[2]["value"]),
                         ("failed", "phone_taken", "phoneNumber[0].value", phone))
        imp, rows = run(o.token, text, onDuplicate="update")
        self.assertEqual((imp["updated"], rows[2]), (1, {"row": 2, "status": "updated", "contactId": old["_id"]}))
        now = h.get_contact(o.token, old["_id"])
        self.assertEqual((now["firstName"], now["lastName"], now["source"], now["__v"]), ("New", "Name", "Fair", 1),
                         "the row's cells replace the contact's; the empty ones leave it as it was")
        self.assertEqual([(x["value"], x["isPrimary"]) for x in now["phoneNumber"]], [(phone, True)])
        logs = h.get("/api/event-logs?contactId=" + old["_id"], token=o.token).json["data"]["events"]
        self.assertEqual((logs[0]["type"], logs[0]["source"]), ("CONTACT_UPDATE", "import"))
        self.assertEqual(json.loads(logs[0]["changes"]) if isinstance(logs[0]["changes"], str) else logs[0]["changes"],
                         {"firstName": {"from": "Old", "to": "New"}, "source": {"from": "Web", "to": "Fair"}})
        imp, rows = run(o.token, text, onDuplicate="update")
        self.assertEqual((imp["updated"], imp["skipped"], rows[2]["status"], rows[2]["contactId"]),
                         (0, 1, "skipped", old["_id"]), "an update that changes nothing is a skipped row")
        self.assertEqual(h.get_contact(o.token, old["_id"])["__v"], 1)

    def test_a_number_repeated_within_the_file(self):
        o = h.create_org()
        p, q = h.us_phone(), h.us_phone()
        text = csv_text([["First Name", "Phone", "Phone 2"],
                         ["A", p, ""], ["B", h.us_dashed(p), ""], ["C", q, h.us_national(p)], ["D", q, ""]])
        imp, rows = run(o.token, text)
        a = by_phone(o.token, p)
        self.assertEqual([rows[i]["status"] for i in (2, 3, 4, 5)], ["created", "skipped", "skipped", "created"])
        self.assertEqual((rows[3]["contactId"], rows[3]["value"], rows[4]["contactId"]), (a["_id"], p, a["_id"]))
        self.assertEqual((by_phone(o.token, q)["firstName"], rows[5]["contactId"]), ("D", by_phone(o.token, q)["_id"]),
                         "row 4 was skipped whole, so its other number stayed free for row 5")
        o2 = h.create_org()
        imp, rows = run(o2.token, text, onDuplicate="error")
        self.assertEqual([rows[i]["status"] for i in (2, 3, 4, 5)], ["created", "failed", "failed", "created"])
        self.assertEqual((rows[3]["error"], rows[4]["error"], rows[4]["field"]),
                         ("phone_taken", "phone_taken", "phoneNumber[1].value"))
        o3 = h.create_org()
        imp, rows = run(o3.token, text, onDuplicate="update")
        self.assertEqual([rows[i]["status"] for i in (2, 3, 4, 5)], ["created", "updated", "updated", "created"])
        self.assertEqual(by_phone(o3.token, p)["firstName"], "C", "each later row updates the contact of row 2")

    def test_dry_run_checks_every_row_and_writes_nothing(self):
        o = h.create_org()
        taken = h.create_contact(o.token)
        before = h.event_total(o.token)
        p = h.us_phone()
        text = csv_text([["Phone", "Email"], [p, "a@x.com"], [h.us_dashed(p), ""], ["12", ""],
                         [taken["phoneNumber"][0]["value"], ""], [h.us_phone(), "bad@"]])
        imp, rows = run(o.token, text, dryRun="true")
        self.assertEqual((imp["dryRun"], imp["state"], imp["created"], imp["skipped"], imp["failed"]),
                         (True, "done", 1, 2, 2))
        self.assertEqual(rows[2], {"row": 2, "status": "created"}, "no contact id: none was made")
        self.assertEqual((rows[3]["status"], rows[3]["error"]), ("skipped", "phone_taken"),
                         "a number of an earlier row is the duplicate it would be")
        self.assertEqual((rows[4]["status"], rows[4]["error"]), ("failed", "validation_failed"))
        self.assertEqual((rows[5]["status"], rows[5]["contactId"]), ("skipped", taken["_id"]))
        self.assertEqual((rows[6]["status"], rows[6]["field"]), ("failed", "email[0]"))
        self.assertEqual([c["_id"] for c in contacts(o.token)], [taken["_id"]])
        self.assertEqual(h.event_total(o.token), before, "no event-log entry")
        self.assertIsNone(by_phone(o.token, p))

    def test_reimport_with_skip_creates_nothing_twice(self):
        o = h.create_org()
        text = csv_text([["Name", "First Name", "Phone"]] + [["x", "N%d" % i, h.us_phone()] for i in range(30)])
        imp, _ = run(o.token, text)
        self.assertEqual(imp["created"], 30)
        imp, rows = run(o.token, text)
        self.assertEqual((imp["created"], imp["skipped"]), (0, 30))
        self.assertEqual(len(contacts(o.token)), 30)
        self.assertEqual(h.event_total(o.token), 30, "one CONTACT_CREATE each, none from the second import")

    def test_file_formats(self):
        o = h.create_org()
        p = [h.us_phone() for _ in range(6)]
        cases = [
            ("BOM and CRLF", "\ufeffFirst Name,Phone\r\nAnn,%s\r\n" % p[0], "Ann"),
            ("semicolons", "FIRSTNAME;phone_number;EMAIL\nBo;%s;b@x.com\n" % h.us_national(p[1]), "Bo"),
            ("tab", "first_name\tMobile Phone\nCy\t%s\n" % p[2], "Cy"),
            ("quoted newline", 'Phone,"Last, Name",First Name\n%s,"Lee\nSecond line",Di\n' % p[3], "Di"),
            ("Excel headers", '"E-mail Address","Telephone Number","Given Name","Surname"\r\n'
                              '"e@x.com","%s","Ed","Ng"\r\n' % h.us_dashed(p[4]), "Ed"),
            ("bare LF, no final newline", "phone,firstname\n%s,Flo" % p[5], "Flo"),
        ]
        for name, text, first in cases:
            imp, rows = run(o.token, text)
            self.assertEqual((imp["state"], imp["created"], rows[2]["status"]), ("done", 1, "created"), name)
        self.assertEqual(by_phone(o.token, p[3])["lastName"], "Lee\nSecond line")
        self.assertEqual(by_phone(o.token, p[1])["email"], "b@x.com")
        ed = by_phone(o.token, p[4])
        self.assertEqual((ed["firstName"], ed["lastName"], ed["email"]), ("Ed", "Ng", "e@x.com"))

    def test_mapping(self):
        o = h.create_org()
        p, q = h.us_phone(), h.us_phone()
        text = csv_text([["Nom", "Numéro", "Autre", "Courriel"], ["Zoé", p, q, "z@x.com"]])
        imp, rows = run(o.token, text, mapping=json.dumps({"Nom": "firstName", "NUMÉRO": "phoneNumber", "Autre": "mobile",
                                                           "Courriel": "emails"}))
        self.assertEqual(imp["created"], 1)
        z = by_phone(o.token, p)
        self.assertEqual((z["firstName"], z["email"], [x["value"] for x in z["phoneNumber"]]), ("Zoé", "z@x.com", [p, q]))
        r = start(o.token, text, expect=400)
        self.assertError(r, 400, "validation_failed", field="file")
        self.assertIn("phone", r.json["message"])
        for bad in ("[]", "{", json.dumps({"Nope": "phone"}), json.dumps({"Numéro": "shoeSize"}), json.dumps({"Numéro": 3})):
            self.assertError(start(o.token, text, expect=400, mapping=bad), 400, "validation_failed", field="mapping")
        imp, _ = run(o.token, text, mapping=json.dumps({"Numéro": "phone", "Autre": None}))
        self.assertEqual(imp["skipped"], 1, "null leaves a column out")

    def test_bad_requests(self):
        o = h.create_org()
        ok = "Phone\n%s\n" % h.us_phone()
        self.assertError(start(o.token, "", expect=400), 400, "validation_failed", field="file")
        self.assertError(start(o.token, "First Name,Email\nA,a@x.com\n", expect=400), 400, "validation_failed",
                         field="file")
        self.assertError(start(o.token, b"Phone\n\xff\xfe\n", expect=400), 400, "validation_failed", field="file")
        self.assertError(start(o.token, 'Phone\n"unclosed\n', expect=400), 400, "validation_failed", field="file")
        self.assertError(start(o.token, ok, expect=400, onDuplicate="merge"), 400, "validation_failed",
                         field="onDuplicate")
        self.assertError(start(o.token, ok, expect=400, dryRun="yes"), 400, "validation_failed", field="dryRun")
        self.assertError(start(o.token, ok, expect=415, content_type="application/json"), 415, "unsupported_media_type")
        self.assertError(start(o.token, ok, expect=415, content_type=None), 415, "unsupported_media_type")
        self.assertError(start("nope", ok, expect=401), 401, "unauthorized")
        self.assertError(start(h.sa_token(), ok, expect=403), 403, "forbidden")
        imp = start(o.token, ok, dryRun="true").json["data"]["import"]
        self.assertError(h.get("/api/contacts/imports/nothex", token=o.token), 400, "validation_failed")
        self.assertError(h.get("/api/contacts/imports/%s/rows?status=pending" % imp["_id"], token=o.token), 400,
                         "validation_failed", field="status")
        self.assertError(h.get("/api/contacts/imports/%s/rows?limit=1001" % imp["_id"], token=o.token), 400,
                         "validation_failed", field="limit")
        self.assertError(h.get("/api/contacts/imports/%s" % ("0" * 24), token=o.token), 404, "not_found")
        self.assertEqual(len(contacts(o.token)), 0, "no refused request wrote a contact")

    def test_visibility_sales_rep_and_other_organizations(self):
        o = h.create_org()
        rep, rep2, head = o.add_user("SALES_REP"), o.add_user("SALES_REP"), o.add_user("DEPARTMENT_HEAD")
        p = h.us_phone()
        imp, rows = run(rep.token, csv_text([["Phone", "First Name"], [p, "Mine"]]))
        self.assertEqual((imp["userId"], imp["created"]), (rep.id, 1))
        mine = h.get_contact(rep.token, rows[2]["contactId"])
        self.assertEqual((mine["userId"], mine["createdBy"], mine["assignees"]), (rep.id, rep.id, [rep.id]),
                         "a SALES_REP's rows are its own contacts")
        path = "/api/contacts/imports/" + imp["_id"]
        self.assertEqual(h.get(path, token=o.token).status, 200, "an ADMIN of the org sees every import")
        self.assertEqual(h.get(path, token=head.token).status, 200, "so does a DEPARTMENT_HEAD (it hears its progress)")
        self.assertEqual(h.get(path + "/rows", token=head.token).status, 200)
        self.assertIn(imp["_id"], progress_of(head.token))
        self.assertError(h.get(path, token=rep2.token), 404, "not_found")
        self.assertError(h.get(path + "/rows", token=rep2.token), 404, "not_found")
        self.assertIn(imp["_id"], progress_of(rep.token), "a SALES_REP hears its own import's progress")
        self.assertNotIn(imp["_id"], progress_of(rep2.token), "and no other SALES_REP does")
        self.assertIn(imp["_id"], progress_of(o.token))
        other = h.create_org()
        self.assertNotIn(imp["_id"], progress_of(other.token))
        self.assertError(h.get(path, token=other.token), 404, "not_found")
        self.assertError(h.get(path + "/rows", token=other.token), 404, "not_found")
        # a rep's duplicate of a contact it may not see: skipped (its holder is named, as POST /api/contact does)
        theirs = h.create_contact(o.token)
        imp, rows = run(rep2.token, csv_text([["Phone"], [theirs["phoneNumber"][0]["value"]]]), onDuplicate="update")
        self.assertEqual((rows[2]["status"], rows[2]["error"]), ("failed", "phone_taken"),
                         "update of a contact the rep may not see is refused like the number")
        self.assertEqual(h.get_contact(o.token, theirs["_id"])["__v"], 0)

    def test_multipart_upload(self):
        o = h.create_org()
        p = h.us_phone()
        boundary = "----crmdtest7MA4YWxkTrZu0gW"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
                "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\n"
                "Content-Type: text/csv\r\n\r\nFirst Name,Phone\r\nMia,%s\r\n\r\n--%s--\r\n") % (boundary, boundary, p, boundary)
        r = start(o.token, body, content_type="multipart/form-data; boundary=" + boundary)
        imp = wait(o.token, r.json["data"]["import"]["_id"])
        self.assertEqual((imp["fileName"], imp["created"], imp["total"]), ("leads.csv", 1, 1))
        self.assertEqual(by_phone(o.token, p)["firstName"], "Mia")
        no_file = "--%s\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--%s--\r\n" % (boundary, boundary)
        self.assertError(start(o.token, no_file, expect=400, content_type="multipart/form-data; boundary=" + boundary),
                         400, "validation_failed", field="file")
        self.assertError(start(o.token, "garbage", expect=400, content_type="multipart/form-data; boundary=" + boundary),
                         400, "validation_failed", field="file")

    def test_limits(self):
        o = h.create_org()
        rows = "Phone\n" + "1\n" * 200001
        r = start(o.token, rows, expect=413)
        self.assertError(r, 413, "payload_too_large")
        head = ("POST /api/contacts/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % (o.token, 50 * 1024 * 1024 + 65 * 1024)).encode()
        r = h.raw_exchange(head)
        self.assertEqual(r.status, 413)
        self.assertEqual((r.json["success"], r.json["error"]), (False, "payload_too_large"))
        self.assertIn("50 MiB", r.json["message"])
        big = b"Phone\n" + b"x" * (50 * 1024 * 1024) + b"\n"
        self.assertError(start(o.token, big, expect=413), 413, "payload_too_large")
        # JSON routes keep their 1 MiB limit
        r = h.raw_exchange(head.replace(b"/api/contacts/import", b"/api/contact").replace(
            b"%d" % (50 * 1024 * 1024 + 65 * 1024), b"%d" % (1024 * 1024 + 1)))
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json["message"], "The request body is larger than 1 MiB")
        self.assertEqual(len(contacts(o.token)), 0)

    def test_round_trip_export_then_import_into_an_empty_organization(self):
        a = h.create_org()
        stage = a.default_pipeline()["pipelineStages"][3]
        made = [h.create_contact(a.token, phone=None, firstName="Ann", lastName="=1+2", phoneNumber=[h.us_phone(), h.us_phone()],
                                 email=["a@x.com", "b@x.com"], status=stage["name"], source="Fair", process="Inbound"),
                h.create_contact(a.token, firstName=None, lastName="O'Neil, \"Jr\"\nII", source="-web"),
                h.create_contact(a.token, firstName="Zoë", lastName=None, email="z@x.com")]
        r = h.get("/api/contacts/export?ownerFilter=all", token=a.token)
        self.assertEqual(r.status, 200)
        b = h.create_org()
        imp, rows = run(b.token, r.body)
        self.assertEqual((imp["created"], imp["failed"]), (3, 0), rows)
        keys = ("firstName", "lastName", "email", "emails", "status", "source", "process")
        for c in made:
            c = h.get_contact(a.token, c["_id"])
            d = by_phone(b.token, c["phoneNumber"][0]["value"])
            self.assertEqual({k: c[k] for k in keys}, {k: d[k] for k in keys})
            self.assertEqual([(x["value"], x["isPrimary"]) for x in c["phoneNumber"]],
                             [(x["value"], x["isPrimary"]) for x in d["phoneNumber"]])
        self.assertEqual(len(contacts(b.token)), 3)

    def test_cli_import(self):
        o = h.create_org()
        p = h.us_phone()
        path = os.path.join(h.SERVER.dir, "cli-leads.csv")
        with open(path, "w") as f:
            f.write(csv_text([["First Name", "Phone"], ["Cli", p], ["Bad", "12"]]))
        res = h.run_cli(["import", "--db", h.SERVER.db_url, "--org", o.id, "--user", o.admin.email.upper(), path])
        self.assertEqual(res.returncode, 3, res)
        self.assertIn("1 created, 0 updated, 0 skipped, 1 failed", res.stderr)
        self.assertIn("row 3: validation_failed phoneNumber[0]", res.stdout)
        c = by_phone(o.token, p)
        self.assertEqual((c["firstName"], c["userId"]), ("Cli", o.admin.id))
        logs = h.get("/api/event-logs?contactId=" + c["_id"], token=o.token).json["data"]["events"]
        self.assertEqual(logs[0]["source"], "import")
        res = h.run_cli(["import", "--db", h.SERVER.db_url, "--org", o.id, "--user", "nobody@x.test", path])
        self.assertEqual(res.returncode, 1)
        res = h.run_cli(["import", "--db", h.SERVER.db_url, "--org", o.id, path])
        self.assertEqual(res.returncode, 2)


class Restart(ApiTest):
    """A server killed (SIGKILL) in the middle of an import: the restarted one finishes the job,
    and every row is done exactly once (one contact, one log entry, one result)."""

    def setUp(self):
        self.srv = h.Server(env={"CRMD_IMPORT_RUNNERS": "2"})
        self.srv.init()
        self.srv.start()

    def tearDown(self):
        self.srv.cleanup()

    def test_kill_mid_import_then_restart(self):
        srv = self.srv
        o = h.create_org(server=srv)
        n = 6000
        text = csv_text([["First Name", "Phone"]] + [["R%d" % i, h.us_phone()] for i in range(n)])
        r = start(o.token, text, server=srv)
        imp_id = r.json["data"]["import"]["_id"]
        deadline = time.time() + 60
        while True:
            imp = h.get("/api/contacts/imports/" + imp_id, token=o.token, server=srv).json["data"]["import"]
            if imp["processed"] >= 100:
                break
            self.assertLess(time.time(), deadline)
            time.sleep(0.01)
        srv.kill()
        self.assertLess(imp["processed"], n, "killed before the end (make the file longer if this fails)")
        srv.start()
        h.forget_token(o.admin.email)
        token = h.login(o.admin.email, o.admin.password, server=srv)
        deadline = time.time() + 90
        while True:
            imp = h.get("/api/contacts/imports/" + imp_id, token=token, server=srv).json["data"]["import"]
            if imp["state"] != "running":
                break
            self.assertLess(time.time(), deadline, imp)
            time.sleep(0.1)
        self.assertEqual((imp["state"], imp["total"], imp["processed"], imp["created"], imp["failed"]),
                         ("done", n, n, n, 0))
        r = h.get("/api/contacts?ownerFilter=all&size=1", token=token, server=srv)
        self.assertEqual(r.json["data"]["total"], n, "one contact per row")
        self.assertEqual(h.event_total(token, server=srv), n, "one CONTACT_CREATE per row")
        ids, page = set(), 1
        while True:
            r = h.get("/api/contacts/imports/%s/rows?limit=1000&page=%d" % (imp_id, page), token=token, server=srv)
            got = r.json["data"]["rows"]
            if not got:
                break
            ids.update(x["contactId"] for x in got)
            page += 1
        self.assertEqual(len(ids), n, "a result per row, each with its own contact")
