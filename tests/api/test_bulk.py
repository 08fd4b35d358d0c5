"""Bulk operations by query (API.md §5.5): the shared filter, POST /api/contacts/query-count,
PUT /api/contacts/query-bulk-move (all-or-nothing, one CONTACT_UPDATE and one contact_updated per
changed contact), DELETE /api/contacts/query-bulk-delete as a durable job with GET
/api/contacts/bulk-job/{id} (numbers freed, each contact deleted once, even across a SIGKILL of the
server), and GET /api/contacts/query-bulk-export (Tether's CSV columns, CSV injection)."""

import concurrent.futures
import csv
import http.client
import io
import json
import os
import sqlite3
import time
import urllib.parse

import harness as h
from harness import ApiTest
from test_events import stream_events


def setUpModule():
    h.start_module_server(env={"CRMD_SSE_KEEPALIVE_MS": "200"})


def tearDownModule():
    h.stop_module_server()


UNKNOWN_ID = "0123456789abcdef01234567"
STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"]


def ids(contacts):
    return sorted(c["_id"] for c in contacts)


def db_rows(srv, sql):
    """Rows of a query on the server's database, either backend (for what the API does not show)."""
    if srv.pg_url:
        return [tuple(r) for r in h.pg_query(srv.pg_url, sql)]
    with sqlite3.connect(srv.db_path) as db:
        return [tuple(str(v) for v in r) for r in db.execute(sql).fetchall()]


def wait_job(token, job_id, timeout=60.0, server=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = h.get("/api/contacts/bulk-job/" + job_id, token=token, server=server)
        assert r.status == 200, r
        if r.json["status"] != "pending":
            return r.json
        time.sleep(0.05)
    raise AssertionError("bulk job %s still pending after %.0fs: %r" % (job_id, timeout, r.json))


class BulkTest(ApiTest):
    def setUp(self):
        self.o = h.create_org()
        self.stage = {s["name"]: s["_id"] for s in self.o.default_pipeline()["pipelineStages"]}

    def count(self, body, token=None):
        return h.post("/api/contacts/query-count", body, token=token or self.o.token)

    def count_ok(self, body, token=None):
        r = self.count(body, token)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"success", "count"})
        self.assertIs(r.json["success"], True)
        return r.json["count"]

    def move(self, body, token=None):
        return h.put("/api/contacts/query-bulk-move", body, token=token or self.o.token)

    def start_delete(self, body, token=None, server=None):
        r = h.delete("/api/contacts/query-bulk-delete", body, token=token or self.o.token, server=server)
        self.assertStatus(r, 202)
        self.assertEqual(set(r.json), {"success", "jobId", "message"})
        self.assertEqual(r.json["message"], "Bulk delete started")
        self.assertObjectId(r.json["jobId"])
        return r.json["jobId"]

    def in_stage(self, name, n, token=None, **fields):
        return [h.create_contact(token or self.o.token, status=name, **fields) for _ in range(n)]


