"""Changing pipelines: stage upsert (POST /api/pipelines), delete with transfer, stage reassign;
and Idempotency-Key under concurrent retries of POST /api/contact."""

import json

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


UNKNOWN_ID = "0123456789abcdef01234567"
DEFAULT_STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"]


def fresh_org():
    return h.create_org()


def pipeline_of(r):
    j = r.json or {}
    return j["pipeline"] if "pipeline" in j else (j.get("data") or {}).get("pipeline")


def read_pipeline(o, pipeline_id=None):
    r = h.get("/api/pipelines?type=Contact" + ("&pipelineId=" + pipeline_id if pipeline_id else ""), token=o.token)
    if r.status != 200:
        raise AssertionError("GET /api/pipelines failed: %r" % r)
    return r.json["pipeline"]


def create_pipeline(o, names, name=None, positions=None):
    stages = [{"name": n, "color": "#123456"} for n in names]
    for i, s in enumerate(stages):
        s["position"] = positions[i] if positions else i
    r = h.post("/api/pipelines/create", {"name": name or h.uniq("Pipe "), "type": "Contact",
                                         "pipelineStages": stages}, token=o.token)
    if r.status != 201:
        raise AssertionError("POST /api/pipelines/create failed: %r" % r)
    return pipeline_of(r)


def stage_by_name(p, name):
    for s in p["pipelineStages"]:
        if s["name"] == name:
            return s
    raise AssertionError("no stage %r in %r" % (name, [s["name"] for s in p["pipelineStages"]]))


def upsert_body(p, rename=None, drop=(), add=(), positions=None):
    """The stages of p as an upsert body, with renames {old: new}, some left out, some added."""
    rename = rename or {}
    out = []
    for s in sorted(p["pipelineStages"], key=lambda s: s["position"]):
        if not s["isActive"] or s["name"] in drop:
            continue
        out.append({"_id": s["_id"], "name": rename.get(s["name"], s["name"]), "color": s["color"]})
    for n in add:
        out.append({"name": n, "color": "#abcdef"})
    for i, s in enumerate(out):
        s["position"] = positions[s["name"]] if positions else i
    return out


class PipelineTest(ApiTest):
    def upsert_ok(self, o, body, type_="Contact"):
        r = h.post("/api/pipelines?type=" + type_, body, token=o.token)
        self.assertStatus(r, 200)
        j = r.json
        self.assertEqual(j.get("message"), "Pipeline updated", r)
        self.assertIsInstance(j.get("pipeline"), dict, r)
        self.assertIsInstance(j.get("contactsMigrated"), dict, r)
        return j

    def active_names(self, p):
        return [s["name"] for s in sorted(p["pipelineStages"], key=lambda s: s["position"]) if s["isActive"]]

    def update_events(self, tok, cid):
        return [e for e in h.events_for(tok, cid) if e["type"] == "CONTACT_UPDATE"]


# ------------------------------------------------------------------------------------------
# POST /api/pipelines?type=Contact — stage upsert


