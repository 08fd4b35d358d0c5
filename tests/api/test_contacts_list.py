"""Listing contacts: GET /api/contacts — offset and keyset paging, filters, search, owner filter,
date range, size bounds, and SALES_REP visibility across list, GET, PATCH and DELETE."""

import base64
import datetime
import json
import threading
import time
import urllib.parse

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


org = h.shared_org


def list_path(**q):
    return "/api/contacts" + ("?" + urllib.parse.urlencode(q) if q else "")


class ListTest(ApiTest):
    def list_ok(self, tok, **q):
        r = h.get(list_path(**q), token=tok)
        d = self.assertOk(r)
        for k in ("contacts", "total", "page", "size", "nextCursor"):
            self.assertIn(k, d)
        self.assertIsInstance(d["contacts"], list)
        self.assertIsInstance(d["total"], int)
        return d

    def ids(self, tok, **q):
        q.setdefault("size", 200)
        return [c["_id"] for c in self.list_ok(tok, **q)["contacts"]]

    def assertIds(self, tok, expected, msg=None, **q):
        q.setdefault("size", 200)
        d = self.list_ok(tok, **q)
        got = [c["_id"] for c in d["contacts"]]
        self.assertEqual(sorted(got), sorted(c["_id"] for c in expected), msg or repr(q))
        self.assertEqual(d["total"], len(expected), "total of %r" % (q,))
        return d


# ------------------------------------------------------------------------------------------
# Paging


class Paging(ListTest):
    N = 50

    @classmethod
    def setUpClass(cls):
        cls.o = org("paging")
        cls.made = [h.create_contact(cls.o.token, firstName="P%02d" % i) for i in range(cls.N)]

    def test_offset_pages_see_each_once(self):
        tok = self.o.token
        full = self.list_ok(tok, ownerFilter="all", size=200)
        self.assertEqual(full["total"], self.N)
        order = [c["_id"] for c in full["contacts"]]
        self.assertEqual(sorted(order), sorted(c["_id"] for c in self.made))
        stamps = [c["createdAt"] for c in full["contacts"]]
        self.assertEqual(stamps, sorted(stamps, reverse=True), "newest first")
        seen = []
        for page in range(1, 10):
            d = self.list_ok(tok, ownerFilter="all", size=7, page=page)
            self.assertEqual((d["total"], d["page"], d["size"]), (self.N, page, 7))
            want = 7 if page <= 7 else (1 if page == 8 else 0)
            self.assertEqual(len(d["contacts"]), want, "page %d" % page)
            seen += [c["_id"] for c in d["contacts"]]
        self.assertEqual(len(seen), len(set(seen)), "a contact was listed twice")
        self.assertEqual(seen, order, "pages must concatenate to the full newest-first list")

    def test_keyset_pages(self):
        tok = self.o.token
        d = self.list_ok(tok, ownerFilter="all", size=7)
        seen = [c["_id"] for c in d["contacts"]]
        pages = 1
        while d["nextCursor"] is not None:
            self.assertIsInstance(d["nextCursor"], str)
            self.assertTrue(d["nextCursor"])
            d = self.list_ok(tok, ownerFilter="all", size=7, after=d["nextCursor"])
            self.assertEqual(d["total"], self.N, "total counts every match")
            seen += [c["_id"] for c in d["contacts"]]
            pages += 1
            self.assertLess(pages, 20, "paging does not end")
        self.assertEqual(pages, 8)
        self.assertEqual(len(d["contacts"]), 1, "the last page holds the 50th contact")
        self.assertIsNone(d["nextCursor"], "nextCursor must be null on the last page")
        self.assertEqual(len(seen), len(set(seen)), "a contact was listed twice")
        self.assertEqual(sorted(seen), sorted(c["_id"] for c in self.made))
        self.assertEqual(seen, self.ids(tok, ownerFilter="all"), "keyset order = newest first")

    def test_keyset_with_filter(self):
        tok = self.o.token
        want = self.ids(tok, ownerFilter="all", search="P1")      # P10..P19
        self.assertEqual(len(want), 10)
        d = self.list_ok(tok, ownerFilter="all", search="P1", size=3)
        seen = [c["_id"] for c in d["contacts"]]
        while d["nextCursor"]:
            d = self.list_ok(tok, ownerFilter="all", search="P1", size=3, after=d["nextCursor"])
            self.assertEqual(d["total"], 10)
            seen += [c["_id"] for c in d["contacts"]]
        self.assertEqual(seen, want)

    def test_cursor_ignores_page(self):
        tok = self.o.token
        d1 = self.list_ok(tok, ownerFilter="all", size=10)
        d2 = self.list_ok(tok, ownerFilter="all", size=10, after=d1["nextCursor"])
        d3 = self.list_ok(tok, ownerFilter="all", size=10, after=d1["nextCursor"], page=4)
        self.assertEqual([c["_id"] for c in d2["contacts"]], [c["_id"] for c in d3["contacts"]])
        self.assertFalse({c["_id"] for c in d1["contacts"]} & {c["_id"] for c in d2["contacts"]})

    def test_full_last_page_then_empty(self):
        tok = self.o.token
        d = self.list_ok(tok, ownerFilter="all", size=25)
        self.assertIsNotNone(d["nextCursor"])
        d = self.list_ok(tok, ownerFilter="all", size=25, after=d["nextCursor"])
        self.assertEqual(len(d["contacts"]), 25)
        if d["nextCursor"] is not None:
            d = self.list_ok(tok, ownerFilter="all", size=25, after=d["nextCursor"])
            self.assertEqual(d["contacts"], [])
            self.assertIsNone(d["nextCursor"])

    def test_bad_cursor(self):
        tok = self.o.token
        good = self.list_ok(tok, ownerFilter="all", size=5)["nextCursor"]
        # Found by fuzzing (tests/fuzz/fuzz_cursor): a time past int64 used to be clamped, and
        # text behind a NUL ignored, so cursors the server never issued were taken.
        forged = [base64.urlsafe_b64encode(raw).rstrip(b"=").decode() for raw in
                  (b"97000017000000000000.5f1e3c2a9b8d7e6f5a4b3c2d", b"1767225600123.5f1e3c2a9b8d7e6f5a4b3c2d\0x")]
        for bad in ["garbage!", "AAAA", "bm90LWEtY3Vyc29y", good[:-3] + "***", "x" * 300] + forged:
            self.assertError(h.get(list_path(ownerFilter="all", after=bad), token=tok), 400, "validation_failed",
                             field="after", msg=bad)

    def test_size_bounds(self):
        tok = self.o.token
        for size in ("0", "201", "-1", "abc"):
            self.assertError(h.get(list_path(size=size), token=tok), 400, "validation_failed", field="size",
                             msg=size)
        for size in (1, 200):
            d = self.list_ok(tok, ownerFilter="all", size=size)
            self.assertEqual(d["size"], size)
            self.assertEqual(len(d["contacts"]), min(size, self.N))
        d = self.list_ok(tok, ownerFilter="all")
        self.assertEqual((d["page"], d["size"], len(d["contacts"])), (1, 50, 50))

    def test_page_past_end(self):
        d = self.list_ok(self.o.token, ownerFilter="all", size=7, page=100)
        self.assertEqual(d["contacts"], [])
        self.assertEqual(d["total"], self.N)
        self.assertIsNone(d["nextCursor"])


