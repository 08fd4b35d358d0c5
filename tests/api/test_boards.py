"""Boards (API.md §5.4): POST /api/contacts (a page per stage with exact totals, every filter),
POST /api/contacts/statuses (paged by stage name) and POST /api/contacts/status (one stage); stage
keys in position order, stageIdByName / stageNameById, a SALES_REP's visibility, validation."""

import time

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"]
UNKNOWN_ID = "0123456789abcdef01234567"


def ids(contacts):
    return [c["_id"] for c in contacts]


class BoardTest(ApiTest):
    @classmethod
    def setUpClass(cls):
        cls.o = h.create_org()
        cls.rep = cls.o.add_user("SALES_REP")
        cls.head = cls.o.add_user("DEPARTMENT_HEAD")
        p = cls.o.default_pipeline()
        cls.pipeline = p
        cls.stage_ids = {s["name"]: s["_id"] for s in p["pipelineStages"]}
        # New Lead: 5 by the admin (one with source "web"), Contacted: 2 by the rep, Won: 1 by the
        # admin assigned to the rep; Qualified and Lost stay empty.
        cls.new = [h.create_contact(cls.o.token, firstName="Nina%d" % i, source="web" if i == 0 else None)
                   for i in range(5)]
        cls.contacted = [h.create_contact(cls.rep.token, status="Contacted", firstName="Carl%d" % i)
                         for i in range(2)]
        cls.won = h.create_contact(cls.o.token, status="Won", firstName="Wanda", assignees=[cls.rep.id])

    def board(self, body=None, token=None, path="/api/contacts"):
        return h.post(path, body if body is not None else {}, token=token or self.o.token)

    def board_ok(self, body=None, token=None, path="/api/contacts"):
        r = self.board(body, token, path)
        self.assertStatus(r, 200)
        self.assertIs(r.json["success"], True)
        return r.json


class Shape(BoardTest):
    def test_every_stage_in_position_order_with_exact_totals(self):
        j = self.board_ok({"ownerFilter": "all"})
        self.assertEqual(list(j["data"]), STAGES, "one key per active stage, in position order")
        self.assertEqual(j["dataByStatus"], j["data"])
        self.assertEqual(j["stageIdByName"], self.stage_ids)
        self.assertEqual(j["stageNameById"], {v: k for k, v in self.stage_ids.items()})
        d = j["data"]
        self.assertEqual({k: d[k]["total"] for k in d}, {"New Lead": 5, "Contacted": 2, "Qualified": 0, "Won": 1,
                                                          "Lost": 0})
        self.assertEqual(ids(d["New Lead"]["contacts"]), ids(reversed(self.new)), "newest first")
        self.assertEqual(d["Won"]["contacts"], [h.get_contact(self.o.token, self.won["_id"])],
                         "the contact object of GET /api/contacts/{id}")
        self.assertEqual(d["Qualified"], {"contacts": [], "total": 0})

    def test_order_follows_positions_after_a_reorder(self):
        o = h.create_org()
        p = o.default_pipeline()
        stages = [{"_id": s["_id"], "name": s["name"], "color": s["color"], "position": 4 - s["position"]}
                  for s in p["pipelineStages"]]
        r = h.post("/api/pipelines?type=Contact", {"pipelineStages": stages}, token=o.token)
        self.assertStatus(r, 200)
        j = self.board_ok({}, token=o.token)
        self.assertEqual(list(j["data"]), list(reversed(STAGES)))

    def test_paging_per_stage_keeps_totals_exact(self):
        j = self.board_ok({"ownerFilter": "all", "size": 2, "page": {"New Lead": 2, self.stage_ids["Contacted"]: 1}})
        d = j["data"]
        self.assertEqual(d["New Lead"]["total"], 5)
        self.assertEqual(ids(d["New Lead"]["contacts"]), ids([self.new[2], self.new[1]]), "page 2 of size 2")
        self.assertEqual(ids(d["Contacted"]["contacts"]), ids(reversed(self.contacted)))
        j = self.board_ok({"ownerFilter": "all", "size": 2, "page": {"New Lead": 3}})
        self.assertEqual(ids(j["data"]["New Lead"]["contacts"]), [self.new[0]["_id"]])
        j = self.board_ok({"ownerFilter": "all", "size": 2, "page": {"New Lead": 4}})
        self.assertEqual(j["data"]["New Lead"], {"contacts": [], "total": 5}, "past the end: empty, total kept")

    def test_default_size_is_20(self):
        o = h.create_org()
        made = [h.create_contact(o.token) for _ in range(21)]
        j = self.board_ok({}, token=o.token)
        self.assertEqual(len(j["data"]["New Lead"]["contacts"]), 20)
        self.assertEqual(j["data"]["New Lead"]["total"], 21)
        self.assertNotIn(made[0]["_id"], ids(j["data"]["New Lead"]["contacts"]), "the oldest is on page 2")

    def test_another_pipeline(self):
        r = h.post("/api/pipelines/create", {"name": "Second", "pipelineStages": [
            {"name": "Open", "color": "#111111", "position": 0}, {"name": "Closed", "color": "#222222", "position": 1}]},
            token=self.o.token)
        self.assertStatus(r, 201)
        p = r.json["data"]["pipeline"]
        c = h.create_contact(self.o.token, pipelineId=p["_id"], status="Closed")
        j = self.board_ok({"pipelineId": p["_id"], "pipelineType": "Contact", "ownerFilter": "all"})
        self.assertEqual(list(j["data"]), ["Open", "Closed"])
        self.assertEqual(ids(j["data"]["Closed"]["contacts"]), [c["_id"]])
        self.assertEqual(j["stageIdByName"], {s["name"]: s["_id"] for s in p["pipelineStages"]})