class Upsert(PipelineTest):
    def test_rename_migrates_contacts(self):
        o = fresh_org()
        p = read_pipeline(o)
        contacted = stage_by_name(p, "Contacted")
        on = [h.create_contact(o.token, status="Contacted") for _ in range(3)]
        off = [h.create_contact(o.token) for _ in range(2)]
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, rename={"Contacted": "Reached Out"})})
        self.assertEqual(j["contactsMigrated"], {"Contacted -> Reached Out": 3})
        np = j["pipeline"]
        self.assertEqual(np["_id"], p["_id"])
        self.assertEqual(self.active_names(np), ["New Lead", "Reached Out", "Qualified", "Won", "Lost"])
        st = stage_by_name(np, "Reached Out")
        self.assertEqual(st["_id"], contacted["_id"], "a rename keeps the stage id")
        self.assertIs(st["isActive"], True)
        self.assertEqual(read_pipeline(o), np)
        for c in on:
            now = h.get_contact(o.token, c["_id"])
            self.assertEqual((now["status"], now["pipelineStage"], now["pipelineId"]),
                             ("Reached Out", contacted["_id"], p["_id"]))
            self.assertEqual(now["__v"], c["__v"] + 1)
            evs = self.update_events(o.token, c["_id"])
            self.assertEqual(len(evs), 1)
            self.assertEqual(evs[0]["changes"], {"status": {"from": "Contacted", "to": "Reached Out"}})
        for c in off:
            self.assertEqual(h.get_contact(o.token, c["_id"]), c)
        # The new name is usable, the old one is gone.
        self.assertEqual(h.create_contact(o.token, status="reached out")["pipelineStage"], contacted["_id"])
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "status": "Contacted"}, token=o.token)
        self.assertError(r, 400, "stage_not_found")
        # Listing by the new status finds the migrated ones.
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all&status=Reached%20Out&size=200", token=o.token))
        self.assertEqual(d["total"], 4)

    def test_rename_without_contacts(self):
        o = fresh_org()
        p = read_pipeline(o)
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, rename={"Won": "Closed Won", "Lost": "Closed Lost"})})
        self.assertEqual(j["contactsMigrated"], {"Won -> Closed Won": 0, "Lost -> Closed Lost": 0})
        self.assertEqual(self.active_names(j["pipeline"]), ["New Lead", "Contacted", "Qualified", "Closed Won",
                                                             "Closed Lost"])

    def test_swap_names(self):
        o = fresh_org()
        p = read_pipeline(o)
        won, lost = stage_by_name(p, "Won"), stage_by_name(p, "Lost")
        cw = h.create_contact(o.token, status="Won")
        cl = [h.create_contact(o.token, status="Lost") for _ in range(2)]
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, rename={"Won": "Lost", "Lost": "Won"})})
        self.assertEqual(j["contactsMigrated"], {"Won -> Lost": 1, "Lost -> Won": 2})
        self.assertEqual(stage_by_name(j["pipeline"], "Lost")["_id"], won["_id"])
        now = h.get_contact(o.token, cw["_id"])
        self.assertEqual((now["pipelineStage"], now["status"]), (won["_id"], "Lost"))
        for c in cl:
            now = h.get_contact(o.token, c["_id"])
            self.assertEqual((now["pipelineStage"], now["status"]), (lost["_id"], "Won"))

    def test_rename_leaves_other_pipelines_alone(self):
        o = fresh_org()
        p = read_pipeline(o)
        other = create_pipeline(o, ["Contacted", "Done"])
        mine = h.create_contact(o.token, status="Contacted")
        theirs = h.create_contact(o.token, pipelineId=other["_id"], status="Contacted")
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, rename={"Contacted": "Called"})})
        self.assertEqual(j["contactsMigrated"], {"Contacted -> Called": 1})
        self.assertEqual(h.get_contact(o.token, mine["_id"])["status"], "Called")
        self.assertEqual(h.get_contact(o.token, theirs["_id"]), theirs)
        self.assertEqual(read_pipeline(o, other["_id"]), other)

    def test_left_out_stage_deactivated(self):
        o = fresh_org()
        p = read_pipeline(o)
        lost = stage_by_name(p, "Lost")
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, drop=("Lost",))})
        self.assertEqual(j["contactsMigrated"], {})
        np = j["pipeline"]
        self.assertEqual(self.active_names(np), ["New Lead", "Contacted", "Qualified", "Won"])
        st = stage_by_name(np, "Lost")
        self.assertEqual(st["_id"], lost["_id"], "a stage left out is kept, not deleted")
        self.assertIs(st["isActive"], False)
        self.assertEqual(read_pipeline(o), np)
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "status": "Lost"}, token=o.token)
        self.assertError(r, 400, "stage_not_found")
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "pipelineStage": lost["_id"]}, token=o.token)
        self.assertError(r, 400, "stage_not_found")
        self.assertEqual(h.create_contact(o.token, status="Won")["status"], "Won")

    def test_add_stage(self):
        o = fresh_org()
        p = read_pipeline(o)
        body = upsert_body(p, add=("Negotiation",),
                           positions={"New Lead": 0, "Contacted": 1, "Qualified": 2, "Negotiation": 3, "Won": 4,
                                      "Lost": 5})
        j = self.upsert_ok(o, {"pipelineStages": body})
        np = j["pipeline"]
        self.assertEqual(self.active_names(np), ["New Lead", "Contacted", "Qualified", "Negotiation", "Won", "Lost"])
        neg = stage_by_name(np, "Negotiation")
        self.assertObjectId(neg["_id"])
        self.assertNotIn(neg["_id"], [s["_id"] for s in p["pipelineStages"]])
        self.assertIs(neg["isActive"], True)
        self.assertEqual(neg["color"], "#abcdef")
        self.assertEqual(sorted(s["position"] for s in np["pipelineStages"] if s["isActive"]), list(range(6)))
        for name in DEFAULT_STAGES:
            self.assertEqual(stage_by_name(np, name)["_id"], stage_by_name(p, name)["_id"])
        c = h.create_contact(o.token, status="negotiation")
        self.assertEqual((c["status"], c["pipelineStage"]), ("Negotiation", neg["_id"]))
        self.assertEqual(read_pipeline(o), np)

    def test_same_stage_listed_twice(self):
        o = fresh_org()
        p = read_pipeline(o)
        first = p["pipelineStages"][0]
        body = [{"_id": first["_id"], "name": "One", "color": "#111111", "position": 0},
                {"_id": first["_id"], "name": "Two", "color": "#222222", "position": 1}]
        r = h.post("/api/pipelines?type=Contact", {"pipelineStages": body}, token=o.token)
        self.assertError(r, 400, "validation_failed", field="pipelineStages[1]")
        self.assertEqual(read_pipeline(o), p)

    def test_reorder(self):
        o = fresh_org()
        p = read_pipeline(o)
        rev = {n: 4 - i for i, n in enumerate(DEFAULT_STAGES)}
        j = self.upsert_ok(o, {"pipelineStages": upsert_body(p, positions=rev)})
        np = j["pipeline"]
        self.assertEqual(self.active_names(np), list(reversed(DEFAULT_STAGES)))
        for name in DEFAULT_STAGES:
            st = stage_by_name(np, name)
            self.assertEqual(st["position"], rev[name])
            self.assertEqual(st["_id"], stage_by_name(p, name)["_id"])
        self.assertEqual(read_pipeline(o), np)
        # The first stage is now "Lost": a contact without a stage lands there.
        c = h.create_contact(o.token)
        self.assertEqual((c["status"], c["pipelineStage"]), ("Lost", stage_by_name(p, "Lost")["_id"]))

    def test_named_pipeline_and_rename_pipeline(self):
        o = fresh_org()
        other = create_pipeline(o, ["One", "Two"])
        c = h.create_contact(o.token, pipelineId=other["_id"], status="Two")
        new_name = h.uniq("Renamed ")
        j = self.upsert_ok(o, {"pipelineId": other["_id"], "name": new_name,
                               "pipelineStages": upsert_body(other, rename={"Two": "Deux"})})
        self.assertEqual(j["pipeline"]["_id"], other["_id"])
        self.assertEqual(j["pipeline"]["name"], new_name)
        self.assertEqual(j["contactsMigrated"], {"Two -> Deux": 1})
        self.assertEqual(h.get_contact(o.token, c["_id"])["status"], "Deux")
        # The default pipeline is untouched.
        self.assertEqual(self.active_names(read_pipeline(o)), DEFAULT_STAGES)

    def test_unknown_stage_id_400(self):
        o = fresh_org()
        p = read_pipeline(o)
        c = h.create_contact(o.token, status="Won")
        other_org_stage = read_pipeline(fresh_org())["pipelineStages"][0]["_id"]
        for bad in (UNKNOWN_ID, other_org_stage):
            body = upsert_body(p, rename={"Won": "Victory"})
            body[0]["_id"] = bad
            r = h.post("/api/pipelines?type=Contact", {"pipelineStages": body}, token=o.token)
            self.assertStatus(r, 400, bad)
            self.assertIs(r.json.get("success"), False)
            self.assertIn(r.json.get("error"), ("stage_not_found", "validation_failed"), r)
        self.assertEqual(read_pipeline(o), p, "a refused upsert changes nothing")
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_validation(self):
        o = fresh_org()
        p = read_pipeline(o)
        cases = [
            {"pipelineStages": []},
            {},
            {"pipelineStages": "New Lead"},
            {"pipelineStages": [{"color": "#000000", "position": 0}]},
            {"pipelineStages": [{"name": "A", "position": 0}, {"name": " a ", "position": 1}]},
            {"pipelineStages": [{"_id": "nope", "name": "A", "position": 0}]},
        ]
        for body in cases:
            r = h.post("/api/pipelines?type=Contact", body, token=o.token)
            self.assertError(r, 400, "validation_failed", msg=repr(body))
        r = h.post("/api/pipelines?type=Contact", {"pipelineId": UNKNOWN_ID, "pipelineStages": upsert_body(p)},
                   token=o.token)
        self.assertError(r, 404, "pipeline_not_found")
        self.assertEqual(read_pipeline(o), p)

    def test_admin_only(self):
        o = fresh_org()
        p = read_pipeline(o)
        c = h.create_contact(o.token, status="Contacted")
        body = {"pipelineStages": upsert_body(p, rename={"Contacted": "Hijacked"}, drop=("Lost",))}
        for role in ("DEPARTMENT_HEAD", "SALES_REP"):
            u = o.add_user(role)
            self.assertError(h.post("/api/pipelines?type=Contact", body, token=u.token), 403, "forbidden", msg=role)
        self.assertError(h.post("/api/pipelines?type=Contact", body), 401, "unauthorized")
        self.assertEqual(read_pipeline(o), p)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_other_orgs_pipeline(self):
        a, b = fresh_org(), fresh_org()
        pb = read_pipeline(b)
        r = h.post("/api/pipelines?type=Contact", {"pipelineId": pb["_id"], "pipelineStages": upsert_body(pb)},
                   token=a.token)
        self.assertError(r, 404, "pipeline_not_found")
        self.assertEqual(read_pipeline(b), pb)


