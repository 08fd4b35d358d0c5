#!/usr/bin/env node
// Socket.IO benchmark for crmd (not part of the test suite). Run from the repo root after
// `cd tests/realtime && npm ci` (it borrows that socket.io-client):
//   node bench/realtime.js latency [clients=500] [rate=50/s] [seconds=10]
//     N clients over 2 organizations, contacts created at a fixed rate in both; prints the
//     commit-to-delivery latency (p50/p99, from the creation request's 201 to each receipt, and
//     from createdAt) and checks every client got every event of its organization, none other.
//   node bench/realtime.js rss [counts=500,5000]
//     idle connections, the server's RSS before and after each step, and the cost per connection.
// Env: CRMD (binary, default build/crmd). Raise the fd limit first for 5,000: `ulimit -n 20000`.
// CRMD_BENCH_URLS=http://h:p1,http://h:p2 measures latency on servers already running on one
// database (bench/cluster), whose SUPERADMIN is sa@bench.io / bench-pass-1: the clients are
// spread over the servers and the contacts created through them in turn, so that most events
// travel from one server to another.
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const os = require("node:os");
const net = require("node:net");
const { spawn, spawnSync } = require("node:child_process");
const { io } = require(path.join(__dirname, "..", "tests", "realtime", "node_modules", "socket.io-client"));

const BIN = path.resolve(process.env.CRMD || "build/crmd");
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