class Filters(BoardTest):
    def totals(self, body, token=None):
        d = self.board_ok(body, token)["data"]
        return {k: d[k]["total"] for k in d if d[k]["total"]}

    def test_status_and_stages_select_stages(self):
        j = self.board_ok({"ownerFilter": "all", "status": "contacted"})
        self.assertEqual(list(j["data"]), ["Contacted"], "status: only that stage (name case-insensitive)")
        j = self.board_ok({"ownerFilter": "all", "stages": ["Won", self.stage_ids["New Lead"]]})
        self.assertEqual(list(j["data"]), ["New Lead", "Won"], "stages by id or name, still in position order")
        self.assertEqual(j["data"]["Won"]["total"], 1)
        self.assertEqual(len(j["stageIdByName"]), 5, "the maps name every active stage")
        j = self.board_ok({"ownerFilter": "all", "stages": [], "owner": []})
        self.assertEqual(list(j["data"]), STAGES, "empty arrays are no filter")
        self.assertEqual(j["data"]["New Lead"]["total"], 5)

    def test_search_and_source(self):
        self.assertEqual(self.totals({"ownerFilter": "all", "search": "nina"}), {"New Lead": 5})
        self.assertEqual(self.totals({"ownerFilter": "all", "search": "Carl1"}), {"Contacted": 1})
        digits = self.won["phoneNumber"][0]["value"][-7:]
        self.assertEqual(self.totals({"ownerFilter": "all", "search": digits[:3] + "-" + digits[3:]}).get("Won"), 1,
                         "a number in another format")
        self.assertEqual(self.totals({"ownerFilter": "all", "source": "web"}), {"New Lead": 1})

    def test_owner_filters(self):
        self.assertEqual(self.totals({}), {"New Lead": 5, "Won": 1}, "my (default): owned or assigned")
        self.assertEqual(self.totals({"ownerFilter": "my"}, token=self.rep.token), {"Contacted": 2, "Won": 1})
        self.assertEqual(self.totals({"ownerFilter": self.rep.id}), {"Contacted": 2, "Won": 1})
        self.assertEqual(self.totals({"ownerFilter": "team"}), {"New Lead": 5, "Contacted": 2, "Won": 1},
                         "team is the whole org for an ADMIN")
        self.assertEqual(self.totals({"ownerFilter": "team"}, token=self.head.token),
                         {"New Lead": 5, "Contacted": 2, "Won": 1})
        self.assertEqual(self.totals({"ownerFilter": "unassigned"}), {})
        self.assertEqual(self.totals({"ownerFilter": "all", "owner": [self.rep.id]}), {"Contacted": 2, "Won": 1},
                         "owner: creator, owner or assignee")
        self.assertEqual(self.totals({"ownerFilter": "unassigned", "owner": [self.rep.id, self.head.id]}),
                         {"Contacted": 2, "Won": 1}, "owner overrides ownerFilter")
        self.assertEqual(self.totals({"owner": [self.head.id]}), {})

    def test_unassigned(self):
        o = h.create_org()
        c = h.create_contact(o.token, assignees=[])
        h.create_contact(o.token)
        d = self.board_ok({"ownerFilter": "unassigned"}, token=o.token)["data"]
        self.assertEqual(ids(d["New Lead"]["contacts"]), [c["_id"]])
        self.assertEqual(d["New Lead"]["total"], 1)

    def test_date_ranges(self):
        self.assertEqual(self.totals({"ownerFilter": "all", "createdDateRange": {"start": "2000-01-01", "end": "2999-12-31"}}),
                         {"New Lead": 5, "Contacted": 2, "Won": 1})
        self.assertEqual(self.totals({"ownerFilter": "all", "createdDateRange": {"start": "2999-01-01T00:00:00.000Z"}}), {})
        self.assertEqual(self.totals({"ownerFilter": "all", "dateRange": {"end": "2000-01-01"}}), {},
                         "the legacy key")
        self.assertEqual(self.totals({"ownerFilter": "all", "dateRange": {"start": "2000-01-01", "end": None}}),
                         {"New Lead": 5, "Contacted": 2, "Won": 1})
        t = self.won["createdAt"]
        self.assertEqual(self.totals({"ownerFilter": "all", "createdDateRange": {"start": t, "end": t}}), {"Won": 1})


