import { test } from "node:test";
import assert from "node:assert/strict";
import { applyEvent, contactBody, describeChanges, formFromContact, formKey, listQuery, matchesFilters, patchBody, rowWindow } from "../src/state.js";

const ME = { id: "u1" };
const contact = (id, extra = {}) => ({ _id: id, userId: "u1", createdBy: "u1", assignees: ["u1"], pipelineId: "p1",
  pipelineStage: "s1", source: null, firstName: "Ada", lastName: null, phoneNumber: [{ value: "+12125550143", isPrimary: true }],
  secondaryPhoneNumber: [], emails: [], process: null, ...extra });

test("server error fields map to the form's inputs", () => {
  assert.equal(formKey("phoneNumber[0].value"), "phone.0");
  assert.equal(formKey("phoneNumber[3]"), "phone.3");
  assert.equal(formKey("phoneNumber"), "phone.0");
  assert.equal(formKey("secondaryPhoneNumber[1].value"), "phone.1");
  assert.equal(formKey("email[2].value"), "email.2");
  assert.equal(formKey("email"), "email.0");
  assert.equal(formKey("firstName"), "firstName");
  assert.equal(formKey("status"), "stage");
  assert.equal(formKey("pipelineStage"), "stage");
  assert.equal(formKey("pipelineId"), "pipeline");
  assert.equal(formKey("assignees[0]"), null);
  assert.equal(formKey(null), null);
  assert.equal(formKey(""), null);
});

test("a form becomes a create body: blanks dropped, the first of each list primary", () => {
  const body = contactBody({ firstName: " Ada ", lastName: "", phones: ["(416) 555-0199", " ", "+44 20 7946 0958"],
    emails: ["", "ada@ex.com"], source: "web", process: "", pipelineId: "p1", stageId: "s2" });
  assert.deepEqual(body, {
    firstName: "Ada", lastName: null,
    phoneNumber: [{ value: "(416) 555-0199", isPrimary: true }, { value: "+44 20 7946 0958", isPrimary: false }],
    email: [{ value: "ada@ex.com", isPrimary: true }], source: "web", process: null, pipelineId: "p1", pipelineStage: "s2",
  });
});

test("a contact becomes a form with the primaries first", () => {
  const f = formFromContact(contact("c1", { phoneNumber: [{ value: "+1", isPrimary: false }, { value: "+2", isPrimary: true }],
    secondaryPhoneNumber: [{ value: "+3" }], emails: [] }));
  assert.deepEqual(f.phones, ["+2", "+1", "+3"]);
  assert.deepEqual(f.emails, [""]);
  assert.equal(f.lastName, "");
  assert.equal(f.stageId, "s1");
});

test("an edit sends only what changed", () => {
  const before = formFromContact(contact("c1"));
  assert.deepEqual(patchBody(before, before), {});
  assert.deepEqual(patchBody(before, { ...before, firstName: "Grace" }), { firstName: "Grace" });
  assert.deepEqual(patchBody(before, { ...before, stageId: "s2" }), { pipelineStage: "s2" });
  assert.deepEqual(patchBody(before, { ...before, pipelineId: "p2", stageId: "s9" }), { pipelineId: "p2", pipelineStage: "s9" });
  assert.deepEqual(patchBody(before, { ...before, pipelineId: "p2", stageId: "" }), { pipelineId: "p2" });
  const phones = patchBody(before, { ...before, phones: ["+12125550143", "+12125550144"] });
  assert.deepEqual(phones, { phoneNumber: [{ value: "+12125550143", isPrimary: true }, { value: "+12125550144", isPrimary: false }],
    secondaryPhoneNumber: [] });
  assert.deepEqual(patchBody(before, { ...before, source: "  " }), {});
});