# ------------------------------------------------------------------------------------------
# DELETE /api/pipelines/{id}


class DeletePipeline(PipelineTest):
    def test_default_cannot_be_deleted(self):
        o = fresh_org()
        p = read_pipeline(o)
        target = create_pipeline(o, ["T"])
        for body in (None, {"targetPipelineId": target["_id"]}):
            r = h.delete("/api/pipelines/" + p["_id"], body, token=o.token)
            self.assertStatus(r, 400)
            self.assertIs(r.json.get("success"), False)
            self.assertTrue(r.json.get("error"))
        self.assertEqual(read_pipeline(o), p)

    def test_contacts_need_a_target(self):
        o = fresh_org()
        p = create_pipeline(o, ["A", "B"])
        c = h.create_contact(o.token, pipelineId=p["_id"])
        for body in (None, {}):
            r = h.delete("/api/pipelines/" + p["_id"], body, token=o.token)
            self.assertError(r, 400, "validation_failed", field="targetPipelineId")
        self.assertEqual(read_pipeline(o, p["_id"]), p)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_transfer(self):
        o = fresh_org()
        src = create_pipeline(o, ["A", "B"])
        # The target's first stage is the one with the lowest position, not the first listed.
        target = create_pipeline(o, ["Second", "First"], positions=[1, 0])
        first = stage_by_name(target, "First")
        moved = [h.create_contact(o.token, pipelineId=src["_id"], status=s) for s in ("A", "B", "B")]
        bystander = h.create_contact(o.token)
        r = h.delete("/api/pipelines/" + src["_id"], {"targetPipelineId": target["_id"]}, token=o.token)
        self.assertStatus(r, 200)
        j = r.json
        self.assertEqual(j.get("message"), "Pipeline deleted")
        self.assertEqual(j.get("pipelineId"), src["_id"])
        self.assertEqual(j.get("recordsTransferred"), 3)
        self.assertEqual(j.get("movedToPipeline"), {"id": target["_id"], "name": target["name"]})
        self.assertEqual(j.get("movedToStage"), {"id": first["_id"], "name": "First"})
        for c in moved:
            now = h.get_contact(o.token, c["_id"])
            self.assertEqual((now["pipelineId"], now["pipelineStage"], now["status"]),
                             (target["_id"], first["_id"], "First"))
            self.assertEqual(now["__v"], c["__v"] + 1)
            evs = self.update_events(o.token, c["_id"])
            self.assertEqual(len(evs), 1, "each moved contact has one CONTACT_UPDATE entry")
            self.assertEqual(evs[0]["changes"], {
                "pipelineId": {"from": src["_id"], "to": target["_id"]},
                "pipelineStage": {"from": c["pipelineStage"], "to": first["_id"]},
                "status": {"from": c["status"], "to": "First"}})
            self.assertEqual(evs[0]["userId"], o.admin.id)
        self.assertEqual(h.get_contact(o.token, bystander["_id"]), bystander)
        # The pipeline is gone.
        self.assertError(h.get("/api/pipelines?pipelineId=" + src["_id"], token=o.token), 404,
                         "pipeline_not_found")
        lst = self.assertOk(h.get("/api/pipelines/list?type=Contact", token=o.token))
        self.assertNotIn(src["_id"], [x["_id"] for x in lst["pipelines"]])
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "pipelineId": src["_id"]}, token=o.token)
        self.assertError(r, 404, "pipeline_not_found")
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all&pipelineId=" + target["_id"], token=o.token))
        self.assertEqual(sorted(c["_id"] for c in d["contacts"]), sorted(c["_id"] for c in moved))
        self.assertError(h.delete("/api/pipelines/" + src["_id"], token=o.token), 404, "pipeline_not_found")

    def test_transfer_to_default(self):
        o = fresh_org()
        src = create_pipeline(o, ["Only"])
        c = h.create_contact(o.token, pipelineId=src["_id"])
        default = read_pipeline(o)
        r = h.delete("/api/pipelines/" + src["_id"], {"targetPipelineId": default["_id"]}, token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("recordsTransferred"), 1)
        self.assertEqual(r.json.get("movedToStage"), {"id": stage_by_name(default, "New Lead")["_id"],
                                                       "name": "New Lead"})
        now = h.get_contact(o.token, c["_id"])
        self.assertEqual((now["pipelineId"], now["status"]), (default["_id"], "New Lead"))

    def test_empty_pipeline_no_target(self):
        o = fresh_org()
        p = create_pipeline(o, ["A"])
        r = h.delete("/api/pipelines/" + p["_id"], token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("message"), "Pipeline deleted")
        self.assertEqual(r.json.get("pipelineId"), p["_id"])
        self.assertEqual(r.json.get("recordsTransferred"), 0)
        self.assertError(h.get("/api/pipelines?pipelineId=" + p["_id"], token=o.token), 404, "pipeline_not_found")
        # Its name may be used again.
        self.assertStatus(h.post("/api/pipelines/create", {"name": p["name"], "type": "Contact",
                                                           "pipelineStages": [{"name": "A"}]}, token=o.token), 201)

    def test_unknown_other_org_malformed(self):
        a, b = fresh_org(), fresh_org()
        pb = create_pipeline(b, ["A"])
        self.assertError(h.delete("/api/pipelines/" + UNKNOWN_ID, token=a.token), 404, "pipeline_not_found")
        self.assertError(h.delete("/api/pipelines/" + pb["_id"], token=a.token), 404, "pipeline_not_found")
        self.assertError(h.delete("/api/pipelines/nope", token=a.token), 400, "validation_failed")
        self.assertEqual(read_pipeline(b, pb["_id"]), pb)

    def test_bad_target(self):
        o = fresh_org()
        p = create_pipeline(o, ["A"])
        c = h.create_contact(o.token, pipelineId=p["_id"])
        other_org_p = read_pipeline(fresh_org())
        self.assertError(h.delete("/api/pipelines/" + p["_id"], {"targetPipelineId": "nope"}, token=o.token), 400,
                         "validation_failed", field="targetPipelineId")
        for t in (UNKNOWN_ID, other_org_p["_id"], p["_id"]):
            r = h.delete("/api/pipelines/" + p["_id"], {"targetPipelineId": t}, token=o.token)
            self.assertIn(r.status, (400, 404), r)
            self.assertIs(r.json.get("success"), False)
        self.assertEqual(read_pipeline(o, p["_id"]), p)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_admin_only(self):
        o = fresh_org()
        p = create_pipeline(o, ["A"])
        for role in ("DEPARTMENT_HEAD", "SALES_REP"):
            u = o.add_user(role)
            self.assertError(h.delete("/api/pipelines/" + p["_id"], token=u.token), 403, "forbidden", msg=role)
        self.assertEqual(read_pipeline(o, p["_id"]), p)


