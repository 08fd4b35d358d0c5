// The notes on a contact page (API.md §5.7, docs/console.md) in a real headless Chromium: each
// test signs in to its own organization, acts through labels and buttons, and checks what the
// API stored (GET /api/contact-notes?contactId=).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { SHOTS, fitsWidth, focused, screenshot, signIn, suite, tabTo, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Notes");

const NOTES = /^\/api\/contact-notes$/;

// Every note of a contact, newest first, as the API lists them.
async function notesOf(token, contactId) {
  const r = await srv.req("GET", `/api/contact-notes?contactId=${contactId}&limit=100`, undefined, token);
  assert.equal(r.status, 200, r.text);
  return r.json.data.notes;
}
async function addNote(token, contactId, note, extra = {}) {
  const r = await srv.req("POST", "/api/contact-notes", { contactId, note, ...extra }, token);
  assert.equal(r.status, 201, r.text);
  return r.json.data.note;
}
async function userId(token, email) {
  const r = await srv.req("GET", "/api/user/list", undefined, token);
  return r.json.find((u) => u.email === email)._id;
}
async function openContact(page, who, contact) {
  await signIn(page, srv.base, who.email, who.password);
  await page.goto(`${srv.base}/#/contacts/${contact._id}`);
  const notes = page.getByRole("region", { name: "Notes", exact: true });
  await notes.getByLabel("New note").waitFor();
  return notes;
}
const noteItem = (notes, text) => notes.getByRole("listitem").filter({ hasText: text });
// A note's item by its id: its text is in a textarea (not in the item's text) while it is edited.
const byId = (notes, id) => notes.locator(`li[id="note-${id}"]`);

