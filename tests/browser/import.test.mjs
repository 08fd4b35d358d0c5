// CSV import (API.md §11, docs/console.md) in a real headless Chromium: a file chosen in the
// labelled file input, uploaded, the job followed, and each row's result checked against what the
// API stored.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fitsWidth, screenshot, signIn, suite, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Import");

const csv = (name, text) => ({ name, mimeType: "text/csv", buffer: Buffer.from(text) });
const contacts = async (token, q = "") => (await srv.req("GET", `/api/contacts?ownerFilter=all&size=200${q}`, undefined, token)).json.data;

async function openImport(page, who) {
  await signIn(page, srv.base, who.email, who.password);
  await page.getByRole("link", { name: "Import", exact: true }).click();
  await page.getByRole("heading", { name: "Import contacts" }).waitFor();
}
// Uploads a file and waits for the job's end; returns the import's id (polled by the page).
async function upload(page, file) {
  const polled = [];
  const watch = (r) => { const m = /^\/api\/contacts\/imports\/([0-9a-f]{24})$/.exec(new URL(r.url()).pathname); if (m) polled.push(m[1]); };
  page.on("request", watch);
  await page.getByLabel("CSV file").setInputFiles(file);
  await page.getByRole("button", { name: /^(Import|Check) file$/ }).click();
  await page.getByRole("status").filter({ hasText: /^(Done|Dry run done): / }).waitFor({ timeout: 10000 });
  page.off("request", watch);
  assert.ok(polled.length >= 1, "the page read the job while it ran");
  return polled[0];
}
const row = (page, n) => page.locator(`tr[data-row="${n}"]`);

