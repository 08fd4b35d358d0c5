"""crmd check: a database written only by crmd passes (exit 0, "ok" and its sizes); each invariant
broken behind crmd's back (rows changed with sqlite3 or psql) fails it (exit 3) with a line that
names the kind of violation, the organization and the records; a database it cannot check is one
line on stderr and exit 1. Runs on both backends: every test corrupts a copy of one fixture
database made through the API."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h
from harness import ApiTest

FIX = {}        # the fixture: its database URL and the ids in it


def _sql(url, statements):
    """Runs statements on the database of url behind crmd's back: without foreign keys enforced
    (sqlite3's default; on PostgreSQL, the replica role skips the foreign-key triggers)."""
    if url.startswith("sqlite:"):
        db = sqlite3.connect(url[len("sqlite:"):])
        try:
            for s in statements:
                db.execute(s)
            db.commit()
        finally:
            db.close()
    else:
        h.pg_query(url, "SET session_replication_role = replica; " + "; ".join(statements))


def _copy(tag):
    """A copy of the fixture database, for one test to corrupt. On PostgreSQL a copy of the files
    (FILE_COPY), not through the WAL: a later test that crashes the cluster would replay it all."""
    src = FIX["url"]
    if src.startswith("sqlite:"):
        path = os.path.join(FIX["dir"], "copy-%s.db" % tag)
        shutil.copyfile(src[len("sqlite:"):], path)
        return "sqlite:" + path
    name = "crmd_check_%s_%s" % (tag, os.urandom(4).hex())
    h.pg_query(_pg_admin_url(), "CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY" % (name, FIX["pg_name"]))
    return "postgresql://postgres@/%s?host=%s" % (name, h.PG_DIR)


def _pg_admin_url():
    return "postgresql://postgres@/postgres?host=%s" % h.PG_DIR


def setUpModule():
    FIX.clear()
    FIX["dir"] = tempfile.mkdtemp(prefix="crmd-check-")
    srv = h.Server()
    try:
        srv.init()
        srv.start()
        h.SERVER = srv
        a, b = h.create_org(server=srv), h.create_org(server=srv)
        rep = a.add_user("SALES_REP")
        c1 = h.create_contact(a.token, server=srv, firstName="Ada", email="ada@example.com",
                              secondaryPhoneNumber=h.us_phone(), assignees=[a.admin.id, rep.id])
        c2 = h.create_contact(a.token, server=srv, firstName="Bo")
        c3 = h.create_contact(b.token, server=srv, firstName="Cy")
        r = h.patch("/api/contacts/" + c2["_id"], {"lastName": "Changed"}, token=a.token, server=srv)
        if r.status != 200:
            raise h.HarnessError("PATCH of the fixture contact failed: %r" % r)
        gone = h.create_contact(a.token, server=srv)
        r = h.delete("/api/contacts/" + gone["_id"], token=a.token, server=srv)
        if r.status not in (200, 204):
            raise h.HarnessError("DELETE of the fixture contact failed: %r" % r)
        FIX.update(a=a.id, b=b.id, admin_a=a.admin.id, admin_b=b.admin.id, rep=rep.id, c1=c1, c2=c2, c3=c3,
                   stage_b=b.default_pipeline()["pipelineStages"][0]["_id"])
    finally:
        h.SERVER = None
        h._token_cache.clear()
        srv.stop()
    FIX["srv"] = srv
    FIX["url"] = srv.db_url
    if srv.pg_url:
        FIX["pg_name"] = srv.pg_url.split("/")[3].split("?")[0]


def tearDownModule():
    srv = FIX.get("srv")
    if srv:
        srv.cleanup()
    if FIX.get("dir") and not os.environ.get("CRMD_TEST_KEEP"):
        shutil.rmtree(FIX["dir"], ignore_errors=True)


class Check(ApiTest):
    def check(self, url):
        return h.run_cli(["check", "--db", url], timeout=60)

    def assertViolation(self, url, kind, *names):
        """check fails on url with a violation of kind whose line names every string of names."""
        r = self.check(url)
        self.assertEqual(r.returncode, 3, "exit 3 on a violation: %r" % r)
        self.assertEqual(r.stderr, "", "the report is on stdout")
        lines = [ln for ln in r.stdout.splitlines() if ln.startswith("violation %s: " % kind)]
        self.assertTrue(lines, "no %s violation in:\n%s" % (kind, r.stdout))
        self.assertTrue(any(all(n in ln for n in names) for ln in lines),
                        "no %s line names %r:\n%s" % (kind, names, "\n".join(lines)))
        self.assertRegex(r.stdout.splitlines()[-1], r"^crmd check: VIOLATIONS: .*; \d+ violations of \d+ kinds$")
        return r.stdout

    # --- a sound database

    def test_clean_database_is_ok(self):
        r = self.check(FIX["url"])
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, "crmd check: ok: 2 organizations, 4 users, 3 contacts, 6 events\n")
        self.assertEqual(r.stderr, "")

    def test_copy_is_ok_and_check_changes_nothing(self):
        url = _copy("same")
        for _ in range(2):
            r = self.check(url)
            self.assertEqual(r.returncode, 0, r)

    def test_check_while_a_server_writes(self):
        srv = h.Server(env={"CRMD_RATE_LIMIT": "0"})
        stop, errors, made = threading.Event(), [], []
        try:
            srv.init()
            srv.start()
            tok = h.create_org(server=srv).token

            def writer():
                while not stop.is_set():
                    r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "email": h.unique_email("w")},
                               token=tok, server=srv)
                    (made if r.status == 201 else errors).append(r.status)
            threads = [threading.Thread(target=writer) for _ in range(4)]
            for t in threads:
                t.start()
            try:
                time.sleep(0.5)
                before = len(made)
                r = self.check(srv.db_url)
                after = len(made)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            self.assertEqual(r.returncode, 0, r)
            self.assertRegex(r.stdout, r"^crmd check: ok: 1 organizations, 2 users, \d+ contacts, \d+ events")
            self.assertEqual(errors, [], "every write was served during the check")
            self.assertGreater(after, before, "writes were acknowledged while the check ran")
        finally:
            h._token_cache.clear()
            srv.cleanup()

    # --- phone numbers

    def test_contact_row_deleted_leaves_orphan_claims(self):
        url = _copy("orphan")
        c1 = FIX["c1"]
        _sql(url, ["DELETE FROM contacts WHERE id = '%s'" % c1["_id"]])
        number = c1["phoneNumber"][0]["value"]
        self.assertViolation(url, "phone_claim_orphan", FIX["a"], c1["_id"], number)
        self.assertViolation(url, "contact_child_orphan", FIX["a"], c1["_id"], "email ada@example.com")
        self.assertViolation(url, "contact_child_orphan", FIX["a"], c1["_id"], "assignee " + FIX["rep"])
        self.assertViolation(url, "contact_lost", FIX["a"], c1["_id"])
        if url.startswith("postgresql:"):
            self.assertViolation(url, "search_orphan", FIX["a"], c1["_id"])

    def test_duplicate_claim_of_a_number(self):
        if not FIX["url"].startswith("postgresql:"):
            self.skipTest("SQLite's contact_phones is keyed by (organization, number): a duplicate is a "
                          "damaged file, which PRAGMA integrity_check reports")
        url = _copy("dup")
        number = FIX["c1"]["phoneNumber"][0]["value"]
        _sql(url, ["ALTER TABLE contact_phones DROP CONSTRAINT contact_phones_pkey",
                   "INSERT INTO contact_phones (organization_id, e164, contact_id, is_secondary, is_primary, position) "
                   "VALUES ('%s', '%s', '%s', true, false, 5)" % (FIX["a"], number, FIX["c2"]["_id"])])
        self.assertViolation(url, "phone_duplicate", FIX["a"], number, "2 times")

    def test_contact_holds_a_provisioned_number(self):
        url = _copy("reserved")
        number = FIX["c2"]["phoneNumber"][0]["value"]
        _sql(url, ["INSERT INTO org_phone_numbers (organization_id, e164, provider, is_default, "
                   "is_inbound_enabled, created_at) VALUES ('%s', '%s', 'sinch', %s, %s, 0)"
                   % (FIX["a"], number, *(("false", "false") if url.startswith("postgresql:") else ("0", "0")))])
        self.assertViolation(url, "phone_reserved", FIX["a"], FIX["c2"]["_id"], number)

    def test_contact_without_its_primary_number(self):
        url = _copy("primary")
        _sql(url, ["UPDATE contact_phones SET is_primary = %s WHERE contact_id = '%s'"
                   % ("false" if url.startswith("postgresql:") else "0", FIX["c2"]["_id"])])
        self.assertViolation(url, "contact_phones", FIX["a"], FIX["c2"]["_id"])

    # --- pipelines, owners, assignees

    def test_stage_of_another_organization(self):
        url = _copy("stage")
        _sql(url, ["UPDATE contacts SET stage_id = '%s' WHERE id = '%s'" % (FIX["stage_b"], FIX["c1"]["_id"])])
        self.assertViolation(url, "contact_stage", FIX["a"], FIX["c1"]["_id"], FIX["stage_b"])

    def test_contact_on_a_deleted_pipeline(self):
        if not FIX["url"].startswith("postgresql:"):
            self.skipTest("SQLite's foreign keys refuse the delete")
        # PostgreSQL's contacts have no foreign key to their pipeline and stage (migration 8):
        # the check stands in for it
        url = _copy("nopipeline")
        _sql(url, ["DELETE FROM pipeline_stages WHERE organization_id = '%s'" % FIX["b"],
                   "DELETE FROM pipelines WHERE organization_id = '%s'" % FIX["b"]])
        self.assertViolation(url, "contact_stage", FIX["b"], FIX["c3"]["_id"], FIX["stage_b"])

    def test_status_is_not_the_stage_name(self):
        url = _copy("status")
        _sql(url, ["UPDATE contacts SET status = 'Nowhere' WHERE id = '%s'" % FIX["c2"]["_id"]])
        self.assertViolation(url, "contact_status", FIX["a"], FIX["c2"]["_id"], "Nowhere")

    def test_owner_from_another_organization(self):
        url = _copy("owner")
        _sql(url, ["UPDATE contacts SET user_id = '%s' WHERE id = '%s'" % (FIX["admin_b"], FIX["c2"]["_id"])])
        self.assertViolation(url, "contact_user", FIX["a"], FIX["c2"]["_id"], FIX["admin_b"])

    def test_assignee_from_another_organization(self):
        url = _copy("assignee")
        _sql(url, ["UPDATE contact_assignees SET user_id = '%s' WHERE contact_id = '%s' AND user_id = '%s'"
                   % (FIX["admin_b"], FIX["c1"]["_id"], FIX["rep"])])
        self.assertViolation(url, "assignee_user", FIX["a"], FIX["c1"]["_id"], FIX["admin_b"])

    def test_user_of_an_organization_that_does_not_exist(self):
        url = _copy("userorg")
        _sql(url, ["UPDATE users SET organization_id = 'ffffffffffffffffffffffff' WHERE id = '%s'" % FIX["rep"]])
        self.assertViolation(url, "user_org", "ffffffffffffffffffffffff", FIX["rep"])

    # --- the event log and the event stream

    def test_contact_without_its_create_entry(self):
        url = _copy("unlogged")
        _sql(url, ["DELETE FROM event_logs WHERE contact_id = '%s' AND type = 'CONTACT_CREATE'" % FIX["c3"]["_id"]])
        self.assertViolation(url, "contact_unlogged", FIX["b"], FIX["c3"]["_id"])
        self.assertViolation(url, "event_count", FIX["b"], "event-log entries 0 events 1")

    def test_gap_in_event_numbers(self):
        url = _copy("gap")
        _sql(url, ["DELETE FROM events WHERE seq = 2"])
        self.assertViolation(url, "event_seq_gap", "event 3 follows no event 2")

    # --- what one backend keeps besides

    def test_sqlite_derived_indexes(self):
        if not FIX["url"].startswith("sqlite:"):
            self.skipTest("SQLite's counter, search rows and access rows")
        url = _copy("derived")
        c1, c2 = FIX["c1"]["_id"], FIX["c2"]["_id"]
        _sql(url, ["UPDATE contact_counts SET n = n + 5 WHERE organization_id = '%s'" % FIX["a"],
                   "DELETE FROM contact_access WHERE contact_id = '%s'" % c1,
                   "DELETE FROM contact_search_rows WHERE contact_id = '%s'" % c2])
        self.assertViolation(url, "contact_count", FIX["a"], "contacts 2 counted 7")
        self.assertViolation(url, "access_index", FIX["a"], c1, FIX["admin_a"], "missing")
        self.assertViolation(url, "search_row", FIX["a"], c2)

    def test_sqlite_search_index_and_documents(self):
        if not FIX["url"].startswith("sqlite:"):
            self.skipTest("SQLite's FTS5 search index")
        url = _copy("fts")
        db = sqlite3.connect(url[len("sqlite:"):])
        rid = db.execute("SELECT rid FROM contact_search_rows WHERE contact_id = ?", (FIX["c1"]["_id"],)).fetchone()[0]
        db.close()
        # The stored document changes under the index: FTS5's own check and crmd's both see it.
        _sql(url, ["UPDATE contact_search_content SET c0 = 'Mallory' WHERE id = %d" % rid])
        self.assertViolation(url, "search_index")
        self.assertViolation(url, "search_document", FIX["a"], FIX["c1"]["_id"])

    def test_sqlite_damaged_file(self):
        if not FIX["url"].startswith("sqlite:"):
            self.skipTest("a SQLite file")
        url = _copy("damaged")
        path = url[len("sqlite:"):]
        size = os.path.getsize(path)
        with open(path, "r+b") as f:       # garbage over the pages after the schema's
            f.seek(8192)
            f.write(os.urandom(min(size - 8192, 16384)))
        r = self.check(url)
        self.assertIn(r.returncode, (1, 3), r)
        if r.returncode == 3:
            self.assertIn("violation sqlite_integrity: ", r.stdout)
        else:
            self.assertIn("malformed", r.stderr)

    def test_pg_search_document(self):
        if not FIX["url"].startswith("postgresql:"):
            self.skipTest("PostgreSQL's search columns")
        url = _copy("pgsearch")
        _sql(url, ["UPDATE contact_search SET digits = '1' WHERE contact_id = '%s'" % FIX["c3"]["_id"]])
        self.assertViolation(url, "search_document", FIX["b"], FIX["c3"]["_id"])

    def test_pg_contact_lists(self):
        """The copy of a contact's lists in its row must be what its rows say, either way round."""
        if not FIX["url"].startswith("postgresql:"):
            self.skipTest("PostgreSQL's copies of the lists")
        url = _copy("pglists")
        c1 = FIX["c1"]["_id"]
        _sql(url, ["UPDATE contacts SET email_list = '1ada@example.org' WHERE id = '%s'" % c1])
        self.assertViolation(url, "contact_lists", FIX["a"], c1)
        url = _copy("pglists2")
        _sql(url, ["DELETE FROM contact_assignees WHERE contact_id = '%s' AND user_id = '%s'" % (c1, FIX["rep"])])
        out = self.assertViolation(url, "contact_lists", FIX["a"], c1)
        self.assertNotIn(FIX["c2"]["_id"], out, "only the contact whose rows changed")

    def test_pg_dump_and_restore_pass_the_check(self):
        """docs/operations.md's PostgreSQL backup: pg_dump -Fc, pg_restore into an empty database."""
        if not FIX["url"].startswith("postgresql:"):
            self.skipTest("PostgreSQL's tools")
        bindir = os.environ.get("CRMD_TEST_PG_BIN", "")
        dump = os.path.join(FIX["dir"], "fixture.dump")
        r = subprocess.run([os.path.join(bindir, "pg_dump"), "-Fc", "-f", dump, FIX["url"]],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        url = h.pg_new_database("crmd_check_restored")
        r = subprocess.run([os.path.join(bindir, "pg_restore"), "--no-owner", "-d", url, dump],
                             capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.check(url)
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stdout, "crmd check: ok: 2 organizations, 4 users, 3 contacts, 6 events\n")

    # --- what cannot be checked

    def test_missing_database_is_exit_1(self):
        if FIX["url"].startswith("sqlite:"):
            url = "sqlite:" + os.path.join(FIX["dir"], "no-such.db")
        else:
            url = "postgresql://postgres:s3cr3t-pw@/no_such_db_x?host=%s" % h.PG_DIR
        r = self.check(url)
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertTrue(r.stderr.startswith("crmd: check: "), r.stderr)
        self.assertEqual(r.stdout, "")
        self.assertNotIn("s3cr3t-pw", r.stderr)
        if url.startswith("sqlite:"):
            self.assertFalse(os.path.exists(url[len("sqlite:"):]), "check never creates a database")

    def test_not_a_crmd_database_is_exit_1(self):
        if FIX["url"].startswith("sqlite:"):
            path = os.path.join(FIX["dir"], "other.db")
            db = sqlite3.connect(path)
            db.execute("CREATE TABLE t (x)")
            db.commit()
            db.close()
            url = "sqlite:" + path
        else:
            url = h.pg_new_database("crmd_check_empty")
        r = self.check(url)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not a crmd database", r.stderr)

    def test_older_schema_is_refused_with_advice(self):
        if not FIX["url"].startswith("sqlite:"):
            self.skipTest("PostgreSQL's schema has one migration: nothing is older but an empty database")
        url = _copy("old")
        _sql(url, ["PRAGMA user_version = 4"])
        r = self.check(url)
        self.assertEqual(r.returncode, 1, r)
        self.assertRegex(r.stderr, r"schema version 4, this crmd checks version \d+: run crmd init or serve")


if __name__ == "__main__":
    unittest.main()