class Visibility(BoardTest):
    def test_sales_rep_sees_only_its_contacts_whatever_the_filter(self):
        for f in ("all", "team", "my", "unassigned", self.o.admin.id):
            d = self.board_ok({"ownerFilter": f}, token=self.rep.token)["data"]
            seen = {c["_id"] for k in d for c in d[k]["contacts"]}
            self.assertLessEqual(seen, set(ids(self.contacted)) | {self.won["_id"]}, f)
            for k in d:
                self.assertEqual(d[k]["total"], len(d[k]["contacts"]), "totals count only what it may see")
        d = self.board_ok({"ownerFilter": "all"}, token=self.rep.token)["data"]
        self.assertEqual(d["Contacted"]["total"], 2)
        self.assertEqual(d["Won"]["total"], 1, "assigned to it")
        self.assertEqual(d["New Lead"]["total"], 0)
        d = self.board_ok({"owner": [self.o.admin.id]}, token=self.rep.token)["data"]
        self.assertEqual({k: d[k]["total"] for k in d if d[k]["total"]}, {"Won": 1})

    def test_another_orgs_pipeline_and_users(self):
        other = h.create_org()
        theirs = other.default_pipeline()["_id"]
        h.create_contact(other.token)
        self.assertError(self.board({"pipelineId": theirs}), 404, "pipeline_not_found", field="pipelineId")
        self.assertError(self.board({"owner": [other.admin.id]}), 400, "validation_failed", field="owner[0]")
        self.assertError(self.board({"ownerFilter": other.admin.id}), 400, "validation_failed", field="ownerFilter")
        self.assertError(self.board({"stages": [other.stage("Won")["_id"]]}), 400, "stage_not_found",
                         field="stages[0]")
        d = self.board_ok({"ownerFilter": "all"}, token=other.token)["data"]
        self.assertEqual(d["New Lead"]["total"], 1, "each org sees only its own")

    def test_superadmin_and_no_token(self):
        self.assertError(h.post("/api/contacts", {}, token=h.sa_token()), 403, "forbidden")
        self.assertError(h.post("/api/contacts", {}), 401, "unauthorized")
        self.assertError(h.post("/api/contacts/statuses", {}), 401, "unauthorized")
        self.assertError(h.post("/api/contacts/status", {"status": "Won"}), 401, "unauthorized")


