// Starts a real crmd on a free port with a fresh database, and talks to it over HTTP like a client.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const SA_EMAIL = "superadmin@rt.test";
export const SA_PASSWORD = "superadmin-pass-1";

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// A fresh database in the throwaway cluster of scripts/with-postgres (CRMD_TEST_PG_DIR).
function pgNewDatabase() {
  const dir = process.env.CRMD_TEST_PG_DIR;
  if (!dir) throw new Error("CRMD_TEST_BACKEND=postgres needs the cluster of scripts/with-postgres");
  const name = "crmd_rt_" + Math.random().toString(16).slice(2, 14);
  const r = spawnSync("psql", ["-h", dir, "-U", "postgres", "-d", "postgres", "-qAt", "-c", `CREATE DATABASE ${name}`],
    { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cannot create database ${name}: ${r.stderr}`);
  return `postgresql://postgres@/${name}?host=${dir}`;
}

export class Crmd {
  constructor(env = {}) {
    this.bin = resolve(process.env.CRMD || join(process.env.BUILD || "build", "crmd"));
    this.dir = mkdtempSync(join(tmpdir(), "crmd-rt-"));
    this.db = process.env.CRMD_TEST_BACKEND === "postgres" ? pgNewDatabase() : "sqlite:" + join(this.dir, "crmd.db");
    this.env = { ...process.env, CRMD_JWT_SECRET: "realtime-test-secret", ...env };
  }

  async start() {
    const init = spawnSync(this.bin, ["init", "--db", this.db, "--email", SA_EMAIL, "--password", SA_PASSWORD],
      { env: this.env, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`crmd init failed: ${init.stdout}${init.stderr}`);
    this.port = await freePort();
    this.base = `http://127.0.0.1:${this.port}`;
    const log = openSync(join(this.dir, "crmd.log"), "a");
    this.proc = spawn(this.bin, ["serve", "--db", this.db, "--listen", `127.0.0.1:${this.port}`, "--threads", "4"],
      { env: this.env, stdio: ["ignore", log, log] });
    this.exited = new Promise((ok) => this.proc.on("exit", (code, sig) => ok({ code, sig })));
    for (let i = 0; i < 200; i++) {
      try {
        const r = await fetch(this.base + "/healthz");
        if (r.status === 200) return;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    throw new Error("crmd did not come up");
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      this.proc.kill("SIGTERM");
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 15000);
      this.result = await this.exited;
      clearTimeout(t);
    }
    if (!process.env.KEEP) rmSync(this.dir, { recursive: true, force: true });
    return this.result;
  }

  async req(method, path, body, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    const r = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: r.status, json, text };
  }

  async login(email, password) {
    const r = await this.req("POST", "/api/auth/login", { email, password });
    if (r.status !== 200 || !r.json?.token) throw new Error(`login ${email}: ${r.status} ${r.text}`);
    return r.json.token;
  }

  // A new organization and a token of its ADMIN.
  async org(name) {
    const sa = this.saToken ??= await this.login(SA_EMAIL, SA_PASSWORD);
    const email = `admin-${name.toLowerCase()}-${Date.now()}@rt.test`.replace(/[^a-z0-9@.-]/g, "");
    const r = await this.req("POST", "/api/organizations",
      { name: `${name} ${Date.now()}`, adminDetails: { fullName: `Admin ${name}`, email, password: "admin-pass-123" } }, sa);
    if (r.status !== 201) throw new Error(`create org: ${r.status} ${r.text}`);
    return { id: r.json.data.organization._id, email, password: "admin-pass-123", token: await this.login(email, "admin-pass-123") };
  }
}

export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

const seen = new Set();
const AREAS = ["212", "415", "617", "312", "202", "303", "206", "512", "718", "305"];
// A fresh valid US number (E.164), unique within this process.
export function usPhone() {
  for (;;) {
    const area = AREAS[Math.floor(Math.random() * AREAS.length)];
    const n = `+1${area}${200 + Math.floor(Math.random() * 800)}${String(Math.floor(Math.random() * 10000)).padStart(4, "0")}`;
    if (!seen.has(n)) { seen.add(n); return n; }
  }
}
