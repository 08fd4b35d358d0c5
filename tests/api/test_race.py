"""Concurrency: the phone-number unique index holds under 32 simultaneous creates."""

import harness as h
from harness import ApiTest


def setUpModule():
    h.start_module_server()


def tearDownModule():
    h.stop_module_server()


N = 32
org = h.shared_org


class Race(ApiTest):
    def run_race(self, bodies, token):
        results = h.parallel(lambda i: h.post("/api/contact", bodies[i], token=token), len(bodies))
        errs = [r for r in results if isinstance(r, BaseException)]
        self.assertEqual(errs, [], "transport errors: %r" % errs[:3])
        return results

    def check_one_winner(self, results, e164, o):
        statuses = sorted(r.status for r in results)
        self.assertNotIn(500, statuses, "500s under concurrency: %r" % [r for r in results if r.status >= 500][:2])
        won = [r for r in results if r.status == 201]
        self.assertEqual(len(won), 1, "expected exactly one 201, got statuses %r" % statuses)
        winner = won[0].json["data"]["contact"]
        for r in results:
            if r is won[0]:
                continue
            j = self.assertError(r, 409, "phone_taken")
            self.assertEqual(j.get("contactId"), winner["_id"], r)
            self.assertEqual(j.get("value"), e164, r)
        d = h.get("/api/contacts/" + winner["_id"], token=o.token)
        self.assertStatus(d, 200)
        self.assertEqual(d.json["data"]["contact"]["phoneNumber"][0]["value"], e164)
        again = h.post("/api/contact", {"phoneNumber": [{"value": e164}]}, token=o.token)
        j = self.assertError(again, 409, "phone_taken")
        self.assertEqual(j.get("contactId"), winner["_id"])
        return winner

    def test_same_number_32_threads(self):
        o = org()
        token = o.token
        for _ in range(3):
            p = h.us_phone()
            before = h.event_total(token)
            res = self.run_race([{"phoneNumber": p, "firstName": "T%d" % i} for i in range(N)], token)
            self.check_one_winner(res, p, o)
            self.assertEqual(h.event_total(token), before + 1, "losers left event-log entries")

    def test_same_number_different_formats(self):
        o = org()
        p = h.us_phone()
        fmts = [p, h.us_national(p), h.us_dashed(p), p[2:]]
        res = self.run_race([{"phoneNumber": fmts[i % 4]} for i in range(N)], o.token)
        self.check_one_winner(res, p, o)

    def test_same_number_primary_vs_secondary(self):
        o = org()
        p = h.us_phone()
        bodies = []
        for i in range(N):
            if i % 2:
                bodies.append({"phoneNumber": h.us_phone(), "secondaryPhoneNumber": [{"value": p}]})
            else:
                bodies.append({"phoneNumber": p})
        res = self.run_race(bodies, o.token)
        self.assertNotIn(500, [r.status for r in res])
        won = [r for r in res if r.status == 201]
        self.assertEqual(len(won), 1, sorted(r.status for r in res))
        wid = won[0].json["data"]["contact"]["_id"]
        for r in res:
            if r is not won[0]:
                j = self.assertError(r, 409, "phone_taken")
                self.assertEqual(j.get("contactId"), wid)
        # The losers' own fresh primaries are still free.
        for r, b in zip(res, bodies):
            if r is not won[0] and "secondaryPhoneNumber" in b:
                self.assertStatus(h.post("/api/contact", {"phoneNumber": b["phoneNumber"]}, token=o.token), 201)

    def test_distinct_numbers_all_succeed(self):
        o = org("distinct")
        phones = [h.us_phone() for _ in range(N)]
        before = h.event_total(o.token)
        res = self.run_race([{"phoneNumber": p} for p in phones], o.token)
        self.assertEqual(sorted(r.status for r in res), [201] * N, [r for r in res if r.status != 201][:2])
        ids = {r.json["data"]["contact"]["_id"] for r in res}
        self.assertEqual(len(ids), N, "duplicate ids handed out")
        self.assertEqual(h.event_total(o.token), before + N)
        for r, p in zip(res, phones):
            self.assertEqual(r.json["data"]["contact"]["phoneNumber"][0]["value"], p)

    def test_same_number_two_orgs_concurrently(self):
        a, b = org(), org("b")
        p = h.us_phone()
        toks = [a.token, b.token]
        res = h.parallel(lambda i: h.post("/api/contact", {"phoneNumber": p}, token=toks[i % 2]), N)
        self.assertEqual([r for r in res if isinstance(r, BaseException)], [])
        for k, o in enumerate((a, b)):
            mine = [r for i, r in enumerate(res) if i % 2 == k]
            self.assertEqual(sum(1 for r in mine if r.status == 201), 1, [r.status for r in mine])
            self.assertTrue(all(r.status in (201, 409) for r in mine))

    def test_same_user_email_concurrently(self):
        o = org()
        email = h.unique_email("race")
        body = {"fullName": "Racer", "email": email, "password": "race-password", "accessRole": "SALES_REP"}
        res = h.parallel(lambda i: h.post("/api/users", dict(body, email=email if i % 2 else email.upper()),
                                          token=o.token), 16)
        self.assertEqual([r for r in res if isinstance(r, BaseException)], [])
        self.assertEqual(sum(1 for r in res if r.status == 201), 1, sorted(r.status for r in res))
        for r in res:
            if r.status != 201:
                self.assertError(r, 409, "email_taken")

    def test_reads_during_writes(self):
        o = org()
        c = h.create_contact(o.token)

        def work(i):
            if i % 2:
                return h.get("/api/contacts/" + c["_id"], token=o.token)
            return h.post("/api/contact", {"phoneNumber": h.us_phone()}, token=o.token)
        res = h.parallel(work, N)
        self.assertEqual([r for r in res if isinstance(r, BaseException)], [])
        for i, r in enumerate(res):
            self.assertEqual(r.status, 200 if i % 2 else 201, r)

    def test_parallel_logins(self):
        o = org()
        res = h.parallel(lambda i: h.login_raw(o.admin.email, o.admin.password), 16)
        self.assertEqual([r for r in res if isinstance(r, BaseException)], [])
        self.assertEqual(sorted(r.status for r in res), [200] * 16, [r for r in res if r.status != 200][:2])