class KeysetConcurrent(ListTest):
    def test_inserts_during_paging(self):
        o = org("keyset")
        tok = o.token
        existing = [h.create_contact(tok, firstName="K%02d" % i) for i in range(60)]
        added, errors = [], []
        stop = threading.Event()

        def writer():
            while not stop.is_set() and len(added) < 200:
                try:
                    added.append(h.create_contact(tok, firstName="New")["_id"])
                except Exception as ex:  # noqa: BLE001 - reported below
                    errors.append(ex)
                    return

        t = threading.Thread(target=writer)
        t.start()
        try:
            time.sleep(0.05)
            seen, cursor, pages = [], None, 0
            while True:
                q = {"ownerFilter": "all", "size": 7}
                if cursor:
                    q["after"] = cursor
                d = self.list_ok(tok, **q)
                seen += [c["_id"] for c in d["contacts"]]
                cursor = d["nextCursor"]
                pages += 1
                self.assertLess(pages, 100, "paging does not end")
                if cursor is None:
                    break
                time.sleep(0.01)
        finally:
            stop.set()
            t.join(60)
        self.assertEqual(errors, [])
        self.assertTrue(added, "the writer inserted nothing while paging")
        self.assertEqual(len(seen), len(set(seen)), "a row was repeated")
        missing = {c["_id"] for c in existing} - set(seen)
        self.assertEqual(missing, set(), "rows that existed when paging started were skipped")
        # Everything after the first page is older than what it started from.
        self.assertLessEqual(set(seen) - {c["_id"] for c in existing}, set(added))


