// Checks recorded HTTP exchanges against crmd's OpenAPI document (docs/openapi.md).
//   node openapi/validate-traffic.mjs [--label NAME] OPENAPI.json TRAFFIC.jsonl
// TRAFFIC.jsonl is what tests/api/harness.py writes when CRMD_TEST_TRAFFIC is set: one exchange
// a line. The document itself is first checked against the OpenAPI 3.1 schema
// (@seriousme/openapi-schema-validator); bodies and parameters are then checked with Ajv's
// JSON Schema 2020-12 validator, the dialect of OpenAPI 3.1.
//   - every response: its status must be listed for the operation, its Content-Type must be
//     one the status declares, a JSON body must match the schema, and the headers the status
//     declares must match theirs (and be there, when required);
//   - the request of a 2xx exchange: path, query and header parameters and the JSON body must
//     match, and it must carry credentials if the operation requires them (the tests send
//     invalid requests on purpose, and those must not answer 2xx);
//   - a path no operation has must answer 404 not_found, a known path with another method
//     405 method_not_allowed, both in the error envelope.
// Stream bodies (SSE, CSV, JavaScript, HTML, Prometheus text) are not parsed.
// Prints one TAP-like line per operation and status seen (a "test"), the mismatches under a
// failing one, and last "<label>: N passed, N failed". Exits 1 if anything failed.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const args = process.argv.slice(2);
let label = "openapi-traffic";
if (args[0] === "--label") {
  label = args[1];
  args.splice(0, 2);
}
const [specPath, trafficPath] = args;
if (!specPath || !trafficPath) {
  console.error("usage: node openapi/validate-traffic.mjs [--label NAME] openapi.json traffic.jsonl");
  process.exit(2);
}

const spec = JSON.parse(readFileSync(specPath, "utf8"));
const results = new Map();   // test name -> list of problems ([] when it passed)
const MAX_PROBLEMS_SHOWN = 5;

function record(name, problem) {
  if (!results.has(name)) results.set(name, []);
  if (problem) results.get(name).push(problem);
}

// 1. The document is a valid OpenAPI 3.1 document.
{
  const v = new Validator();
  const res = await v.validate(structuredClone(spec));
  record("the document is valid OpenAPI 3.1", res.valid && v.version === "3.1" ? null
    : `not valid OpenAPI 3.1 (${v.version}): ${JSON.stringify(res.errors).slice(0, 800)}`);
}

