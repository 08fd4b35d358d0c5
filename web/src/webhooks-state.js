// The webhooks screen's logic without a DOM (docs/webhooks.md): the body of a new webhook, where a
// server error goes, the pages of a delivery log and a delivery in words. Unit-tested in
// web/test/webhooks-state.test.mjs.

// The events a webhook may subscribe to, in the order the form lists them.
export const WEBHOOK_EVENTS = ["contact_created", "contact_updated", "contact_removed", "note_created", "note_updated", "note_removed"];
export const DELIVERIES_PAGE = 20;

// POST /api/webhooks: the URL trimmed, the events in the form's order, the secret only when typed
// (without one the server makes one).
export function webhookBody(form) {
  const body = { url: form.url.trim(), events: WEBHOOK_EVENTS.filter((e) => form.events.includes(e)) };
  if (form.secret !== "") body.secret = form.secret;
  return body;
}

// Where a server error goes in the form: "url", "events" (the array or one entry), "secret", or ""
// (the top of the form: the 21st webhook is refused with no field).
export function webhookErrorKey(field) {
  if (field === "url" || field === "secret") return field;
  if (typeof field === "string" && /^events(\[\d+\])?$/.test(field)) return "events";
  return "";
}

// The number of pages of a delivery log of `total` deliveries, `limit` a page (at least 1).
export const pageCount = (total, limit) => Math.max(1, Math.ceil(total / limit));

// A delivery's outcome as a person reads it: "Succeeded", "Failed", "Pending (next attempt at …)".
// `time` formats an ISO time.
export function deliveryState(d, time = (iso) => iso) {
  if (d.status === "succeeded") return "Succeeded";
  if (d.status === "failed") return "Failed";
  return d.nextAttemptAt ? `Pending (next attempt ${time(d.nextAttemptAt)})` : "Pending";
}

// What the receiver answered: "HTTP 200", the sender's error when no reply came ("Couldn't connect
// to server"), or "–" before any attempt. (lastError of a non-2xx reply is "HTTP <code>" itself.)
export const deliveryResponse = (d) => (d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError ?? "–");

// Whether the delivery log on screen should be read again soon: some delivery is still pending.
export const anyPending = (deliveries) => deliveries.some((d) => d.status === "pending");

// The pause before the n-th read (from 0) of a log that still has a pending delivery: every
// second for the first 15 (a delivery is usually done within them), then twice as long each
// time, up to every 30 s (a delivery in backoff may wait an hour).
export const pollDelay = (n) => (n < 15 ? 1000 : Math.min(30000, 1000 * 2 ** (n - 14)));