class Validation(BoardTest):
    def test_bad_fields(self):
        cases = [
            ({"size": 0}, "size"), ({"size": 201}, "size"), ({"size": "10"}, "size"), ({"size": 2.5}, "size"),
            ({"page": 2}, "page"), ({"page": {"New Lead": 0}}, "page.New Lead"),
            ({"page": {"New Lead": "2"}}, "page.New Lead"), ({"page": {"New Lead": 100000}}, "page.New Lead"),
            ({"pipelineId": "nope"}, "pipelineId"), ({"pipelineType": "Application"}, "pipelineType"),
            ({"search": 5}, "search"), ({"search": "x" * 201}, "search"), ({"source": ["web"]}, "source"),
            ({"status": 1}, "status"), ({"stages": "Won"}, "stages"), ({"stages": [1]}, "stages[0]"),
            ({"ownerFilter": "everyone"}, "ownerFilter"), ({"owner": "x"}, "owner"), ({"owner": ["nope"]}, "owner[0]"),
            ({"owner": [UNKNOWN_ID]}, "owner[0]"), ({"ownerFilter": UNKNOWN_ID}, "ownerFilter"),
            ({"createdDateRange": "{}"}, "createdDateRange"),
            ({"createdDateRange": {"start": "yesterday"}}, "createdDateRange"),
            ({"createdDateRange": {"start": 5}}, "createdDateRange"),
            ({"dateRange": {"start": "2026-02-01", "end": "2026-01-01"}}, "dateRange"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertError(self.board(body), 400, "validation_failed", field=field)

    def test_unknown_stages(self):
        self.assertError(self.board({"status": "Nope"}), 400, "stage_not_found", field="status")
        self.assertError(self.board({"stages": ["Won", "Nope"]}), 400, "stage_not_found", field="stages[1]")
        self.assertError(self.board({"stages": [UNKNOWN_ID]}), 400, "stage_not_found", field="stages[0]")
        self.assertError(self.board({"page": {"Nope": 2}}), 400, "stage_not_found", field="page.Nope")

    def test_pipeline_not_found_and_not_json(self):
        self.assertError(self.board({"pipelineId": UNKNOWN_ID}), 404, "pipeline_not_found", field="pipelineId")
        self.assertError(h.request("POST", "/api/contacts", raw=b"[1]", token=self.o.token,
                                   headers={"Content-Type": "application/json"}), 400, "invalid_json")

    def test_an_application_pipeline_is_not_a_board(self):
        r = h.post("/api/pipelines/create", {"name": "Apps", "type": "Application", "pipelineStages": [
            {"name": "Applied", "color": "#111111", "position": 0}]}, token=self.o.token)
        self.assertStatus(r, 201)
        self.assertError(self.board({"pipelineId": r.json["data"]["pipeline"]["_id"]}), 404, "pipeline_not_found",
                         field="pipelineId")

    def test_deactivated_stage_is_not_a_column(self):
        o = h.create_org()
        p = o.default_pipeline()
        keep = [{"_id": s["_id"], "name": s["name"], "color": s["color"], "position": s["position"]}
                for s in p["pipelineStages"] if s["name"] != "Lost"]
        self.assertStatus(h.post("/api/pipelines?type=Contact", {"pipelineStages": keep}, token=o.token), 200)
        j = self.board_ok({}, token=o.token)
        self.assertEqual(list(j["data"]), STAGES[:4])
        self.assertNotIn("Lost", j["stageIdByName"])
        self.assertError(self.board({"status": "Lost"}, token=o.token), 400, "stage_not_found", field="status")


class Statuses(BoardTest):
    def test_buckets_paged_by_name_and_messaging_filters_ignored(self):
        body = {"pages": {"New Lead": 2}, "size": 3, "ownerFilter": "all", "showUnreadOnly": True,
                "channelType": "sms", "bulkOnly": False, "showUnresolvedOnly": True}
        j = self.board_ok(body, path="/api/contacts/statuses")
        self.assertEqual(list(j["data"]), STAGES)
        self.assertEqual(j["dataByStatus"], j["data"])
        self.assertEqual(ids(j["data"]["New Lead"]["contacts"]), ids([self.new[1], self.new[0]]))
        self.assertEqual(j["data"]["New Lead"]["total"], 5)
        self.assertEqual(j["stageIdByName"], self.stage_ids)
        j = self.board_ok({"search": "carl", "ownerFilter": "all"}, path="/api/contacts/statuses")
        self.assertEqual(j["data"]["Contacted"]["total"], 2)
        self.assertEqual(j["data"]["New Lead"]["total"], 0)

    def test_validation(self):
        p = "/api/contacts/statuses"
        self.assertError(self.board({"pages": {"Nope": 1}}, path=p), 400, "stage_not_found", field="pages.Nope")
        self.assertError(self.board({"pages": []}, path=p), 400, "validation_failed", field="pages")
        self.assertError(self.board({"size": -1}, path=p), 400, "validation_failed", field="size")
        self.assertError(self.board({"ownerFilter": 3}, path=p), 400, "validation_failed", field="ownerFilter")


class Status(BoardTest):
    P = "/api/contacts/status"

    def test_one_stage(self):
        j = self.board_ok({"status": "new lead", "ownerFilter": "all", "size": 2, "page": 2}, path=self.P)
        self.assertEqual(set(j), {"success", "data", "total", "status", "pipelineStage", "stageIdByName",
                                  "stageNameById"})
        self.assertEqual(j["status"], "New Lead", "the stage's own spelling")
        self.assertEqual(j["pipelineStage"], self.stage_ids["New Lead"])
        self.assertEqual(j["total"], 5)
        self.assertEqual(ids(j["data"]), ids([self.new[2], self.new[1]]))
        self.assertEqual(j["stageIdByName"], self.stage_ids)
        j = self.board_ok({"status": "Contacted", "pipelineStage": self.stage_ids["Contacted"]},
                          token=self.rep.token, path=self.P)
        self.assertEqual(j["total"], 2)
        j = self.board_ok({"status": "Won", "ownerFilter": "all"}, token=self.rep.token, path=self.P)
        self.assertEqual(ids(j["data"]), [self.won["_id"]])

    def test_default_size_is_50(self):
        o = h.create_org()
        for _ in range(51):
            h.create_contact(o.token)
        j = self.board_ok({"status": "New Lead"}, token=o.token, path=self.P)
        self.assertEqual((len(j["data"]), j["total"]), (50, 51))

    def test_validation(self):
        self.assertError(self.board({}, path=self.P), 400, "validation_failed", field="status")
        self.assertError(self.board({"status": "Nope"}, path=self.P), 400, "stage_not_found", field="status")
        self.assertError(self.board({"status": "Won", "pipelineStage": self.stage_ids["Lost"]}, path=self.P), 400,
                         "stage_mismatch", field="pipelineStage")
        self.assertError(self.board({"status": "Won", "pipelineStage": UNKNOWN_ID}, path=self.P), 400,
                         "stage_not_found", field="pipelineStage")
        self.assertError(self.board({"status": "Won", "page": 0}, path=self.P), 400, "validation_failed", field="page")
        self.assertError(self.board({"status": "Won", "page": {"Won": 1}}, path=self.P), 400, "validation_failed",
                         field="page")
        self.assertError(self.board({"status": "Won", "size": 500}, path=self.P), 400, "validation_failed",
                         field="size")


class TotalsFollowEveryWrite(ApiTest):
    """A board's totals (on SQLite, counters per stage kept by triggers) follow every write that
    adds, removes or moves a contact: each total equals the contacts its column lists."""

    def test_create_edit_move_delete_and_bulk_delete(self):
        o = h.create_org()
        stage = {s["name"]: s["_id"] for s in o.default_pipeline()["pipelineStages"]}

        def expect(totals, why):
            r = h.post("/api/contacts", {"ownerFilter": "all"}, token=o.token)
            self.assertStatus(r, 200)
            d = r.json["data"]
            self.assertEqual({k: d[k]["total"] for k in d if d[k]["total"]}, totals, why)
            for name in d:
                self.assertEqual(len(d[name]["contacts"]), d[name]["total"], "%s: %s lists its total" % (why, name))

        made = [h.create_contact(o.token, firstName="Tally%d" % i) for i in range(6)]
        expect({"New Lead": 6}, "after 6 creates")
        r = h.patch("/api/contacts/" + made[0]["_id"], {"status": "Won"}, token=o.token)
        self.assertStatus(r, 200)
        expect({"New Lead": 5, "Won": 1}, "after an edit of the stage")
        r = h.patch("/api/contacts/" + made[1]["_id"], {"firstName": "Renamed"}, token=o.token)
        self.assertStatus(r, 200)
        expect({"New Lead": 5, "Won": 1}, "after an edit that keeps the stage")
        r = h.put("/api/contacts/query-bulk-move", {"stageIds": [stage["New Lead"]], "targetStageId": stage["Contacted"],
                                                    "targetStatus": "Contacted"}, token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["modifiedCount"], 5)
        expect({"Contacted": 5, "Won": 1}, "after a bulk move")
        self.assertStatus(h.delete("/api/contacts/" + made[2]["_id"], token=o.token), 200)
        expect({"Contacted": 4, "Won": 1}, "after a delete")
        r = h.delete("/api/contacts/query-bulk-delete", {"stageIds": [stage["Contacted"]]}, token=o.token)
        self.assertStatus(r, 202)
        deadline = time.time() + 60
        while time.time() < deadline:
            job = h.get("/api/contacts/bulk-job/" + r.json["jobId"], token=o.token)
            self.assertStatus(job, 200)
            if job.json["status"] != "pending":
                break
            time.sleep(0.05)
        self.assertEqual(job.json["status"], "completed")
        expect({"Won": 1}, "after a bulk delete")
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all", token=o.token))
        self.assertEqual((d["total"], [c["_id"] for c in d["contacts"]]), (1, [made[0]["_id"]]),
                         "the organization's total is the sum of its stages")