class Filter(BulkTest):
    def test_counts_by_stage_org_wide_owner_and_advanced(self):
        rep = self.o.add_user("SALES_REP")
        new = self.in_stage("New Lead", 3, firstName="Zed")
        won = self.in_stage("Won", 2, source="fair")
        bare = h.create_contact(self.o.token, status="Won", assignees=[], firstName="Unowned")
        h.create_contact(rep.token, status="Lost")
        self.assertEqual(self.count_ok({"stageIds": [self.stage["New Lead"]]}), 3)
        self.assertEqual(self.count_ok({"stageIds": [self.stage["New Lead"], self.stage["Won"]]}), 6)
        self.assertEqual(self.count_ok({"orgWide": True}), 7, "every contact of the org, whoever owns it")
        self.assertEqual(self.count_ok({"orgWide": True, "stageIds": []}), 7)
        self.assertEqual(self.count_ok({"stageIds": [self.stage["Won"]], "ownerFilter": "unowned"}), 1)
        self.assertEqual(self.count_ok({"stageIds": [self.stage["Won"]], "ownerFilter": "owned"}), 2)
        self.assertEqual(self.count_ok({"orgWide": True, "pipelineType": "Contact",
                                        "advancedParams": {"source": "fair"}}), 2)
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"search": "zed"}}), 3)
        digits = bare["phoneNumber"][0]["value"][-7:]
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"search": h.us_dashed(
            bare["phoneNumber"][0]["value"])}}), 1, "a number in another format (%s)" % digits)
        t = won[0]["createdAt"]
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"createdAfter": "2999-01-01"}}), 0)
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"createdBefore": "2000-01-01"}}), 0)
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"createdAfter": t, "createdBefore": t}}), 1)
        self.assertEqual(self.count_ok({"orgWide": True, "advancedParams": {"createdAfter": new[0]["createdAt"]}}), 7)

    def test_roles(self):
        rep = self.o.add_user("SALES_REP")
        head = self.o.add_user("DEPARTMENT_HEAD")
        self.in_stage("New Lead", 1)
        body = {"stageIds": [self.stage["New Lead"]]}
        self.assertEqual(self.count_ok(body, token=head.token), 1)
        self.assertError(self.count(body, token=rep.token), 403, "forbidden")
        self.assertError(self.move(dict(body, targetStageId=self.stage["Won"], targetStatus="Won"), token=rep.token),
                         403, "forbidden")
        self.assertError(h.delete("/api/contacts/query-bulk-delete", body, token=rep.token), 403, "forbidden")
        self.assertError(h.get("/api/contacts/query-bulk-export?stageIds=" + self.stage["New Lead"], token=rep.token),
                         403, "forbidden")
        self.assertError(self.count(body, token=h.sa_token()), 403, "forbidden")
        self.assertError(h.post("/api/contacts/query-count", body), 401, "unauthorized")
        # The role is checked before the filter is read: a SALES_REP's bad filter is 403 too.
        bad = {"stageIds": "nope", "ownerFilter": "mine"}
        self.assertError(self.count(bad, token=rep.token), 403, "forbidden")
        self.assertError(self.move(bad, token=rep.token), 403, "forbidden")
        self.assertError(h.delete("/api/contacts/query-bulk-delete", bad, token=rep.token), 403, "forbidden")
        self.assertError(h.get("/api/contacts/query-bulk-export?stageIds=nope&ownerFilter=mine", token=rep.token),
                         403, "forbidden")
        self.assertError(h.get("/api/contacts/bulk-job/" + UNKNOWN_ID, token=rep.token), 403, "forbidden")
        self.assertError(h.get("/api/contacts/bulk-job/nope", token=rep.token), 403, "forbidden")
        self.assertEqual(self.count_ok({"stageIds": [self.stage["New Lead"]]}), 1, "nothing was moved or deleted")

    def test_bad_filters(self):
        other = h.create_org()
        apps = h.post("/api/pipelines/create", {"name": "Apps", "type": "Application", "pipelineStages": [
            {"name": "Applied", "color": "#111111", "position": 0}]}, token=self.o.token)
        self.assertStatus(apps, 201)
        app_stage = apps.json["data"]["pipeline"]["pipelineStages"][0]["_id"]
        cases = [
            ({}, 400, "validation_failed", "stageIds"),
            ({"stageIds": []}, 400, "validation_failed", "stageIds"),
            ({"orgWide": False}, 400, "validation_failed", "stageIds"),
            ({"stageIds": "x"}, 400, "validation_failed", "stageIds"),
            ({"stageIds": ["nope"]}, 400, "validation_failed", "stageIds[0]"),
            ({"stageIds": [5]}, 400, "validation_failed", "stageIds[0]"),
            ({"stageIds": [UNKNOWN_ID]}, 400, "stage_not_found", "stageIds[0]"),
            ({"stageIds": [self.stage["Won"], other.stage("Won")["_id"]]}, 400, "stage_not_found", "stageIds[1]"),
            ({"stageIds": [app_stage]}, 400, "stage_not_found", "stageIds[0]"),
            ({"stageIds": [self.stage["Won"], self.stage["Won"]]}, 400, "validation_failed", "stageIds[1]"),
            ({"orgWide": "yes"}, 400, "validation_failed", "orgWide"),
            ({"orgWide": True, "ownerFilter": "mine"}, 400, "validation_failed", "ownerFilter"),
            ({"orgWide": True, "pipelineType": "Application"}, 400, "validation_failed", "pipelineType"),
            ({"orgWide": True, "advancedParams": "{}"}, 400, "validation_failed", "advancedParams"),
            ({"orgWide": True, "advancedParams": {"createdAfter": "soon"}}, 400, "validation_failed",
             "advancedParams.createdAfter"),
            ({"orgWide": True, "advancedParams": {"createdBefore": 5}}, 400, "validation_failed",
             "advancedParams.createdBefore"),
            ({"orgWide": True, "advancedParams": {"createdAfter": "2026-02-01", "createdBefore": "2026-01-01"}}, 400,
             "validation_failed", "advancedParams.createdBefore"),
            ({"orgWide": True, "advancedParams": {"search": "x" * 201}}, 400, "validation_failed",
             "advancedParams.search"),
            ({"orgWide": True, "advancedParams": {"source": 1}}, 400, "validation_failed", "advancedParams.source"),
            ({"stageIds": [self.stage["Won"]] * 201}, 400, "validation_failed", "stageIds"),
        ]
        for body, status, code, field in cases:
            with self.subTest(body=body):
                self.assertError(self.count(body), status, code, field=field)
        self.assertError(h.request("POST", "/api/contacts/query-count", raw=b"nope", token=self.o.token,
                                   headers={"Content-Type": "application/json"}), 400, "invalid_json")

    def test_other_orgs_contacts_never_match(self):
        other = h.create_org()
        h.create_contact(other.token)
        self.in_stage("New Lead", 1)
        self.assertEqual(self.count_ok({"orgWide": True}), 1)
        self.assertEqual(self.count_ok({"orgWide": True}, token=other.token), 1)


