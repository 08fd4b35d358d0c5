// Headless Chromium (Debian's, never a downloaded one) driven by playwright-core, against a real
// crmd started by ../realtime/harness.mjs. Every page is watched: a console error, an uncaught
// exception, a failed request, a request to another host or an HTTP error the test did not
// expect fails the test.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Crmd, usPhone } from "../realtime/harness.mjs";

export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHOTS = process.env.SCREENSHOTS || resolve(root, process.env.BUILD || "build", "screenshots");

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true });
}

// A new context (its own sessionStorage) and page, watched. `allow(status, method, path regexp)`
// declares an HTTP error the test expects; `check()` asserts nothing else went wrong. `tab()` opens
// another page of the context (a second tab of one person: its own sessionStorage, so it signs in
// too), watched by the same rules, with the same allowances, and checked by the same `check()`.
export async function openPage(browser, base, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  const problems = [];
  const allowed = [];
  const tab = async () => watch(await context.newPage(), base, problems, allowed);
  return {
    page: await tab(), context, tab,
    allow(status, method, path) { allowed.push({ status, method, path }); },
    check() { assert.deepEqual(problems, [], "the page had problems"); },
    async close() { await context.close(); },
  };
}

function watch(page, base, problems, allowed) {
  const origin = new URL(base).origin;
  page.on("console", (m) => {
    // The browser logs every HTTP error as "Failed to load resource"; those are judged below.
    if (m.type() === "error" && !/^Failed to load resource: the server responded with a status of \d+/.test(m.text()))
      problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed request: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.protocol !== "data:" && u.origin !== origin) problems.push(`request to another host: ${r.url()}`);
  });
  page.on("websocket", (ws) => {
    if (new URL(ws.url()).host !== new URL(base).host) problems.push(`socket to another host: ${ws.url()}`);
  });
  page.on("response", (r) => {
    if (r.status() < 400) return;
    const path = new URL(r.url()).pathname, method = r.request().method();
    if (!allowed.some((a) => a.status === r.status() && a.method === method && a.path.test(path)))
      problems.push(`unexpected ${r.status()} for ${method} ${path}`);
  });
  return page;
}

// Signs in and waits for the screen the role lands on (`landing`'s heading).
export async function signIn(page, base, email, password, landing = "Contacts") {
  await page.goto(base + "/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: landing, exact: true }).waitFor();
}

// Polls fn until it returns a truthy value, or fails. ms is what the wait takes at most on an idle
// machine; a loaded one (CI) is slower, and this is no timing assertion, so the wait allows five
// times that, up to 10 s (and never less than ms).
export async function until(fn, ms = 2000, what = "condition") {
  ms = Math.max(ms, Math.min(5 * ms, 10000));
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((ok) => setTimeout(ok, 25));
  }
}

// Asserts that the page does not scroll sideways at `width` px (what: the words of the failure).
export async function fitsWidth(page, width, what) {
  const w = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(w <= width, `${what} is ${w} px wide at ${width} px`);
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

// The text of the element that has the keyboard focus, and whether its focus ring shows.
export function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = el ? getComputedStyle(el) : null;
    return { id: el?.id ?? "", text: (el?.textContent ?? "").trim(), tag: el?.tagName ?? "",
             ring: !!style && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0 };
  });
}

// Presses Tab (or `key`, e.g. Shift+Tab) until pred(focused) holds (at most 40 times); every stop
// must show its focus ring.
export async function tabTo(page, pred, what, key = "Tab") {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press(key);
    const f = await focused(page);
    assert.ok(f.ring, `focus ring not visible on ${f.tag}#${f.id} "${f.text}"`);
    if (pred(f)) return f;
  }
  throw new Error(`Tab never reached ${what}`);
}

// A test file's server (../realtime/harness.mjs) and browser, started before its tests and
// stopped after them (the server must exit 0: under ASan, no leak and no error), with what every
// file needs of them: `srv`, a fresh organization (named after prefix), a user of it with a
// role, a contact made through the API, and a watched page (`withPage(fn, viewport)`: fn gets
// openPage's object; the page must end with no problem). `env` is the server's extra environment.
export function suite(prefix, env = {}) {
  const srv = new Crmd(env);
  let browser;
  before(async () => {
    await srv.start();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    const r = await srv.stop();
    assert.equal(r?.code, 0, "crmd exits 0 on SIGTERM (under ASan: no leak, no error)");
  });
  return { srv, ...fixtures(srv, () => browser, prefix, usPhone) };
}

function fixtures(srv, browser, prefix, phone) {
  let orgs = 0;
  const f = {
    newOrg: () => srv.org(`${prefix}${++orgs}`),
    async addUser(org, role, name) {
      const email = `${name.toLowerCase()}-${Date.now()}@rt.test`;
      const r = await srv.req("POST", "/api/users", { fullName: name, email, password: "user-pass-123", accessRole: role }, org.token);
      assert.equal(r.status, 201, r.text);
      return { email, password: "user-pass-123", token: await srv.login(email, "user-pass-123"), id: r.json.data.user?._id ?? r.json.data._id };
    },
    async createContact(token, body) {
      const r = await srv.req("POST", "/api/contact", { phoneNumber: phone(), ...body }, token);
      assert.equal(r.status, 201, r.text);
      return r.json.data.contact;
    },
    async withPage(fn, viewport) {
      const p = await openPage(browser(), srv.base, viewport);
      try {
        await fn(p);
        p.check();
      } finally {
        await p.close();
      }
    },
  };
  return f;
}
