import { test } from "node:test";
import assert from "node:assert/strict";
import { forgetOrg, orgBody, orgErrorKey, phoneBody, phoneErrorKey, rememberOrg } from "../src/orgs-state.js";

const blank = { name: "", phoneNumber: "", address: "", timezone: "", defaultCountry: "",
  admin: { fullName: "", email: "", password: "", phoneNumber: "", designation: "" } };

test("a new organization's body: trimmed, blanks left out for the server's defaults, the admin nested", () => {
  assert.deepEqual(orgBody({ ...blank, name: " Acme ", defaultCountry: "ca ", timezone: "America/Toronto",
    admin: { ...blank.admin, fullName: " Ada ", email: " ada@acme.test ", password: " pass word " } }), {
    name: "Acme", defaultCountry: "CA", timezone: "America/Toronto",
    adminDetails: { fullName: "Ada", email: "ada@acme.test", password: " pass word " },
  });
  assert.deepEqual(orgBody(blank), { adminDetails: {} });
});

test("organization errors go to their field; the admin's under admin.", () => {
  assert.equal(orgErrorKey("name"), "name");
  assert.equal(orgErrorKey("timezone"), "timezone");
  assert.equal(orgErrorKey("defaultCountry"), "defaultCountry");
  assert.equal(orgErrorKey("adminDetails.email"), "admin.email");
  assert.equal(orgErrorKey("adminDetails.password"), "admin.password");
  assert.equal(orgErrorKey("adminDetails"), "admin.fullName");
  assert.equal(orgErrorKey("adminDetails.accessRole"), "");
  assert.equal(orgErrorKey(null), "");
});

test("a provisioned number's body and errors", () => {
  assert.deepEqual(phoneBody({ phoneNumber: " (212) 555-0100 ", provider: "sinch", targetUserId: "", isDefault: false, isInboundEnabled: true }),
    { phoneNumber: "(212) 555-0100", provider: "sinch", isDefault: false, isInboundEnabled: true });
  assert.equal(phoneBody({ phoneNumber: "1", provider: "twilio", targetUserId: "u1", isDefault: true, isInboundEnabled: true }).targetUserId, "u1");
  assert.equal(phoneErrorKey("phoneNumber"), "phoneNumber");
  assert.equal(phoneErrorKey("targetUserId"), "targetUserId");
  assert.equal(phoneErrorKey("isDefault"), "");
});

test("the organizations this browser knows: newest first, each once", () => {
  assert.deepEqual(rememberOrg(["a", "b"], "b"), ["b", "a"]);
  assert.deepEqual(rememberOrg([], "a"), ["a"]);
  assert.deepEqual(forgetOrg(["a", "b"], "a"), ["b"]);
});