class Move(BulkTest):
    def move_ok(self, body):
        r = self.move(body)
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json), {"success", "message", "modifiedCount", "matchedCount"})
        return r.json

    def test_moves_logs_and_emits_per_changed_contact(self):
        new = self.in_stage("New Lead", 3)
        won = self.in_stage("Won", 2)
        self.in_stage("Lost", 1)
        before = {c["_id"]: c for c in new + won}
        j = self.move_ok({"stageIds": [self.stage["New Lead"], self.stage["Won"]], "targetStageId": self.stage["Won"],
                          "targetStatus": "won"})
        self.assertEqual(j["message"], "Successfully moved 3 contact(s)")
        self.assertEqual((j["modifiedCount"], j["matchedCount"]), (3, 5), "those already there are not modified")
        for c in new:
            got = h.get_contact(self.o.token, c["_id"])
            self.assertEqual((got["status"], got["pipelineStage"]), ("Won", self.stage["Won"]))
            self.assertEqual(got["__v"], c["__v"] + 1)
            logs = [e for e in h.events_for(self.o.token, c["_id"]) if e["type"] == "CONTACT_UPDATE"]
            self.assertEqual(len(logs), 1)
            self.assertEqual(logs[0]["userId"], self.o.admin.id)
            self.assertEqual(logs[0]["changes"]["status"], {"from": "New Lead", "to": "Won"})
            self.assertEqual(logs[0]["changes"]["pipelineStage"], {"from": self.stage["New Lead"], "to": self.stage["Won"]})
        for c in won:
            self.assertEqual(h.get_contact(self.o.token, c["_id"]), before[c["_id"]], "unchanged, __v kept")
            self.assertEqual([e for e in h.events_for(self.o.token, c["_id"]) if e["type"] == "CONTACT_UPDATE"], [])
        updated = [d["contact"] for _, name, d in stream_events(self.o.token) if name == "contact_updated"]
        self.assertEqual(ids(updated), ids(new), "one contact_updated per changed contact")
        self.assertTrue(all(c["status"] == "Won" for c in updated))
        self.assertEqual(self.count_ok({"stageIds": [self.stage["Won"]]}), 5)

    def test_pipeline_follows_the_stage(self):
        r = h.post("/api/pipelines/create", {"name": "Second", "pipelineStages": [
            {"name": "Open", "color": "#111111", "position": 0}, {"name": "Closed", "color": "#222222", "position": 1}]},
            token=self.o.token)
        self.assertStatus(r, 201)
        p = r.json["data"]["pipeline"]
        closed = p["pipelineStages"][1]["_id"]
        c = self.in_stage("Qualified", 1)[0]
        j = self.move_ok({"stageIds": [self.stage["Qualified"]], "targetStageId": closed, "targetStatus": " Closed "})
        self.assertEqual(j["modifiedCount"], 1)
        got = h.get_contact(self.o.token, c["_id"])
        self.assertEqual((got["pipelineId"], got["pipelineStage"], got["status"]), (p["_id"], closed, "Closed"))

    def test_bad_targets_move_nothing(self):
        other = h.create_org()
        apps = h.post("/api/pipelines/create", {"name": "Apps", "type": "Application", "pipelineStages": [
            {"name": "Applied", "color": "#111111", "position": 0}]}, token=self.o.token)
        self.assertStatus(apps, 201)
        app_stage = apps.json["data"]["pipeline"]["pipelineStages"][0]
        c = self.in_stage("New Lead", 1)[0]
        f = {"stageIds": [self.stage["New Lead"]]}
        cases = [
            ({"targetStatus": "Won"}, 400, "validation_failed", "targetStageId"),
            ({"targetStageId": self.stage["Won"]}, 400, "validation_failed", "targetStatus"),
            ({"targetStageId": "nope", "targetStatus": "Won"}, 400, "validation_failed", "targetStageId"),
            ({"targetStageId": self.stage["Won"], "targetStatus": 3}, 400, "validation_failed", "targetStatus"),
            ({"targetStageId": UNKNOWN_ID, "targetStatus": "Won"}, 400, "stage_not_found", "targetStageId"),
            ({"targetStageId": other.stage("Won")["_id"], "targetStatus": "Won"}, 400, "stage_not_found",
             "targetStageId"),
            ({"targetStageId": app_stage["_id"], "targetStatus": "Applied"}, 400, "stage_not_found", "targetStageId"),
            ({"targetStageId": self.stage["Won"], "targetStatus": "Lost"}, 400, "stage_mismatch", "targetStatus"),
        ]
        for extra, status, code, field in cases:
            with self.subTest(extra=extra):
                self.assertError(self.move(dict(f, **extra)), status, code, field=field)
        self.assertError(self.move({"targetStageId": self.stage["Won"], "targetStatus": "Won"}), 400,
                         "validation_failed", field="stageIds")
        self.assertEqual(h.get_contact(self.o.token, c["_id"]), c)
        self.assertEqual([e["type"] for e in h.events_for(self.o.token, c["_id"])], ["CONTACT_CREATE"])

    def test_deactivated_target_stage(self):
        p = self.o.default_pipeline()
        keep = [{"_id": s["_id"], "name": s["name"], "color": s["color"], "position": s["position"]}
                for s in p["pipelineStages"] if s["name"] != "Lost"]
        self.assertStatus(h.post("/api/pipelines?type=Contact", {"pipelineStages": keep}, token=self.o.token), 200)
        self.in_stage("New Lead", 1)
        self.assertError(self.move({"stageIds": [self.stage["New Lead"]], "targetStageId": self.stage["Lost"],
                                    "targetStatus": "Lost"}), 400, "stage_not_found", field="targetStageId")