# ------------------------------------------------------------------------------------------
# Filters


class Filters(ListTest):
    @classmethod
    def setUpClass(cls):
        o = cls.o = org("filters")
        r = h.post("/api/pipelines/create", {"name": h.uniq("Other "), "type": "Contact",
                                             "pipelineStages": [{"name": "X", "position": 0},
                                                                {"name": "Y", "position": 1}]}, token=o.token)
        if r.status != 201:
            raise AssertionError("POST /api/pipelines/create failed: %r" % r)
        cls.p2 = r.json["pipeline"] if "pipeline" in r.json else r.json["data"]["pipeline"]
        cls.f1 = h.create_contact(o.token, status="Contacted", source="web")
        time.sleep(0.03)
        cls.f2 = h.create_contact(o.token, status="Qualified", source="referral")
        time.sleep(0.03)
        cls.f3 = h.create_contact(o.token, pipelineId=cls.p2["_id"], source="web")
        time.sleep(0.03)
        cls.f4 = h.create_contact(o.token)

    def test_status(self):
        tok = self.o.token
        self.assertIds(tok, [self.f1], status="Contacted")
        self.assertIds(tok, [self.f4], status="New Lead")
        self.assertIds(tok, [self.f3], status="X")
        self.assertIds(tok, [], status="Won")

    def test_pipeline_stage(self):
        tok = self.o.token
        self.assertIds(tok, [self.f2], pipelineStage=self.o.stage("Qualified")["_id"])
        self.assertIds(tok, [self.f3], pipelineStage=self.p2["pipelineStages"][0]["_id"])
        self.assertIds(tok, [], pipelineStage=self.p2["pipelineStages"][1]["_id"])
        self.assertError(h.get(list_path(pipelineStage="nope"), token=tok), 400, "validation_failed",
                         field="pipelineStage")

    def test_pipeline_id(self):
        tok = self.o.token
        self.assertIds(tok, [self.f3], pipelineId=self.p2["_id"])
        self.assertIds(tok, [self.f1, self.f2, self.f4], pipelineId=self.o.default_pipeline()["_id"])
        self.assertError(h.get(list_path(pipelineId="0" * 23), token=tok), 400, "validation_failed",
                         field="pipelineId")

    def test_source(self):
        tok = self.o.token
        self.assertIds(tok, [self.f1, self.f3], source="web")
        self.assertIds(tok, [self.f2], source="referral")
        self.assertIds(tok, [], source="nowhere")

    def test_combined(self):
        tok = self.o.token
        self.assertIds(tok, [self.f1], source="web", status="Contacted")
        self.assertIds(tok, [], source="referral", status="Contacted")
        self.assertIds(tok, [self.f3], source="web", pipelineId=self.p2["_id"])
        self.assertIds(tok, [self.f1, self.f2, self.f3, self.f4], ownerFilter="all")

    def test_date_range(self):
        tok = self.o.token
        everyone = [self.f1, self.f2, self.f3, self.f4]
        today = datetime.datetime.now(datetime.timezone.utc).date()
        day = datetime.timedelta(days=1)
        self.assertIds(tok, everyone, dateRange=json.dumps({"start": str(today - day), "end": str(today)}))
        self.assertIds(tok, everyone, dateRange=json.dumps({"start": str(today), "end": str(today + day)}))
        self.assertIds(tok, [], dateRange=json.dumps({"start": "2000-01-01", "end": "2000-12-31"}))
        self.assertIds(tok, [], dateRange=json.dumps({"start": str(today + day), "end": str(today + 2 * day)}))
        # Instants (the contacts were made 30 ms apart): a window around f2 and f3 only.

        def ms(ts, delta):
            t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ") + datetime.timedelta(milliseconds=delta)
            return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        all_ts = sorted(c["createdAt"] for c in everyone)
        wide = json.dumps({"start": ms(all_ts[0], -1000), "end": ms(all_ts[-1], 1000)})
        self.assertIds(tok, everyone, dateRange=wide)
        mid = json.dumps({"start": ms(self.f2["createdAt"], -5), "end": ms(self.f3["createdAt"], 5)})
        self.assertIds(tok, [self.f2, self.f3], dateRange=mid)

    def test_date_range_bad(self):
        tok = self.o.token
        for bad in ("notjson", "{", '["2024-01-01"]', '{"start": "yesterday"}', '{"start": 5}',
                    '{"end": "2024-13-45"}'):
            self.assertError(h.get(list_path(dateRange=bad), token=tok), 400, "validation_failed",
                             field="dateRange", msg=bad)


