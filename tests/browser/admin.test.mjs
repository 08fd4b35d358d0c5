// The ADMIN's pipelines and API key screens (API.md §13, docs/console.md) in a real headless
// Chromium: each test acts through labels and buttons and checks what the API stored.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fitsWidth, focused, screenshot, signIn, suite, tabTo, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Admin");

const pipelines = async (token) => (await srv.req("GET", "/api/pipelines/list?type=Contact", undefined, token)).json.data.pipelines;
const active = (p) => p.pipelineStages.filter((s) => s.isActive).sort((a, b) => a.position - b.position).map((s) => s.name);

async function openPipelines(page, org) {
  await signIn(page, srv.base, org.email, org.password);
  await page.getByRole("link", { name: "Pipelines", exact: true }).click();
  await page.getByRole("heading", { name: "Pipelines", exact: true }).waitFor();
}

describe("pipelines (ADMIN)", () => {
  test("a new pipeline with its stages, made the default; errors land at their field", async () => {
    const org = await newOrg();
    const before = await pipelines(org.token);
    await withPage(async ({ page, allow }) => {
      allow(409, "POST", /^\/api\/pipelines\/create$/);
      allow(400, "POST", /^\/api\/pipelines\/create$/);
      await openPipelines(page, org);
      await page.getByRole("heading", { name: before[0].name }).waitFor();
      const form = page.getByRole("form", { name: "New pipeline" });
      // the name of the existing pipeline: refused at the name
      await form.getByLabel("Pipeline name").fill(before[0].name);
      await form.getByLabel("Stage 1 name").fill("Intro");
      await form.getByRole("button", { name: "Create pipeline" }).click();
      await page.locator("#pn-name-err").waitFor();
      assert.equal(await form.getByLabel("Pipeline name").getAttribute("aria-invalid"), "true");
      await until(async () => (await focused(page)).id === "pn-name", 1000, "the focus on the name");
      // a blank stage: refused at that stage
      await form.getByLabel("Pipeline name").fill("Partners");
      await form.getByRole("button", { name: "Add stage" }).click();
      await until(async () => /^pn-name-\d+$/.test((await focused(page)).id), 1000, "the new stage's name has the focus");
      await form.getByRole("button", { name: "Create pipeline" }).click();
      const stage2 = form.getByLabel("Stage 2 name");
      await until(async () => (await stage2.getAttribute("aria-invalid")) === "true", 2000, "the error at stage 2");
      assert.equal((await pipelines(org.token)).length, 1, "nothing was created");

      await stage2.fill("Signed");
      await form.getByRole("button", { name: "Add stage" }).click();
      await form.getByLabel("Stage 3 name").fill("Onboarded");
      await form.getByRole("button", { name: "Move Signed down" }).click();   // Intro, Onboarded, Signed
      // at the bottom, the focus stays on the row, on the button that still moves it
      await until(async () => (await focused(page)).text === "Move Signed up", 1000, "the focus on Move Signed up");
      await form.getByLabel("Make it the default pipeline").check();
      await form.getByRole("button", { name: "Create pipeline" }).click();
      await page.getByRole("status").filter({ hasText: "Partners created, and it is now the default pipeline." }).waitFor();
      const now = await pipelines(org.token);
      const partners = now.find((p) => p.name === "Partners");
      assert.deepEqual(active(partners), ["Intro", "Onboarded", "Signed"]);
      assert.equal(partners.isDefault, true);
      assert.equal(now.find((p) => p._id === before[0]._id).isDefault, false);
      await page.locator(`li[data-id="${partners._id}"]`).getByText("default").waitFor();
      // a contact made with no pipeline goes to the new default; the board opens on it
      const c = await createContact(org.token, { firstName: "Defaulted" });
      assert.equal(c.pipelineId, partners._id);
      await page.getByRole("link", { name: "Board", exact: true }).click();
      await page.getByRole("region", { name: "Intro", exact: true }).getByRole("link", { name: "Defaulted" }).waitFor();
    });
  });

  test("a pipeline renamed, its stages renamed, reordered, added, deactivated and reactivated", async () => {
    const org = await newOrg();
    const [p] = await pipelines(org.token);
    const c = await createContact(org.token, { firstName: "Qualified", lastName: "Lead", status: "Qualified" });
    await withPage(async ({ page }) => {
      await openPipelines(page, org);
      await page.getByRole("button", { name: `Edit ${p.name}` }).click();
      const form = page.getByRole("form", { name: `Edit ${p.name}` });
      await form.getByLabel("Pipeline name").fill("Sales");
      await form.getByLabel("Stage 3 name").fill("Hot");   // Qualified → Hot: its contacts follow
      await form.getByRole("button", { name: "Move Hot up" }).click();   // New Lead, Hot, Contacted, Won, Lost
      await until(async () => (await focused(page)).text === "Move Hot up", 1000, "the focus stays on Move Hot up");
      await form.getByRole("button", { name: "Deactivate Lost" }).click();
      await form.getByRole("button", { name: "Add stage" }).click();
      await form.getByLabel("Stage 5 name").fill("Nurture");
      await form.getByRole("button", { name: "Save pipeline" }).click();
      await page.getByRole("status").filter({ hasText: "Sales saved. Contacts renamed with their stage: Qualified → Hot: 1." }).waitFor();
      await until(async () => (await focused(page)).text === "Edit Sales", 2000, "the focus back on Edit Sales");
      let sales = (await pipelines(org.token)).find((x) => x._id === p._id);
      assert.equal(sales.name, "Sales");
      assert.deepEqual(active(sales), ["New Lead", "Hot", "Contacted", "Won", "Nurture"]);
      assert.equal(sales.pipelineStages.find((s) => s.name === "Lost").isActive, false);
      const got = (await srv.req("GET", `/api/contacts/${c._id}`, undefined, org.token)).json.data.contact;
      assert.equal(got.status, "Hot");
      // the board follows the new order
      await page.getByRole("link", { name: "Board", exact: true }).click();
      await page.locator(".board").waitFor();
      assert.deepEqual(await page.locator("section.column h2 > span:first-child").allTextContents(), ["New Lead", "Hot", "Contacted", "Won", "Nurture"]);

      await page.getByRole("link", { name: "Pipelines", exact: true }).click();
      await page.getByRole("button", { name: "Edit Sales" }).click();
      await page.getByRole("button", { name: "Reactivate Lost" }).click();
      await page.getByRole("button", { name: "Save pipeline" }).click();
      await page.getByRole("status").filter({ hasText: "Sales saved." }).waitFor();
      sales = (await pipelines(org.token)).find((x) => x._id === p._id);
      assert.deepEqual(active(sales), ["New Lead", "Hot", "Contacted", "Won", "Nurture", "Lost"]);
    });
  });

  test("two stages with one name are refused at the stage; Cancel leaves the pipeline as it was", async () => {
    const org = await newOrg();
    const [p] = await pipelines(org.token);
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/pipelines$/);
      await openPipelines(page, org);
      await page.getByRole("button", { name: `Edit ${p.name}` }).click();
      await page.getByLabel("Stage 2 name").fill("New Lead");
      await page.getByRole("button", { name: "Save pipeline" }).click();
      await until(async () => (await page.locator("[aria-invalid=true]").count()) === 1, 2000, "one field marked");
      const bad = await page.locator("[aria-invalid=true]").getAttribute("id");
      assert.equal(bad, await page.getByLabel("Stage 2 name").getAttribute("id"), "the second of the two");
      await until(async () => (await focused(page)).id === bad, 1000, "the focus on the stage");
      await page.getByRole("button", { name: "Cancel" }).click();
      await until(async () => (await focused(page)).text === `Edit ${p.name}`, 2000, "the focus back on Edit");
      assert.deepEqual(active((await pipelines(org.token))[0]), active(p));
    });
  });

  test("closing a stage moves its contacts to another stage, then deactivates it", async () => {
    const org = await newOrg();
    const [p] = await pipelines(org.token);
    const lost = [await createContact(org.token, { firstName: "Lost", lastName: "One", status: "Lost" }),
                  await createContact(org.token, { firstName: "Lost", lastName: "Two", status: "Lost" })];
    await createContact(org.token, { firstName: "Won", lastName: "Already", status: "Won" });
    await withPage(async ({ page }) => {
      await openPipelines(page, org);
      await page.getByRole("button", { name: `Close a stage of ${p.name}…` }).click();
      const form = page.getByRole("form", { name: `Close a stage of ${p.name}` });
      await until(async () => (await focused(page)).id === `cs-${p._id}-source`, 1000, "the focus on the first choice");
      await form.getByLabel("Stage to close").selectOption({ label: "Lost" });
      await form.getByLabel("Move its contacts to").selectOption({ label: "Won" });
      await form.getByRole("button", { name: "Move the contacts of Lost to Won and close Lost" }).click();
      await page.getByRole("status").filter({ hasText: "2 contacts moved from Lost to Won; Lost is closed." }).waitFor();
      for (const c of lost)
        assert.equal((await srv.req("GET", `/api/contacts/${c._id}`, undefined, org.token)).json.data.contact.status, "Won");
      const now = (await pipelines(org.token))[0];
      assert.deepEqual(active(now), ["New Lead", "Contacted", "Qualified", "Won"]);
      assert.equal(now.pipelineStages.find((s) => s.name === "Lost").isActive, false);
      await until(async () => (await focused(page)).text === `Close a stage of ${p.name}…`, 1000, "the focus back on the button");
      await page.getByRole("link", { name: "Board", exact: true }).click();
      await page.locator(".board").waitFor();
      assert.equal(await page.getByRole("region", { name: "Won", exact: true }).locator("li[data-id]").count(), 3);
      assert.equal(await page.getByRole("region", { name: "Lost", exact: true }).count(), 0);
    });
  });

  test("a pipeline deleted: its contacts move to the first stage of the pipeline chosen; the default has no Delete", async () => {
    const org = await newOrg();
    const [main] = await pipelines(org.token);
    const r = await srv.req("POST", "/api/pipelines/create", { name: "Partners", pipelineStages: [{ name: "Intro" }, { name: "Signed" }] }, org.token);
    assert.equal(r.status, 201, r.text);
    const partners = r.json.data.pipeline;
    const c = await createContact(org.token, { firstName: "Partner", lastName: "Co", pipelineId: partners._id, status: "Signed" });
    await withPage(async ({ page }) => {
      await openPipelines(page, org);
      await page.getByRole("button", { name: "Delete Partners…" }).click();
      assert.equal(await page.getByRole("button", { name: `Delete ${main.name}…` }).count(), 0);
      const box = page.getByRole("group", { name: "Delete Partners" });
      await until(async () => (await focused(page)).id === `dp-${partners._id}-target`, 1000, "the focus on the choice");
      assert.equal(await box.getByLabel("Move its contacts to").inputValue(), main._id);
      await box.getByRole("button", { name: "Cancel" }).click();
      await until(async () => (await focused(page)).text === "Delete Partners…", 1000, "the focus back");
      assert.equal((await pipelines(org.token)).filter((p) => p.isActive).length, 2);
      await page.getByRole("button", { name: "Delete Partners…" }).click();
      await box.getByRole("button", { name: "Yes, delete Partners" }).click();
      await page.getByRole("status").filter({ hasText: `Partners deleted. 1 contact moved to ${main.name}, New Lead.` }).waitFor();
      assert.deepEqual((await pipelines(org.token)).filter((p) => p.isActive).map((p) => p._id), [main._id]);
      const got = (await srv.req("GET", `/api/contacts/${c._id}`, undefined, org.token)).json.data.contact;
      assert.equal(got.pipelineId, main._id);
      assert.equal(got.status, "New Lead");
      assert.equal(await page.getByRole("heading", { name: "Partners" }).count(), 0);
    });
  });

  test("other roles have no pipelines or API key screen", async () => {
    const org = await newOrg();
    const head = await addUser(org, "DEPARTMENT_HEAD", "Head");
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, head.email, head.password);
      assert.equal(await page.getByRole("link", { name: "Pipelines" }).count(), 0);
      assert.equal(await page.getByRole("link", { name: "API key" }).count(), 0);
      await page.goto(`${srv.base}/#/pipelines`);
      await page.getByRole("alert").filter({ hasText: "Only an ADMIN manages pipelines." }).waitFor();
      await page.goto(`${srv.base}/#/api-key`);
      await page.getByRole("alert").filter({ hasText: "Only an ADMIN manages API keys here." }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Generate a new API key" }).count(), 0);
    });
  });
});