class Delete(BulkTest):
    def test_job_deletes_frees_numbers_logs_and_emits(self):
        doomed = self.in_stage("Lost", 4)
        kept = self.in_stage("Won", 1)[0]
        note = h.post("/api/contact-notes", {"contactId": doomed[0]["_id"], "note": "bye"}, token=self.o.token)
        self.assertStatus(note, 201)
        job_id = self.start_delete({"stageIds": [self.stage["Lost"]]})
        job = wait_job(self.o.token, job_id)
        self.assertEqual(job, {"success": True, "jobId": job_id, "status": "completed", "processed": 4, "total": 4})
        for c in doomed:
            self.assertError(h.get("/api/contacts/" + c["_id"], token=self.o.token), 404, "not_found")
            logs = [e for e in h.events_for(self.o.token, c["_id"]) if e["type"] == "CONTACT_DELETE"]
            self.assertEqual(len(logs), 1)
            self.assertEqual(logs[0]["userId"], self.o.admin.id, "logged as the user who started the job")
            again = h.post("/api/contact", {"phoneNumber": c["phoneNumber"][0]["value"]}, token=self.o.token)
            self.assertStatus(again, 201, "the number is free again")
        self.assertEqual(h.get_contact(self.o.token, kept["_id"]), kept)
        self.assertEqual(db_rows(h.SERVER, "SELECT count(*) FROM contact_notes WHERE organization_id = '%s'" % self.o.id),
                         [("0",)], "the notes went with their contact")
        removed = [d["contact"]["_id"] for _, name, d in stream_events(self.o.token) if name == "contact_removed"]
        self.assertEqual(sorted(removed), ids(doomed))

    def test_an_empty_match_completes(self):
        job_id = self.start_delete({"stageIds": [self.stage["Qualified"]]})
        self.assertEqual(wait_job(self.o.token, job_id)["processed"], 0)
        self.assertEqual(wait_job(self.o.token, job_id)["total"], 0)

    def test_jobs_of_another_user_or_org_are_404(self):
        self.in_stage("Lost", 1)
        job_id = self.start_delete({"stageIds": [self.stage["Lost"]]})
        other_admin = self.o.add_user("ADMIN")
        other = h.create_org()
        self.assertError(h.get("/api/contacts/bulk-job/" + job_id, token=other_admin.token), 404, "not_found")
        self.assertError(h.get("/api/contacts/bulk-job/" + job_id, token=other.token), 404, "not_found")
        self.assertError(h.get("/api/contacts/bulk-job/" + UNKNOWN_ID, token=self.o.token), 404, "not_found")
        self.assertError(h.get("/api/contacts/bulk-job/nope", token=self.o.token), 400, "validation_failed")
        self.assertError(h.get("/api/contacts/bulk-job/" + job_id), 401, "unauthorized")
        self.assertEqual(wait_job(self.o.token, job_id)["status"], "completed")

    def test_bad_filter_starts_no_job(self):
        self.in_stage("Lost", 1)
        self.assertError(h.delete("/api/contacts/query-bulk-delete", {"stageIds": [UNKNOWN_ID]}, token=self.o.token),
                         400, "stage_not_found", field="stageIds[0]")
        self.assertError(h.delete("/api/contacts/query-bulk-delete", {}, token=self.o.token), 400,
                         "validation_failed", field="stageIds")
        srv = h.SERVER
        self.assertEqual(db_rows(srv, "SELECT count(*) FROM bulk_jobs WHERE organization_id = '%s'" % self.o.id),
                         [("0",)])


