// crmd over TLS (--tls-cert/--tls-key): HTTPS replies with HSTS, and the stock socket.io-client
// over wss:// on the WebSocket that libmicrohttpd forwards through its TLS layer. The
// certificate is a throwaway self-signed one made here with openssl; the client trusts it by
// `ca`, not by turning verification off.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { openSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { io } from "socket.io-client";
import { Crmd, SA_EMAIL, SA_PASSWORD, sleep, usPhone } from "./harness.mjs";

// The harness's binary, temporary directory and database (SQLite or PostgreSQL, as the tier
// runs); started here with the TLS flags, which its start() does not know.
const { bin, dir, db, env } = new Crmd();
let proc, exited, port, ca;

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); });
  });
}

// One HTTPS request trusting only our certificate; resolves { status, headers, json }.
function req(method, path, body, token, opts = {}) {
  return new Promise((ok, fail) => {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    const r = request({ host: "127.0.0.1", port, servername: "localhost", method, path, headers, ca, ...opts },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => { text += d; });
        res.on("end", () => { let json = null; try { json = JSON.parse(text); } catch { /* not JSON */ }
                              ok({ status: res.statusCode, headers: res.headers, json, text }); });
      });
    r.on("error", fail);
    r.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

before(async () => {
  const cert = join(dir, "cert.pem"), key = join(dir, "key.pem");
  const mk = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
    { encoding: "utf8" });
  assert.equal(mk.status, 0, "openssl makes a certificate: " + mk.stderr);
  ca = readFileSync(cert);
  const init = spawnSync(bin, ["init", "--db", db, "--email", SA_EMAIL, "--password", SA_PASSWORD], { env, encoding: "utf8" });
  assert.equal(init.status, 0, init.stdout + init.stderr);
  port = await freePort();
  const log = openSync(join(dir, "crmd.log"), "a");
  proc = spawn(bin, ["serve", "--db", db, "--listen", `127.0.0.1:${port}`, "--threads", "2", "--tls-cert", cert, "--tls-key", key],
    { env, stdio: ["ignore", log, log] });
  exited = new Promise((ok) => proc.on("exit", (code) => ok(code)));
  for (let i = 0; i < 200; i++) {
    try { if ((await req("GET", "/healthz")).status === 200) return; } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error("crmd did not come up over TLS: " + readFileSync(join(dir, "crmd.log"), "utf8"));
});

after(async () => {
  if (proc && proc.exitCode === null) proc.kill("SIGTERM");
  const code = await exited;
  if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0, "crmd exits 0 on SIGTERM");
});

test("HTTPS answers with HSTS and the usual envelope; plain HTTP on the port gets no reply", async () => {
  const h = await req("GET", "/healthz");
  assert.equal(h.status, 200);
  assert.deepEqual(h.json, { status: "ok" });
  assert.equal(h.headers["strict-transport-security"], "max-age=31536000");
  assert.match(h.headers["x-request-id"], /^[0-9a-f]{24}$/);
  const nf = await req("GET", "/api/nope");
  assert.equal(nf.status, 404);
  assert.equal(nf.json.error, "not_found");
  assert.equal(nf.headers["strict-transport-security"], "max-age=31536000");
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), "a plain-text request gets no HTTP answer");
});

test("TLS 1.1 is refused, TLS 1.2 and 1.3 are served", async () => {
  // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all, so the refusal is the server's
  await assert.rejects(req("GET", "/healthz", undefined, undefined,
                           { minVersion: "TLSv1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }),
                       (e) => e.code === "ECONNRESET" || /protocol version/i.test(e.message));
  for (const v of ["TLSv1.2", "TLSv1.3"]) {
    const r = await req("GET", "/healthz", undefined, undefined, { minVersion: v, maxVersion: v });
    assert.equal(r.status, 200, v);
  }
});

test("a certificate the client does not trust is refused by the client", async () => {
  await assert.rejects(req("GET", "/healthz", undefined, undefined, { ca: undefined }), /self[- ]signed|unable to verify/i);
});

test("socket.io-client over wss:// connects and receives contact_created", async () => {
  const sa = (await req("POST", "/api/auth/login", { email: SA_EMAIL, password: SA_PASSWORD })).json.token;
  const email = `admin-tls-${Date.now()}@rt.test`;
  const org = await req("POST", "/api/organizations",
    { name: `TLS ${Date.now()}`, adminDetails: { fullName: "Admin TLS", email, password: "admin-pass-123" } }, sa);
  assert.equal(org.status, 201, org.text);
  const token = (await req("POST", "/api/auth/login", { email, password: "admin-pass-123" })).json.token;

  const s = io(`wss://localhost:${port}`, { transports: ["websocket"], auth: { token }, reconnection: false, ca });
  try {
    await new Promise((ok, fail) => { s.once("connect", ok); s.once("connect_error", (e) => fail(new Error("connect_error: " + e.message))); });
    const got = new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error("no contact_created within 2 s")), 2000);
      s.on("contact_created", (p) => { clearTimeout(t); ok(p); });
    });
    const c = await req("POST", "/api/contact", { firstName: "Wss", lastName: "Client", phoneNumber: usPhone(),
                                                   email: `wss.${Date.now()}@ex.com` }, token);
    assert.equal(c.status, 201, c.text);
    const p = await got;
    assert.equal(p.contact._id, c.json.data.contact._id);
    assert.equal(p.contact.firstName, "Wss");
  } finally {
    s.close();
  }
});
