"""The command line on PostgreSQL: init creates the schema and a SUPERADMIN and is safe to run
again, serve starts on it, and a database that cannot be reached is one line on stderr (without
the URL's password) and exit 1."""

import harness as h
from harness import ApiTest

BACKENDS = ("postgres",)


class CliPostgres(ApiTest):
    def test_init_creates_the_schema_once(self):
        url = h.pg_new_database("crmd_cli")
        r = h.run_cli(["init", "--db", url, "--email", "boss@pg.test", "--password", "boss-password"])
        self.assertEqual(r.returncode, 0, r.stderr)
        tables = {row[0] for row in h.pg_query(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        for t in ("organizations", "users", "contacts", "contact_phones", "events", "crmd_schema", "meta",
                  "contact_method_verifications", "contact_notes", "bulk_jobs", "bulk_job_items", "imports",
                  "import_rows", "contact_search"):
            self.assertIn(t, tables)
        # one row per migration, each applied once
        steps = h.pg_query(url, "SELECT count(*), count(DISTINCT version), max(version) FROM crmd_schema")
        self.assertEqual(steps, [["8", "8", "8"]])
        # migration 8: the server's lock protocol, not foreign keys, keeps a contact's pipeline
        self.assertEqual(h.pg_query(url, "SELECT conname FROM pg_constraint "
                                         "WHERE conrelid = 'contacts'::regclass AND contype = 'f'"), [])
        self.assertEqual(h.pg_query(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'events' "
                                         "AND indexdef LIKE '%(seq)%' AND indexdef LIKE '%WHERE (seq IS NOT NULL)%'"),
                         [["events_seq"]])
        hashes = h.pg_query(url, "SELECT password_hash FROM users WHERE email = 'boss@pg.test'")
        self.assertEqual(len(hashes), 1)
        self.assertTrue(hashes[0][0].startswith("$argon2id$"), "only an Argon2id hash is stored")
        r = h.run_cli(["init", "--db", url, "--email", "boss@pg.test", "--password", "other-password"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("already exists", r.stdout + r.stderr)
        self.assertEqual(h.pg_query(url, "SELECT count(*) FROM users"), [["1"]])
        self.assertEqual(h.pg_query(url, "SELECT count(*), count(DISTINCT version), max(version) FROM crmd_schema"),
                         steps, "migrated once")

    def test_serve_on_postgres(self):
        srv = h.Server()
        self.assertTrue(srv.db_url.startswith("postgresql://"))
        try:
            srv.init()
            srv.start()
            r = h.get("/readyz", server=srv)
            self.assertStatus(r, 200)
            tok = h.login(h.SA_EMAIL, h.SA_PASSWORD, server=srv)
            self.assertTrue(tok)
        finally:
            srv.cleanup()

    def test_unreachable_database_is_one_line_and_exit_1(self):
        for args in (["init", "--email", "a@pg.test", "--password", "long-enough"], ["serve", "--listen", "127.0.0.1:0"]):
            url = "postgresql://someone:s3cr3t-pw@/nowhere?host=/nonexistent-socket-dir"
            r = h.run_cli([args[0], "--db", url] + args[1:], timeout=30)
            self.assertEqual(r.returncode, 1, r)
            err = r.stderr.strip().splitlines()
            self.assertEqual(len(err), 1, "one line: %r" % r.stderr)
            self.assertIn("PostgreSQL", err[0])
            self.assertNotIn("s3cr3t-pw", r.stderr + r.stdout, "the password is never printed")
