// The Socket.IO endpoint (API.md §7) driven by the stock socket.io-client v4 and, for what that
// client will not do on purpose (never answer pings, oversized or malformed frames), by a raw
// WebSocket. Short heartbeat intervals via CRMD_PING_INTERVAL_MS / CRMD_PING_TIMEOUT_MS.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import WebSocket from "ws";
import { Crmd, sleep, usPhone } from "./harness.mjs";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 300;

const srv = new Crmd({ CRMD_PING_INTERVAL_MS: String(PING_INTERVAL), CRMD_PING_TIMEOUT_MS: String(PING_TIMEOUT) });
let A, B;
const open = [];

function connect(token, opts = {}) {
  const s = io(srv.base, { transports: ["websocket"], auth: token === undefined ? undefined : { token },
                           reconnection: false, ...opts });
  open.push(s);
  return s;
}

function connected(s) {
  return new Promise((ok, fail) => {
    s.once("connect", () => ok(s));
    s.once("connect_error", (e) => fail(new Error("connect_error: " + e.message)));
  });
}

// Resolves with the payload of the next `name` event, or rejects after ms.
function next(s, name, ms = 1000, pred = () => true) {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => { s.off(name, h); fail(new Error(`no ${name} within ${ms} ms`)); }, ms);
    function h(p) { if (pred(p)) { clearTimeout(t); s.off(name, h); ok(p); } }
    s.on(name, h);
  });
}

// Every event of these names the socket receives from now on.
function record(s, names) {
  const got = [];
  for (const n of names) s.on(n, (p) => got.push({ name: n, p }));
  return got;
}

async function createContact(token, first = "Ada") {
  const r = await srv.req("POST", "/api/contact",
    { firstName: first, lastName: "Lovelace", phoneNumber: usPhone(), email: `${first.toLowerCase()}.${Date.now()}@ex.com` }, token);
  assert.equal(r.status, 201, r.text);
  return r.json.data.contact;
}

// A raw WebSocket to the endpoint; resolves once the Engine.IO open packet is in.
function raw(path = "/socket.io/?EIO=4&transport=websocket") {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(srv.base.replace("http", "ws") + path);
    ws.msgs = [];
    ws.closed = new Promise((done) => ws.on("close", (code) => done(code)));
    ws.on("error", () => {});
    ws.once("message", (m) => { ws.open = JSON.parse(m.toString().slice(1)); ws.on("message", (x) => ws.msgs.push(x.toString())); ok(ws); });
    ws.once("unexpected-response", (req, res) => fail(new Error("HTTP " + res.statusCode)));
    setTimeout(() => fail(new Error("no open packet")), 2000);
  });
}

function closedWithin(ws, ms) {
  return Promise.race([ws.closed, sleep(ms).then(() => { throw new Error(`still open after ${ms} ms`); })]);
}

before(async () => {
  await srv.start();
  A = await srv.org("Alpha");
  B = await srv.org("Beta");
});

after(async () => {
  for (const s of open) s.close();
  const r = await srv.stop();
  assert.equal(r?.code, 0, "crmd exits 0 on SIGTERM with clients connected");
});