// 2. Ajv over the whole document: schemas are compiled as JSON pointers into it, so that
// their "#/components/..." references resolve as they do for any OpenAPI tool.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(spec, "openapi.json");
const compiled = new Map();
function validatorAt(pointer) {
  if (!compiled.has(pointer)) compiled.set(pointer, ajv.compile({ $ref: `openapi.json#${pointer}` }));
  return compiled.get(pointer);
}
const esc = (s) => s.replace(/~/g, "~0").replace(/\//g, "~1");

// Follows a local $ref of a response or parameter object; returns [object, its pointer].
function deref(obj, pointer) {
  while (obj && obj.$ref) {
    pointer = obj.$ref.slice(1);
    obj = pointer.split("/").slice(1).reduce((o, k) => o[k.replace(/~1/g, "/").replace(/~0/g, "~")], spec);
  }
  return [obj, pointer];
}

function schemaErrors(pointer, value) {
  const v = validatorAt(pointer);
  if (v(value)) return null;
  return ajv.errorsText(v.errors, { separator: "; ", dataVar: "value" }).slice(0, 600);
}

// The server's path patterns: "{x}" is one non-empty segment; /socket.io/ takes an optional slash.
const operations = [];
for (const [template, item] of Object.entries(spec.paths)) {
  const rx = new RegExp("^" + template.replace(/[.]/g, "\\.").replace(/\{[^}]+\}/g, "([^/]+)")
    .replace(/\/$/, "/?") + "$");
  const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  operations.push({ template, item, rx, names });
}
// Like the router: the operation of this method whose template matches (a literal segment wins
// over a parameter: /api/contacts/export over /api/contacts/{id}); else, when some template
// matches with other methods, 405; else 404.
function findOperation(path, method) {
  const hits = operations.filter((o) => o.rx.test(path));
  const withMethod = hits.filter((o) => o.item[method]).sort((a, b) => a.names.length - b.names.length);
  return { op: withMethod[0], pathKnown: hits.length > 0, template: hits[0]?.template };
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const mediaType = (ct) => (ct || "").split(";")[0].trim().toLowerCase();

function parseJson(text, b64) {
  if (b64 || text === null || text === undefined) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

// A query or header value as the schema's type wants it (they travel as text).
function coerce(value, schema) {
  const [s] = deref(schema, "");
  const type = s && (Array.isArray(s.type) ? s.type.find((t) => t !== "null") : s.type);
  if ((type === "integer" || type === "number") && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === "boolean" && (value === "true" || value === "false")) return value === "true";
  return value;
}

function checkParameters(op, opPointer, pathItem, pathPointer, match, query, headers, problems) {
  const params = [];
  (pathItem.parameters || []).forEach((p, i) => params.push(deref(p, `${pathPointer}/parameters/${i}`)));
  (op.parameters || []).forEach((p, i) => params.push(deref(p, `${opPointer}/parameters/${i}`)));
  for (const [p, ptr] of params) {
    let raw;
    if (p.in === "path") raw = match.values[p.name];
    else if (p.in === "query") raw = query.get(p.name) ?? undefined;
    else if (p.in === "header") {
      const key = Object.keys(headers).find((k) => k.toLowerCase() === p.name.toLowerCase());
      raw = key === undefined ? undefined : String(headers[key]);
    } else continue;
    if (raw === undefined) {
      if (p.required) problems.push(`request: the required ${p.in} parameter ${p.name} is missing`);
      continue;
    }
    const err = schemaErrors(`${ptr}/schema`, coerce(raw, p.schema));
    if (err) problems.push(`request: ${p.in} parameter ${p.name}=${JSON.stringify(raw)}: ${err}`);
  }
}

function checkRequestBody(op, opPointer, rec, problems) {
  const hasBody = rec.requestBody !== null && rec.requestBody !== undefined && rec.requestBody !== "";
  if (!op.requestBody) return;   // a body the operation does not read is ignored by the server
  const [rb, rbPtr] = deref(op.requestBody, `${opPointer}/requestBody`);
  if (!hasBody) {
    if (rb.required) problems.push("request: the body is required but none was sent");
    return;
  }
  const type = mediaType(rec.requestContentType) || "application/json";
  if (!rb.content[type]) {
    problems.push(`request: Content-Type ${type} is not one the operation takes`);
    return;
  }
  if (type !== "application/json") return;
  const body = parseJson(rec.requestBody, rec.requestBodyBase64);
  if (!body.ok) {
    problems.push("request: the body is not JSON");
    return;
  }
  const err = schemaErrors(`${rbPtr}/content/${esc(type)}/schema`, body.value);
  if (err) problems.push(`request body: ${err}`);
}

function checkResponse(responses, responsesPointer, rec, problems) {
  const key = String(rec.status);
  const found = responses[key] ? key : responses[`${key[0]}XX`] ? `${key[0]}XX` : responses.default ? "default" : null;
  if (!found) {
    problems.push(`response: status ${rec.status} is not documented`);
    return;
  }
  const [resp, respPtr] = deref(responses[found], `${responsesPointer}/${found}`);
  for (const [name, declared] of Object.entries(resp.headers || {})) {
    const [header, headerPtr] = deref(declared, `${respPtr}/headers/${esc(name)}`);
    const value = (rec.responseHeaders || {})[name.toLowerCase()];
    if (value === undefined) {
      if (header.required && rec.responseHeaders) problems.push(`response: the header ${name} is missing`);
      continue;
    }
    const err = schemaErrors(`${headerPtr}/schema`, coerce(value, header.schema));
    if (err) problems.push(`response header ${name}: ${JSON.stringify(value)}: ${err}`);
  }
  if (!resp.content) return;   // nothing to check (101, or a reply of libmicrohttpd itself)
  const type = mediaType(rec.responseContentType);
  if (!resp.content[type]) {
    problems.push(`response: Content-Type ${rec.responseContentType} is not one of ${Object.keys(resp.content).join(", ")}`);
    return;
  }
  if (type !== "application/json" || rec.method === "HEAD") return;   // a HEAD reply has no body
  const body = parseJson(rec.responseBody, rec.responseBodyBase64);
  if (!body.ok) {
    problems.push("response: the body is not JSON");
    return;
  }
  const err = schemaErrors(`${respPtr}/content/${esc(type)}/schema`, body.value);
  if (err) problems.push(`response body: ${err}`);
}

// Exchanges outside every operation: 404 and 405, whose shape is the error envelope.
const outsideSchema = (code) => ({
  allOf: [{ $ref: "openapi.json#/components/schemas/Error" }, { properties: { error: { const: code } } }],
});
const outside = { 404: ajv.compile(outsideSchema("not_found")), 405: ajv.compile(outsideSchema("method_not_allowed")) };

function checkOutside(rec, expected, problems) {
  if (rec.status === 431 || rec.status === 400 || rec.status === 413 || rec.status === 429) {
    return;   // refused by the HTTP layer before routing: the same for every path
  }
  if (rec.status !== expected) {
    problems.push(`status ${rec.status}, expected ${expected}`);
    return;
  }
  const body = parseJson(rec.responseBody, rec.responseBodyBase64);
  if (!body.ok || !outside[expected](body.value)) problems.push(`response: not the ${expected} error envelope`);
}

// 3. Every exchange.
const lines = readFileSync(trafficPath, "utf8").split("\n").filter(Boolean);
let exchanges = 0;
for (const line of lines) {
  const rec = JSON.parse(line);
  exchanges++;
  const url = new URL(rec.target, "http://crmd.invalid");
  const method = rec.method.toLowerCase();
  const problems = [];
  const { op: hit, pathKnown, template } = findOperation(url.pathname, method);
  let name;
  if (!hit && !pathKnown) {
    name = "(no such path) → 404";
    checkOutside(rec, 404, problems);
  } else if (!hit) {
    name = `${rec.method} ${template} (not an operation) → 405`;
    checkOutside(rec, 405, problems);
  } else {
    const pathPointer = `/paths/${esc(hit.template)}`;
    const opPointer = `${pathPointer}/${method}`;
    const op = hit.item[method];
    name = `${rec.method} ${hit.template} → ${rec.status}`;
    checkResponse(op.responses, `${opPointer}/responses`, rec, problems);
    if (rec.status >= 200 && rec.status < 300) {
      const m = hit.rx.exec(url.pathname);
      const match = { values: Object.fromEntries(hit.names.map((n, i) => [n, safeDecode(m[i + 1])])) };
      checkParameters(op, opPointer, hit.item, pathPointer, match, url.searchParams, rec.headers || {}, problems);
      checkRequestBody(op, opPointer, rec, problems);
      const security = op.security ?? spec.security ?? [];
      if (security.length > 0 && !security.some((alt) => Object.keys(alt).length === 0) && rec.auth === false)
        problems.push("request: answered 2xx without credentials, but the document requires them");
    }
  }
  record(name, null);
  for (const p of problems) record(name, `${p}  [${rec.test || "?"}: ${rec.method} ${rec.target.slice(0, 120)}]`);
}

let passed = 0;
let failed = 0;
let n = 0;
for (const [name, problems] of [...results.entries()].sort()) {
  n++;
  if (problems.length === 0) {
    passed++;
    console.log(`ok ${n} - ${name}`);
    continue;
  }
  failed++;
  console.log(`not ok ${n} - ${name}`);
  for (const p of problems.slice(0, MAX_PROBLEMS_SHOWN)) console.log(`#   ${p}`);
  if (problems.length > MAX_PROBLEMS_SHOWN) console.log(`#   ... and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
}
if (exchanges === 0) {
  failed++;
  console.log(`not ok ${++n} - no exchange was recorded in ${trafficPath}`);
}
const exercised = new Set([...results.keys()]);
for (const o of operations)
  for (const m of ["get", "put", "post", "delete", "patch"])
    if (o.item[m] && ![...exercised].some((k) => k.startsWith(`${m.toUpperCase()} ${o.template} → 2`)))
      console.log(`# no 2xx exchange of ${m.toUpperCase()} ${o.template} in this traffic`);
console.log(`# ${exchanges} exchanges checked`);
console.log(`${label}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