# ------------------------------------------------------------------------------------------
# POST /api/pipelines/stages/reassign


class Reassign(PipelineTest):
    def test_moves_and_deactivates(self):
        o = fresh_org()
        p = read_pipeline(o)
        src, dst = stage_by_name(p, "Contacted"), stage_by_name(p, "Qualified")
        on = [h.create_contact(o.token, status="Contacted") for _ in range(3)]
        off = h.create_contact(o.token, status="Won")
        r = h.post("/api/pipelines/stages/reassign", {"sourceStageId": src["_id"], "targetStageId": dst["_id"]},
                   token=o.token)
        self.assertStatus(r, 200)
        j = r.json
        self.assertIs(j.get("success"), True)
        self.assertEqual(j.get("recordsTransferred"), 3)
        self.assertEqual(j.get("sourceStage"), {"id": src["_id"], "name": "Contacted"})
        self.assertEqual(j.get("targetStage"), {"id": dst["_id"], "name": "Qualified"})
        for c in on:
            now = h.get_contact(o.token, c["_id"])
            self.assertEqual((now["pipelineStage"], now["status"], now["pipelineId"]),
                             (dst["_id"], "Qualified", p["_id"]))
            evs = self.update_events(o.token, c["_id"])
            self.assertEqual(len(evs), 1)
            self.assertEqual(evs[0]["changes"], {"status": {"from": "Contacted", "to": "Qualified"},
                                                 "pipelineStage": {"from": src["_id"], "to": dst["_id"]}})
        self.assertEqual(h.get_contact(o.token, off["_id"]), off)
        np = read_pipeline(o)
        self.assertIs(stage_by_name(np, "Contacted")["isActive"], False)
        self.assertIs(stage_by_name(np, "Qualified")["isActive"], True)
        self.assertEqual(self.active_names(np), ["New Lead", "Qualified", "Won", "Lost"])
        r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "status": "Contacted"}, token=o.token)
        self.assertError(r, 400, "stage_not_found")
        # The source is inactive now: reassigning from it again moves nothing or is refused.
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all&pipelineStage=" + src["_id"], token=o.token))
        self.assertEqual(d["total"], 0)

    def test_empty_source(self):
        o = fresh_org()
        p = read_pipeline(o)
        r = h.post("/api/pipelines/stages/reassign", {"sourceStageId": stage_by_name(p, "Won")["_id"],
                                                      "targetStageId": stage_by_name(p, "Lost")["_id"]},
                   token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("recordsTransferred"), 0)
        self.assertIs(stage_by_name(read_pipeline(o), "Won")["isActive"], False)

    def test_target_in_other_pipeline(self):
        o = fresh_org()
        p = read_pipeline(o)
        other = create_pipeline(o, ["Elsewhere"])
        src = stage_by_name(p, "Contacted")
        c = h.create_contact(o.token, status="Contacted")
        r = h.post("/api/pipelines/stages/reassign",
                   {"sourceStageId": src["_id"], "targetStageId": other["pipelineStages"][0]["_id"]}, token=o.token)
        self.assertStatus(r, 400)
        self.assertIs(r.json.get("success"), False)
        self.assertTrue(r.json.get("error"))
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)
        self.assertEqual(read_pipeline(o), p)

    def test_same_id(self):
        o = fresh_org()
        p = read_pipeline(o)
        s = stage_by_name(p, "Contacted")
        c = h.create_contact(o.token, status="Contacted")
        r = h.post("/api/pipelines/stages/reassign", {"sourceStageId": s["_id"], "targetStageId": s["_id"]},
                   token=o.token)
        self.assertStatus(r, 400)
        self.assertIs(r.json.get("success"), False)
        self.assertEqual(read_pipeline(o), p)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_validation_and_unknown(self):
        o = fresh_org()
        p = read_pipeline(o)
        s = stage_by_name(p, "Won")["_id"]
        for body, field in (({"targetStageId": s}, "sourceStageId"), ({"sourceStageId": s}, "targetStageId"),
                            ({"sourceStageId": "nope", "targetStageId": s}, "sourceStageId"),
                            ({"sourceStageId": s, "targetStageId": 5}, "targetStageId")):
            r = h.post("/api/pipelines/stages/reassign", body, token=o.token)
            self.assertError(r, 400, "validation_failed", field=field, msg=repr(body))
        other_org_stage = read_pipeline(fresh_org())["pipelineStages"][1]["_id"]
        for body in ({"sourceStageId": UNKNOWN_ID, "targetStageId": s},
                     {"sourceStageId": s, "targetStageId": UNKNOWN_ID},
                     {"sourceStageId": other_org_stage, "targetStageId": s},
                     {"sourceStageId": s, "targetStageId": other_org_stage}):
            r = h.post("/api/pipelines/stages/reassign", body, token=o.token)
            self.assertIn(r.status, (400, 404), r)
            self.assertIs(r.json.get("success"), False)
        self.assertEqual(read_pipeline(o), p)

    def test_inactive_target_refused(self):
        o = fresh_org()
        p = read_pipeline(o)
        self.upsert_ok(o, {"pipelineStages": upsert_body(p, drop=("Lost",))})
        c = h.create_contact(o.token, status="Won")
        r = h.post("/api/pipelines/stages/reassign", {"sourceStageId": stage_by_name(p, "Won")["_id"],
                                                      "targetStageId": stage_by_name(p, "Lost")["_id"]},
                   token=o.token)
        self.assertStatus(r, 400)
        self.assertEqual(h.get_contact(o.token, c["_id"]), c)

    def test_admin_only(self):
        o = fresh_org()
        p = read_pipeline(o)
        body = {"sourceStageId": stage_by_name(p, "Won")["_id"], "targetStageId": stage_by_name(p, "Lost")["_id"]}
        for role in ("DEPARTMENT_HEAD", "SALES_REP"):
            u = o.add_user(role)
            self.assertError(h.post("/api/pipelines/stages/reassign", body, token=u.token), 403, "forbidden",
                             msg=role)
        self.assertEqual(read_pipeline(o), p)