describe("CSV import", () => {
  test("an ADMIN's file: rows created, skipped and failed, each with its row, field and reason, as the API stored them", async () => {
    const org = await newOrg();
    const holder = await createContact(org.token, { firstName: "Old", phoneNumber: "+12125550199" });
    const before = (await contacts(org.token)).total;
    await withPage(async ({ page }) => {
      await openImport(page, org);
      const id = await upload(page, csv("people.csv",
        "First Name,Last Name,Phone,Email\nAda,Lovelace,(212) 555-0100,ada@x.test\nBad,Phone,12,\nDup,Row,212-555-0199,\nNo,Mail,212 555 0102,not-an-email\n"));
      await page.getByRole("heading", { name: "people.csv" }).waitFor();
      await page.getByRole("status").filter({ hasText: "Done: 4 rows read." }).waitFor();
      assert.deepEqual(await page.locator(".counts li").allInnerTexts(), ["1 created", "0 updated", "1 skipped", "2 failed"]);
      assert.equal(await page.getByLabel("Progress").getAttribute("value"), "4");

      assert.match(await row(page, 2).innerText(), /^2\s+created\s+–\s+–\s+Open contact/);
      assert.match(await row(page, 3).innerText(), /^3\s+failed\s+Phone 1\s+phoneNumber\[0\] is not a valid phone number/);
      assert.match(await row(page, 4).innerText(), /^4\s+skipped\s+Phone 1\s+\+12125550199 already belongs to another contact/);
      assert.match(await row(page, 5).innerText(), /^5\s+failed\s+Email 1\s+email\[0\] is not a valid email address/);
      assert.equal(await row(page, 4).getByRole("link", { name: "Open the contact that has this number of row 4" }).getAttribute("href"), `#/contacts/${holder._id}`);

      // what the API stored: the job, its rows, one contact more
      const job = (await srv.req("GET", `/api/contacts/imports/${id}`, undefined, org.token)).json.data.import;
      assert.deepEqual([job.state, job.created, job.skipped, job.failed, job.fileName], ["done", 1, 1, 2, "people.csv"]);
      const rows = (await srv.req("GET", `/api/contacts/imports/${id}/rows`, undefined, org.token)).json.data.rows;
      assert.deepEqual(rows.map((r) => [r.row, r.status, r.field ?? null]),
        [[2, "created", null], [3, "failed", "phoneNumber[0]"], [4, "skipped", "phoneNumber[0].value"], [5, "failed", "email[0]"]]);
      assert.equal((await contacts(org.token)).total, before + 1);

      await page.getByLabel("Show").selectOption({ label: "Rows failed" });
      await until(async () => (await page.locator("tr[data-row]").count()) === 2, 2000, "the failed rows only");

      await page.getByLabel("Show").selectOption({ label: "Every row" });
      await row(page, 2).getByRole("link", { name: "Open contact of row 2" }).click();
      await page.getByRole("heading", { name: "Ada Lovelace" }).waitFor();
      await page.getByRole("listitem").filter({ hasText: "(212) 555-0100" }).getByText("+12125550100", { exact: true }).waitFor();
      const log = (await srv.req("GET", `/api/event-logs?contactId=${rows[0].contactId}`, undefined, org.token)).json.data.events;
      assert.deepEqual(log.map((e) => [e.type, e.source]), [["CONTACT_CREATE", "import"]]);
    });
  });

  test("a missing file and a file without a phone column are refused at the file; a dry run writes nothing", async () => {
    const org = await newOrg();
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/contacts\/import$/);
      await openImport(page, org);
      const asked = [];
      page.on("request", (r) => { if (r.method() === "POST") asked.push(r.url()); });
      await page.getByRole("button", { name: "Import file" }).click();
      await page.locator("#im-file-err").getByText("Choose a CSV file first.").waitFor();
      assert.deepEqual(asked, [], "nothing was sent");

      await page.getByLabel("CSV file").setInputFiles(csv("names.csv", "First Name,Last Name\nAda,Lovelace\n"));
      await page.getByRole("button", { name: "Import file" }).click();
      await page.locator("#im-file-err").getByText(/names no phone column/).waitFor();
      assert.equal(await page.getByLabel("CSV file").getAttribute("aria-invalid"), "true");

      await page.getByLabel(/^Dry run/).check();
      await upload(page, csv("dry.csv", "name;mobile\nGrace Hopper;+1 212 555 0177\n"));
      await page.getByRole("status").filter({ hasText: "Dry run done: 1 row read." }).waitFor();
      await page.getByText("would be created").waitFor();
      assert.equal(await row(page, 2).getByRole("link").count(), 0, "no contact to open");
      assert.equal((await contacts(org.token)).total, 0, "nothing written");
    });
  });

  test("a file of 150 rows pages by 100, and the pager names the page whose rows it shows", async () => {
    const org = await newOrg();
    const lines = Array.from({ length: 150 }, (_, i) => `Row${i},+1 646 555 ${String(1000 + i)}`);
    await withPage(async ({ page }) => {
      await openImport(page, org);
      await upload(page, csv("many.csv", "First Name,Phone\n" + lines.join("\n") + "\n"));
      await page.getByText("150 created").waitFor();
      const label = page.locator(".import-rows .pager > span");
      assert.equal(await label.innerText(), "Page 1 of 2");
      // every label the pager shows, with the first row under it at that moment
      await page.evaluate(() => {
        window.seen = [];
        const note = () => {
          const l = document.querySelector(".import-rows .pager > span");
          const r = document.querySelector(".import-rows tr[data-row]");
          if (l && r) window.seen.push(`${l.textContent} ${r.dataset.row}`);
        };
        new MutationObserver(note).observe(document.querySelector(".import-rows"), { subtree: true, childList: true, characterData: true });
      });
      await page.getByRole("button", { name: "Next rows" }).click();
      await row(page, 102).waitFor();
      assert.equal(await label.innerText(), "Page 2 of 2");
      assert.equal(await page.locator(".import-rows tr[data-row]").count(), 50);
      await page.getByRole("button", { name: "Previous rows" }).click();
      await row(page, 2).waitFor();
      assert.equal(await label.innerText(), "Page 1 of 2");
      const seen = await page.evaluate(() => window.seen);
      assert.ok(seen.includes("Page 2 of 2 102") && seen.includes("Page 1 of 2 2"), `both pages were shown: ${seen}`);
      assert.deepEqual(seen.filter((s) => s !== "Page 2 of 2 102" && s !== "Page 1 of 2 2"), [],
        "no label over another page's rows");
    });
  });

  test("a SALES_REP imports its own contacts; a second run of the same file updates instead", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rex");
    const file = csv("mine.csv", "firstName,phone,source\nPat,+1 617 555 0101,fair\n");
    await withPage(async ({ page }) => {
      await openImport(page, rep);
      await upload(page, file);
      await page.getByText("1 created").waitFor();
      const [c] = (await contacts(org.token)).contacts;
      assert.equal(c.userId, rep.id, "the rep owns the row's contact");
      assert.equal(c.source, "fair");

      await page.getByLabel("When a row's number is already a contact's").selectOption("update");
      await upload(page, csv("mine.csv", "firstName,phone,source\nPat,+1 617 555 0101,expo\n"));
      await page.getByText("1 updated").waitFor();
      assert.equal((await srv.req("GET", `/api/contacts/${c._id}`, undefined, org.token)).json.data.contact.source, "expo");
    });
  });
});

describe("small and wide screens", () => {
  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px the import and its rows do not scroll sideways`, async () => {
      const org = await newOrg();
      await withPage(async ({ page }) => {
        await openImport(page, org);
        await upload(page, csv("a-file-with-a-rather-long-name-for-a-phone-screen.csv",
          "First Name,Phone,Email\nAda,(212) 555-0100,\nBad,12,\nNo,212 555 0102,not-an-email-address-at-all\n"));
        await fitsWidth(page, width, "the import");
        await screenshot(page, `import-${width}`);
      }, { width, height: 900 });
    });
  }
});
