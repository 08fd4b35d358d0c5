"""Pipelines: the default Contact pipeline, lookup by id, list, create."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


PIPELINE_KEYS = {"_id", "name", "description", "organizationId", "type", "isDefault", "isActive",
                 "pipelineStages", "createdBy", "updatedBy", "createdAt", "updatedAt"}
STAGE_KEYS = {"_id", "name", "color", "position", "isActive"}
DEFAULT_STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"]

org = h.shared_org


def extract_pipeline(r):
    """create replies carry the pipeline at top level (Tether) or in data; accept both."""
    j = r.json or {}
    if "pipeline" in j:
        return j["pipeline"]
    return (j.get("data") or {}).get("pipeline")


def stages_body(names):
    return [{"name": n, "color": "#%06x" % (i * 0x222222), "position": i} for i, n in enumerate(names)]


class DefaultPipeline(ApiTest):
    def check_default(self, p, o):
        self.assertEqual(set(p.keys()), PIPELINE_KEYS)
        self.assertObjectId(p["_id"])
        self.assertEqual(p["organizationId"], o.id)
        self.assertEqual(p["type"], "Contact")
        self.assertIs(p["isDefault"], True)
        self.assertIs(p["isActive"], True)
        self.assertIsInstance(p["name"], str)
        self.assertTrue(p["name"])
        self.assertTimestamp(p["createdAt"])
        self.assertTimestamp(p["updatedAt"])
        st = p["pipelineStages"]
        self.assertEqual([s["name"] for s in st], DEFAULT_STAGES)
        self.assertEqual([s["position"] for s in st], [0, 1, 2, 3, 4])
        for s in st:
            self.assertEqual(set(s.keys()), STAGE_KEYS)
            self.assertObjectId(s["_id"])
            self.assertIs(s["isActive"], True)
            self.assertIsInstance(s["color"], str)
        self.assertEqual(len({s["_id"] for s in st}), 5)

    def test_default_no_query(self):
        o = org()
        r = h.get("/api/pipelines", token=o.token)
        self.assertStatus(r, 200)
        self.assertIn("pipeline", r.json)
        self.check_default(r.json["pipeline"], o)

    def test_type_contact(self):
        o = org()
        a = h.get("/api/pipelines", token=o.token).json["pipeline"]
        r = h.get("/api/pipelines?type=Contact", token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["pipeline"], a)

    def test_by_id(self):
        o = org()
        a = h.get("/api/pipelines", token=o.token).json["pipeline"]
        r = h.get("/api/pipelines?type=Contact&pipelineId=" + a["_id"], token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["pipeline"], a)

    def test_each_org_has_its_own(self):
        a, b = org(), org("b")
        pa = h.get("/api/pipelines", token=a.token).json["pipeline"]
        pb = h.get("/api/pipelines", token=b.token).json["pipeline"]
        self.assertNotEqual(pa["_id"], pb["_id"])
        self.assertEqual(pb["organizationId"], b.id)
        self.assertFalse({s["_id"] for s in pa["pipelineStages"]} & {s["_id"] for s in pb["pipelineStages"]})

    def test_bad_pipeline_id(self):
        o = org()
        for bad in ("bad", "0" * 23, "g" * 24, "A" * 24):
            r = h.get("/api/pipelines?pipelineId=" + bad, token=o.token)
            self.assertError(r, 400, "validation_failed", msg=bad)

    def test_unknown_pipeline_id(self):
        r = h.get("/api/pipelines?pipelineId=" + "0" * 24, token=org().token)
        self.assertError(r, 404, "pipeline_not_found")

    def test_other_orgs_pipeline_id(self):
        a, b = org(), org("b")
        pb = h.get("/api/pipelines", token=b.token).json["pipeline"]
        r = h.get("/api/pipelines?pipelineId=" + pb["_id"], token=a.token)
        self.assertError(r, 404, "pipeline_not_found")

    def test_sales_rep_can_read(self):
        o = org()
        rep = o.add_user("SALES_REP")
        r = h.get("/api/pipelines", token=rep.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["pipeline"]["organizationId"], o.id)

    def test_superadmin_forbidden(self):
        self.assertError(h.get("/api/pipelines", token=h.sa_token()), 403, "forbidden")

    def test_unauthenticated(self):
        self.assertError(h.get("/api/pipelines"), 401, "unauthorized")

    def test_list(self):
        o = org()
        default = h.get("/api/pipelines", token=o.token).json["pipeline"]
        r = h.get("/api/pipelines/list?type=Contact", token=o.token)
        d = self.assertOk(r)
        ids = [p["_id"] for p in d["pipelines"]]
        self.assertIn(default["_id"], ids)
        for p in d["pipelines"]:
            self.assertEqual(p["organizationId"], o.id)


class CreatePipeline(ApiTest):
    def test_create_and_use(self):
        o = org("c")
        name = h.uniq("Partners ")
        r = h.post("/api/pipelines/create", {"name": "  " + name + "  ", "type": "Contact",
                                             "description": "Partner deals",
                                             "pipelineStages": stages_body(["Intro", "Deal"])},
                   token=o.token)
        self.assertStatus(r, 201)
        p = extract_pipeline(r)
        self.assertIsNotNone(p, r)
        self.assertEqual(p["name"], name)
        self.assertIs(p["isDefault"], False)
        self.assertEqual([s["name"] for s in p["pipelineStages"]], ["Intro", "Deal"])
        # Readable by id; the default is unchanged.
        g = h.get("/api/pipelines?pipelineId=" + p["_id"], token=o.token)
        self.assertEqual(g.json["pipeline"]["_id"], p["_id"])
        self.assertIs(h.get("/api/pipelines", token=o.token).json["pipeline"]["isDefault"], True)
        self.assertNotEqual(h.get("/api/pipelines", token=o.token).json["pipeline"]["_id"], p["_id"])
        # A contact in it lands on its first stage.
        c = h.create_contact(o.token, pipelineId=p["_id"])
        self.assertEqual(c["pipelineId"], p["_id"])
        self.assertEqual(c["status"], "Intro")
        self.assertEqual(c["pipelineStage"], p["pipelineStages"][0]["_id"])

    def test_name_taken(self):
        o = org("c")
        name = h.uniq("Dup ")
        body = {"name": name, "type": "Contact", "pipelineStages": stages_body(["One"])}
        self.assertStatus(h.post("/api/pipelines/create", body, token=o.token), 201)
        body2 = dict(body, name=" " + name + " ")
        self.assertError(h.post("/api/pipelines/create", body2, token=o.token), 409, "name_taken")
        # Another org may use the name.
        self.assertStatus(h.post("/api/pipelines/create", body, token=org("b").token), 201)

    def test_non_admin_forbidden(self):
        o = org("c")
        rep = o.add_user("SALES_REP")
        body = {"name": h.uniq("P "), "type": "Contact", "pipelineStages": stages_body(["One"])}
        self.assertError(h.post("/api/pipelines/create", body, token=rep.token), 403, "forbidden")

    def test_missing_name(self):
        o = org("c")
        body = {"type": "Contact", "pipelineStages": stages_body(["One"])}
        self.assertError(h.post("/api/pipelines/create", body, token=o.token), 400, "validation_failed",
                         field="name")