describe("API key (ADMIN)", () => {
  test("a new key is shown once, works at once, and the next one ends it", async () => {
    const org = await newOrg();
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.getByRole("link", { name: "API key" }).click();
      await page.getByRole("heading", { name: "API key" }).waitFor();
      // Cancel asks nothing of the server
      await page.getByRole("button", { name: "Generate a new API key" }).click();
      await page.getByRole("button", { name: "Cancel" }).click();
      await until(async () => (await focused(page)).text === "Generate a new API key", 1000, "focus back");
      assert.equal(await page.getByLabel("Your new API key").count(), 0);

      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)).text === "Cancel", 1000, "the question's safe answer has the focus");
      await tabTo(page, (f) => f.text === "Yes, make a new key", "the confirmation", "Shift+Tab");
      await page.keyboard.press("Enter");
      const box = page.getByLabel("Your new API key");
      await box.waitFor();
      const first = await box.inputValue();
      assert.match(first, /^tk_live_/);
      await until(async () => (await focused(page)).id === "apikey-value", 1000, "the focus on the key");
      assert.equal((await srv.req("GET", "/api/auth/verify-token", undefined, first)).status, 200);
      const seen = await srv.req("GET", "/api/contacts?ownerFilter=all", undefined, first);
      assert.equal(seen.status, 200, "the key acts as the ADMIN");
      assert.equal(await page.evaluate(() => JSON.stringify({ ...sessionStorage, ...localStorage }).includes("tk_live_")), false);

      await page.getByRole("button", { name: "Generate a new API key" }).click();
      await page.getByRole("button", { name: "Yes, make a new key" }).click();
      await until(async () => (await box.inputValue()) !== first, 2000, "a second key");
      const second = await box.inputValue();
      assert.equal((await srv.req("GET", "/api/auth/verify-token", undefined, first)).status, 401);
      assert.equal((await srv.req("GET", "/api/auth/verify-token", undefined, second)).status, 200);
      // leaving the screen forgets the key
      await page.getByRole("link", { name: "Contacts", exact: true }).click();
      await page.getByRole("link", { name: "API key" }).click();
      await page.getByRole("heading", { name: "API key" }).waitFor();
      assert.equal(await page.getByLabel("Your new API key").count(), 0);
    });
  });
});

