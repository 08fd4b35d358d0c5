// The web console (API.md §13) as people use it, in a real headless Chromium: each test signs in
// to its own organization, acts through labels and buttons, and checks both the page and what
// the API stored.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { usPhone } from "../realtime/harness.mjs";
import { fitsWidth, focused, screenshot, signIn, suite, tabTo, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Console");

async function getContact(token, id) {
  return srv.req("GET", `/api/contacts/${id}`, undefined, token);
}

describe("serving", () => {
  test("the page comes with its CSP, no-cache, and immutable fingerprinted assets from the same origin", async () => {
    await withPage(async ({ page }) => {
      const assets = [];
      page.on("response", (r) => { if (new URL(r.url()).pathname.startsWith("/assets/")) assets.push(r); });
      const res = await page.goto(srv.base + "/");
      assert.equal(res.status(), 200);
      const h = res.headers();
      assert.match(h["content-security-policy"], /default-src 'self'/);
      assert.match(h["content-security-policy"], /frame-ancestors 'none'/);
      assert.doesNotMatch(h["content-security-policy"], /unsafe-inline|unsafe-eval/);
      assert.match(h["content-security-policy"], /connect-src 'self';/);   // the socket: this origin only
      assert.equal(h["cache-control"], "no-cache");
      assert.equal(h["x-content-type-options"], "nosniff");
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      assert.equal(assets.length, 3);
      for (const a of assets) {
        assert.equal(a.status(), 200);
        assert.equal(a.headers()["cache-control"], "public, max-age=31536000, immutable");
        assert.equal(a.headers()["content-encoding"], "gzip");
      }
    });
  });
});

describe("signing in", () => {
  test("a wrong password is refused on the page; the right one signs in; sign out ends the session", async () => {
    const org = await newOrg();
    await withPage(async ({ page, allow }) => {
      allow(401, "POST", /^\/api\/auth\/login$/);
      await page.goto(srv.base + "/");
      await page.getByLabel("Email").fill(org.email);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "Wrong email or password." }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.length), 0);

      await page.getByLabel("Password").fill(org.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();
      await page.getByText("ADMIN", { exact: true }).waitFor();
      const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem("crmd.session")));
      assert.equal((await srv.req("GET", "/api/auth/verify-token", undefined, stored.token)).status, 200);

      await page.reload();   // the session survives a reload of the tab
      await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem("crmd.session")), null);
    });
  });
});

