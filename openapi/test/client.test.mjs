// A client generated from the server's own OpenAPI document (openapi-typescript's types,
// openapi-fetch's requests) is type-checked by tsc with strict settings, then runs a create,
// list, update and delete round trip against a real crmd (CRMD, CRMD_TEST_BACKEND as for the
// realtime tests).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { Crmd, usPhone } from "../../tests/realtime/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const clientDir = join(here, "client");
const bin = join(here, "..", "node_modules", ".bin");
let crmd;
let admin;

function run(cmd, args) {
  const r = spawnSync(join(bin, cmd), args, { cwd: clientDir, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

before(async () => {
  crmd = new Crmd();
  await crmd.start();
  const sa = await crmd.login("superadmin@rt.test", "superadmin-pass-1");
  const email = `openapi-${Date.now()}@client.test`;
  const r = await crmd.req("POST", "/api/organizations",
    { name: `OpenAPI client ${Date.now()}`, adminDetails: { fullName: "Client Admin", email, password: "admin-pass-123" } }, sa);
  assert.equal(r.status, 201, r.text);
  admin = { email, password: "admin-pass-123" };
});

after(async () => {
  // A clean exit: under ASan, a leak or error report makes it non-zero.
  const result = await crmd?.stop();
  assert.deepEqual(result, { code: 0, sig: null });
});

test("the client generated from /api/openapi.json type-checks (tsc --noEmit, strict) and runs a round trip", async () => {
  mkdirSync(join(clientDir, "generated"), { recursive: true });
  const gen = run("openapi-typescript", [`${crmd.base}/api/openapi.json`, "-o", "generated/schema.d.ts"]);
  assert.equal(gen.status, 0, gen.output);

  const check = run("tsc", ["--noEmit", "-p", "."]);
  assert.equal(check.status, 0, `tsc --noEmit:\n${check.output}`);
  // Checked above; to run it, the types are only stripped.
  const js = ts.transpileModule(readFileSync(join(clientDir, "roundtrip.ts"), "utf8"),
    { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  mkdirSync(join(clientDir, "out"), { recursive: true });
  writeFileSync(join(clientDir, "out", "roundtrip.mjs"), js);
  const { roundTrip } = await import(join(clientDir, "out", "roundtrip.mjs"));
  const phone = usPhone();
  const rt = await roundTrip(crmd.base, admin.email, admin.password, phone);

  assert.equal(rt.created.firstName, "Jane");
  assert.equal(rt.created.lastName, "Doe");
  assert.deepEqual(rt.created.phoneNumber.map((p) => [p.value, p.isPrimary]), [[phone, true]]);
  assert.equal(rt.created.email, "jane.doe@example.com");
  assert.equal(rt.created.status, "New Lead");
  assert.equal(rt.created.__v, 0);
  assert.ok(rt.listed.includes(rt.created._id), "the list holds the new contact");
  assert.equal(rt.updated._id, rt.created._id);
  assert.equal(rt.updated.lastName, "Doe-Smith");
  assert.equal(rt.updated.status, "Contacted");
  assert.equal(rt.updated.__v, 1);
  assert.equal(rt.deletedCount, 1);
  assert.deepEqual(rt.afterDelete, { status: 404, error: "not_found" });
});