describe("small and wide screens", () => {
  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px the pipelines and API key screens do not scroll sideways`, async () => {
      const org = await newOrg();
      await withPage(async ({ page }) => {
        await openPipelines(page, org);
        await page.getByRole("button", { name: /^Edit / }).click();
        await page.getByRole("button", { name: "Save pipeline" }).waitFor();
        await fitsWidth(page, width, "pipelines");
        await screenshot(page, `pipelines-${width}`);
        await page.getByRole("link", { name: "API key" }).click();
        await page.getByRole("button", { name: "Generate a new API key" }).click();
        await page.getByRole("button", { name: "Yes, make a new key" }).click();
        await page.getByLabel("Your new API key").waitFor();
        await fitsWidth(page, width, "API key");
        await screenshot(page, `api-key-${width}`);
      }, { width, height: 900 });
    });
  }
});

describe("the header on small and wide screens", () => {
  // The links of the main nav: their rows (distinct tops), and how the nav box scrolls.
  const navShape = (page) => page.evaluate(() => {
    const nav = document.querySelector("nav[aria-label=Main]"), box = nav.getBoundingClientRect();
    const links = [...nav.querySelectorAll("a")].map((a) => ({ text: a.textContent, current: a.getAttribute("aria-current") === "page",
                                                                 top: Math.round(a.getBoundingClientRect().top),
                                                                 left: a.getBoundingClientRect().left, right: a.getBoundingClientRect().right }));
    return { rows: new Set(links.map((l) => l.top)).size, links, left: box.left, right: box.right,
             scrolls: nav.scrollWidth > nav.clientWidth, header: document.querySelector("header.top").getBoundingClientRect().height };
  });

  for (const width of [360, 1280]) {
    test(`at ${width} px an ADMIN's nine links are one row, and the current page's link is in view`, async () => {
      const org = await newOrg();
      await withPage(async ({ page }) => {
        await signIn(page, srv.base, org.email, org.password);
        await page.getByRole("heading", { name: "Contacts" }).waitFor();
        let shape = await navShape(page);
        assert.equal(shape.links.length, 9, shape.links.map((l) => l.text).join(", "));
        assert.equal(shape.rows, 1, `the links are on one row (${shape.rows} rows)`);
        assert.ok(shape.header <= 110, `the header is ${shape.header} px high`);
        assert.equal(shape.scrolls, width === 360, width === 360 ? "the row scrolls sideways" : "the row fits");
        await fitsWidth(page, width, "the page with its header");
        // a page whose link starts out of the row's view: the row scrolls to show it
        await page.goto(srv.base + "/#/webhooks");
        await page.getByRole("heading", { name: "Webhooks" }).waitFor();
        await until(async () => {
          shape = await navShape(page);
          const cur = shape.links.find((l) => l.current);
          return cur && cur.text === "Webhooks" && cur.left >= shape.left - 0.5 && cur.right <= shape.right + 0.5;
        }, 2000, "the Webhooks link in the nav's view");
        await fitsWidth(page, width, "webhooks");
        await screenshot(page, `header-webhooks-${width}`);
      }, { width, height: 800 });
    });
  }
});
