"""CSV export (API.md §11): GET /api/contacts/export streams the contacts GET /api/contacts lists
for the same filters and caller, as RFC 4180 CSV with the documented columns, formula cells
neutralized; `crmd export` writes the same CSV from the command line."""

import csv
import io
import json
import os
import urllib.parse

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


def export(token, expect=200, **q):
    r = h.get("/api/contacts/export" + ("?" + urllib.parse.urlencode(q) if q else ""), token=token)
    assert r.status == expect, r
    return r


def rows(r):
    """The CSV of a reply as a list of dicts (header keys), after checking the framing."""
    text = r.body.decode("utf-8")
    assert not text.startswith("\ufeff"), "no BOM"
    assert text.endswith("\r\n"), "records end with CRLF"
    return list(csv.DictReader(io.StringIO(text, newline="")))


def header(r):
    return r.body.decode("utf-8").split("\r\n", 1)[0].split(",")


def listed_ids(token, **q):
    q = dict({"size": 200}, **q)
    r = h.get("/api/contacts?" + urllib.parse.urlencode(q), token=token)
    assert r.status == 200, r
    return [c["_id"] for c in r.json["data"]["contacts"]]


class Export(ApiTest):
    def test_columns_values_and_headers_of_the_reply(self):
        o = h.create_org()
        rep = o.add_user("SALES_REP")
        stage = o.default_pipeline()["pipelineStages"][1]
        p1, p2, p3 = h.us_phone(), h.us_phone(), h.us_phone()
        a = h.create_contact(o.token, phone=None, firstName="Ann", lastName="Lee",
                             phoneNumber=[{"value": p1}, {"value": p2, "isPrimary": True}],
                             secondaryPhoneNumber=[p3], email=["b@x.com", {"value": "a@x.com", "isPrimary": True}],
                             assignees=[o.admin.id, rep.id], pipelineStage=stage["_id"], source="Fair", process="Inbound")
        b = h.create_contact(o.token, firstName=None, lastName=None)
        r = export(o.token)
        self.assertEqual(r.headers["Content-Type"], "text/csv; charset=utf-8")
        self.assertRegex(r.headers["Content-Disposition"], r'^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$')
        self.assertTrue(r.headers.get("X-Request-Id"))
        self.assertEqual(header(r), ["_id", "firstName", "lastName", "phone1", "phone2", "phone3", "email1", "email2",
                                     "status", "pipeline", "stage", "source", "process", "assignees", "createdAt",
                                     "updatedAt"], "widths: the most numbers and emails of any contact")
        got = rows(r)
        self.assertEqual([x["_id"] for x in got], [b["_id"], a["_id"]], "newest first")
        ra = got[1]
        self.assertEqual((ra["firstName"], ra["lastName"]), ("Ann", "Lee"))
        self.assertEqual([ra["phone1"], ra["phone2"], ra["phone3"]], ["'" + p2, "'" + p1, "'" + p3],
                         "primary first, secondary last; a leading + is neutralized like a formula")
        self.assertEqual([ra["email1"], ra["email2"]], ["a@x.com", "b@x.com"])
        self.assertEqual((ra["status"], ra["pipeline"], ra["stage"]),
                         (stage["name"], o.default_pipeline()["name"], stage["name"]))
        self.assertEqual((ra["source"], ra["process"]), ("Fair", "Inbound"))
        self.assertEqual(ra["assignees"], "%s;%s" % (o.admin.email, rep.email))
        full = h.get_contact(o.token, a["_id"])
        self.assertEqual((ra["createdAt"], ra["updatedAt"]), (full["createdAt"], full["updatedAt"]))
        rb = got[0]
        self.assertEqual((rb["firstName"], rb["lastName"], rb["phone2"], rb["email1"], rb["process"]), ("", "", "", "", ""))

    def test_quoting_and_formula_cells(self):
        o = h.create_org()
        hostile = {
            "firstName": '=HYPERLINK("http://evil.example","x")', "lastName": 'Smith, "Jr"\nthe 2nd',
            "source": "@SUM(A1:A9)", "process": "-2+3",
        }
        h.create_contact(o.token, **hostile)
        h.create_contact(o.token, firstName="\tTabbed", lastName="+44 nothing")
        got = rows(export(o.token))
        self.assertEqual(got[1]["firstName"], "'" + hostile["firstName"])
        self.assertEqual(got[1]["lastName"], hostile["lastName"], "commas, quotes and newlines survive quoting")
        self.assertEqual(got[1]["source"], "'" + hostile["source"])
        self.assertEqual(got[1]["process"], "'" + hostile["process"])
        self.assertEqual((got[0]["firstName"], got[0]["lastName"]), ("'\tTabbed", "'+44 nothing"))
        for row in got:
            for k, v in row.items():
                self.assertFalse(v[:1] in ("=", "+", "-", "@", "\t", "\r"), "%s starts a formula: %r" % (k, v))

    def test_filters_visibility_and_tenancy_follow_the_list(self):
        o = h.create_org()
        other = h.create_org()
        rep = o.add_user("SALES_REP")
        stages = o.default_pipeline()["pipelineStages"]
        mine = [h.create_contact(o.token, firstName="Mine%d" % i, source="web") for i in range(3)]
        theirs = [h.create_contact(rep.token, firstName="Rep%d" % i) for i in range(2)]
        staged = h.create_contact(o.token, firstName="Staged", pipelineStage=stages[2]["_id"], assignees=[rep.id])
        h.create_contact(other.token, firstName="Elsewhere")
        cases = [{}, {"ownerFilter": "all"}, {"ownerFilter": rep.id}, {"ownerFilter": "unassigned"},
                 {"ownerFilter": "all", "source": "web"}, {"ownerFilter": "all", "search": "rep"},
                 {"ownerFilter": "all", "pipelineStage": stages[2]["_id"]},
                 {"ownerFilter": "all", "status": stages[2]["name"]},
                 {"ownerFilter": "all", "dateRange": json.dumps({"start": "2000-01-01", "end": "2001-01-01"})}]
        for q in cases:
            want = listed_ids(o.token, **q)
            got = [x["_id"] for x in rows(export(o.token, **q))]
            self.assertEqual(got, want, "export of %r lists what GET /api/contacts lists" % q)
        got = [x["_id"] for x in rows(export(rep.token, ownerFilter="all"))]
        self.assertEqual(sorted(got), sorted([c["_id"] for c in theirs] + [staged["_id"]]),
                         "a SALES_REP exports only the contacts it may see")
        self.assertNotIn(mine[0]["_id"], got)
        got = [x["_id"] for x in rows(export(other.token, ownerFilter="all"))]
        self.assertEqual(len(got), 1, "another organization's contacts never appear")

    def test_errors_use_the_envelope(self):
        o = h.create_org()
        r = h.get("/api/contacts/export")
        self.assertError(r, 401, "unauthorized")
        for q, field in (({"ownerFilter": "nobody"}, "ownerFilter"), ({"pipelineId": "xyz"}, "pipelineId"),
                         ({"dateRange": "{"}, "dateRange"), ({"search": "x" * 201}, "search")):
            r = export(o.token, expect=400, **q)
            self.assertError(r, 400, "validation_failed", field=field)
        r = export(h.sa_token(), expect=403)
        self.assertError(r, 403, "forbidden")

    def test_an_empty_organization_has_a_header_only(self):
        o = h.create_org()
        r = export(o.token)
        self.assertEqual(r.body.decode(), "_id,firstName,lastName,phone1,email1,status,pipeline,stage,source,"
                                          "process,assignees,createdAt,updatedAt\r\n")

    def test_many_pages_stream_every_contact_once(self):
        o = h.create_org()
        tok = o.token
        n = 1100   # more than two pages of the export's reads
        made = h.parallel(lambda i: [h.create_contact(tok, firstName="N%d-%d" % (i, k))["_id"]
                                     for k in range(n // 10)], 10)
        for m in made:
            self.assertIsInstance(m, list, m)
        got = [x["_id"] for x in rows(export(tok))]
        self.assertEqual(len(got), n)
        self.assertEqual(len(set(got)), n, "no contact twice")
        self.assertEqual(set(got), {i for m in made for i in m})
        self.assertEqual(got[:200], listed_ids(tok), "in list order")


class ExportCli(ApiTest):
    def test_the_command_line_writes_what_the_api_serves(self):
        o = h.create_org()
        rep = o.add_user("SALES_REP")
        h.create_contact(o.token, firstName="Cli", lastName="One, \"quoted\"")
        h.create_contact(rep.token, firstName="Cli", lastName="Two")
        path = os.path.join(h.SERVER.dir, "export.csv")
        r = h.run_cli(["export", "--db", h.SERVER.db_url, "--org", o.id, path])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("exported 2 contacts", r.stderr)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), export(o.token, ownerFilter="all").body,
                             "the whole organization, as an ADMIN's export with ownerFilter=all")
        r = h.run_cli(["export", "--db", h.SERVER.db_url, "--org", o.id])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.encode(), export(o.token, ownerFilter="all").body.replace(b"\r\n", b"\n"),
                         "standard output without FILE (text mode here)")

    def test_bad_invocations(self):
        r = h.run_cli(["export", "--db", h.SERVER.db_url, "--org", "not-an-id"])
        self.assertEqual(r.returncode, 2, r)
        r = h.run_cli(["export", "--db", h.SERVER.db_url, "--org", "6b0000000000000000000000"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("No such organization", r.stderr)
        o = h.create_org()
        r = h.run_cli(["export", "--db", h.SERVER.db_url, "--org", o.id, "/nonexistent-dir/x.csv"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("cannot write", r.stderr)
        self.assertFalse(os.path.exists("/nonexistent-dir/x.csv"))