describe("new contact", () => {
  test("a contact with two phones and two emails, in a chosen pipeline and stage", async () => {
    const org = await newOrg();
    const r0 = await srv.req("POST", "/api/pipelines/create", { name: "Partners", pipelineStages: [{ name: "Intro" }, { name: "Signed" }] }, org.token);
    assert.equal(r0.status, 201, r0.text);
    const partners = r0.json.data.pipeline;
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.getByRole("link", { name: "New contact" }).first().click();
      await page.getByLabel("First name").fill("Ada");
      await page.getByLabel("Last name").fill("Lovelace");
      await page.getByLabel("Phone 1").fill("(416) 555-0199");
      await page.getByRole("button", { name: "Add phone" }).click();
      await page.getByLabel("Phone 2").fill("+44 20 7946 0958");
      await page.getByLabel("Email 1").fill("Ada@Example.com");
      await page.getByRole("button", { name: "Add email" }).click();
      await page.getByLabel("Email 2").fill("ada@work.example");
      await page.getByLabel("Pipeline").selectOption({ label: "Partners" });
      await page.getByLabel("Stage").selectOption({ label: "Signed" });
      await page.getByLabel("Source").fill("web");
      await page.getByRole("button", { name: "Create contact" }).click();
      await page.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
      await page.getByText("(416) 555-0199").waitFor();
      await page.getByText("+14165550199").waitFor();
      await page.getByText("+44 20 7946 0958").waitFor();
      await page.getByText("ada@work.example").waitFor();
      const id = page.url().split("#/contacts/")[1];
      const r = await getContact(org.token, id);
      assert.equal(r.status, 200);
      const c = r.json.data.contact;
      assert.deepEqual(c.phoneNumber.map((p) => [p.value, p.isPrimary]), [["+14165550199", true], ["+442079460958", false]]);
      assert.equal(c.email, "ada@example.com");
      assert.deepEqual(c.emails.map((e) => [e.value, e.isPrimary]), [["ada@example.com", true], ["ada@work.example", false]]);
      assert.equal(c.pipelineId, partners._id);
      assert.equal(c.status, "Signed");
      assert.equal(c.source, "web");
      // the table shows it, in the organization's national format
      await page.getByRole("link", { name: "Contacts", exact: true }).click();
      const row = page.locator(`tr[data-id="${id}"]`);
      await row.getByText("(416) 555-0199").waitFor();
      assert.equal(await row.getByText("(416) 555-0199").getAttribute("title"), "+14165550199");
    });
  });

  test("a taken number is refused at its field, with a link to the contact that has it", async () => {
    const org = await newOrg();
    const holder = await createContact(org.token, { firstName: "Grace", lastName: "Hopper", phoneNumber: "+14165550199" });
    await withPage(async ({ page, allow }) => {
      allow(409, "POST", /^\/api\/contact$/);
      await signIn(page, srv.base, org.email, org.password);
      await page.goto(srv.base + "/#/contacts/new");
      await page.getByLabel("First name").fill("Second");
      await page.getByLabel("Phone 1").fill(usPhone());
      await page.getByRole("button", { name: "Add phone" }).click();
      await page.getByLabel("Phone 2").fill("416-555-0199");
      await page.getByRole("button", { name: "Create contact" }).click();
      const err = page.locator("#cf-phone-1-err");
      await err.waitFor();
      assert.match(await err.innerText(), /\+14165550199/);
      assert.equal(await page.getByLabel("Phone 2").getAttribute("aria-describedby"), "cf-phone-1-err");
      assert.equal(await page.getByLabel("Phone 2").getAttribute("aria-invalid"), "true");
      assert.equal((await focused(page)).id, "cf-phone-1");
      await screenshot(page, "new-contact-error-1280");
      const list = await srv.req("GET", "/api/contacts?ownerFilter=all&search=Second", undefined, org.token);
      assert.equal(list.json.data.total, 0);   // nothing was written
      await err.getByRole("link", { name: "Open the contact that has this number" }).click();
      await page.getByRole("heading", { name: "Grace Hopper" }).waitFor();
      assert.ok(page.url().endsWith(`#/contacts/${holder._id}`));
    });
  });

  test("an invalid number is refused at its field", async () => {
    const org = await newOrg();
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/contact$/);
      await signIn(page, srv.base, org.email, org.password);
      await page.goto(srv.base + "/#/contacts/new");
      await page.getByLabel("Phone 1").fill("12");
      await page.getByRole("button", { name: "Create contact" }).click();
      await page.locator("#cf-phone-0-err").waitFor();
      assert.ok((await page.locator("#cf-phone-0-err").innerText()).length > 0);
      const list = await srv.req("GET", "/api/contacts?ownerFilter=all", undefined, org.token);
      assert.equal(list.json.data.total, 0);
    });
  });
});

