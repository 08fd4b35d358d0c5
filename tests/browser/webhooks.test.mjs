// The ADMIN's webhooks screen (docs/console.md, docs/webhooks.md) in a real headless Chromium, with
// a receiver on 127.0.0.1 (the server may send there: CRMD_WEBHOOK_ALLOW_PRIVATE=1): each test acts
// through labels and buttons and checks what the API stored and what the receiver got.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { fitsWidth, focused, screenshot, signIn, suite, tabTo, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Hooks", {
  CRMD_WEBHOOK_ALLOW_PRIVATE: "1", CRMD_WEBHOOK_BACKOFF_MS: "50", CRMD_WEBHOOK_MAX_ATTEMPTS: "2",
});

// The receiver: records every POST by path; answers each path's status (200 unless told).
const got = [];
const answer = new Map();
const receiver = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => { body += c; });
  req.on("end", () => {
    got.push({ path: req.url, headers: req.headers, body });
    res.writeHead(answer.get(req.url) ?? 200).end("ok");
  });
});
let hookBase;
before(() => new Promise((ok) => receiver.listen(0, "127.0.0.1", () => { hookBase = `http://127.0.0.1:${receiver.address().port}`; ok(); })));
after(() => new Promise((ok) => receiver.close(ok)));
const received = (path) => got.filter((r) => r.path === path);

const hooks = async (token) => (await srv.req("GET", "/api/webhooks", undefined, token)).json.data.webhooks;
const deliveries = async (token, id, q = "") => (await srv.req("GET", `/api/webhooks/${id}/deliveries?limit=200${q}`, undefined, token)).json.data;
async function apiHook(token, path, events = ["contact_created"]) {
  const r = await srv.req("POST", "/api/webhooks", { url: hookBase + path, events }, token);
  assert.equal(r.status, 201, r.text);
  return r.json.data.webhook;
}

async function openWebhooks(page, org) {
  await signIn(page, srv.base, org.email, org.password);
  await page.getByRole("link", { name: "Webhooks", exact: true }).click();
  await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
}

