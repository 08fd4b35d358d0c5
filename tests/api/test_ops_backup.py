"""crmd backup: a consistent copy of a SQLite database taken while a server writes to it (the copy
passes crmd check and a server started on it serves every contact acknowledged before the backup
began); a backup that cannot be written fails with one line and leaves no file behind; a
PostgreSQL URL is refused with a pointer to pg_dump."""

import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time

import harness as h
from harness import ApiTest

BACKENDS = ("sqlite",)

BACKUP_LINE = re.compile(r"^crmd backup: (.+) written \((\d+) bytes, (\d+) pages, (\d+) contacts, "
                         r"events up to (\d+)\) in \d+ ms$")


class Backup(ApiTest):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="crmd-backup-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        h.SERVER = None
        h._token_cache.clear()
        if not os.environ.get("CRMD_TEST_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def server(self, **kw):
        srv = h.Server(env={"CRMD_RATE_LIMIT": "0"}, **kw)
        self.servers.append(srv)
        return srv

    def backup(self, db, to, timeout=120):
        return h.run_cli(["backup", "--db", db, "--to", to], timeout=timeout)

    def test_backup_during_concurrent_writes(self):
        srv = self.server()
        srv.init()
        srv.start()
        h.SERVER = srv
        org = h.create_org(server=srv)
        tok = org.token
        acked, lock, stop, errors = [], threading.Lock(), threading.Event(), []

        def writer(i):
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    r = h.post("/api/contact", {"phoneNumber": h.us_phone(), "firstName": "W%d-%d" % (i, n),
                                                "email": "w%d-%d@example.com" % (i, n)}, token=tok, server=srv)
                except Exception as ex:   # noqa: BLE001 - reported below
                    errors.append(repr(ex))
                    return
                if r.status != 201:
                    errors.append("status %d: %s" % (r.status, r.json))
                    return
                with lock:
                    acked.append(r.json["data"]["contact"])

        threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        try:
            # Enough for a copy of several steps of 256 pages (a contact takes about 3 KB).
            deadline = time.time() + 60
            while time.time() < deadline and not errors and len(acked) < 1500:
                time.sleep(0.1)
            with lock:
                before = list(acked)     # acknowledged before the backup began
            to = os.path.join(self.dir, "copy.db")
            r = self.backup(srv.db_url, to)
            # The live database, still written to, passes the check too.
            live = h.run_cli(["check", "--db", srv.db_url], timeout=60)
            time.sleep(0.3)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [], "the writers were served throughout")
        self.assertEqual(r.returncode, 0, r)
        self.assertEqual(r.stderr, "")
        m = BACKUP_LINE.match(r.stdout.strip())
        self.assertTrue(m, r.stdout)
        self.assertEqual(m.group(1), to)
        self.assertEqual(int(m.group(2)), os.path.getsize(to))
        copied = int(m.group(4))
        print("# backup during writes: %s" % r.stdout.strip())
        self.assertGreater(int(m.group(3)), 2 * 256, "the copy took several steps of 256 pages")
        self.assertGreaterEqual(copied, len(before), "every contact acknowledged before the backup is in it")
        self.assertLess(copied, len(acked), "the writers went on during the backup (else the test shows nothing)")
        self.assertEqual(live.returncode, 0, live)
        self.assertEqual(sorted(os.listdir(self.dir)), ["copy.db"], "no temporary file left")
        self.assertEqual(os.stat(to).st_mode & 0o777, 0o600, "the copy holds secrets: owner only")

        chk = h.run_cli(["check", "--db", "sqlite:" + to], timeout=60)
        self.assertEqual(chk.returncode, 0, chk)
        self.assertIn(" %d contacts, %d events" % (copied, int(m.group(5))), chk.stdout)
        srv.stop()

        # A server on the copy serves what it holds, with the same tokens' secret and logins.
        restored = self.server(workdir=self.dir, db_path=to)
        restored.start()
        h.SERVER = restored
        h._token_cache.clear()
        tok = h.login(org.admin.email, org.admin.password, server=restored)
        for c in before:
            g = h.get("/api/contacts/" + c["_id"], token=tok, server=restored)
            self.assertStatus(g, 200, "contact %s acknowledged before the backup" % c["_id"])
            self.assertEqual(g.json["data"]["contact"], c)
        self.assertEqual(h.event_total(tok, server=restored), copied)
        r = h.post("/api/contact", {"phoneNumber": before[0]["phoneNumber"][0]["value"]}, token=tok, server=restored)
        self.assertError(r, 409, "phone_taken")

    def test_unwritable_destination_fails_and_leaves_nothing(self):
        srv = self.server(workdir=self.dir)
        srv.init()
        listing = os.listdir(self.dir)
        # A directory that does not exist, and one where no file can be made (as root, only a
        # pseudo file system refuses).
        dests = [os.path.join(self.dir, "no", "such", "dir", "copy.db")]
        if os.getuid() == 0:
            dests.append("/proc/crmd-backup-test.db")
        else:
            ro = os.path.join(self.dir, "ro")
            os.mkdir(ro, 0o500)
            dests.append(os.path.join(ro, "copy.db"))
            listing = os.listdir(self.dir)
        for to in dests:
            r = self.backup(srv.db_url, to)
            self.assertEqual(r.returncode, 1, r)
            self.assertEqual(r.stdout, "")
            self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
            self.assertRegex(r.stderr, r"^crmd: backup: cannot write the backup '%s': " % re.escape(to))
            self.assertFalse(os.path.exists(to))
        self.assertEqual(sorted(os.listdir(self.dir)), sorted(listing), "nothing left behind")

    def test_existing_destination_is_never_replaced(self):
        srv = self.server(workdir=self.dir)
        srv.init()
        for to in (os.path.join(self.dir, "old-backup.db"), srv.db_path):
            if not os.path.exists(to):
                with open(to, "wb") as f:
                    f.write(b"an older backup")
            before = open(to, "rb").read()
            listing = os.listdir(self.dir)
            r = self.backup(srv.db_url, to)
            self.assertEqual(r.returncode, 1, r)
            self.assertIn("already exists", r.stderr)
            self.assertEqual(open(to, "rb").read(), before, "the file is untouched")
            self.assertEqual(sorted(os.listdir(self.dir)), sorted(listing))
        self.assertEqual(h.run_cli(["check", "--db", srv.db_url]).returncode, 0)

    def test_source_that_cannot_be_read(self):
        to = os.path.join(self.dir, "copy.db")
        missing = os.path.join(self.dir, "missing.db")
        r = self.backup("sqlite:" + missing, to)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("cannot read database '%s'" % missing, r.stderr)
        self.assertFalse(os.path.exists(missing), "backup never creates the database")
        other = os.path.join(self.dir, "other.db")
        db = sqlite3.connect(other)
        db.execute("CREATE TABLE t (x)")
        db.commit()
        db.close()
        r = self.backup("sqlite:" + other, to)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("not a crmd database", r.stderr)
        self.assertEqual(sorted(os.listdir(self.dir)), ["other.db"])

    def test_postgres_url_points_to_pg_dump(self):
        to = os.path.join(self.dir, "copy.db")
        r = self.backup("postgresql://crmd:s3cr3t-pw@db.invalid/crmd", to)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("pg_dump", r.stderr)
        self.assertIn("docs/operations.md", r.stderr)
        self.assertNotIn("s3cr3t-pw", r.stderr)
        self.assertFalse(os.path.exists(to))

    def test_usage(self):
        r = h.run_cli(["backup", "--db", "sqlite:" + os.path.join(self.dir, "x.db")])
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("backup needs --to FILE", r.stderr)
        r = h.run_cli(["check", "--db", "mysql://x"])
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("unknown database URL scheme 'mysql'", r.stderr)
