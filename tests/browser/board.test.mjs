// The pipeline board (API.md §13, docs/console.md) in a real headless Chromium: columns and totals
// as the API counts them, cards moved by drag and drop and by the keyboard, refused moves undone
// on screen, live moves from another session, a SALES_REP's board, narrow and wide screens. Every
// test checks what the API stored, not only what the page shows.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fitsWidth, focused, screenshot, signIn, suite, tabTo, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Board");

const STAGES = ["New Lead", "Contacted", "Qualified", "Won", "Lost"];
const PATCH_CONTACT = /^\/api\/contacts\/[0-9a-f]{24}$/;

async function openBoard(page, who) {
  await signIn(page, srv.base, who.email, who.password);
  await page.getByRole("link", { name: "Board", exact: true }).click();
  await page.getByRole("heading", { name: "Board", exact: true }).waitFor();
  await page.locator(".board").waitFor();
}

const column = (page, name) => page.getByRole("region", { name, exact: true });
const card = (page, id) => page.locator(`li[data-id="${id}"]`);
const totalOf = async (page, name) => parseInt(await column(page, name).locator(".total").textContent(), 10);
const stageOf = async (token, id) => (await srv.req("GET", `/api/contacts/${id}`, undefined, token)).json.data.contact.status;

// Waits until the card is in the named column on the page.
async function cardIn(page, id, name, ms = 2000) {
  await until(async () => (await column(page, name).locator(`li[data-id="${id}"]`).count()) === 1, ms, `card in ${name}`);
}