describe("contacts table", () => {
  test("search finds a number typed in another format; filters by stage and source", async () => {
    const org = await newOrg();
    const a = await createContact(org.token, { firstName: "Alan", lastName: "Turing", phoneNumber: "+12125550143", status: "Qualified", source: "fair" });
    const b = await createContact(org.token, { firstName: "Barbara", lastName: "Liskov", status: "Won", source: "web" });
    const c = await createContact(org.token, { firstName: "Claude", lastName: "Shannon", status: "Qualified", source: "web" });
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      const rows = page.locator("tr[data-id]");
      await until(async () => (await rows.count()) === 3, 2000, "three rows");
      await page.getByLabel("Search").fill("212.555.0143");
      await page.getByLabel("Search").press("Enter");
      await until(async () => (await rows.count()) === 1 && (await rows.first().getAttribute("data-id")) === a._id, 2000, "the search result");

      await page.getByLabel("Search").fill("");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await until(async () => (await rows.count()) === 3, 2000, "all rows again");
      await page.getByLabel("Stage").selectOption({ label: "Qualified" });   // any pipeline's stage
      await until(async () => (await rows.count()) === 2, 2000, "two Qualified");
      await page.getByLabel("Pipeline").selectOption({ index: 1 });   // choosing a pipeline clears the stage
      await until(async () => (await rows.count()) === 3, 2000, "all three in the pipeline");
      await page.getByLabel("Stage").selectOption({ label: "Qualified" });
      await until(async () => (await rows.count()) === 2, 2000, "two Qualified in the pipeline");
      const ids = await rows.evaluateAll((els) => els.map((e) => e.dataset.id).sort());
      assert.deepEqual(ids, [a._id, c._id].sort());
      await page.getByLabel("Source").fill("web");
      await page.getByLabel("Source").press("Enter");
      await until(async () => (await rows.count()) === 1 && (await rows.first().getAttribute("data-id")) === c._id, 2000, "Qualified from web");
      assert.ok(b._id);
    });
  });

  test("cursor paging loads 230 contacts 100 at a time and renders only a window of rows", async () => {
    const org = await newOrg();
    const N = 230;
    for (let i = 0; i < N; i += 10)
      await Promise.all(Array.from({ length: Math.min(10, N - i) }, (_, j) => createContact(org.token, { firstName: `Row${i + j}` })));
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.getByText(`${N} contacts, 100 loaded`).waitFor();
      const rendered = await page.locator("tr[data-id]").count();
      assert.ok(rendered > 0 && rendered < 60, `rendered ${rendered} rows of 100`);
      await page.getByRole("button", { name: "Load more" }).click();
      await page.getByText(`${N} contacts, 200 loaded`).waitFor();
      await page.locator(".table-box").evaluate((el) => { el.scrollTop = el.scrollHeight; });
      await page.getByText(`${N} contacts, ${N} loaded`).waitFor();
      assert.equal(await page.getByRole("button", { name: "Load more" }).count(), 0);
      await page.locator(".table-box").evaluate((el) => { el.scrollTop = el.scrollHeight; });
      // the oldest contact is the last row
      await page.getByRole("link", { name: "Row0", exact: true }).waitFor();
      assert.ok((await page.locator("tr[data-id]").count()) < 60);
    });
  });
});

