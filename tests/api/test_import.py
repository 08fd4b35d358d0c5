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
from test_events import SseReader


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
        events = self.replay(o.token)
        created = [e for e in events if e[1] == "contact_created"]
        self.assertEqual(sorted(e[2]["contact"]["_id"] for e in created), sorted([ann["_id"], bob["_id"]]))
        progress = [e[2]["import"] for e in events if e[1] == "import_progress"]
        self.assertTrue(progress, "import_progress events")
        self.assertEqual((progress[-1]["_id"], progress[-1]["state"], progress[-1]["processed"], progress[-1]["created"]),
                         (imp["_id"], "done", 2, 2))

    def replay(self, token):
        """Every event the caller may hear, from the start of the durable stream."""
        rd = SseReader(token, after=0)
        try:
            out = []
            while True:
                e = rd.next_event(1.0)
                if e is None:
                    return out
                out.append(e)
        finally:
            rd.close()

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