describe("board", () => {
  test("one column per stage with the API's totals; a card dragged to another column is moved in the API", async () => {
    const org = await newOrg();
    const people = [["Ada", "New Lead"], ["Alan", "New Lead"], ["Grace", "Contacted"], ["Edsger", "Won"], ["Barbara", "Won"], ["Claude", "Won"]];
    const made = {};
    for (const [firstName, status] of people) made[firstName] = await createContact(org.token, { firstName, lastName: "Board", status });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      const api = (await srv.req("POST", "/api/contacts", { ownerFilter: "all" }, org.token)).json;
      assert.deepEqual(await page.locator("section.column h2 > span:first-child").allTextContents(), STAGES);
      for (const name of STAGES) {
        assert.equal(await totalOf(page, name), api.data[name].total, `total of ${name}`);
        const shown = await column(page, name).locator("li[data-id]").evaluateAll((els) => els.map((e) => e.dataset.id));
        assert.deepEqual(shown, api.data[name].contacts.map((c) => c._id), `cards of ${name}, newest first`);
      }
      // a card shows its name (a link to the contact) and its number in national format
      const ada = card(page, made.Ada._id);
      const phone = made.Ada.phoneNumber[0].value;
      await ada.getByText(`(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`).waitFor();
      assert.equal(await ada.getByRole("link", { name: "Ada Board" }).getAttribute("href"), `#/contacts/${made.Ada._id}`);

      await ada.dragTo(column(page, "Qualified"), { sourcePosition: { x: 4, y: 4 } });
      await cardIn(page, made.Ada._id, "Qualified");
      await until(async () => (await stageOf(org.token, made.Ada._id)) === "Qualified", 2000, "the API has the move");
      await page.getByRole("status").filter({ hasText: "Moved Ada Board to Qualified." }).waitFor();
      assert.equal(await totalOf(page, "New Lead"), 1);
      assert.equal(await totalOf(page, "Qualified"), 1);
      const log = await srv.req("GET", `/api/event-logs?contactId=${made.Ada._id}`, undefined, org.token);
      assert.equal(log.json.data.events[0].type, "CONTACT_UPDATE");
      assert.equal(log.json.data.events[0].changes.status.to, "Qualified");

      // the board after a reload is the same board: the move is the server's
      await page.reload();
      await page.locator(".board").waitFor();
      await cardIn(page, made.Ada._id, "Qualified");
      assert.equal(await totalOf(page, "Qualified"), 1);
    });
  });

  test("the keyboard alone moves a card (Move…, a stage), the focus follows it, and Undo moves it back", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Keyed", lastName: "Card" });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      await tabTo(page, (f) => f.tag === "BUTTON" && f.text.startsWith("Move"), "the card's Move button");
      assert.equal(await page.evaluate(() => document.activeElement.closest("li")?.dataset.id), c._id);
      await page.keyboard.press("Enter");
      // the menu opens on the first other stage; Escape closes it and gives the focus back
      await until(async () => (await focused(page)).text === "Move Keyed Card to Contacted", 1000, "focus on the first stage");
      await page.keyboard.press("Escape");
      await until(async () => (await focused(page)).text === "Move Keyed Card…", 1000, "focus back on Move");
      await page.keyboard.press("Enter");
      await tabTo(page, (f) => f.text === "Move Keyed Card to Won", "the Won button");
      await page.keyboard.press("Enter");
      await cardIn(page, c._id, "Won");
      await until(async () => (await stageOf(org.token, c._id)) === "Won", 2000, "the API has the move");
      // the focus is on the card's Move button, in its new column
      await until(async () => page.evaluate((id) => document.activeElement?.dataset.move === id
        && !!document.activeElement.closest("section")?.querySelector("h2")?.textContent.startsWith("Won"), c._id), 2000, "focus follows the card");
      assert.ok((await focused(page)).ring, "the focus ring shows");
      await tabTo(page, (f) => f.text === "Undo", "Undo", "Shift+Tab");   // the message is above the board
      await page.keyboard.press("Enter");
      await cardIn(page, c._id, "New Lead");
      await until(async () => (await stageOf(org.token, c._id)) === "New Lead", 2000, "the API has the undo");
      assert.equal(await totalOf(page, "Won"), 0);
      assert.equal(await totalOf(page, "New Lead"), 1);
    });
  });

  test("a move the server refuses is undone on screen and explained (412 from a stale version, 400 from a closed stage)", async () => {
    const org = await newOrg();
    const a = await createContact(org.token, { firstName: "Stale", lastName: "Version" });
    const b = await createContact(org.token, { firstName: "Closed", lastName: "Stage" });
    await withPage(async ({ page, allow }) => {
      allow(412, "PATCH", PATCH_CONTACT);
      allow(400, "PATCH", PATCH_CONTACT);
      await openBoard(page, org);
      await cardIn(page, a._id, "New Lead");
      // Changed underneath without an event (Tether's history modal): the board's version is stale.
      const silent = await srv.req("PUT", "/api/contact", { _id: a._id, status: "Contacted", fromHistoryModal: true }, org.token);
      assert.equal(silent.status, 200, silent.text);
      await card(page, a._id).dragTo(column(page, "Won"), { sourcePosition: { x: 4, y: 4 } });
      const alert = page.getByRole("alert").filter({ hasText: "Stale Version was not moved to Won" });
      await alert.getByText(/someone else changed this contact/).waitFor();
      await alert.getByText(/as it is, in Contacted/).waitFor();
      await cardIn(page, a._id, "Contacted");
      assert.equal(await stageOf(org.token, a._id), "Contacted");
      assert.equal(await totalOf(page, "Won"), 0);
      assert.equal(await totalOf(page, "Contacted"), 1);
      // Retry asks again with the version now shown, and succeeds
      await alert.getByRole("button", { name: "Retry" }).click();
      await cardIn(page, a._id, "Won");
      await until(async () => (await stageOf(org.token, a._id)) === "Won", 2000, "the retried move");

      // An ADMIN closes "Qualified" elsewhere (the board still offers it): the move is refused, the card returns.
      const pl = (await srv.req("GET", "/api/pipelines?type=Contact", undefined, org.token)).json.pipeline;
      const keep = pl.pipelineStages.filter((s) => s.isActive && s.name !== "Qualified").map(({ _id, name, color, position }) => ({ _id, name, color, position }));
      assert.equal((await srv.req("POST", "/api/pipelines?type=Contact", { pipelineStages: keep }, org.token)).status, 200);
      await card(page, b._id).locator(".move").click();
      await card(page, b._id).getByRole("button", { name: "Move Closed Stage to Qualified" }).click();
      const refused = page.getByRole("alert").filter({ hasText: "Closed Stage was not moved to Qualified, so it is back in New Lead" });
      await refused.waitFor();
      await cardIn(page, b._id, "New Lead");
      assert.equal(await stageOf(org.token, b._id), "New Lead");
      assert.equal(await totalOf(page, "New Lead"), 1);
      assert.equal(await totalOf(page, "Qualified"), 0);
      await refused.getByText("Qualified no longer takes contacts").waitFor();
      // Reload board reads the pipelines again: the closed stage is gone
      await refused.getByRole("button", { name: "Reload board" }).click();
      await refused.waitFor({ state: "detached" });
      await until(async () => (await page.locator("section.column").count()) === 4, 2000, "four columns");
      assert.equal(await column(page, "Qualified").count(), 0);
      await cardIn(page, b._id, "New Lead");
    });
  });

  test("what another session does moves, adds and removes cards live, with the totals", async () => {
    const org = await newOrg();
    const other = await addUser(org, "ADMIN", "Colleague");
    const c = await createContact(org.token, { firstName: "Moving", lastName: "Target" });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      await cardIn(page, c._id, "New Lead");
      await page.waitForTimeout(300);   // the socket connects after the page's first paint
      const r = await srv.req("PATCH", `/api/contacts/${c._id}`, { status: "Won" }, other.token);
      assert.equal(r.status, 200, r.text);
      await cardIn(page, c._id, "Won", 1000);
      assert.equal(await totalOf(page, "New Lead"), 0);
      assert.equal(await totalOf(page, "Won"), 1);
      const n = await createContact(other.token, { firstName: "Fresh", lastName: "Lead", status: "Contacted" });
      await cardIn(page, n._id, "Contacted", 1000);
      assert.equal(await totalOf(page, "Contacted"), 1);
      assert.equal((await srv.req("DELETE", `/api/contacts/${c._id}`, undefined, other.token)).status, 200);
      await card(page, c._id).waitFor({ state: "detached", timeout: 10000 });
      assert.equal(await totalOf(page, "Won"), 0);
    });
  });

  test("a contact not loaded that another session moves: the totals are asked again", async () => {
    const org = await newOrg();
    const other = await addUser(org, "ADMIN", "Mover");
    const oldest = await createContact(org.token, { firstName: "Oldest", lastName: "Lead" });
    for (let i = 0; i < 20; i++) await createContact(org.token, { firstName: `Newer${i}`, lastName: "Lead" });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      await page.getByLabel("Cards per column").selectOption("20");
      const lead = column(page, "New Lead");
      await until(async () => (await lead.locator("li[data-id]").count()) === 20, 2000, "20 cards");
      assert.equal(await card(page, oldest._id).count(), 0, "the oldest is past the first page");
      assert.equal(await totalOf(page, "New Lead"), 21);
      await page.waitForTimeout(300);   // the socket connects after the page's first paint
      const r = await srv.req("PATCH", `/api/contacts/${oldest._id}`, { status: "Lost" }, other.token);
      assert.equal(r.status, 200, r.text);
      // Lost is whole (no card past its loaded ones), so the card joins it at once; New Lead's
      // total cannot be known on the page: the board asks the server (within about a second)
      await cardIn(page, oldest._id, "Lost", 1000);
      await until(async () => (await totalOf(page, "New Lead")) === 20, 3000, "New Lead's total from the server");
      const api = (await srv.req("POST", "/api/contacts", { ownerFilter: "all", size: 1 }, org.token)).json;
      assert.equal(api.data["New Lead"].total, 20);
      assert.equal(await totalOf(page, "Lost"), api.data.Lost.total);
    });
  });

  test("Load more brings a column's next page; search and owner filter the board", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Seller");
    for (let i = 0; i < 23; i++) await createContact(org.token, { firstName: `Many${i}`, lastName: "Lead" });
    const theirs = await createContact(rep.token, { firstName: "Reps", lastName: "Own", status: "Won" });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      await page.getByLabel("Cards per column").selectOption("20");
      const lead = column(page, "New Lead");
      await until(async () => (await lead.locator("li[data-id]").count()) === 20, 2000, "20 cards");
      assert.equal(await totalOf(page, "New Lead"), 23);
      await lead.getByRole("button", { name: /^Load more in New Lead/ }).focus();
      await page.keyboard.press("Enter");
      await until(async () => (await lead.locator("li[data-id]").count()) === 23, 2000, "23 cards");
      // the first card that came has the focus (the button is gone: the column is whole)
      await until(async () => page.evaluate(() => document.activeElement?.closest("li")?.dataset.id), 2000, "focus on a card")
        .then((id) => lead.locator("li[data-id]").nth(20).getAttribute("data-id").then((first) => assert.equal(id, first)));
      assert.equal(await lead.getByRole("button", { name: /^Load more/ }).count(), 0);
      const api = (await srv.req("POST", "/api/contacts", { ownerFilter: "all", size: 200 }, org.token)).json;
      assert.deepEqual(await lead.locator("li[data-id]").evaluateAll((els) => els.map((e) => e.dataset.id)),
        api.data["New Lead"].contacts.map((x) => x._id));

      await page.getByLabel("Owner").selectOption({ label: "Seller" });
      await until(async () => (await page.locator("li[data-id]").count()) === 1, 2000, "the rep's one card");
      await cardIn(page, theirs._id, "Won");
      assert.equal(await totalOf(page, "New Lead"), 0);
      await page.getByLabel("Owner").selectOption({ label: "Everyone" });
      await page.getByLabel("Search").fill("Many7");
      await page.getByRole("button", { name: "Search", exact: true }).click();
      await until(async () => (await page.locator("li[data-id]").count()) === 1, 2000, "one search result");
      assert.equal(await totalOf(page, "New Lead"), 1);
      await page.getByRole("link", { name: "Many7 Lead" }).waitFor();
      // under a search the page cannot judge a new contact: no card, but the totals are asked again
      await createContact(rep.token, { firstName: "Many7", lastName: "Again" });
      await until(async () => (await totalOf(page, "New Lead")) === 2, 3000, "the total under the search");
      const searched = (await srv.req("POST", "/api/contacts", { ownerFilter: "all", search: "Many7" }, org.token)).json;
      assert.equal(searched.data["New Lead"].total, 2);
      assert.equal(await page.locator("li[data-id]").count(), 1);
      // Cards per column is the browser's preference: a reload keeps it
      await page.reload();
      await page.locator(".board").waitFor();
      assert.equal(await page.getByLabel("Cards per column").inputValue(), "20");
    });
  });

  test("a SALES_REP's board shows only its contacts, with its totals, and no owner filter", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rep");
    await createContact(org.token, { firstName: "Admins", lastName: "Lead" });
    await createContact(org.token, { firstName: "Admins", lastName: "Winner", status: "Won" });
    const mine = await createContact(rep.token, { firstName: "Reps", lastName: "Lead" });
    await withPage(async ({ page }) => {
      await openBoard(page, rep);
      await cardIn(page, mine._id, "New Lead");
      assert.equal(await page.locator("li[data-id]").count(), 1);
      assert.equal(await page.getByText("Admins", { exact: false }).count(), 0);
      assert.equal(await page.getByLabel("Owner").count(), 0);
      const api = (await srv.req("POST", "/api/contacts", { ownerFilter: "team" }, rep.token)).json;
      for (const name of STAGES) assert.equal(await totalOf(page, name), api.data[name].total, name);
      assert.equal(await totalOf(page, "New Lead"), 1);
      assert.equal(await totalOf(page, "Won"), 0);
      // the rep moves its own card
      await card(page, mine._id).dragTo(column(page, "Contacted"), { sourcePosition: { x: 4, y: 4 } });
      await until(async () => (await stageOf(rep.token, mine._id)) === "Contacted", 2000, "the rep's move");
    });
  });

  test("an organization with two pipelines picks one; its stages are the columns", async () => {
    const org = await newOrg();
    const r = await srv.req("POST", "/api/pipelines/create", { name: "Partners", pipelineStages: [{ name: "Intro" }, { name: "Signed" }] }, org.token);
    assert.equal(r.status, 201, r.text);
    const p = r.json.data.pipeline;
    const c = await createContact(org.token, { firstName: "Partner", lastName: "Co", pipelineId: p._id, status: "Signed" });
    await withPage(async ({ page }) => {
      await openBoard(page, org);
      assert.deepEqual(await page.locator("section.column h2 > span:first-child").allTextContents(), STAGES);
      await page.getByLabel("Pipeline").selectOption({ label: "Partners" });
      await cardIn(page, c._id, "Signed");
      assert.deepEqual(await page.locator("section.column h2 > span:first-child").allTextContents(), ["Intro", "Signed"]);
      await card(page, c._id).dragTo(column(page, "Intro"), { sourcePosition: { x: 4, y: 4 } });
      await until(async () => (await stageOf(org.token, c._id)) === "Intro", 2000, "moved within Partners");
    });
  });

  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px the page does not scroll sideways; the columns scroll inside the board`, async () => {
      const org = await newOrg();
      const names = [["Marie", "Curie", "Won"], ["Alan", "Turing", "Qualified"], ["Ada", "Lovelace", "Contacted"], ["Grace", "Hopper", "New Lead"],
                     ["Edsger", "Dijkstra", "Lost"], ["Wide", "Screen-Test-With-A-Long-Name", "New Lead"]];
      for (const [firstName, lastName, status] of names) await createContact(org.token, { firstName, lastName, status });
      await withPage(async ({ page }) => {
        await openBoard(page, org);
        await page.getByRole("link", { name: /^Wide/ }).waitFor();
        await fitsWidth(page, width, "the board page");
        const box = await page.locator(".board").evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
        if (width === 360) assert.ok(box.scroll > box.client, "the columns scroll sideways inside the board");
        else assert.ok(box.scroll <= box.client, "five columns fit at 1920 px");
        await screenshot(page, `board-${width}`);
        // the last column's card is reachable by keyboard: the board scrolls to it
        const lost = card(page, (await column(page, "Lost").locator("li[data-id]").first().getAttribute("data-id")));
        await lost.locator(".move").focus();
        assert.ok(await lost.locator(".move").isVisible());
      }, { width, height: 900 });
    });
  }
});