describe("contact page", () => {
  test("every field and the timeline; an edit saves and shows in the timeline", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Ada", lastName: "Byron", source: "fair", email: "ada@ex.com" });
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.goto(`${srv.base}/#/contacts/${c._id}`);
      await page.getByRole("heading", { name: "Ada Byron" }).waitFor();
      for (const t of ["Phones", "Emails", "Pipeline", "Stage", "Source", "Process", "Owner", "Assignees", "Created", "Updated"])
        await page.locator("dt", { hasText: t }).first().waitFor();
      await page.getByText("ada@ex.com").waitFor();
      const timeline = page.getByRole("region", { name: "Timeline" });
      await timeline.getByText("Created", { exact: true }).waitFor();

      // Even a contact read without its ETag is saved with If-Match: the tag of the version read.
      await page.route(/\/api\/contacts\/[0-9a-f]{24}$/, async (route) => {
        if (route.request().method() !== "GET") return route.continue();
        const res = await route.fetch();
        const headers = res.headers();
        delete headers.etag;
        await route.fulfill({ response: res, headers });
      });
      const ifMatch = [];
      page.on("request", (r) => { if (r.method() === "PATCH") ifMatch.push(r.headers()["if-match"]); });
      await page.reload();
      await page.getByRole("button", { name: "Edit" }).click();
      await page.getByLabel("First name").fill("Grace");
      await page.getByLabel("Stage").selectOption({ label: "Won" });
      await page.getByRole("button", { name: "Save changes" }).click();
      await page.getByRole("heading", { name: "Grace Byron" }).waitFor();
      await timeline.getByText("Changed", { exact: true }).waitFor();
      await timeline.getByText(/firstName: Ada → Grace/).waitFor();
      await timeline.getByText(/pipelineStage: New Lead → Won/).waitFor();   // stage names, not ids
      const r = await getContact(org.token, c._id);
      assert.equal(r.json.data.contact.firstName, "Grace");
      assert.equal(r.json.data.contact.status, "Won");
      assert.equal(r.json.data.contact.source, "fair");
      assert.equal(r.json.data.contact.__v, 1);
      assert.deepEqual(ifMatch, [`"${c._id}.0"`]);
      const log = await srv.req("GET", `/api/event-logs?contactId=${c._id}`, undefined, org.token);
      assert.deepEqual(log.json.data.events.map((e) => e.type), ["CONTACT_UPDATE", "CONTACT_CREATE"]);
      assert.deepEqual(Object.keys(log.json.data.events[0].changes).sort(), ["firstName", "pipelineStage", "status"].filter((k) => k in log.json.data.events[0].changes).sort());
      assert.ok("firstName" in log.json.data.events[0].changes);
      assert.ok(!("source" in log.json.data.events[0].changes));
    });
  });

  test("edited in two tabs: the second save explains the conflict and keeps the first's change", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Ada", lastName: "Byron" });
    await withPage(async ({ page: tab1, tab, allow }) => {
      allow(412, "PATCH", /^\/api\/contacts\/[0-9a-f]{24}$/);
      const tab2 = await tab();
      for (const t of [tab2, tab1]) {
        await signIn(t, srv.base, org.email, org.password);
        await t.goto(`${srv.base}/#/contacts/${c._id}`);
        await t.getByRole("button", { name: "Edit" }).click();
      }
      await tab1.getByLabel("Last name").fill("King");
      await tab1.getByRole("button", { name: "Save changes" }).click();
      await tab1.getByRole("heading", { name: "Ada King" }).waitFor();
      await tab2.getByLabel("First name").fill("Mine");
      await tab2.getByRole("button", { name: "Save changes" }).click();
      await tab2.getByRole("alert").filter({ hasText: "Someone else changed this contact since you opened it" }).waitFor();
      const now = (await getContact(org.token, c._id)).json.data.contact;
      assert.equal(now.firstName, "Ada");
      assert.equal(now.lastName, "King");
      assert.equal(now.__v, 1);
      await tab2.getByRole("button", { name: "Reload contact" }).click();
      await tab2.getByRole("heading", { name: "Ada King" }).waitFor();
    });
  });

  test("delete asks first, then the contact is gone", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Doomed" });
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.goto(`${srv.base}/#/contacts/${c._id}`);
      await page.getByRole("button", { name: "Delete" }).click();
      await until(async () => (await focused(page)).text === "Cancel", 1000, "the question's safe answer has the focus");
      await page.getByRole("button", { name: "Cancel" }).click();
      assert.equal((await getContact(org.token, c._id)).status, 200);
      await page.getByRole("button", { name: "Delete" }).click();
      await page.getByRole("button", { name: "Yes, delete" }).click();
      await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();
      assert.equal((await getContact(org.token, c._id)).status, 404);
      const log = await srv.req("GET", `/api/event-logs?contactId=${c._id}`, undefined, org.token);
      assert.equal(log.json.data.events[0].type, "CONTACT_DELETE");
    });
  });
});