class Export(BulkTest):
    def export(self, token=None, **q):
        return h.get("/api/contacts/query-bulk-export?" + urllib.parse.urlencode(q), token=token or self.o.token)

    def test_columns_disposition_and_injection(self):
        p1 = h.us_phone()
        a = h.create_contact(self.o.token, phone=None, phoneNumber=[{"value": h.us_phone()}, {"value": p1,
                             "isPrimary": True}], firstName="=SUM(A1)", lastName="+Lee, Jr", status="Won",
                             email=["b@x.com", {"value": "a@x.com", "isPrimary": True}])
        b = h.create_contact(self.o.token, firstName="@cmd", lastName=None, status="New Lead")
        h.create_contact(self.o.token, status="Lost")
        r = self.export(stageIds=self.stage["Won"] + "," + self.stage["New Lead"])
        self.assertStatus(r, 200)
        self.assertEqual(r.headers["Content-Type"], "text/csv; charset=utf-8")
        self.assertRegex(r.headers["Content-Disposition"], r'^attachment; filename="contacts-\d{4}-\d{2}-\d{2}\.csv"$')
        text = r.body.decode("utf-8")
        self.assertTrue(text.startswith("First Name,Last Name,Phone,Email,Pipeline,Stage,Created Date\r\n"))
        got = list(csv.DictReader(io.StringIO(text, newline="")))
        self.assertEqual(got, [
            {"First Name": "'=SUM(A1)", "Last Name": "'+Lee, Jr", "Phone": "'" + p1, "Email": "a@x.com",
             "Pipeline": got[0]["Pipeline"], "Stage": "Won",
             "Created Date": a["createdAt"]},
            {"First Name": "'@cmd", "Last Name": "", "Phone": "'" + b["phoneNumber"][0]["value"], "Email": "",
             "Pipeline": got[0]["Pipeline"], "Stage": "New Lead", "Created Date": b["createdAt"]},
        ])
        self.assertEqual(got[0]["Pipeline"], self.o.default_pipeline()["name"])

    def test_advanced_params_and_malformed_ones(self):
        self.in_stage("Won", 2, source="fair")
        self.in_stage("Won", 1, source="web")
        adv = json.dumps({"source": "fair"})
        r = self.export(stageIds=self.stage["Won"], advancedParams=adv)
        self.assertStatus(r, 200)
        self.assertEqual(len(r.body.decode().strip().split("\r\n")), 3, "header and the 2 fair contacts")
        r = self.export(stageIds=self.stage["Won"], advancedParams="{not json")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.body.decode().strip().split("\r\n")), 4, "a malformed advancedParams is ignored")
        r = self.export(orgWide="true")
        self.assertEqual(len(r.body.decode().strip().split("\r\n")), 4)

    def test_errors(self):
        self.assertError(self.export(), 400, "validation_failed", field="stageIds")
        self.assertError(self.export(stageIds="nope"), 400, "validation_failed", field="stageIds[0]")
        self.assertError(self.export(stageIds=UNKNOWN_ID), 400, "stage_not_found", field="stageIds[0]")
        self.assertError(self.export(stageIds=self.stage["Won"], advancedParams='{"createdAfter": "x"}'), 400,
                         "validation_failed", field="advancedParams.createdAfter")
        self.assertError(self.export(stageIds=self.stage["Won"], ownerFilter="x"), 400, "validation_failed",
                         field="ownerFilter")


