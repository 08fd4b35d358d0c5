import { test } from "node:test";
import assert from "node:assert/strict";
import { anyPending, deliveryResponse, deliveryState, pageCount, pollDelay, webhookBody, webhookErrorKey } from "../src/webhooks-state.js";

test("a new webhook's body: URL trimmed, events in the form's order, the secret only when typed", () => {
  assert.deepEqual(webhookBody({ url: " https://example.com/hook ", events: ["note_created", "contact_created"], secret: "" }),
    { url: "https://example.com/hook", events: ["contact_created", "note_created"] });
  assert.deepEqual(webhookBody({ url: "https://x.test", events: [], secret: " sixteen chars!! " }),
    { url: "https://x.test", events: [], secret: " sixteen chars!! " }, "a secret is sent as typed: its bytes sign");
  assert.deepEqual(webhookBody({ url: "", events: ["bogus"], secret: "" }).events, [], "only known events");
});

test("webhook errors go to their field: url, events or one of them, secret; others to the top", () => {
  assert.equal(webhookErrorKey("url"), "url");
  assert.equal(webhookErrorKey("secret"), "secret");
  assert.equal(webhookErrorKey("events"), "events");
  assert.equal(webhookErrorKey("events[3]"), "events");
  assert.equal(webhookErrorKey("eventsx"), "");
  assert.equal(webhookErrorKey(null), "");
  assert.equal(webhookErrorKey(undefined), "");
});

test("pages of a delivery log", () => {
  assert.equal(pageCount(0, 20), 1);
  assert.equal(pageCount(20, 20), 1);
  assert.equal(pageCount(21, 20), 2);
});

test("a delivery in words: its state and what the receiver answered", () => {
  const d = { status: "succeeded", lastStatusCode: 200, lastError: null, nextAttemptAt: null };
  assert.equal(deliveryState(d), "Succeeded");
  assert.equal(deliveryResponse(d), "HTTP 200");
  const f = { status: "failed", lastStatusCode: 500, lastError: "HTTP 500", nextAttemptAt: null };
  assert.equal(deliveryState(f), "Failed");
  assert.equal(deliveryResponse(f), "HTTP 500");
  const p = { status: "pending", lastStatusCode: null, lastError: "Couldn't connect to server", nextAttemptAt: "2026-01-01T00:00:00.000Z" };
  assert.equal(deliveryState(p, () => "at noon"), "Pending (next attempt at noon)");
  assert.equal(deliveryResponse(p), "Couldn't connect to server");
  assert.equal(deliveryResponse({ status: "pending", lastStatusCode: null, lastError: null }), "–");
  assert.equal(anyPending([d, f]), false);
  assert.equal(anyPending([d, p]), true);
});

test("a pending log is read every second for 15 reads, then less often, up to every 30 s", () => {
  assert.equal(pollDelay(0), 1000);
  assert.equal(pollDelay(14), 1000);
  assert.equal(pollDelay(15), 2000);
  assert.equal(pollDelay(16), 4000);
  assert.equal(pollDelay(40), 30000);
});