describe("live", () => {
  test("what one user creates, changes and deletes in its browser shows in another user's within 2 s, without a reload", async () => {
    const org = await newOrg();
    const other = await addUser(org, "ADMIN", "Colleague");
    await withPage(async ({ page: b }) => {
      await signIn(b, srv.base, other.email, other.password);
      await b.getByText("0 contacts").waitFor();
      await b.evaluate(() => { window.notReloaded = true; });
      await withPage(async ({ page: a }) => {
        await signIn(a, srv.base, org.email, org.password);   // meanwhile b's socket connects
        await a.getByRole("link", { name: "New contact" }).first().click();
        await a.getByLabel("First name").fill("Live");
        await a.getByLabel("Last name").fill("One");
        await a.getByLabel("Phone 1").fill(usPhone());
        await a.getByRole("button", { name: "Create contact" }).click();
        await b.getByRole("link", { name: "Live One" }).waitFor({ timeout: 2000 });
        await a.getByRole("heading", { name: "Live One" }).waitFor();
        const id = a.url().split("#/contacts/")[1];
        assert.equal((await getContact(other.token, id)).json.data.contact.firstName, "Live");

        await a.getByRole("button", { name: "Edit" }).click();
        await a.getByLabel("First name").fill("Changed");
        await a.getByRole("button", { name: "Save changes" }).click();
        await b.getByRole("link", { name: "Changed One" }).waitFor({ timeout: 2000 });
        assert.equal((await getContact(other.token, id)).json.data.contact.firstName, "Changed");

        await a.getByRole("button", { name: "Delete" }).click();
        await a.getByRole("button", { name: "Yes, delete" }).click();
        await b.getByRole("link", { name: "Changed One" }).waitFor({ state: "detached", timeout: 2000 });
        await b.getByText("0 contacts").waitFor({ timeout: 2000 });
        assert.equal((await getContact(other.token, id)).status, 404);
      });
      assert.equal(await b.evaluate(() => window.notReloaded), true);
    });
  });
});

describe("roles", () => {
  test("a SALES_REP sees only its contacts, no owner filter and no admin screens, whose routes ask the server nothing", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rep");
    const otherRep = await addUser(org, "SALES_REP", "Otto");
    const theirs = await createContact(org.token, { firstName: "Admins", lastName: "Lead" });
    await createContact(otherRep.token, { firstName: "Ottos", lastName: "Lead" });
    const own = [await createContact(rep.token, { firstName: "Reps", lastName: "Lead" }),
                 await createContact(rep.token, { firstName: "Reps", lastName: "Second" })];
    await withPage(async ({ page, allow }) => {
      allow(404, "GET", /^\/api\/contacts\/[0-9a-f]{24}$/);
      await signIn(page, srv.base, rep.email, rep.password);
      await page.getByText("SALES_REP", { exact: true }).waitFor();
      await page.getByText("2 contacts,").waitFor();
      const shown = await page.locator("tr[data-id]").evaluateAll((els) => els.map((e) => e.dataset.id).sort());
      assert.deepEqual(shown, own.map((c) => c._id).sort());
      for (const ownerFilter of ["my", "all"]) {   // the API lists the rep exactly what the table shows
        const r = await srv.req("GET", `/api/contacts?ownerFilter=${ownerFilter}`, undefined, rep.token);
        assert.equal(r.status, 200, r.text);
        assert.deepEqual(r.json.data.contacts.map((c) => c._id).sort(), shown);
      }
      assert.equal(await page.getByLabel("Owner").count(), 0);

      const asked = [];
      page.on("request", (r) => { const path = new URL(r.url()).pathname; if (path.startsWith("/api/")) asked.push(`${r.method()} ${path}`); });
      for (const [link, route, says] of [["Users", "users", "Only an ADMIN manages users."],
                                         ["Pipelines", "pipelines", "Only an ADMIN manages pipelines."],
                                         ["API key", "api-key", "Only an ADMIN manages API keys here."],
                                         ["Webhooks", "webhooks", "Only an ADMIN manages webhooks."],
                                         ["Organization", "organization", "Only an ADMIN manages its organization."]]) {
        assert.equal(await page.getByRole("link", { name: link, exact: true }).count(), 0, `no ${link} link`);
        await page.goto(`${srv.base}/#/${route}`);
        await page.getByRole("alert").filter({ hasText: says }).waitFor();
      }
      assert.deepEqual(asked, [], "the admin routes ask the server nothing");
      assert.equal(await page.getByRole("button", { name: "Create user" }).count(), 0);
      await page.goto(`${srv.base}/#/contacts/${theirs._id}`);
      await page.getByRole("alert").filter({ hasText: "does not exist, or you may not see it" }).waitFor();
      assert.equal(await page.getByRole("button", { name: "Delete" }).count(), 0);
    });
  });
});

