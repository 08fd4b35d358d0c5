// The console's logic that has no DOM: error placement, list updates from live events, edits as
// PATCH bodies, the row window of the contacts table. Unit-tested in web/test/.

// A contact's name as the screens show it.
export const fullName = (c) => [c.firstName, c.lastName].filter(Boolean).join(" ") || "(no name)";

// Where a server error goes in a form: "phoneNumber[1].value" → "phone.1", "email[0].value" →
// "email.0", "firstName" → "firstName"; null when no field of the form matches.
export function formKey(field) {
  if (typeof field !== "string" || !field) return null;
  let m = /^(phoneNumber|secondaryPhoneNumber)\[(\d+)\]/.exec(field);
  if (m) return `phone.${m[2]}`;
  if (field === "phoneNumber") return "phone.0";
  m = /^(email|emails)\[(\d+)\]/.exec(field);
  if (m) return `email.${m[2]}`;
  if (field === "email" || field === "emails") return "email.0";
  if (field === "status" || field === "pipelineStage") return "stage";
  if (field === "pipelineId") return "pipeline";
  return ["firstName", "lastName", "source", "process"].includes(field) ? field : null;
}

// The form's values as a body for POST /api/contact; blanks are left out.
export function contactBody(form) {
  const phones = form.phones.map((p) => p.trim()).filter(Boolean);
  const emails = form.emails.map((e) => e.trim()).filter(Boolean);
  const body = {
    firstName: form.firstName.trim() || null,
    lastName: form.lastName.trim() || null,
    phoneNumber: phones.map((value, i) => ({ value, isPrimary: i === 0 })),
    email: emails.map((value, i) => ({ value, isPrimary: i === 0 })),
    source: form.source.trim() || null,
    process: form.process.trim() || null,
  };
  if (form.pipelineId) body.pipelineId = form.pipelineId;
  if (form.stageId) body.pipelineStage = form.stageId;
  return body;
}

// A form filled from a contact (the primary phone and email first).
export function formFromContact(c) {
  const primaryFirst = (list) => [...(list ?? [])].sort((a, b) => (b.isPrimary ? 1 : 0) - (a.isPrimary ? 1 : 0)).map((x) => x.value);
  const phones = [...primaryFirst(c.phoneNumber), ...(c.secondaryPhoneNumber ?? []).map((x) => x.value)];
  const emails = primaryFirst(c.emails);
  return {
    firstName: c.firstName ?? "", lastName: c.lastName ?? "",
    phones: phones.length ? phones : [""], emails: emails.length ? emails : [""],
    source: c.source ?? "", process: c.process ?? "",
    pipelineId: c.pipelineId ?? "", stageId: c.pipelineStage ?? "",
  };
}

// The PATCH body of an edit: only what changed from `before` (a form), so that the event log
// names only the fields the person touched. Empty object: nothing to save.
export function patchBody(before, after) {
  const a = contactBody(before), b = contactBody(after);
  const out = {};
  for (const k of Object.keys(b)) {
    if (k === "pipelineId" || k === "pipelineStage") continue;
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) out[k] = b[k];
  }
  // A cleared secondary list must be said too: phoneNumber replaces both lists.
  if (out.phoneNumber) out.secondaryPhoneNumber = [];
  if (after.pipelineId !== before.pipelineId) out.pipelineId = after.pipelineId;
  // No stage chosen in a new pipeline: the server puts the contact on its first stage.
  if ((after.stageId !== before.stageId || out.pipelineId) && after.stageId) out.pipelineStage = after.stageId;
  return out;
}

// Whether a contact belongs in a list shown with these filters. `search` cannot be judged here
// (the server matches phone digits in any format), so a live contact is only added to an
// unsearched list; one already listed is updated either way.
export function matchesFilters(contact, filters, me) {
  if (filters.search) return false;
  if (filters.pipelineId && contact.pipelineId !== filters.pipelineId) return false;
  if (filters.stageId && contact.pipelineStage !== filters.stageId) return false;
  if (filters.source && (contact.source ?? "").toLowerCase() !== filters.source.toLowerCase()) return false;
  const owner = filters.owner || "my";
  const mine = (id) => contact.userId === id || contact.createdBy === id || (contact.assignees ?? []).includes(id);
  if (owner === "my") return mine(me.id);
  if (owner === "unassigned") return (contact.assignees ?? []).length === 0;
  if (owner !== "all") return mine(owner);
  return true;
}

// The list after a live event: {contacts, total}. Newest first, as the server lists.
export function applyEvent(list, name, contact, filters, me) {
  const i = list.contacts.findIndex((c) => c._id === contact._id);
  if (name === "contact_removed") {
    if (i < 0) return list;
    return { contacts: list.contacts.filter((_, j) => j !== i), total: Math.max(0, list.total - 1) };
  }
  if (i >= 0) {
    const contacts = list.contacts.slice();
    contacts[i] = contact;
    return { ...list, contacts };
  }
  if (name === "contact_created" && matchesFilters(contact, filters, me))
    return { contacts: [contact, ...list.contacts], total: list.total + 1 };
  return list;
}

// The rows to render: [first, last) of `count` rows of `rowHeight` px seen through a viewport
// of `height` px scrolled by `scrollTop`, with `overscan` rows either side.
export function rowWindow(scrollTop, height, rowHeight, count, overscan = 8) {
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  return [first, Math.max(first, last)];
}

// The query string of GET /api/contacts for these filters.
export function listQuery(filters, size, after) {
  const q = new URLSearchParams();
  q.set("size", String(size));
  if (filters.search) q.set("search", filters.search);
  if (filters.pipelineId) q.set("pipelineId", filters.pipelineId);
  if (filters.stageId) q.set("pipelineStage", filters.stageId);
  if (filters.source) q.set("source", filters.source);
  q.set("ownerFilter", filters.owner || "my");
  if (after) q.set("after", after);
  return q.toString();
}

// One line for an event-log entry's changes: "firstName: Ada → Grace; source: – → web".
// name(key, value) may give a value its readable form (a stage id its stage's name).
export function describeChanges(changes, name = (k, v) => v) {
  if (!changes || typeof changes !== "object") return "";
  const show = (k, v) => {
    if (v === null || v === undefined || v === "") return "–";
    const n = name(k, v);
    return typeof n === "object" ? JSON.stringify(n) : String(n);
  };
  return Object.entries(changes)
    .filter(([, v]) => v && typeof v === "object" && ("from" in v || "to" in v))
    .map(([k, v]) => `${k}: ${show(k, v.from)} → ${show(k, v.to)}`)
    .join("; ");
}
