// The CSV import screen's logic without a DOM (API.md §11, docs/api-decisions.md "Import"): the
// upload's query, the progress and the counts in words, the query of a page of row results and a
// row error's field as the file's reader names it. Unit-tested in web/test/import-state.test.mjs.

export const ON_DUPLICATE = [
  ["skip", "Skip the row (keep the contact as it is)"],
  ["update", "Update the contact that has the number"],
  ["error", "Report the row as failed"],
];
export const ROW_STATUSES = ["failed", "skipped", "created", "updated"];
export const ROWS_PAGE = 100;

// The query of POST /api/contacts/import: the options the form sets (mapping is left to the
// server's header matching).
export function importQuery({ onDuplicate, dryRun }) {
  const q = new URLSearchParams({ onDuplicate });
  if (dryRun) q.set("dryRun", "true");
  return q.toString();
}

const plural = (n, one, many) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

// "Importing: 120 of 500 rows done." / "Done: 500 rows." / "Failed: <why>".
export function progressText(imp) {
  if (imp.state === "failed") return `The import failed${imp.error ? `: ${imp.error}` : "."}`;
  if (imp.state === "done") return `${imp.dryRun ? "Dry run done" : "Done"}: ${plural(imp.total, "row", "rows")} read.`;
  return `Importing: ${imp.processed.toLocaleString("en-US")} of ${plural(imp.total, "row", "rows")} done.`;
}

// The counts by result, in the order the screen lists them: [[status, n, label]].
export function counts(imp) {
  const would = imp.dryRun ? "would be " : "";
  return [["created", imp.created, `${would}created`], ["updated", imp.updated, `${would}updated`],
    ["skipped", imp.skipped, `${would}skipped`], ["failed", imp.failed, "failed"]];
}

// The query of a page of row results: every row (in row order) or those of one status.
export function rowsQuery(status, page) {
  const q = new URLSearchParams({ page: String(page), limit: String(ROWS_PAGE) });
  if (status) q.set("status", status);
  return q.toString();
}

const FIELD_NAMES = { firstName: "First name", lastName: "Last name", status: "Stage", pipelineStage: "Stage",
  pipelineId: "Pipeline", source: "Source", process: "Process", assignees: "Assignees", file: "File" };

// A row error's field as the person reads the file: "phoneNumber[0].value" → "Phone 1",
// "secondaryPhoneNumber[1]" → "Phone 2" of the other numbers…, "email[1]" → "Email 2"; "" for none.
export function fieldLabel(field) {
  if (typeof field !== "string" || !field) return "";
  const m = /^(phoneNumber|secondaryPhoneNumber|email|emails)(?:\[(\d+)\])?/.exec(field);
  if (m) return (m[1].startsWith("email") ? "Email" : m[1] === "phoneNumber" ? "Phone" : "Other phone") + (m[2] ? ` ${Number(m[2]) + 1}` : "");
  return FIELD_NAMES[field] ?? field;
}