describe("keyboard and small screens", () => {
  test("sign in and create a contact with the keyboard alone, focus always visible", async () => {
    const org = await newOrg();
    await withPage(async ({ page }) => {
      await page.goto(srv.base + "/");
      await tabTo(page, (f) => f.id === "signin-email", "Email");
      await page.keyboard.type(org.email);
      await tabTo(page, (f) => f.id === "signin-password", "Password");
      await page.keyboard.type(org.password);
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Contacts", exact: true }).waitFor();
      await tabTo(page, (f) => f.tag === "A" && f.text === "New contact", "the New contact link");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "New contact" }).waitFor();
      await tabTo(page, (f) => f.id === "cf-firstName", "First name");
      await page.keyboard.type("Keyboard");
      await tabTo(page, (f) => f.id === "cf-phone-0", "Phone 1");
      await page.keyboard.type("(212) 555-0177");
      await tabTo(page, (f) => f.tag === "BUTTON" && f.text === "Add phone", "Add phone");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)).id === "cf-phone-1", 1000, "the new input takes the focus");
      await page.keyboard.type("212 555 0178");
      await tabTo(page, (f) => f.tag === "BUTTON" && f.text === "Create contact", "Create contact");
      await page.keyboard.press("Enter");
      await page.getByRole("heading", { name: "Keyboard" }).waitFor();
      const found = await srv.req("POST", "/api/contacts/phoneNumber", { phoneNumber: "2125550178" }, org.token);
      assert.equal(found.status, 200, found.text);
      assert.equal(found.json.data.contact.firstName, "Keyboard");
      assert.equal(found.json.data.contact.phoneNumber.length, 2);
    });
  });

  // Also the screenshots of every screen (build/screenshots/), with a few realistic contacts.
  const people = [["Marie", "Curie", "Won", "referral"], ["Alan", "Turing", "Qualified", "web"], ["Ada", "Lovelace", "Contacted", "fair"],
                  ["Grace", "Hopper", "New Lead", "web"], ["Edsger", "Dijkstra", "Lost", "cold call"]];
  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px wide no screen scrolls sideways`, async () => {
      const org = await newOrg();
      for (const [firstName, lastName, status, source] of people)
        await createContact(org.token, { firstName, lastName, status, source, email: `${firstName}.${lastName}@example.com`.toLowerCase() });
      const c = await createContact(org.token, { firstName: "Wide", lastName: "Screen-Test-With-A-Long-Name", email: "a.rather.long.address@example.com",
                                                 source: "a source", process: "a process" });
      await srv.req("PATCH", `/api/contacts/${c._id}`, { status: "Qualified", source: "trade show" }, org.token);
      await withPage(async ({ page }) => {
        await page.goto(srv.base + "/");
        await page.getByRole("button", { name: "Sign in" }).waitFor();
        await fitsWidth(page, width, "sign in");
        await screenshot(page, `sign-in-${width}`);
        await signIn(page, srv.base, org.email, org.password);
        await page.getByRole("link", { name: /^Wide/ }).waitFor();
        await fitsWidth(page, width, "contacts");
        const cut = await page.locator("table.contacts tbody td:nth-child(2) span").evaluateAll((spans) =>
          spans.filter((s) => {
            const td = s.parentElement;
            return s.getBoundingClientRect().right > td.getBoundingClientRect().right - parseFloat(getComputedStyle(td).paddingRight) + 0.5;
          }).map((s) => s.textContent));
        const shown = await page.locator("table.contacts tbody td:nth-child(2) span").count();
        assert.ok(shown >= 6, `the list shows its contacts' numbers (${shown})`);
        assert.deepEqual(cut, [], "no number in the list is cut short");
        await screenshot(page, `contacts-${width}`);
        await page.goto(`${srv.base}/#/contacts/${c._id}`);
        await page.getByRole("region", { name: "Timeline" }).getByText("Created", { exact: true }).waitFor();
        await fitsWidth(page, width, "contact page");
        await screenshot(page, `contact-${width}`);
        await page.getByRole("button", { name: "Edit" }).click();
        await page.getByRole("button", { name: "Save changes" }).waitFor();
        await fitsWidth(page, width, "edit");
        await page.goto(srv.base + "/#/contacts/new");
        await page.getByRole("button", { name: "Create contact" }).waitFor();
        await fitsWidth(page, width, "new contact");
        await screenshot(page, `new-contact-${width}`);
        await page.goto(srv.base + "/#/board");
        await page.locator(".board").getByRole("link", { name: /^Wide/ }).waitFor();
        await fitsWidth(page, width, "board");
        await screenshot(page, `board-all-${width}`);
        await page.goto(srv.base + "/#/users");
        await page.getByRole("button", { name: "Create user" }).waitFor();
        await fitsWidth(page, width, "users");
        await screenshot(page, `users-${width}`);
      }, { width, height: 900 });
    });
  }
});