class OwnerFilter(ListTest):
    @classmethod
    def setUpClass(cls):
        o = cls.o = org("owners")
        cls.rep = o.add_user("SALES_REP")
        cls.a = h.create_contact(o.token)
        cls.b = h.create_contact(o.token, assignees=[cls.rep.id])
        cls.c = h.create_contact(cls.rep.token)
        cls.d = h.create_contact(o.token, assignees=[])

    def test_my_is_default(self):
        tok = self.o.token
        self.assertEqual(self.d["assignees"], [])
        mine = [self.a, self.b, self.d]     # the admin owns these
        self.assertIds(tok, mine)
        self.assertIds(tok, mine, ownerFilter="my")
        self.assertIds(tok, mine, ownerFilter=self.o.admin.id)

    def test_all(self):
        self.assertIds(self.o.token, [self.a, self.b, self.c, self.d], ownerFilter="all")

    def test_unassigned(self):
        self.assertIds(self.o.token, [self.d], ownerFilter="unassigned")

    def test_user_id(self):
        self.assertIds(self.o.token, [self.b, self.c], ownerFilter=self.rep.id)
        self.assertIds(self.o.token, [], ownerFilter="0123456789abcdef01234567")

    def test_unknown_value(self):
        for bad in ("mine", "ALL", "everyone", "0" * 23):
            self.assertError(h.get(list_path(ownerFilter=bad), token=self.o.token), 400, "validation_failed",
                             field="ownerFilter", msg=bad)


# ------------------------------------------------------------------------------------------
# Search


class Search(ListTest):
    @classmethod
    def setUpClass(cls):
        o = cls.o = org("search")
        cls.c1 = h.create_contact(o.token, firstName="Annabelle", lastName="Quintero",
                                  email="a.quintero@example.com")
        cls.c2 = h.create_contact(o.token, firstName="Bartholomew", lastName="Okafor", email="bart@sample.org")
        cls.c3 = h.create_contact(o.token, firstName="Anna", lastName="Smith")
        cls.phone = h.us_phone()
        cls.c4 = h.create_contact(o.token, phone=cls.phone, firstName="Phoebe", lastName="Numbers")

    def s(self, term):
        return sorted(self.ids(self.o.token, ownerFilter="all", search=term))

    def test_first_name_fragment(self):
        self.assertEqual(self.s("NABEL"), [self.c1["_id"]])
        self.assertEqual(self.s("tholo"), [self.c2["_id"]])
        self.assertEqual(self.s("anna"), sorted([self.c1["_id"], self.c3["_id"]]))

    def test_last_name(self):
        self.assertEqual(self.s("okafor"), [self.c2["_id"]])
        self.assertEqual(self.s("SMITH"), [self.c3["_id"]])

    def test_full_name(self):
        self.assertEqual(self.s("annabelle quintero"), [self.c1["_id"]])
        self.assertEqual(self.s("Anna Smith"), [self.c3["_id"]])
        self.assertEqual(self.s("belle quin"), [self.c1["_id"]])
        self.assertEqual(self.s("Anna Okafor"), [])

    def test_email_fragment(self):
        self.assertEqual(self.s("sample.or"), [self.c2["_id"]])
        self.assertEqual(self.s("A.QUINTERO@"), [self.c1["_id"]])
        self.assertEqual(self.s("example.com"), [self.c1["_id"]])

    def test_no_match_and_total(self):
        d = self.list_ok(self.o.token, ownerFilter="all", search="zzzznothing")
        self.assertEqual((d["contacts"], d["total"]), ([], 0))
        d = self.list_ok(self.o.token, ownerFilter="all", search="anna", size=1)
        self.assertEqual((len(d["contacts"]), d["total"]), (1, 2))

    def test_phone_formats(self):
        p = self.phone                       # +1AAAEEENNNN
        d = p[2:]
        full_forms = [h.us_national(p), d, "+1 " + h.us_dashed(p), p, h.us_dashed(p)]
        for form in full_forms:
            self.assertEqual(self.s(form), [self.c4["_id"]], form)
        local = "%s-%s" % (d[3:6], d[6:])   # 555-0103
        self.assertIn(self.c4["_id"], self.s(local), local)

    def test_search_with_filters(self):
        self.assertEqual(self.s("anna"), sorted([self.c1["_id"], self.c3["_id"]]))
        got = self.ids(self.o.token, ownerFilter="all", search="anna", status="New Lead")
        self.assertEqual(sorted(got), sorted([self.c1["_id"], self.c3["_id"]]))
        self.assertEqual(self.ids(self.o.token, ownerFilter="all", search="anna", status="Won"), [])