class Restart(BulkTest):
    """A SIGKILL while the job runs: after a restart the job finishes and each contact was deleted
    exactly once (one CONTACT_DELETE entry and one contact_removed event each)."""
    N = 2000

    def setUp(self):
        # its own server, so that killing it does not end the module's
        self.srv = h.Server(env={"CRMD_BULK_BATCH": "10", "CRMD_BULK_LEASE_MS": "1500", "CRMD_BULK_POLL_MS": "200",
                                 "CRMD_RATE_LIMIT": "0"})
        self.srv.init()
        self.srv.start()
        self.o = h.create_org(server=self.srv)

    def tearDown(self):
        self.srv.cleanup()

    def test_sigkill_mid_job_then_restart(self):
        srv, token = self.srv, self.o.token
        lost = [s["_id"] for s in self.o.default_pipeline()["pipelineStages"] if s["name"] == "Lost"][0]
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            made = list(pool.map(lambda i: h.create_contact(token, server=srv, status="Lost"), range(self.N)))
        self.assertEqual(len({c["_id"] for c in made}), self.N)
        r = h.delete("/api/contacts/query-bulk-delete", {"stageIds": [lost]}, token=token, server=srv)
        self.assertStatus(r, 202)
        job_id = r.json["jobId"]
        deadline = time.time() + 30
        while time.time() < deadline:
            job = h.get("/api/contacts/bulk-job/" + job_id, token=token, server=srv).json
            if job["processed"] > 0:
                break
            time.sleep(0.005)
        srv.kill()
        self.assertGreater(job["processed"], 0)
        self.assertLess(job["processed"], self.N, "killed in the middle of the job")
        srv.start()
        job = wait_job(token, job_id, server=srv)
        self.assertEqual((job["status"], job["processed"], job["total"]), ("completed", self.N, self.N))
        r = h.post("/api/contacts/query-count", {"stageIds": [lost]}, token=token, server=srv)
        self.assertEqual(r.json["count"], 0)
        rows = db_rows(srv, "SELECT count(*), count(DISTINCT contact_id) FROM event_logs "
                            "WHERE type = 'CONTACT_DELETE' AND organization_id = '%s'" % self.o.id)
        self.assertEqual(rows, [(str(self.N), str(self.N))], "each contact deleted exactly once")
        rows = db_rows(srv, "SELECT count(*) FROM events WHERE name = 'contact_removed' "
                            "AND organization_id = '%s'" % self.o.id)
        self.assertEqual(rows, [(str(self.N),)])
        rows = db_rows(srv, "SELECT count(*) FROM bulk_job_items WHERE job_id = '%s'" % job_id)
        self.assertEqual(rows, [("0",)])