test("live contacts join a list only when its filters would list them", () => {
  const f = { search: "", pipelineId: "", stageId: "", source: "", owner: "all" };
  assert.equal(matchesFilters(contact("c"), f, ME), true);
  assert.equal(matchesFilters(contact("c"), { ...f, search: "ada" }, ME), false);
  assert.equal(matchesFilters(contact("c"), { ...f, pipelineId: "p2" }, ME), false);
  assert.equal(matchesFilters(contact("c"), { ...f, pipelineId: "p1", stageId: "s1" }, ME), true);
  assert.equal(matchesFilters(contact("c", { source: "Web" }), { ...f, source: "web" }, ME), true);
  assert.equal(matchesFilters(contact("c"), { ...f, source: "web" }, ME), false);
  assert.equal(matchesFilters(contact("c", { userId: "u2", createdBy: "u2", assignees: ["u2"] }), { ...f, owner: "my" }, ME), false);
  assert.equal(matchesFilters(contact("c", { userId: "u2", createdBy: "u2", assignees: ["u1"] }), { ...f, owner: "my" }, ME), true);
  assert.equal(matchesFilters(contact("c", { assignees: [] }), { ...f, owner: "unassigned" }, ME), true);
  assert.equal(matchesFilters(contact("c", { userId: "u2", createdBy: "u2", assignees: ["u2"] }), { ...f, owner: "u2" }, ME), true);
});

test("live events update the list", () => {
  const f = { search: "", pipelineId: "", stageId: "", source: "", owner: "all" };
  let l = { contacts: [contact("a")], total: 1 };
  l = applyEvent(l, "contact_created", contact("b"), f, ME);
  assert.deepEqual(l.contacts.map((c) => c._id), ["b", "a"]);
  assert.equal(l.total, 2);
  l = applyEvent(l, "contact_created", contact("b"), f, ME);   // the same event twice adds once
  assert.equal(l.contacts.length, 2);
  l = applyEvent(l, "contact_updated", contact("a", { firstName: "Grace" }), f, ME);
  assert.equal(l.contacts[1].firstName, "Grace");
  const searched = applyEvent(l, "contact_created", contact("c"), { ...f, search: "x" }, ME);
  assert.equal(searched, l);
  l = applyEvent(l, "contact_removed", { _id: "a" }, f, ME);
  assert.deepEqual(l.contacts.map((c) => c._id), ["b"]);
  assert.equal(l.total, 1);
  assert.equal(applyEvent(l, "contact_removed", { _id: "zz" }, f, ME), l);
  assert.equal(applyEvent(l, "contact_updated", contact("zz"), f, ME), l);
});

test("the row window covers the viewport plus the overscan, within the list", () => {
  assert.deepEqual(rowWindow(0, 440, 44, 10000, 8), [0, 18]);
  assert.deepEqual(rowWindow(44 * 5000, 440, 44, 10000, 8), [4992, 5018]);
  assert.deepEqual(rowWindow(44 * 9995, 440, 44, 10000, 8), [9987, 10000]);
  assert.deepEqual(rowWindow(0, 440, 44, 3, 8), [0, 3]);
  assert.deepEqual(rowWindow(0, 440, 44, 0, 8), [0, 0]);
});

test("the list query carries the filters and the cursor", () => {
  const q = new URLSearchParams(listQuery({ search: "416 555", pipelineId: "p", stageId: "s", source: "web", owner: "" }, 100, "cur"));
  assert.deepEqual(Object.fromEntries(q), { size: "100", search: "416 555", pipelineId: "p", pipelineStage: "s", source: "web",
    ownerFilter: "my", after: "cur" });
  assert.deepEqual(Object.fromEntries(new URLSearchParams(listQuery({ owner: "all" }, 50))), { size: "50", ownerFilter: "all" });
});

test("event-log changes read as one line", () => {
  assert.equal(describeChanges({ firstName: { from: "Ada", to: "Grace" }, source: { from: null, to: "web" } }),
    "firstName: Ada → Grace; source: – → web");
  assert.equal(describeChanges({ phoneNumber: { from: ["+1"], to: ["+2"] } }), 'phoneNumber: ["+1"] → ["+2"]');
  const stages = { s1: "New Lead", s2: "Won" };
  assert.equal(describeChanges({ pipelineStage: { from: "s1", to: "s2" }, status: { from: "New Lead", to: "Won" } },
                               (k, v) => (k === "pipelineStage" ? stages[v] ?? v : v)),
               "pipelineStage: New Lead → Won; status: New Lead → Won");
  assert.equal(describeChanges(null), "");
  assert.equal(describeChanges({ note: "x" }), "");
});