# ------------------------------------------------------------------------------------------
# Visibility of a SALES_REP


class Visibility(ListTest):
    @classmethod
    def setUpClass(cls):
        o = cls.o = org("vis")
        cls.rep = o.add_user("SALES_REP")
        cls.rep2 = o.add_user("SALES_REP")
        cls.head = o.add_user("DEPARTMENT_HEAD")
        cls.own = h.create_contact(cls.rep.token, firstName="Own")
        cls.assigned = h.create_contact(o.token, firstName="Assigned", assignees=[cls.rep.id])
        cls.hidden = h.create_contact(o.token, firstName="Hidden")
        cls.other_rep = h.create_contact(cls.rep2.token, firstName="OtherRep")
        cls.created_then_reassigned = h.create_contact(cls.rep.token, firstName="Reassigned",
                                                       assignees=[cls.rep2.id])
        cls.everyone = [cls.own, cls.assigned, cls.hidden, cls.other_rep, cls.created_then_reassigned]
        cls.visible = [cls.own, cls.assigned, cls.created_then_reassigned]

    def test_list(self):
        self.assertIds(self.rep.token, self.visible, ownerFilter="all")
        self.assertIds(self.rep.token, self.visible)
        self.assertIds(self.o.token, self.everyone, ownerFilter="all")
        self.assertIds(self.head.token, self.everyone, ownerFilter="all")
        # A rep asking for another user's contacts still sees only its own.
        self.assertIds(self.rep.token, [self.created_then_reassigned], ownerFilter=self.rep2.id)
        self.assertIds(self.rep.token, [], search="Hidden", ownerFilter="all")

    def test_get(self):
        for c in self.visible:
            r = h.get("/api/contacts/" + c["_id"], token=self.rep.token)
            self.assertStatus(r, 200)
            self.assertEqual(r.json["data"]["contact"]["_id"], c["_id"])
        for c in (self.hidden, self.other_rep):
            self.assertError(h.get("/api/contacts/" + c["_id"], token=self.rep.token), 404, "not_found")
        for c in self.everyone:
            self.assertStatus(h.get("/api/contacts/" + c["_id"], token=self.o.token), 200)

    def test_patch(self):
        r = h.patch("/api/contacts/" + self.hidden["_id"], {"lastName": "ByRep"}, token=self.rep.token)
        self.assertError(r, 404, "not_found")
        self.assertEqual(h.get_contact(self.o.token, self.hidden["_id"])["lastName"], self.hidden["lastName"])
        r = h.patch("/api/contacts/" + self.assigned["_id"], {"lastName": "ByRep"}, token=self.rep.token)
        self.assertStatus(r, 200)
        self.assertEqual(h.get_contact(self.o.token, self.assigned["_id"])["lastName"], "ByRep")
        r = h.patch("/api/contacts/" + self.other_rep["_id"], {"lastName": "ByAdmin"}, token=self.o.token)
        self.assertStatus(r, 200)

    def test_put_move(self):
        r = h.put("/api/contact", {"_id": self.hidden["_id"], "status": "Won"}, token=self.rep.token)
        self.assertError(r, 404, "not_found")
        self.assertEqual(h.get_contact(self.o.token, self.hidden["_id"])["status"], self.hidden["status"])

    def test_delete(self):
        o = org("vis-delete")      # its own org: the other tests here count the contacts of "vis"
        rep = o.add_user("SALES_REP")
        victim = h.create_contact(o.token, firstName="Victim")
        r = h.delete("/api/contacts/" + victim["_id"], token=rep.token)
        self.assertError(r, 404, "not_found")
        self.assertStatus(h.get("/api/contacts/" + victim["_id"], token=o.token), 200)
        r = h.delete("/api/contacts/bulk-delete", {"contactIds": [victim["_id"]]}, token=rep.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("deletedCount"), 0)
        self.assertStatus(h.get("/api/contacts/" + victim["_id"], token=o.token), 200)
        r = h.delete("/api/contacts/" + victim["_id"], token=o.token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json.get("deletedCount"), 1)

    def test_unauthenticated_and_superadmin(self):
        self.assertError(h.get("/api/contacts"), 401, "unauthorized")
        self.assertError(h.get("/api/contacts", token=h.sa_token()), 403, "forbidden")