describe("notes on the contact page", () => {
  test("add, edit and delete a note, each checked through the API; the timeline follows", async () => {
    const org = await newOrg();
    const adminId = await userId(org.token, org.email);
    const c = await createContact(org.token, { firstName: "Ada", lastName: "Byron" });
    await withPage(async ({ page }) => {
      const notes = await openContact(page, org, c);
      await notes.getByText("No notes yet.").waitFor();
      const text = "Called: wants a demo on Friday.\nSend the pricing sheet first.";
      await notes.getByLabel("New note").fill(text);
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await noteItem(notes, "wants a demo on Friday").waitFor();
      await notes.getByRole("status").getByText("Note added.").waitFor();
      await noteItem(notes, "wants a demo on Friday").getByText(/^Admin Notes\d+$/).waitFor();   // the author by name
      assert.equal(await notes.getByLabel("New note").inputValue(), "", "the form is cleared");
      assert.equal((await focused(page)).id, "note-new", "the focus is back in the form, for another note");
      let stored = await notesOf(org.token, c._id);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].note, text);
      assert.equal(stored[0].userId, adminId);
      assert.deepEqual(stored[0].mentions, []);
      const item = byId(notes, stored[0]._id);
      const timeline = page.getByRole("region", { name: "Timeline" });
      await timeline.getByText("Note added", { exact: true }).waitFor();

      // Edit: the editor opens with the text and the focus; the save goes back to the Edit button.
      await item.getByRole("button", { name: /^Edit note/ }).click();
      const editor = item.getByLabel("Edit note");
      assert.equal(await editor.inputValue(), text);
      assert.equal((await focused(page)).id, `note-text-${stored[0]._id}`);
      await editor.fill("Demo moved to Monday.");
      await item.getByRole("button", { name: "Save note", exact: true }).click();
      const edited = item;
      await noteItem(notes, "Demo moved to Monday.").waitFor();
      await edited.getByText("edited", { exact: true }).waitFor();
      await until(async () => (await focused(page)).id === `note-edit-${stored[0]._id}`, 1000, "the focus returns to Edit note");
      stored = await notesOf(org.token, c._id);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].note, "Demo moved to Monday.");
      await timeline.getByText("Note changed", { exact: true }).waitFor();

      // Delete asks on the page first; Cancel keeps the note.
      page.on("dialog", () => assert.fail("no window.confirm"));
      await edited.getByRole("button", { name: /^Delete note/ }).click();
      await edited.getByRole("alertdialog").getByText(/^Delete this note by Admin Notes\d+/).waitFor();
      await until(async () => (await focused(page)).text === "Cancel", 1000, "the question's safe answer has the focus");
      await edited.getByRole("button", { name: "Cancel", exact: true }).click();
      assert.equal((await notesOf(org.token, c._id)).length, 1);
      await edited.getByRole("button", { name: /^Delete note/ }).click();
      await edited.getByRole("button", { name: "Yes, delete note" }).click();
      await notes.getByText("No notes yet.").waitFor();
      await notes.getByRole("status").getByText("Note deleted.").waitFor();
      assert.deepEqual(await notesOf(org.token, c._id), []);
      await timeline.getByText("Note deleted", { exact: true }).waitFor();
      const log = await srv.req("GET", `/api/event-logs?contactId=${c._id}`, undefined, org.token);
      assert.deepEqual(log.json.data.events.map((e) => e.type).slice(0, 3), ["NOTE_DELETE", "NOTE_UPDATE", "NOTE_CREATE"]);
    });
  });

  test("the timeline reads a note's entries as sentences, with people's names instead of ids", async () => {
    const org = await newOrg();
    const adminId = await userId(org.token, org.email);
    const admin = (await srv.req("GET", "/api/user/list", undefined, org.token)).json.find((u) => u._id === adminId).fullName;
    const dana = await addUser(org, "DEPARTMENT_HEAD", "Dana");
    const c = await createContact(org.token, { firstName: "Ada", lastName: "Byron" });
    const n = await addNote(dana.token, c._id, "Spoke to Ada:\nsend   the quote", { mentions: [adminId] });
    await withPage(async ({ page }) => {
      const notes = await openContact(page, org, c);
      const timeline = page.getByRole("region", { name: "Timeline" });
      const entry = (type) => timeline.getByRole("listitem").filter({ has: page.getByText(type, { exact: true }) });
      await entry("Note added").getByText(`Dana added a note: “Spoke to Ada: send the quote” Mentions: ${admin}.`, { exact: true }).waitFor();

      const item = byId(notes, n._id);
      await item.getByRole("button", { name: /^Edit note/ }).click();
      await item.getByLabel("Edit note").fill("Quote sent.");
      await item.getByRole("button", { name: "Save note", exact: true }).click();
      await entry("Note changed").getByText(`${admin} changed a note: now “Quote sent.” (was “Spoke to Ada: send the quote”)`, { exact: true }).waitFor();
      await item.getByRole("button", { name: /^Delete note/ }).click();
      await item.getByRole("button", { name: "Yes, delete note" }).click();
      await entry("Note deleted").getByText(`${admin} deleted a note by Dana: “Quote sent.” Mentions: ${admin}.`, { exact: true }).waitFor();
      assert.doesNotMatch(await timeline.innerText(), /[0-9a-f]{24}/, "no ids in the timeline");

      const log = (await srv.req("GET", `/api/event-logs?contactId=${c._id}`, undefined, org.token)).json.data.events;
      assert.deepEqual(log.slice(0, 3).map((e) => [e.type, e.userId]),
        [["NOTE_DELETE", adminId], ["NOTE_UPDATE", adminId], ["NOTE_CREATE", dana.id]]);
      assert.deepEqual(log[2].changes.note.mentions, [adminId]);
      await fitsWidth(page, 360, "the contact page");
      await timeline.screenshot({ path: join(SHOTS, "timeline-notes-360.png") });
    }, { width: 360, height: 900 });
  });

  test("an empty and an over-long note show the server's error at the field; nothing is stored", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Empty" });
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", NOTES);
      const notes = await openContact(page, org, c);
      const input = notes.getByLabel("New note");
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      const err = notes.locator("#note-new-err");
      await err.waitFor();
      assert.match(await err.innerText(), /note must hold 1 to 10000 characters/);
      assert.equal(await input.getAttribute("aria-invalid"), "true");
      assert.match(await input.getAttribute("aria-describedby"), /\bnote-new-err\b/);
      assert.equal((await focused(page)).id, "note-new");

      await input.fill("   \n  ");
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await until(async () => /not only spaces/.test(await err.innerText().catch(() => "")), 2000, "the blank note's error");

      await input.fill("x".repeat(10001));
      await notes.getByText("10,001 of 10,000 characters").waitFor();
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await until(async () => /longer than 10000 characters/.test(await err.innerText().catch(() => "")), 2000, "the long note's error");
      assert.equal((await focused(page)).id, "note-new");
      await screenshot(page, "notes-error-1280");
      assert.deepEqual(await notesOf(org.token, c._id), []);

      await input.fill("x".repeat(10000));   // exactly the limit is fine
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await notes.getByRole("status").getByText("Note added.").waitFor();
      assert.equal(await err.count(), 0);
      assert.equal(await input.getAttribute("aria-invalid"), null);
      const stored = await notesOf(org.token, c._id);
      assert.equal(stored.length, 1);
      assert.equal(stored[0].note.length, 10000);
    });
  });

  test("mentions: users of the organization, chosen on the page and stored as ids", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rita");
    const head = await addUser(org, "DEPARTMENT_HEAD", "Hal");
    const c = await createContact(org.token, { firstName: "Mentioned" });
    await withPage(async ({ page }) => {
      const notes = await openContact(page, org, c);
      await notes.getByLabel("New note").fill("Rita, Hal: please call back.");
      await notes.getByText("Mention people").click();
      await notes.getByLabel("Rita", { exact: true }).check();
      await notes.getByLabel("Hal", { exact: true }).check();
      await notes.getByText("Mention people (2)").waitFor();
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await noteItem(notes, "please call back").getByText("Mentions: Rita, Hal").waitFor();
      await notes.getByText("Mention people", { exact: true }).waitFor();   // the form is cleared
      const stored = await notesOf(org.token, c._id);
      const item = byId(notes, stored[0]._id);
      assert.deepEqual(stored[0].mentions.sort(), [rep.id, head.id].sort());

      // An edit that drops one sends the mentions only.
      await item.getByRole("button", { name: /^Edit note/ }).click();
      await item.getByText(/^Mention people/).click();
      await item.getByLabel("Hal", { exact: true }).uncheck();
      await item.getByRole("button", { name: "Save note", exact: true }).click();
      await noteItem(notes, "please call back").getByText("Mentions: Rita").waitFor();
      const now = await notesOf(org.token, c._id);
      assert.deepEqual(now[0].mentions, [rep.id]);
      assert.equal(now[0].note, "Rita, Hal: please call back.");
    });
  });

  test("a note another session writes appears, changes and goes live, without a reload", async () => {
    const org = await newOrg();
    const other = await addUser(org, "ADMIN", "Colleague");
    const c = await createContact(org.token, { firstName: "Live", lastName: "Notes" });
    const elsewhere = await createContact(org.token, { firstName: "Other" });
    await withPage(async ({ page }) => {
      const notes = await openContact(page, org, c);
      await notes.getByText("No notes yet.").waitFor();
      await page.waitForTimeout(300);   // the socket connects after the page's first paint
      let loads = 0;
      page.on("request", (r) => { if (r.url().endsWith("/")) loads++; });
      await addNote(other.token, elsewhere._id, "not for this contact");
      const n = await addNote(other.token, c._id, "Written elsewhere.");
      const item = noteItem(notes, "Written elsewhere.");
      await item.waitFor({ timeout: 10000 });
      await item.getByText("Colleague", { exact: true }).waitFor();
      // The ADMIN may change a colleague's note.
      await item.getByRole("button", { name: /^Edit note/ }).waitFor();
      assert.equal(await noteItem(notes, "not for this contact").count(), 0);
      const r = await srv.req("PATCH", `/api/contact-notes/${n._id}`, { note: "Changed elsewhere." }, other.token);
      assert.equal(r.status, 200, r.text);
      await noteItem(notes, "Changed elsewhere.").waitFor({ timeout: 10000 });
      assert.equal(await noteItem(notes, "Written elsewhere.").count(), 0);
      assert.equal((await srv.req("DELETE", `/api/contact-notes/${n._id}`, undefined, other.token)).status, 200);
      await noteItem(notes, "Changed elsewhere.").waitFor({ state: "detached", timeout: 10000 });
      await notes.getByText("No notes yet.").waitFor();
      await page.getByRole("region", { name: "Timeline" }).getByText("Note deleted", { exact: true }).waitFor();
      assert.equal(loads, 0, "no reload of the page");
    });
  });

  test("a SALES_REP changes its own notes but not an ADMIN's (no buttons; the API refuses too)", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rep");
    const c = await createContact(rep.token, { firstName: "Reps", lastName: "Lead" });
    const adminNote = await addNote(org.token, c._id, "The ADMIN's note.");
    await withPage(async ({ page }) => {
      const notes = await openContact(page, rep, c);
      const theirs = noteItem(notes, "The ADMIN's note.");
      await theirs.waitFor();
      assert.equal(await theirs.getByRole("button").count(), 0);
      await notes.getByLabel("New note").fill("The rep's own note.");
      await notes.getByRole("button", { name: "Add note", exact: true }).click();
      await noteItem(notes, "The rep's own note.").waitFor();
      const mine = byId(notes, (await notesOf(rep.token, c._id))[0]._id);
      await mine.getByRole("button", { name: /^Edit note/ }).waitFor();
      await mine.getByRole("button", { name: /^Delete note/ }).waitFor();
      assert.equal(await theirs.getByRole("button").count(), 0);
      await mine.getByRole("button", { name: /^Edit note/ }).click();
      await mine.getByLabel("Edit note").fill("The rep's note, edited.");
      await mine.getByRole("button", { name: "Save note", exact: true }).click();
      await noteItem(notes, "The rep's note, edited.").waitFor();
      const stored = await notesOf(rep.token, c._id);
      assert.deepEqual(stored.map((n) => n.note), ["The rep's note, edited.", "The ADMIN's note."]);
      assert.equal(stored[0].userId, rep.id);
    });
    const r = await srv.req("PATCH", `/api/contact-notes/${adminNote._id}`, { note: "no" }, rep.token);
    assert.equal(r.status, 403, r.text);
    assert.equal((await srv.req("DELETE", `/api/contact-notes/${adminNote._id}`, undefined, rep.token)).status, 403);
  });

  test("Load older brings the next page by the server's cursor, and the focus goes to its first note", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Busy" });
    for (let i = 1; i <= 23; i++) await addNote(org.token, c._id, `Note number ${i}.`);
    await withPage(async ({ page }) => {
      const notes = await openContact(page, org, c);
      await noteItem(notes, "Note number 23.").waitFor();
      assert.equal(await notes.getByRole("listitem").count(), 20);
      assert.equal(await noteItem(notes, "Note number 3.").count(), 0);
      assert.match(await notes.getByRole("listitem").first().innerText(), /Note number 23\./);
      await notes.getByRole("button", { name: "Load older notes" }).click();
      await noteItem(notes, "Note number 1.").waitFor();
      assert.equal(await notes.getByRole("listitem").count(), 23);
      assert.match(await notes.getByRole("listitem").last().innerText(), /Note number 1\./);
      const third = (await notesOf(org.token, c._id)).find((n) => n.note === "Note number 3.");
      await until(async () => (await focused(page)).id === `note-${third._id}`, 1000, "the focus on the first older note");
      assert.equal(await notes.getByRole("button", { name: "Load older notes" }).count(), 0);
    });
  });

  test("with the keyboard alone, focus always visible: add, open the editor, Escape closes it", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Keys" });
    await withPage(async ({ page }) => {
      await openContact(page, org, c);
      await page.getByRole("heading", { name: "Keys" }).waitFor();
      await tabTo(page, (f) => f.id === "note-new", "New note");
      await page.keyboard.type("Typed at the keyboard.");
      await tabTo(page, (f) => f.tag === "BUTTON" && f.text === "Add note", "Add note");
      await page.keyboard.press("Enter");
      await page.getByRole("status").getByText("Note added.").waitFor();
      assert.deepEqual((await notesOf(org.token, c._id)).map((n) => n.note), ["Typed at the keyboard."]);
      const f = await tabTo(page, (x) => x.tag === "BUTTON" && x.text.startsWith("Edit note"), "Edit note");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)).id.startsWith("note-text-"), 1000, "the editor takes the focus");
      await page.keyboard.press("Escape");
      await until(async () => (await focused(page)).id.startsWith("note-edit-"), 1000, "Escape returns to Edit note");
      assert.ok(f.ring);
    });
  });

  for (const width of [360, 1280]) {
    test(`at ${width} px the notes fit, nothing scrolls sideways`, async () => {
      const org = await newOrg();
      const rep = await addUser(org, "SALES_REP", "Rita-Rep-With-A-Rather-Long-Name");
      const c = await createContact(rep.token, { firstName: "Narrow", lastName: "Screen" });
      await addNote(org.token, c._id, "First call: interested in the yearly plan.");
      await addNote(rep.token, c._id, "A".repeat(300) + " https://example.com/a/very/long/link/that/does/not/break/anywhere/by/itself");
      await addNote(org.token, c._id, "Follow up next week.\nBring the contract.", { mentions: [rep.id] });
      await withPage(async ({ page }) => {
        const notes = await openContact(page, org, c);
        await noteItem(notes, "Follow up next week.").waitFor();
        await notes.getByText("Mention people").click();
        await fitsWidth(page, width, "the contact page with notes");
        await screenshot(page, `notes-${width}`);
        await notes.screenshot({ path: join(SHOTS, `notes-region-${width}.png`) });   // docs/img/console-notes-360.png
        await noteItem(notes, "Follow up next week.").getByRole("button", { name: /^Edit note/ }).click();
        await fitsWidth(page, width, "the editor");
      }, { width, height: 900 });
    });
  }
});