class OffTheServerThreads(ApiTest):
    """A bulk move runs off the server's threads (http/offload.c). With one server thread
    (CRMD_THREADS=1), a keep-alive connection that thread holds goes on being answered while a
    move of N contacts runs on another connection, instead of waiting for the move to end."""
    N = 3000

    def setUp(self):
        self.srv = h.Server(env={"CRMD_THREADS": "1", "CRMD_RATE_LIMIT": "0"})
        self.srv.init()
        self.srv.start()
        self.o = h.create_org(server=self.srv)

    def tearDown(self):
        self.srv.cleanup()

    def test_keep_alive_connection_served_during_a_move(self):
        srv, token = self.srv, self.o.token
        stages = {s["name"]: s["_id"] for s in self.o.default_pipeline()["pipelineStages"]}
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            made = list(pool.map(lambda i: h.create_contact(token, server=srv), range(self.N)))
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        keep = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        mover = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=120)
        try:
            def get():
                keep.request("GET", "/api/contacts/" + made[0]["_id"], headers=headers)
                resp = keep.getresponse()
                return resp.status, json.loads(resp.read())

            self.assertEqual(get()[0], 200, "the keep-alive connection is open and served")
            body = json.dumps({"stageIds": [stages["New Lead"]], "targetStageId": stages["Won"],
                               "targetStatus": "Won"})
            mover.request("PUT", "/api/contacts/query-bulk-move", body=body, headers=headers)
            moved = concurrent.futures.ThreadPoolExecutor(1).submit(
                lambda: (lambda resp: (resp.status, json.loads(resp.read())))(mover.getresponse()))
            during = 0
            while not moved.done():
                status, reply = get()
                self.assertEqual(status, 200)
                self.assertEqual(reply["data"]["contact"]["_id"], made[0]["_id"])
                during += not moved.done()
            status, reply = moved.result()
        finally:
            keep.close()
            mover.close()
        self.assertEqual(status, 200, reply)
        self.assertEqual((reply["modifiedCount"], reply["matchedCount"]), (self.N, self.N))
        self.assertGreaterEqual(during, 10, "reads answered on the held connection while the move ran")
        r = h.post("/api/contacts/query-count", {"stageIds": [stages["Won"]]}, token=token, server=srv)
        self.assertEqual(r.json["count"], self.N, "every contact moved")