describe("webhooks (ADMIN)", () => {
  test("a webhook made in the page: its secret shown once signs its deliveries; Redeliver sends again and shows the outcome", async () => {
    const org = await newOrg();
    const url = hookBase + "/made-in-page";
    await withPage(async ({ page }) => {
      await openWebhooks(page, org);
      await page.getByText("No webhooks yet.").waitFor();
      await page.getByLabel("Receiver URL").fill(url);
      await page.getByLabel("contact_updated").uncheck();
      await page.getByLabel("contact_removed").uncheck();
      await page.getByRole("button", { name: "Create webhook" }).click();
      await page.getByRole("status").filter({ hasText: `Webhook to ${url} created.` }).waitFor();
      const box = page.getByLabel(`Signing secret of ${url}`);
      const secret = await box.inputValue();
      assert.match(secret, /^whsec_[A-Za-z0-9_-]{43}$/);
      await until(async () => (await focused(page)).id === "wh-secret", 1000, "the focus on the secret");
      await page.getByText("crmd will not show this secret again").waitFor();
      assert.equal(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }).includes("whsec_")), false);

      const [w] = await hooks(org.token);
      assert.equal(w.url, url);
      assert.deepEqual(w.events, ["contact_created"]);
      assert.equal(w.secret, undefined, "the list never shows the secret");
      const item = page.locator(`li[data-id="${w._id}"]`);
      await item.getByText("Events: contact_created").waitFor();

      // an event: delivered, signed with the secret the page showed
      const c = await createContact(org.token, { firstName: "Hooked" });
      await until(() => received("/made-in-page").length === 1, 20000, "the delivery");
      const [r] = received("/made-in-page");
      const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(r.headers["x-crmd-signature"]);
      assert.equal(createHmac("sha256", secret).update(`${t}.${r.body}`).digest("hex"), v1);
      assert.equal(JSON.parse(r.body).data.contact._id, c._id);

      await item.getByRole("button", { name: `Show deliveries of ${url}` }).click();
      const row = item.locator("tbody tr").first();
      await row.getByText("Succeeded").waitFor();
      assert.equal(await item.locator("tbody tr").count(), 1);
      assert.match(await row.innerText(), /contact_created\s+Succeeded\s+1\s+HTTP 200/);
      await item.getByText("Page 1 of 1 (1 delivery)").waitFor();

      await row.getByRole("button", { name: /^Redeliver contact_created of / }).click();
      await page.getByRole("status").filter({ hasText: "Redelivery of contact_created: succeeded, HTTP 200, after 1 attempt." }).waitFor({ timeout: 20000 });
      await until(async () => (await focused(page)).id === `wd-status-${w._id}`, 1000, "the focus on the outcome");
      assert.equal(await item.locator("tbody tr").count(), 2);
      await item.locator("tbody tr.fresh").getByText("redelivery").waitFor();
      const two = received("/made-in-page");
      assert.equal(two.length, 2);
      assert.equal(JSON.parse(two[1].body).seq, JSON.parse(two[0].body).seq, "the same event");
      assert.notEqual(two[1].headers["x-crmd-delivery"], two[0].headers["x-crmd-delivery"], "a new delivery");
      const log = await deliveries(org.token, w._id);
      assert.equal(log.total, 2);
      assert.equal(log.deliveries[0]._id, two[1].headers["x-crmd-delivery"]);
      assert.equal(log.deliveries[0].status, "succeeded");
      assert.equal(log.deliveries[1].status, "succeeded", "the original stays in the log as it was");

      // the secret is not shown again
      await page.reload();
      await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
      await item.waitFor();
      assert.equal(await page.getByLabel(`Signing secret of ${url}`).count(), 0);
    });
  });

  test("the server's errors land at the URL, the events and the secret; nothing is made", async () => {
    const org = await newOrg();
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/webhooks$/);
      await openWebhooks(page, org);
      const urlBox = page.getByLabel("Receiver URL");
      await urlBox.fill("ftp://example.com/hook");
      await page.getByRole("button", { name: "Create webhook" }).click();
      await page.locator("#wf-url-err").waitFor();
      assert.equal(await urlBox.getAttribute("aria-invalid"), "true");
      await until(async () => (await focused(page)).id === "wf-url", 1000, "the focus on the URL");

      await urlBox.fill(hookBase + "/never");
      for (const ev of ["contact_created", "contact_updated", "contact_removed"]) await page.getByLabel(ev).uncheck();
      await page.getByRole("button", { name: "Create webhook" }).click();
      await page.locator("#wf-events-err").waitFor();
      assert.equal(await page.getByRole("group", { name: "Events to send" }).getAttribute("aria-invalid"), "true");
      assert.equal(await urlBox.getAttribute("aria-invalid"), null, "the URL is no longer marked");
      await until(async () => (await focused(page)).id === "wf-ev-contact_created", 1000, "the focus on the events");

      await page.getByLabel("note_created").check();
      await page.getByLabel(/^Signing secret/).fill("too short");
      await page.getByRole("button", { name: "Create webhook" }).click();
      await page.locator("#wf-secret-err").getByText("secret must have 16 to 256 characters").waitFor();
      await until(async () => (await focused(page)).id === "wf-secret", 1000, "the focus on the secret");
      assert.deepEqual(await hooks(org.token), [], "nothing was made");

      // a secret of one's own is kept as given
      const mine = "my-own-secret-0123456789";
      await page.getByLabel(/^Signing secret/).fill(mine);
      await page.getByRole("button", { name: "Create webhook" }).click();
      assert.equal(await page.getByLabel(`Signing secret of ${hookBase}/never`).inputValue(), mine);
      assert.deepEqual((await hooks(org.token)).map((w) => w.events), [["note_created"]]);
    });
  });

  test("failed deliveries, a page at a time; a redelivery that succeeds once the receiver is back", async () => {
    const org = await newOrg();
    answer.set("/down", 500);
    const w = await apiHook(org.token, "/down");
    for (let i = 0; i < 21; i++) await createContact(org.token, { firstName: `Lead${i}` });
    await until(async () => {
      const d = await deliveries(org.token, w._id);
      return d.total === 21 && d.deliveries.every((x) => x.status === "failed");
    }, 60000, "21 failed deliveries");
    await withPage(async ({ page }) => {
      await openWebhooks(page, org);
      const item = page.locator(`li[data-id="${w._id}"]`);
      await item.getByRole("button", { name: /^Show deliveries/ }).click();
      await item.getByText("Page 1 of 2 (21 deliveries)").waitFor();
      assert.equal(await item.locator("tbody tr").count(), 20);
      assert.match(await item.locator("tbody tr").first().innerText(), /contact_created\s+Failed\s+2\s+HTTP 500/);
      assert.equal(await item.getByRole("button", { name: "Newer deliveries" }).isDisabled(), true);
      await item.getByRole("button", { name: "Older deliveries" }).click();
      await item.getByText("Page 2 of 2 (21 deliveries)").waitFor();
      assert.equal(await item.locator("tbody tr").count(), 1);
      const oldest = (await deliveries(org.token, w._id)).deliveries[20];
      assert.equal(await item.locator("tbody tr").getAttribute("data-id"), oldest._id);

      answer.set("/down", 204);
      await item.getByRole("button", { name: /^Redeliver/ }).click();
      await page.getByRole("status").filter({ hasText: "Redelivery of contact_created: succeeded, HTTP 204, after 1 attempt." }).waitFor({ timeout: 20000 });
      await item.getByText("Page 1 of 2 (22 deliveries)").waitFor();
      const log = await deliveries(org.token, w._id);
      assert.equal(log.total, 22);
      assert.equal(log.deliveries[0].status, "succeeded");
      assert.equal(log.deliveries[0].eventSeq, oldest.eventSeq, "the oldest event again");
      assert.equal(log.deliveries.filter((d) => d._id === oldest._id)[0].status, "failed");
    });
  });

  test("a webhook deleted after a question whose safe answer has the focus", async () => {
    const org = await newOrg();
    const w = await apiHook(org.token, "/gone", ["contact_removed"]);
    await withPage(async ({ page }) => {
      await openWebhooks(page, org);
      const del = page.getByRole("button", { name: `Delete webhook… ${w.url}` });
      await del.click();
      await page.getByText(`Delete the webhook to ${w.url}?`).waitFor();
      await until(async () => (await focused(page)).text === "Cancel", 1000, "the focus on Cancel");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)).id === `wh-delete-${w._id}`, 1000, "the focus back on Delete");
      assert.equal((await hooks(org.token)).length, 1);
      await del.click();
      await page.getByRole("button", { name: "Yes, delete the webhook" }).click();
      await page.getByRole("status").filter({ hasText: `The webhook to ${w.url} is deleted.` }).waitFor();
      await page.getByText("No webhooks yet.").waitFor();
      await until(async () => (await focused(page)).id === "webhooks-h", 1000, "the focus on the heading");
      assert.equal((await srv.req("GET", `/api/webhooks/${w._id}`, undefined, org.token)).status, 404);
    });
  });

  test("by keyboard: a webhook made, its deliveries opened", async () => {
    const org = await newOrg();
    await withPage(async ({ page }) => {
      await openWebhooks(page, org);
      await tabTo(page, (f) => f.id === "wf-url", "the URL");
      await page.keyboard.type(hookBase + "/keys");
      await tabTo(page, (f) => f.id === "wf-ev-contact_removed", "contact_removed");
      await page.keyboard.press("Space");
      await tabTo(page, (f) => f.text === "Create webhook", "Create webhook");
      await page.keyboard.press("Enter");
      await page.getByLabel(`Signing secret of ${hookBase}/keys`).waitFor();
      assert.deepEqual((await hooks(org.token)).map((w) => w.events), [["contact_created", "contact_updated"]]);
      await until(async () => (await focused(page)).id === "wh-secret", 1000, "the focus on the secret");
      await tabTo(page, (f) => f.text.startsWith("Show deliveries"), "Show deliveries");
      await page.keyboard.press("Enter");
      await page.getByText("No deliveries yet").waitFor();
      assert.equal(await page.getByRole("button", { name: /^Hide deliveries/ }).getAttribute("aria-expanded"), "true");
    });
  });

  // A SALES_REP's admin screens: console.test.mjs "roles".
  test("a DEPARTMENT_HEAD has no webhooks screen, and the route asks the server nothing", async () => {
    const org = await newOrg();
    const head = await addUser(org, "DEPARTMENT_HEAD", "Head");
    await withPage(async ({ page }) => {
      const asked = [];
      page.on("request", (r) => { if (new URL(r.url()).pathname.startsWith("/api/webhooks")) asked.push(r.url()); });
      await signIn(page, srv.base, head.email, head.password);
      assert.equal(await page.getByRole("link", { name: "Webhooks" }).count(), 0);
      await page.goto(`${srv.base}/#/webhooks`);
      await page.getByRole("alert").filter({ hasText: "Only an ADMIN manages webhooks." }).waitFor();
      assert.deepEqual(asked, []);
    });
  });
});

describe("small and wide screens", () => {
  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px the webhooks screen and a delivery log do not scroll sideways`, async () => {
      const org = await newOrg();
      const w = await apiHook(org.token, `/screen-${width}/a-rather-long-path/that-must-wrap-on-a-phone?with=query`);
      await createContact(org.token, { firstName: "Wide" });
      await until(async () => (await deliveries(org.token, w._id)).deliveries[0]?.status === "succeeded", 20000, "a delivery");
      await withPage(async ({ page }) => {
        await openWebhooks(page, org);
        await page.getByRole("button", { name: /^Show deliveries/ }).click();
        await page.getByText("Succeeded").waitFor();
        await fitsWidth(page, width, "the webhooks screen");
        await screenshot(page, `webhooks-${width}`);
      }, { width, height: 900 });
    });
  }
});
