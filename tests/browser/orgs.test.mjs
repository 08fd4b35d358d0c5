// The SUPERADMIN's organizations and an organization's provisioned numbers (API.md §3,
// docs/console.md) in a real headless Chromium: each test acts through labels and buttons and
// checks what the API stored.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SA_EMAIL, SA_PASSWORD } from "../realtime/harness.mjs";
import { fitsWidth, focused, screenshot, signIn, suite, until } from "./browser.mjs";

const { srv, newOrg, addUser, createContact, withPage } = suite("Orgs");

const signInSuper = (page) => signIn(page, srv.base, SA_EMAIL, SA_PASSWORD, "Organizations");
const saToken = () => srv.login(SA_EMAIL, SA_PASSWORD);
const numbers = async (org) => (await srv.req("GET", `/api/organizations/${org.id}/phone-numbers`, undefined, org.token)).json.data.phoneNumbers;
async function openById(page, org) {
  await page.getByLabel("Organization id").fill(org.id);
  await page.getByRole("button", { name: "Open organization" }).click();
  await page.getByRole("heading", { name: /^Orgs\d+ / }).waitFor();
}

describe("organizations (SUPERADMIN)", () => {
  test("a new organization with its ADMIN: errors at their field, then made, listed and able to sign in", async () => {
    const stamp = Date.now();
    const email = `ada-${stamp}@acme.test`;
    await withPage(async ({ page, allow }) => {
      allow(400, "POST", /^\/api\/organizations$/);
      allow(409, "POST", /^\/api\/organizations$/);
      const asked = [];
      page.on("request", (r) => asked.push(new URL(r.url()).pathname));
      await signInSuper(page);
      assert.deepEqual(await page.getByRole("navigation", { name: "Main" }).getByRole("link").allTextContents(), ["Organizations"]);
      await page.getByText("None yet.").waitFor();
      const form = page.getByRole("form", { name: "New organization" });
      await form.getByLabel("Organization name").fill(`Acme ${stamp}`);
      await form.getByRole("button", { name: "Create organization" }).click();
      const adminName = form.getByLabel("ADMIN's full name");
      await until(async () => (await adminName.getAttribute("aria-invalid")) === "true", 2000, "the error at the ADMIN's name");
      await until(async () => (await focused(page)).id === "no-admin-fullName", 1000, "the focus on the ADMIN's name");

      await adminName.fill("Ada Admin");
      await form.getByLabel("ADMIN's email").fill(email);
      await form.getByLabel(/^ADMIN's password/).fill("admin-pass-123");
      await form.getByLabel(/^Time zone/).fill("Mars/Olympus_Mons");
      await form.getByRole("button", { name: "Create organization" }).click();
      await page.locator("#no-timezone-err").getByText("timezone must be an IANA zone name").waitFor();
      await until(async () => (await focused(page)).id === "no-timezone", 1000, "the focus on the time zone");

      await form.getByLabel(/^Time zone/).fill("America/Toronto");
      await form.getByLabel(/^Country of its numbers/).fill("ca");
      await form.getByRole("button", { name: "Create organization" }).click();
      await page.getByRole("status").filter({ hasText: `Acme ${stamp} is created. Its ADMIN, Ada Admin, can sign in as ${email}.` }).waitFor();
      const link = page.getByRole("link", { name: `Acme ${stamp}` });
      await link.waitFor();
      const id = await page.locator("li[data-id]").getAttribute("data-id");
      const got = (await srv.req("GET", `/api/organizations/${id}`, undefined, await saToken())).json.data.organization;
      assert.equal(got.name, `Acme ${stamp}`);
      assert.equal(got.timezone, "America/Toronto");
      assert.equal(got.defaultCountry, "CA");
      assert.ok(await srv.login(email, "admin-pass-123"), "the ADMIN signs in");

      // the same email again: refused at the ADMIN's email
      await form.getByLabel("Organization name").fill("Acme again");
      await form.getByLabel("ADMIN's full name").fill("Ada Again");
      await form.getByLabel("ADMIN's email").fill(email.toUpperCase());
      await form.getByLabel(/^ADMIN's password/).fill("admin-pass-123");
      await form.getByRole("button", { name: "Create organization" }).click();
      await page.locator("#no-admin-email-err").waitFor();
      await until(async () => (await focused(page)).id === "no-admin-email", 1000, "the focus on the email");

      // the list is read again after a reload: this browser remembers the ids
      await page.reload();
      await link.waitFor();
      await link.click();
      await page.getByRole("heading", { name: `Acme ${stamp}` }).waitFor();
      assert.ok(!asked.some((p) => /^\/api\/(contacts|user\/list|pipelines)/.test(p)), "no organization's screens asked: " + asked.join(" "));
    });
  });

  test("an organization opened by id: its time zone changed, numbers added in any format and removed", async () => {
    const org = await newOrg();
    const c = await createContact(org.token, { firstName: "Taken" });
    await withPage(async ({ page, allow }) => {
      allow(404, "GET", /^\/api\/organizations\/[0-9a-f]{24}$/);
      allow(400, "PUT", /\/timezone$/);
      allow(409, "POST", /\/phone-numbers$/);
      await signInSuper(page);
      await page.getByLabel("Organization id").fill("0123456789abcdef01234567");
      await page.getByRole("button", { name: "Open organization" }).click();
      await page.locator("#oo-id-err").getByText("No organization has this id.").waitFor();
      await openById(page, org);

      const zone = page.getByLabel(/^Time zone/);
      await zone.fill("Nowhere/City");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.locator("#oz-timezone-err").waitFor();
      assert.equal(await zone.getAttribute("aria-invalid"), "true");
      await zone.fill("Europe/Paris");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await page.getByRole("status").filter({ hasText: "The time zone is now Europe/Paris." }).waitFor();
      const got = (await srv.req("GET", `/api/organizations/${org.id}`, undefined, org.token)).json.data.organization;
      assert.equal(got.timezone, "Europe/Paris");

      const numbersRegion = page.getByRole("region", { name: "Provisioned numbers" });
      await numbersRegion.getByText("No numbers yet.").waitFor();
      await page.getByLabel(/^Number/).fill("212.555.0100");
      await page.getByLabel("Provider").selectOption("sinch");
      await page.getByLabel("Receives inbound messages").uncheck();
      await page.getByRole("button", { name: "Add number" }).click();
      await page.getByRole("status").filter({ hasText: "(212) 555-0100 (+12125550100) is provisioned." }).waitFor();
      const item = numbersRegion.locator('li[data-number="+12125550100"]');
      await item.getByText("(212) 555-0100", { exact: true }).waitFor();
      await item.getByText("+12125550100", { exact: true }).waitFor();
      assert.deepEqual((await numbers(org)).map((n) => [n.phoneNumber, n.provider, n.isDefault, n.isInboundEnabled]),
        [["+12125550100", "sinch", true, false]]);

      // a contact's number cannot be provisioned: refused at the number
      await page.getByLabel(/^Number/).fill(c.phoneNumber[0].value);
      await page.getByRole("button", { name: "Add number" }).click();
      await page.locator("#pn-phoneNumber-err").getByText("A contact of the organization has this number").waitFor();
      await until(async () => (await focused(page)).id === "pn-phoneNumber", 1000, "the focus on the number");

      await item.getByRole("button", { name: "Remove (212) 555-0100…" }).click();
      await until(async () => (await focused(page)).text === "Cancel", 1000, "the focus on Cancel");
      await page.keyboard.press("Enter");
      await until(async () => (await focused(page)).text === "Remove (212) 555-0100…", 1000, "the focus back on Remove");
      await item.getByRole("button", { name: "Remove (212) 555-0100…" }).click();
      await item.getByRole("button", { name: "Yes, remove (212) 555-0100" }).click();
      await numbersRegion.getByText("No numbers yet.").waitFor();
      assert.deepEqual(await numbers(org), []);
    });
  });
});

describe("an ADMIN's own organization", () => {
  test("the Organization screen: numbers for a user named by name; other roles have none", async () => {
    const org = await newOrg();
    const rep = await addUser(org, "SALES_REP", "Rita");
    await withPage(async ({ page }) => {
      await signIn(page, srv.base, org.email, org.password);
      await page.getByRole("link", { name: "Organization", exact: true }).click();
      await page.getByRole("heading", { name: /^Orgs\d+ / }).waitFor();
      await page.getByLabel(/^Number/).fill("+1 415 555 0111");
      await page.getByLabel("Sends for (optional)").selectOption({ label: "Rita" });
      await page.getByLabel("The organization's default number").uncheck();
      await page.getByRole("button", { name: "Add number" }).click();
      await page.getByRole("listitem").filter({ hasText: "(415) 555-0111" }).getByText("for Rita").waitFor();
      assert.deepEqual((await numbers(org)).map((n) => [n.phoneNumber, n.targetUserId, n.isDefault]), [["+14155550111", rep.id, false]]);
    });
    const head = await addUser(org, "DEPARTMENT_HEAD", "Hal");
    await withPage(async ({ page }) => {
      const asked = [];
      page.on("request", (r) => { if (/phone-numbers|timezone/.test(r.url())) asked.push(r.url()); });
      await signIn(page, srv.base, head.email, head.password);
      assert.equal(await page.getByRole("link", { name: "Organization", exact: true }).count(), 0);
      await page.goto(`${srv.base}/#/organization`);
      await page.getByRole("alert").filter({ hasText: "Only an ADMIN manages its organization." }).waitFor();
      await page.goto(`${srv.base}/#/organizations`);
      await page.getByRole("alert").filter({ hasText: "Only a SUPERADMIN manages organizations." }).waitFor();
      assert.deepEqual(asked, []);
    });
  });
});

describe("small and wide screens", () => {
  for (const width of [360, 1280, 1920]) {
    test(`at ${width} px the organizations and an organization's page do not scroll sideways`, async () => {
      const org = await newOrg();
      await srv.req("POST", `/api/organizations/${org.id}/phone-numbers`, { phoneNumber: "+442079460958", provider: "twilio" }, org.token);
      await withPage(async ({ page }) => {
        await signInSuper(page);
        await fitsWidth(page, width, "organizations");
        await screenshot(page, `organizations-${width}`);
        await openById(page, org);
        await page.getByText("+44 20 7946 0958", { exact: true }).waitFor();   // not the organization's country: international
        await fitsWidth(page, width, "an organization");
        await screenshot(page, `organization-${width}`);
      }, { width, height: 900 });
    });
  }
});
