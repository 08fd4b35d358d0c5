"""The command line: --help, --version, bad flags, init (idempotent, password rule), bad --db, startup
failures; what the database holds (hashes only)."""

import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time

import harness as h
from harness import ApiTest

# These drive `crmd init` and `serve` on SQLite files of their own; test_cli_pg.py is the
# PostgreSQL side.
BACKENDS = ("sqlite",)


class CliTest(ApiTest):
    def setUp(self):
        h.check_binary()
        self.dir = tempfile.mkdtemp(prefix="crmd-cli-")
        self.db = "sqlite:" + os.path.join(self.dir, "crmd.db")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def cli(self, *args, **kw):
        return h.run_cli(list(args), **kw)


class Basics(CliTest):
    def test_help(self):
        r = self.cli("--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("init", r.stdout)
        self.assertIn("serve", r.stdout)
        self.assertRegex(r.stdout.lower(), r"usage")

    def test_version(self):
        r = self.cli("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout.strip(), r"^crmd \d+\.\d+\.\d+$")

    def test_bad_flag(self):
        r = self.cli("--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr.lower(), r"usage")
        self.assertEqual(r.stdout, "", "usage for a bad flag belongs on stderr")

    def test_bad_flag_after_subcommand(self):
        r = self.cli("serve", "--db", self.db, "--bogus")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertTrue(r.stderr.strip())

    def test_unknown_subcommand(self):
        r = self.cli("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.strip())

    def test_no_arguments(self):
        r = self.cli()
        self.assertEqual(r.returncode, 2)
        self.assertRegex(r.stderr.lower(), r"usage")


class Init(CliTest):
    def test_init_creates_and_is_idempotent(self):
        r = self.cli("init", "--db", self.db, "--email", "boss@cli.test", "--password", "boss-password")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertTrue(os.path.exists(self.db[len("sqlite:"):]))
        r = self.cli("init", "--db", self.db, "--email", "boss@cli.test", "--password", "other-password")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex((r.stdout + r.stderr).lower(), r"exist")
        # The second init changed nothing: the first password still logs in.
        srv = h.Server(workdir=self.dir, db_path=self.db[len("sqlite:"):])
        try:
            srv.start()
            self.assertStatus(h.login_raw("boss@cli.test", "boss-password", server=srv), 200)
            self.assertError(h.login_raw("boss@cli.test", "other-password", server=srv), 401, "unauthorized")
        finally:
            srv.kill()

    def test_init_same_email_other_case(self):
        self.assertEqual(self.cli("init", "--db", self.db, "--email", "case@cli.test",
                                  "--password", "case-password").returncode, 0)
        r = self.cli("init", "--db", self.db, "--email", "CASE@cli.test", "--password", "case-password")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_short_password(self):
        r = self.cli("init", "--db", self.db, "--email", "s@cli.test", "--password", "1234567")
        self.assertEqual(r.returncode, 2)
        self.assertRegex((r.stderr + r.stdout).lower(), r"password")
        # Nothing was created: a correct init afterwards creates the user and it logs in.
        r = self.cli("init", "--db", self.db, "--email", "s@cli.test", "--password", "12345678")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotRegex((r.stdout + r.stderr).lower(), r"already exist")
        srv = h.Server(workdir=self.dir, db_path=self.db[len("sqlite:"):])
        try:
            srv.start()
            self.assertStatus(h.login_raw("s@cli.test", "12345678", server=srv), 200)
        finally:
            srv.kill()

    def test_missing_email(self):
        r = self.cli("init", "--db", self.db, "--password", "long-enough")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.strip())

    def test_bad_email(self):
        r = self.cli("init", "--db", self.db, "--email", "not-an-email", "--password", "long-enough")
        self.assertNotEqual(r.returncode, 0)
        self.assertTrue(r.stderr.strip())

    def test_nonexistent_dir(self):
        for args in (["init", "--email", "x@cli.test", "--password", "long-enough"],
                     ["serve", "--listen", "127.0.0.1:%d" % h.free_port()]):
            r = self.cli(*(args + ["--db", "sqlite:/nonexistent-dir/x.db"]), timeout=15)
            self.assertEqual(r.returncode, 1, "%s: %s" % (args[0], r.stderr))
            lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
            self.assertEqual(len(lines), 1, "expected one clear line on stderr, got %r" % r.stderr)
            self.assertNotIn("Traceback", r.stderr)

    def test_unsupported_db_scheme(self):
        r = self.cli("init", "--db", "mysql://localhost/x", "--email", "x@cli.test", "--password", "long-enough")
        self.assertIn(r.returncode, (1, 2), r.stderr)
        self.assertTrue(r.stderr.strip())


class PasswordLimits(CliTest):
    """scripts/run-tests sets CRMD_TEST_WEAK_PASSWORD_HASHES=1 for every server the tiers start;
    without it (as in production) a password is hashed with Argon2id's interactive limits."""

    def env(self, value):
        e = dict(os.environ)
        e.pop("CRMD_TEST_WEAK_PASSWORD_HASHES", None)
        e.pop("CRMD_JWT_SECRET", None)
        if value is not None:
            e["CRMD_TEST_WEAK_PASSWORD_HASHES"] = value
        return e

    def stored_hash(self, value):
        r = subprocess.run([h.CRMD, "init", "--db", self.db, "--email", "limits@cli.test",
                            "--password", "limits-password"], capture_output=True, text=True,
                           env=self.env(value), timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        # a command warns at its first hash when the setting is on (serve: at its start)
        if value == "1":
            self.assertRegex(r.stderr, self.WARNING)
        else:
            self.assertNotIn("CRMD_TEST_WEAK_PASSWORD_HASHES", r.stderr)
        con = sqlite3.connect(self.db[len("sqlite:"):])
        try:
            return con.execute("SELECT password_hash FROM users WHERE email = 'limits@cli.test'").fetchone()[0]
        finally:
            con.close()

    WARNING = r"WARN CRMD_TEST_WEAK_PASSWORD_HASHES=1: .*never set it outside a test suite"

    def test_interactive_limits_without_the_setting(self):
        self.assertRegex(self.stored_hash(None), r"^\$argon2id\$v=19\$m=65536,t=2,p=1\$")

    def test_any_other_value_is_not_the_setting(self):
        self.assertRegex(self.stored_hash("yes"), r"^\$argon2id\$v=19\$m=65536,t=2,p=1\$")

    def test_test_limits_with_it_and_every_command_says_so(self):
        self.assertRegex(self.stored_hash("1"), r"^\$argon2id\$v=19\$m=8,t=1,p=1\$")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        p = subprocess.Popen([h.CRMD, "serve", "--db", self.db, "--listen", "127.0.0.1:%d" % port],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=self.env("1"))
        try:
            lines, deadline = [], time.time() + 15
            while time.time() < deadline:
                line = p.stderr.readline()
                if not line:
                    break
                lines.append(line)
                if "listening on" in line:
                    break
            text = "".join(lines)
            self.assertIn("listening on", text)
            self.assertRegex(text, self.WARNING)
        finally:
            p.terminate()
            p.wait(timeout=15)
            p.stderr.close()


class Serve(CliTest):
    def test_port_in_use(self):
        self.assertEqual(self.cli("init", "--db", self.db, "--email", "p@cli.test",
                                  "--password", "long-enough").returncode, 0)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        try:
            port = s.getsockname()[1]
            r = self.cli("serve", "--db", self.db, "--listen", "127.0.0.1:%d" % port, timeout=15)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertTrue(r.stderr.strip())
        finally:
            s.close()

    def test_bad_listen(self):
        self.assertEqual(self.cli("init", "--db", self.db, "--email", "l@cli.test",
                                  "--password", "long-enough").returncode, 0)
        r = self.cli("serve", "--db", self.db, "--listen", "not-an-address", timeout=15)
        self.assertIn(r.returncode, (1, 2), r.stderr)
        self.assertTrue(r.stderr.strip())

    def test_db_holds_only_hashes(self):
        srv = h.Server(workdir=self.dir, db_path=self.db[len("sqlite:"):])
        try:
            srv.init()
            srv.start()
            sa_tok = h.sa_token(server=srv)
            r, body = h.create_org_raw(server=srv, token=sa_tok, admin_password="plain-admin-pw-1")
            self.assertStatus(r, 201)
            tok = h.login(body["adminDetails"]["email"], "plain-admin-pw-1", server=srv)
            key = h.post("/api/user/api-key/regenerate", {}, token=tok, server=srv).json["data"]["apiKey"]
        finally:
            srv.stop()
        path = self.db[len("sqlite:"):]
        blob = b""
        for suffix in ("", "-wal"):
            if os.path.exists(path + suffix):
                with open(path + suffix, "rb") as f:
                    blob += f.read()
        for secret in (h.SA_PASSWORD, "plain-admin-pw-1", key, key[len("tk_live_"):]):
            self.assertNotIn(secret.encode(), blob, "a plaintext secret is stored in the database")
        con = sqlite3.connect(path)
        try:
            found = 0
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                for row in con.execute('SELECT * FROM "%s"' % table.replace('"', '""')):
                    for v in row:
                        if isinstance(v, str) and v.startswith("$argon2"):
                            self.assertTrue(v.startswith("$argon2id$"), "password hash is not Argon2id: %s" % v[:20])
                            found += 1
            self.assertGreaterEqual(found, 2, "no Argon2id password hashes found in the database")
        finally:
            con.close()
        self.assertTrue(re.match(r"^tk_live_", key))
