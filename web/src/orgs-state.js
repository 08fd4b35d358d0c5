// The organization screens' logic without a DOM (API.md §3): the bodies of a new organization and
// of a provisioned number, where a server error goes, and the list of organizations this browser
// knows (the API has no call that lists them). Unit-tested in web/test/orgs-state.test.mjs.

export const PROVIDERS = ["twilio", "sinch", "textgrid"];
export const ORG_FIELDS = ["name", "phoneNumber", "address", "timezone", "defaultCountry"];
export const ADMIN_FIELDS = ["fullName", "email", "password", "phoneNumber", "designation"];

// POST /api/organizations: texts trimmed (the password as typed), blanks left out so the server's
// defaults apply (timezone UTC, defaultCountry US), the country in capitals.
export function orgBody(form) {
  const body = {};
  for (const k of ORG_FIELDS) {
    const v = form[k].trim();
    if (v) body[k] = k === "defaultCountry" ? v.toUpperCase() : v;
  }
  const admin = {};
  for (const k of ADMIN_FIELDS) {
    const v = k === "password" ? form.admin[k] : form.admin[k].trim();
    if (v) admin[k] = v;
  }
  body.adminDetails = admin;
  return body;
}

// Where a server error goes in the new-organization form: "name" …, "admin.email" … for
// "adminDetails.email"; "" for the top of the form.
export function orgErrorKey(field) {
  if (typeof field !== "string") return "";
  if (ORG_FIELDS.includes(field)) return field;
  const m = /^adminDetails\.(\w+)$/.exec(field);
  if (m && ADMIN_FIELDS.includes(m[1])) return "admin." + m[1];
  return field === "adminDetails" ? "admin.fullName" : "";
}

// POST /api/organizations/{id}/phone-numbers: the number as typed (the server reads it with the
// organization's country), the user only when one is chosen.
export function phoneBody(form) {
  const body = { phoneNumber: form.phoneNumber.trim(), provider: form.provider, isDefault: form.isDefault,
    isInboundEnabled: form.isInboundEnabled };
  if (form.targetUserId) body.targetUserId = form.targetUserId;
  return body;
}

// Where a server error goes in the number form: "phoneNumber", "provider", "targetUserId", or "".
export const phoneErrorKey = (field) => (["phoneNumber", "provider", "targetUserId"].includes(field) ? field : "");

// The organizations this browser knows, newest first, each id once.
export const rememberOrg = (ids, id) => [id, ...ids.filter((x) => x !== id)];
export const forgetOrg = (ids, id) => ids.filter((x) => x !== id);
