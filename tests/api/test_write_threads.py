"""On SQLite the handlers that write run on threads of their own while they wait for their group
commit (http/offload.c, api_wait_routes), so the request threads never wait for one. With a
single request thread (CRMD_THREADS=1), a create held up by another process's lock on the
database leaves that thread free: reads on other connections go on being answered, and the
create is stored once the lock goes. (PostgreSQL runs writes on its request threads.)"""

import concurrent.futures
import http.client
import json
import sqlite3

import harness as h
from harness import ApiTest

BACKENDS = ("sqlite",)


class WritesOffTheRequestThreads(ApiTest):
    def setUp(self):
        self.srv = h.Server(env={"CRMD_THREADS": "1", "CRMD_RATE_LIMIT": "0"})
        self.srv.init()
        self.srv.start()
        self.o = h.create_org(server=self.srv)

    def tearDown(self):
        self.srv.cleanup()

    def test_reads_are_answered_while_a_write_waits(self):
        srv, token = self.srv, self.o.token
        first = h.create_contact(token, server=srv)
        headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
        writer = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        reader = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=60)
        lock = sqlite3.connect(srv.db_path, timeout=10, isolation_level=None)
        phone = h.us_phone()
        try:
            # the database's write lock: crmd's writer waits for it (its busy timeout is 5 s)
            lock.execute("BEGIN IMMEDIATE")
            writer.request("POST", "/api/contact", body=json.dumps({"firstName": "Held", "phoneNumber": phone}),
                           headers=headers)
            created = concurrent.futures.ThreadPoolExecutor(1).submit(
                lambda: (lambda resp: (resp.status, json.loads(resp.read())))(writer.getresponse()))
            for _ in range(20):
                reader.request("GET", "/api/contacts/" + first["_id"], headers=headers)
                resp = reader.getresponse()
                reply = json.loads(resp.read())
                self.assertEqual(resp.status, 200, reply)
                self.assertEqual(reply["data"]["contact"]["_id"], first["_id"])
            self.assertFalse(created.done(), "the create still waits for the lock, and the reads were answered")
            lock.execute("ROLLBACK")
            status, reply = created.result(timeout=30)
        finally:
            lock.close()
            writer.close()
            reader.close()
        self.assertEqual(status, 201, reply)
        made = reply["data"]["contact"]
        self.assertEqual(made["firstName"], "Held")
        r = h.get("/api/contacts/" + made["_id"], token=token, server=srv)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["data"]["contact"]["phoneNumber"][0]["value"], phone)