# ------------------------------------------------------------------------------------------
# Idempotency-Key under concurrent retries


class Idempotency(ApiTest):
    def test_concurrent_retries_create_one(self):
        o = fresh_org()
        phone = h.us_phone()
        body = json.dumps({"phoneNumber": phone, "firstName": "Idem", "lastName": "Potent"}).encode()
        key = h.uniq("idem-")
        res = h.parallel(lambda i: h.post("/api/contact", raw=body, token=o.token,
                                          headers={"Idempotency-Key": key}), 16)
        bad = [r for r in res if not isinstance(r, h.Response) or r.status != 201]
        self.assertEqual(bad, [], "every retry must get the 201")
        bodies = {r.body for r in res}
        self.assertEqual(len(bodies), 1, "every retry must get the identical body")
        c = res[0].json["data"]["contact"]
        self.assertEqual(c["phoneNumber"], [h.entry(phone, True)])
        d = self.assertOk(h.get("/api/contacts?ownerFilter=all&size=200", token=o.token))
        self.assertEqual(d["total"], 1, "exactly one contact")
        self.assertEqual(d["contacts"][0]["_id"], c["_id"])
        self.assertEqual(h.event_total(o.token), 1, "exactly one CONTACT_CREATE")
        # A later retry replays the same reply; the same key with another body is refused.
        again = h.post("/api/contact", raw=body, token=o.token, headers={"Idempotency-Key": key})
        self.assertEqual((again.status, again.body), (201, res[0].body))
        other = json.dumps({"phoneNumber": h.us_phone(), "firstName": "Other"}).encode()
        r = h.post("/api/contact", raw=other, token=o.token, headers={"Idempotency-Key": key})
        self.assertError(r, 422, "idempotency_key_reused")
        self.assertEqual(self.assertOk(h.get("/api/contacts?ownerFilter=all", token=o.token))["total"], 1)

    def test_distinct_keys_distinct_contacts(self):
        o = fresh_org()
        res = h.parallel(lambda i: h.post("/api/contact", {"phoneNumber": h.us_phone()}, token=o.token,
                                          headers={"Idempotency-Key": h.uniq("k%d-" % i)}), 8)
        self.assertEqual(sorted(r.status for r in res), [201] * 8)
        self.assertEqual(len({r.json["data"]["contact"]["_id"] for r in res}), 8)
        self.assertEqual(self.assertOk(h.get("/api/contacts?ownerFilter=all", token=o.token))["total"], 8)