function freePort() {
  return new Promise((ok) => { const s = net.createServer(); s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
}

async function startServer() {
  if (process.env.CRMD_BENCH_URLS) {
    const urls = process.env.CRMD_BENCH_URLS.split(",");
    return { proc: null, base: urls[0], urls, dir: null };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crmd-bench-rt-"));
  const db = "sqlite:" + path.join(dir, "db");
  const env = { ...process.env, CRMD_JWT_SECRET: "bench", CRMD_SOCKETIO_PER_USER: "1000000", CRMD_RATE_LIMIT: "0",
                CRMD_SOCKETIO_PER_IP: "0", CRMD_CONNECTIONS_PER_IP: "0" };  // one token and one address serve every client
  const init = spawnSync(BIN, ["init", "--db", db, "--email", "sa@bench.io", "--password", "bench-pass-1"], { env });
  if (init.status !== 0) throw new Error("init failed: " + init.stderr);
  const port = await freePort();
  const proc = spawn(BIN, ["serve", "--db", db, "--listen", `127.0.0.1:${port}`, "--quiet"], { env, stdio: "inherit" });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) { try { if ((await fetch(base + "/healthz")).ok) break; } catch {} await sleep(50); }
  return { proc, base, urls: [base], dir };
}

async function stopServer({ proc, dir }) {
  if (!proc)
    return;
  proc.kill("SIGTERM");
  await new Promise((ok) => proc.on("exit", ok));
  fs.rmSync(dir, { recursive: true, force: true });
}

async function req(base, method, p, body, token) {
  const h = { "content-type": "application/json" };
  if (token) h.authorization = "Bearer " + token;
  const r = await fetch(base + p, { method, headers: h, body: body ? JSON.stringify(body) : undefined });
  return { status: r.status, json: await r.json().catch(() => null) };
}

async function login(base, email, password) {
  return (await req(base, "POST", "/api/auth/login", { email, password })).json.token;
}

async function makeOrg(base, sa, i) {
  const email = `admin${i}-${Date.now()}@bench.io`;
  const r = await req(base, "POST", "/api/organizations", { name: `Bench ${i} ${Date.now()}`, adminDetails: { fullName: "Bench Admin", email, password: "admin-pass-1" } }, sa);
  if (r.status !== 201) throw new Error("org: " + JSON.stringify(r.json));
  return { id: r.json.data.organization._id, token: await login(base, email, "admin-pass-1") };
}

function rssKiB(proc) {
  if (!proc)
    return "(not ours)";
  const pid = proc.pid;
  const m = fs.readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) : NaN;
}

async function connectMany(urls, token, n, onEvent) {
  const socks = [];
  const batch = 100;
  for (let i = 0; i < n; i += batch) {
    const ps = [];
    for (let k = i; k < Math.min(n, i + batch); k++) {
      const s = io(urls[k % urls.length], { transports: ["websocket"], auth: { token }, reconnection: false, forceNew: true });
      if (onEvent) s.on("contact_created", (p) => onEvent(k, p));
      socks.push(s);
      ps.push(new Promise((ok, fail) => { s.once("connect", ok); s.once("connect_error", fail); }));
    }
    await Promise.all(ps);
  }
  return socks;
}

const pct = (a, p) => a[Math.min(a.length - 1, Math.floor(a.length * p))];

async function latency(clients, rate, seconds) {
  const server = await startServer();
  const { proc, base, urls } = server;
  try {
    const sa = await login(base, "sa@bench.io", "bench-pass-1");
    const orgs = [await makeOrg(base, sa, 0), await makeOrg(base, sa, 1)];
    const sent = new Map();   // contact id -> { t: 201 time, org }
    const got = [];           // per client: Set of ids
    const lat = [], latCreated = [];
    const early = [];         // events seen before their 201 arrived
    const clientOrg = [];
    let wrongOrg = 0;
    const onEvent = (org) => (k, p) => {
      const now = performance.timeOrigin + performance.now();
      const c = p.contact;
      if (c.organizationId !== orgs[org].id) wrongOrg++;
      got[k + org * half].add(c._id);
      const s = sent.get(c._id);
      if (s) lat.push(now - s.t); else early.push({ id: c._id, now });
      latCreated.push(now - Date.parse(c.createdAt));
    };
    const half = Math.ceil(clients / 2);
    for (let i = 0; i < clients; i++) { got.push(new Set()); clientOrg.push(i < half ? 0 : 1); }
    const t0 = Date.now();
    const socks = [...await connectMany(urls, orgs[0].token, half, onEvent(0)),
                   ...await connectMany(urls, orgs[1].token, clients - half, onEvent(1))];
    console.log(`${clients} clients connected in ${Date.now() - t0} ms over ${urls.length} server(s); server RSS ${rssKiB(proc)} KiB`);
    const total = Math.round(rate * seconds), gap = 1000 / rate;
    const start = performance.now();
    const inflight = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * gap;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const org = i % 2;
      const phone = `+1212${String(2000000 + i).padStart(7, "0")}`;
      inflight.push(req(urls[i % urls.length], "POST", "/api/contact", { firstName: "B" + i, lastName: "Bench", phoneNumber: phone }, orgs[org].token).then((r) => {
        const t = performance.timeOrigin + performance.now();
        if (r.status !== 201) throw new Error("create: " + r.status + " " + JSON.stringify(r.json));
        sent.set(r.json.data.contact._id, { t, org });
      }));
    }
    await Promise.all(inflight);
    await sleep(1500);
    for (const e of early) lat.push(0);   // delivered before the HTTP reply was read: ~0
    let missing = 0, extra = 0;
    const perOrg = [[], []];
    for (const [id, s] of sent) perOrg[s.org].push(id);
    for (let k = 0; k < clients; k++) {
      const want = perOrg[clientOrg[k]];
      for (const id of want) if (!got[k].has(id)) missing++;
      extra += got[k].size - want.filter((id) => got[k].has(id)).length;
    }
    lat.sort((a, b) => a - b);
    latCreated.sort((a, b) => a - b);
    console.log(`${total} contacts at ${rate}/s; ${lat.length} deliveries (expected ${total * clients / 2 | 0})`);
    console.log(`latency from the 201: p50 ${pct(lat, 0.5).toFixed(1)} ms, p99 ${pct(lat, 0.99).toFixed(1)} ms, max ${lat[lat.length - 1].toFixed(1)} ms`);
    console.log(`latency from createdAt: p50 ${pct(latCreated, 0.5).toFixed(1)} ms, p99 ${pct(latCreated, 0.99).toFixed(1)} ms`);
    console.log(`missing ${missing}, from another organization ${extra + wrongOrg}: ${missing + extra + wrongOrg === 0 ? "OK" : "FAIL"}`);
    console.log(`server RSS at the end ${rssKiB(proc)} KiB`);
    for (const s of socks) s.close();
  } finally {
    await stopServer(server);
  }
}

async function rss(counts) {
  const server = await startServer();
  const { proc, base, urls } = server;
  try {
    const sa = await login(base, "sa@bench.io", "bench-pass-1");
    const org = await makeOrg(base, sa, 0);
    await connectMany(urls, org.token, 5);   // warm up threads and the reader connection
    await sleep(500);
    const base0 = rssKiB(proc);
    console.log(`baseline RSS ${base0} KiB`);
    let have = 0, all = [];
    for (const n of counts) {
      all = all.concat(await connectMany(urls, org.token, n - have));
      have = n;
      await sleep(1000);
      const r = rssKiB(proc);
      console.log(`${n} idle connections: RSS ${r} KiB, +${r - base0} KiB, ${((r - base0) * 1024 / n / 1024).toFixed(1)} KiB per connection`);
    }
    for (const s of all) s.close();
  } finally {
    await stopServer(server);
  }
}

const [mode = "latency", a1, a2, a3] = process.argv.slice(2);
if (mode === "rss") rss((a1 || "500,5000").split(",").map(Number)).catch((e) => { console.error(e); process.exit(1); });
else latency(Number(a1 || 500), Number(a2 || 50), Number(a3 || 10)).catch((e) => { console.error(e); process.exit(1); });
