import { test } from "node:test";
import assert from "node:assert/strict";
import { counts, fieldLabel, importQuery, progressText, rowsQuery } from "../src/import-state.js";

const imp = (extra) => ({ state: "running", total: 500, processed: 120, created: 100, updated: 0, skipped: 15, failed: 5, dryRun: false, error: null, ...extra });

test("the upload's query: the duplicate rule, and dryRun only when asked", () => {
  assert.equal(importQuery({ onDuplicate: "skip", dryRun: false }), "onDuplicate=skip");
  assert.equal(importQuery({ onDuplicate: "update", dryRun: true }), "onDuplicate=update&dryRun=true");
});

test("progress and counts in words", () => {
  assert.equal(progressText(imp()), "Importing: 120 of 500 rows done.");
  assert.equal(progressText(imp({ state: "done", processed: 500, total: 1 })), "Done: 1 row read.");
  assert.equal(progressText(imp({ state: "done", dryRun: true, total: 1200 })), "Dry run done: 1,200 rows read.");
  assert.equal(progressText(imp({ state: "failed", error: "its creator was disabled" })), "The import failed: its creator was disabled");
  assert.equal(progressText(imp({ state: "failed" })), "The import failed.");
  assert.deepEqual(counts(imp()).map(([s, n]) => [s, n]), [["created", 100], ["updated", 0], ["skipped", 15], ["failed", 5]]);
  assert.equal(counts(imp({ dryRun: true }))[0][2], "would be created");
});

test("a page of rows: all, or one status", () => {
  assert.equal(rowsQuery("", 1), "page=1&limit=100");
  assert.equal(rowsQuery("failed", 2), "page=2&limit=100&status=failed");
});

test("a row error's field as the file's reader reads it", () => {
  assert.equal(fieldLabel("phoneNumber[0]"), "Phone 1");
  assert.equal(fieldLabel("phoneNumber[1].value"), "Phone 2");
  assert.equal(fieldLabel("phoneNumber"), "Phone");
  assert.equal(fieldLabel("secondaryPhoneNumber[0]"), "Other phone 1");
  assert.equal(fieldLabel("email[2]"), "Email 3");
  assert.equal(fieldLabel("firstName"), "First name");
  assert.equal(fieldLabel("status"), "Stage");
  assert.equal(fieldLabel("somethingElse"), "somethingElse");
  assert.equal(fieldLabel(undefined), "");
});