describe("users (ADMIN)", () => {
  test("an ADMIN creates a user, changes its role, disables it; errors land at their field", async () => {
    const org = await newOrg();
    const email = `new-rep-${Date.now()}@rt.test`;
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/users$/);
      allow(409, "POST", /^\/api\/users$/);
      await signIn(page, srv.base, org.email, org.password);
      await page.getByRole("link", { name: "Users" }).click();
      await page.getByRole("heading", { name: "Users" }).waitFor();
      await page.getByLabel("Full name").fill("Rita Rep");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password (at least 8 characters)").fill("short");
      await page.getByRole("button", { name: "Create user" }).click();
      await page.locator("#uf-password-err").waitFor();
      await page.getByLabel("Password (at least 8 characters)").fill("rita-pass-123");
      await page.getByRole("button", { name: "Create user" }).click();
      await page.getByText(`Rita Rep can now sign in as ${email}.`).waitFor();
      const rita = await until(async () => {
        const list = await srv.req("GET", "/api/user/list", undefined, org.token);
        return list.json.find((u) => u.email === email);
      }, 2000, "the new user in the list");
      assert.equal(rita.accessRole, "SALES_REP");
      assert.equal(rita.fullName, "Rita Rep");
      assert.equal((await srv.req("POST", "/api/auth/login", { email, password: "rita-pass-123" })).status, 200);

      // the same email again: 409 at the email field
      await page.getByLabel("Full name").fill("Rita Twice");
      await page.getByLabel("Email address").fill(email);
      await page.getByLabel("Password (at least 8 characters)").fill("rita-pass-123");
      await page.getByRole("button", { name: "Create user" }).click();
      await page.locator("#uf-email-err").waitFor();

      await page.getByLabel("Role of Rita Rep").selectOption("DEPARTMENT_HEAD");
      await page.getByText("Rita Rep is now DEPARTMENT_HEAD.").waitFor();
      const list = await srv.req("GET", "/api/user/list", undefined, org.token);
      assert.equal(list.json.find((u) => u.email === email).accessRole, "DEPARTMENT_HEAD");

      await page.getByRole("button", { name: "Disable Rita Rep" }).click();
      await page.getByRole("button", { name: "Enable Rita Rep" }).waitFor();
      assert.equal((await srv.req("POST", "/api/auth/login", { email, password: "rita-pass-123" })).status, 401);
      await page.getByRole("button", { name: "Enable Rita Rep" }).click();
      await page.getByRole("button", { name: "Disable Rita Rep" }).waitFor();
      assert.equal((await srv.req("POST", "/api/auth/login", { email, password: "rita-pass-123" })).status, 200);
      // an ADMIN's own row offers neither
      assert.equal(await page.getByRole("button", { name: /^Disable Admin/ }).count(), 0);
    });
  });
});