describe("handshake", () => {
  test("open packet advertises sid, no upgrades, intervals and maxPayload", async () => {
    const ws = await raw();
    assert.equal(typeof ws.open.sid, "string");
    assert.ok(ws.open.sid.length >= 16);
    assert.deepEqual(ws.open.upgrades, []);
    assert.equal(ws.open.pingInterval, PING_INTERVAL);
    assert.equal(ws.open.pingTimeout, PING_TIMEOUT);
    assert.equal(ws.open.maxPayload, 1000000);
    ws.close();
  });

  test("another EIO version or the polling transport gets 400 with the error envelope", async () => {
    for (const q of ["EIO=3&transport=websocket", "EIO=4&transport=polling", "transport=websocket", "EIO=4"]) {
      const r = await srv.req("GET", "/socket.io/?" + q);
      assert.equal(r.status, 400, q);
      assert.equal(r.json.success, false);
      assert.equal(typeof r.json.error, "string");
      assert.equal(typeof r.json.message, "string");
    }
  });

  test("a plain GET without the WebSocket upgrade gets 400", async () => {
    const r = await srv.req("GET", "/socket.io/?EIO=4&transport=websocket");
    assert.equal(r.status, 400);
    assert.equal(r.json.success, false);
  });

  test("a bad token is refused at connect (connect_error)", async () => {
    for (const token of ["not-a-token", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl", undefined]) {
      const s = connect(token);
      const err = await next(s, "connect_error", 2000);
      assert.ok(err.message.length > 0);
      assert.equal(s.connected, false);
      s.close();
    }
  });

  test("a valid token connects", async () => {
    const s = await connected(connect(A.token));
    assert.ok(s.id);
    s.close();
  });

  test("a user holds at most 20 sockets; the next gets connect_error until one closes", async () => {
    const G = await srv.org("Gamma");
    const socks = [];
    for (let i = 0; i < 20; i++) socks.push(await connected(connect(G.token)));
    const extra = connect(G.token);
    const err = await next(extra, "connect_error", 2000);
    assert.match(err.message, /Too many connections/);
    assert.equal(extra.connected, false);
    extra.close();
    // another user of the same organization is not affected
    const email = `second-${Date.now()}@rt.test`;
    const u = await srv.req("POST", "/api/users",
      { fullName: "Second User", email, password: "second-pass-1", accessRole: "DEPARTMENT_HEAD" }, G.token);
    assert.equal(u.status, 201, u.text);
    const other = await connected(connect(await srv.login(email, "second-pass-1")));
    other.close();
    socks.pop().close();
    let again;
    for (let i = 0; i < 50 && !again; i++) {   // until the server has seen the close
      const s = connect(G.token);
      again = await connected(s).catch(() => { s.close(); return sleep(20).then(() => undefined); });
    }
    assert.ok(again?.connected, "a socket is accepted once one of the 20 has closed");
    const got = record(again, ["contact_created"]);   // before the create: the event may beat the 201
    const e = await createContact(G.token, "Capped");
    for (let i = 0; i < 50 && !got.some((x) => x.p.contact._id === e._id); i++) await sleep(20);
    assert.ok(got.some((x) => x.p.contact._id === e._id), "and it receives events");
    for (const s of [...socks, again]) s.close();
  });
});

describe("events", () => {
  test("contact_created reaches its organization within 1 s, and only it", async () => {
    const a1 = await connected(connect(A.token));
    const a2 = await connected(connect(A.token));
    const b = await connected(connect(B.token));
    const bGot = record(b, ["contact_created", "contact_updated", "contact_removed"]);
    const wait1 = next(a1, "contact_created", 1000, (p) => p.contact?.firstName === "Grace");
    const wait2 = next(a2, "contact_created", 1000, (p) => p.contact?.firstName === "Grace");
    const t0 = Date.now();
    const c = await createContact(A.token, "Grace");
    const [p1, p2] = await Promise.all([wait1, wait2]);
    assert.ok(Date.now() - t0 < 1000);
    assert.deepEqual(Object.keys(p1), ["contact"]);
    assert.equal(p1.contact._id, c._id);
    assert.equal(p1.contact.organizationId, A.id);
    assert.deepEqual(p1.contact, c, "the event carries the contact as the API renders it");
    assert.deepEqual(p2, p1);
    await sleep(500);
    assert.deepEqual(bGot, [], "another organization hears nothing");
    for (const s of [a1, a2, b]) s.close();
  });

  test("events arrive in commit order, none missing", async () => {
    const a = await connected(connect(A.token));
    const got = record(a, ["contact_created"]);
    const ids = [];
    for (let i = 0; i < 10; i++) ids.push((await createContact(A.token, "Seq")). _id);
    for (let i = 0; i < 40 && got.length < ids.length; i++) await sleep(25);
    assert.deepEqual(got.map((g) => g.p.contact._id), ids);
    a.close();
  });

  test("contact_updated and contact_removed reach the organization only", async () => {
    const a = await connected(connect(A.token));
    const b = await connected(connect(B.token));
    const bGot = record(b, ["contact_updated", "contact_removed"]);
    const c = await createContact(A.token, "Upd");
    const upd = next(a, "contact_updated", 1000, (p) => p.contact?._id === c._id);
    const r = await srv.req("PATCH", `/api/contacts/${c._id}`, { firstName: "Updated" }, A.token);
    assert.equal(r.status, 200, r.text);
    const pu = await upd;
    assert.equal(pu.contact._id, c._id);
    assert.equal(pu.contact.firstName, "Updated");
    const rem = next(a, "contact_removed", 1000, (p) => p.contact?._id === c._id);
    const d = await srv.req("DELETE", `/api/contacts/${c._id}`, undefined, A.token);
    assert.equal(d.status, 200, d.text);
    const pr = await rem;
    assert.equal(pr.contact._id, c._id);
    await sleep(300);
    assert.deepEqual(bGot, []);
    a.close();
    b.close();
  });

  test("note_created, note_updated, note_removed and a verification's contact_updated reach the organization only",
       async () => {
    const a = await connected(connect(A.token));
    const b = await connected(connect(B.token));
    const bGot = record(b, ["note_created", "note_updated", "note_removed", "contact_updated"]);
    const c = await createContact(A.token, "Noted");
    const created = next(a, "note_created", 1000, (p) => p.contact?._id === c._id);
    const r = await srv.req("POST", "/api/contact-notes", { contactId: c._id, note: "Called" }, A.token);
    assert.equal(r.status, 201, r.text);
    const n = r.json.data.note;
    assert.deepEqual((await created).note, n);
    const updated = next(a, "note_updated", 1000, (p) => p.note?._id === n._id);
    const u = await srv.req("PATCH", `/api/contact-notes/${n._id}`, { note: "Called twice" }, A.token);
    assert.equal(u.status, 200, u.text);
    assert.equal((await updated).note.note, "Called twice");
    const removed = next(a, "note_removed", 1000, (p) => p.note?._id === n._id);
    const d = await srv.req("DELETE", `/api/contact-notes/${n._id}`, undefined, A.token);
    assert.equal(d.status, 200, d.text);
    assert.equal((await removed).contact._id, c._id);
    const verified = next(a, "contact_updated", 1000, (p) => p.contact?._id === c._id);
    const v = await srv.req("PATCH", `/api/contacts/${c._id}/phone-number/verify`,
      { phoneNumber: c.phoneNumber[0].value }, A.token);
    assert.equal(v.status, 200, v.text);
    assert.ok((await verified).contact.phoneNumber[0].verifiedAt);
    await sleep(300);
    assert.deepEqual(bGot, []);
    a.close();
    b.close();
  });

  test("a SUPERADMIN connects but belongs to no organization's room", async () => {
    const s = await connected(connect(srv.saToken));
    const got = record(s, ["contact_created"]);
    await createContact(A.token, "Nobody");
    await sleep(400);
    assert.deepEqual(got, []);
    s.close();
  });
});

describe("visibility", () => {
  test("a SALES_REP hears only contacts it owns, created or is assigned to", async () => {
    const email = `seer-${Date.now()}@rt.test`;
    const made = await srv.req("POST", "/api/users",
      { fullName: "Seer", email, password: "rep-pass-1234", accessRole: "SALES_REP" }, A.token);
    assert.equal(made.status, 201, made.text);
    const repId = made.json.data.user._id;
    const repToken = await srv.login(email, "rep-pass-1234");
    const s = await connected(connect(repToken));
    const got = record(s, ["contact_created"]);
    await createContact(A.token, "Hidden");
    const own = await createContact(repToken, "Own");
    const r = await srv.req("POST", "/api/contact",
      { firstName: "Given", phoneNumber: usPhone(), assignees: [repId] }, A.token);
    assert.equal(r.status, 201, r.text);
    await sleep(500);
    assert.deepEqual(got.map((g) => g.p.contact._id), [own._id, r.json.data.contact._id]);
    s.close();
  });
});

describe("revocation", () => {
  test("a user disabled while connected is disconnected at the next ping", async () => {
    const email = `rep-${Date.now()}@rt.test`;
    const made = await srv.req("POST", "/api/users",
      { fullName: "Rep", email, password: "rep-pass-1234", accessRole: "SALES_REP" }, A.token);
    assert.equal(made.status, 201, made.text);
    const repToken = await srv.login(email, "rep-pass-1234");
    const s = await connected(connect(repToken));
    const gone = new Promise((ok) => s.on("disconnect", (why) => ok(why)));
    const r = await srv.req("PUT", "/api/user/profile", { id: made.json.data.user._id, loginDisabled: true }, A.token);
    assert.equal(r.status, 200, r.text);
    const why = await Promise.race([gone, sleep(PING_INTERVAL * 4 + PING_TIMEOUT).then(() => "still connected")]);
    assert.equal(why, "io server disconnect");
    // The admin's own socket is untouched.
    const a = await connected(connect(A.token));
    await sleep(PING_INTERVAL * 2);
    assert.ok(a.connected);
    a.close();
  });
});

describe("heartbeat and close", () => {
  test("the connection survives several heartbeat intervals", async () => {
    const s = await connected(connect(A.token));
    let pings = 0, disconnected = null;
    s.io.engine.on("ping", () => pings++);
    s.on("disconnect", (why) => { disconnected = why; });
    await sleep(PING_INTERVAL * 6);
    assert.equal(disconnected, null);
    assert.ok(s.connected);
    assert.ok(pings >= 4, `${pings} pings in ${PING_INTERVAL * 6} ms`);
    const wait = next(s, "contact_created", 1000);
    await createContact(A.token, "Later");
    await wait;
    s.close();
  });

  test("a peer that never answers pings is dropped", async () => {
    const ws = await raw();
    ws.send(`40${JSON.stringify({ token: A.token })}`);
    const t0 = Date.now();
    await closedWithin(ws, PING_INTERVAL + PING_TIMEOUT + 1000);
    assert.ok(Date.now() - t0 >= PING_INTERVAL, "not before the first ping was due");
    assert.ok(ws.msgs.includes("2"), "it was pinged");
  });

  test("a frame larger than maxPayload closes the connection (1009)", async () => {
    const ws = await raw();
    ws.send("4" + "2" + JSON.stringify(["big", "x".repeat(ws.open.maxPayload)]));
    assert.equal(await closedWithin(ws, 10000), 1009);
  });

  test("the stock client emitting more than maxPayload is disconnected", async () => {
    const s = await connected(connect(A.token));
    const gone = next(s, "disconnect", 2000);
    s.emit("big", "y".repeat(1000001));
    await gone;
  });

  test("malformed packets close the connection", async () => {
    for (const bad of ["", "9", "4{", "40{not json", "42not-json", "4x", "5", "0"]) {
      const ws = await raw();
      ws.send(bad);
      await closedWithin(ws, 1000);
    }
    const ws = await raw();
    ws.send(Buffer.from([1, 2, 3]));   // binary frames are not served
    await closedWithin(ws, 1000);
  });

  test("a Socket.IO disconnect (41) or an Engine.IO close (1) ends the connection cleanly", async () => {
    for (const bye of ["41", "1"]) {
      const ws = await raw();
      ws.send(`40${JSON.stringify({ token: A.token })}`);
      for (let i = 0; i < 40 && !ws.msgs.some((m) => m.startsWith("40")); i++) await sleep(10);
      assert.match(ws.msgs.find((m) => m.startsWith("40")), /^40\{"sid":"[^"]+"\}$/);
      ws.send(bye);
      assert.equal(await closedWithin(ws, 1000), 1000);
    }
  });

  test("a client that disconnects is no longer served and others are unaffected", async () => {
    const gone = await connected(connect(A.token));
    const stays = await connected(connect(A.token));
    gone.close();
    const wait = next(stays, "contact_created", 1000);
    await createContact(A.token, "After");
    await wait;
    stays.close();
  });
});
