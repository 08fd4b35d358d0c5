// CSV import (API.md §11), for every role (a SALES_REP's rows become its own contacts): a file
// chosen, uploaded as multipart/form-data with the duplicate rule and an optional dry run; the job
// read again every half second while it runs; then each row's result, a page at a time, with a
// link to the contact a row made, updated or met.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api } from "./api.js";
import { ON_DUPLICATE, ROWS_PAGE, ROW_STATUSES, counts, fieldLabel, importQuery, progressText, rowsQuery } from "./import-state.js";
import { pageCount } from "./webhooks-state.js";

const html = htm.bind(h);
const POLL_MS = 500;

// One import's rows: all in row order, or one status; a page of 100 at a time.
function Rows({ imp }) {
  const [status, setStatus] = useState("");
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);   // {rows, total, page}
  const [error, setError] = useState(null);
  const latest = useRef(0);   // the newest read: an older one that answers late is dropped
  const load = useCallback(async () => {
    const mine = ++latest.current;
    try {
      const { body } = await api("GET", `/api/contacts/imports/${imp._id}/rows?${rowsQuery(status, page)}`);
      if (mine !== latest.current) return;
      setData({ ...body.data, page });   // the label says the page the rows are from
      setError(null);
    } catch (e) {
      if (mine === latest.current) setError(e.message);
    }
  }, [imp._id, status, page]);
  useEffect(() => { load(); }, [load]);
  const pages = data ? pageCount(data.total, ROWS_PAGE) : 1;
  const link = (r) => {
    if (!r.contactId || imp.dryRun) return "";
    const text = r.status === "skipped" ? "Open the contact that has this number" : "Open contact";
    return html`<a href=${"#/contacts/" + r.contactId}>${text}<span class="sr"> of row ${r.row}</span></a>`;
  };
  return html`<section aria-labelledby="ir-h" class="import-rows">
    <h2 id="ir-h">Rows</h2>
    <div class="field">
      <label for="ir-status">Show</label>
      <select id="ir-status" value=${status} onChange=${(e) => { setStatus(e.target.value); setPage(1); }}>
        <option value="">Every row</option>
        ${ROW_STATUSES.map((s) => html`<option value=${s}>Rows ${s}</option>`)}
      </select>
    </div>
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${load}>Try again</button></p>`}
    ${!data ? html`<p class="muted">Loading rows…</p>` : data.rows.length === 0 ? html`<p class="muted">No rows here.</p>`
      : html`<table class="data-table row-table">
        <thead><tr><th scope="col">Row</th><th scope="col">Result</th><th scope="col">Field</th><th scope="col">Why</th>
          <th scope="col">Contact</th></tr></thead>
        <tbody>${data.rows.map((r) => html`<tr key=${r.row} data-row=${r.row} class=${r.status}>
          <td data-label="Row">${r.row}</td>
          <td data-label="Result">${r.status}</td>
          <td data-label="Field">${fieldLabel(r.field) || "–"}</td>
          <td data-label="Why">${r.message ?? r.error ?? "–"}</td>
          <td>${link(r)}</td>
        </tr>`)}</tbody>
      </table>`}
    ${data && pages > 1 && html`<div class="actions pager">
      <button type="button" disabled=${page <= 1} onClick=${() => setPage(page - 1)}>Previous<span class="sr"> rows</span></button>
      <span>Page ${data.page} of ${pages}</span>
      <button type="button" disabled=${page >= pages} onClick=${() => setPage(page + 1)}>Next<span class="sr"> rows</span></button>
    </div>`}
  </section>`;
}

export function Import() {
  const [file, setFile] = useState(null);
  const [onDuplicate, setOnDuplicate] = useState("skip");
  const [dryRun, setDryRun] = useState(false);
  const [error, setError] = useState(null);   // {key: "file"|"", message}
  const [imp, setImp] = useState(null);
  const [busy, setBusy] = useState(false);
  const input = useRef(null);
  const status = useRef(null);

  // While the job runs, read it again every POLL_MS; it ends done or failed.
  useEffect(() => {
    if (!imp || imp.state !== "running") return undefined;
    const t = setTimeout(async () => {
      try {
        const { body } = await api("GET", `/api/contacts/imports/${imp._id}`);
        setImp(body.data.import);
      } catch (e) {
        setError({ key: "", message: e.message });
      }
    }, POLL_MS);
    return () => clearTimeout(t);
  }, [imp]);
  useEffect(() => { if (imp && imp.state !== "running") status.current?.focus(); }, [imp?.state]);

  async function upload(e) {
    e.preventDefault();
    setError(null);
    if (!file) {
      setError({ key: "file", message: "Choose a CSV file first." });
      input.current?.focus();
      return;
    }
    setBusy(true);
    setImp(null);
    try {
      const form = new FormData();
      form.append("file", file, file.name);
      const { body } = await api("POST", `/api/contacts/import?${importQuery({ onDuplicate, dryRun })}`, { form });
      setImp(body.data.import);
    } catch (err) {
      // The file's problems (no phone column, not UTF-8 CSV, too large) are the file's.
      const key = err.field === "file" || err.status === 413 || err.status === 415 ? "file" : "";
      setError({ key, message: err.message });
      if (key) input.current?.focus();
    }
    setBusy(false);
  }
  const running = busy || imp?.state === "running";
  return html`<section aria-labelledby="import-h" class="import">
    <h1 id="import-h">Import contacts</h1>
    <p class="muted">A CSV file with a header row (comma, semicolon or tab; UTF-8). Columns are matched by their names:
      first and last name, phone (several phone columns make several numbers, the first the primary), email, status
      (the stage), source, process. Every row is checked as a new contact is; a number already in use is a duplicate.
      At most 200,000 rows and 50 MB.</p>
    <form class="card import-form" onSubmit=${upload} novalidate aria-labelledby="import-h">
      ${error?.key === "" && html`<p class="error" role="alert">${error.message}</p>`}
      <div class="field">
        <label for="im-file">CSV file</label>
        <input id="im-file" ref=${input} type="file" accept=".csv,text/csv,text/plain"
               onChange=${(e) => { setFile(e.target.files[0] ?? null); setError(null); }}
               aria-invalid=${error?.key === "file" ? "true" : undefined} aria-describedby=${error?.key === "file" ? "im-file-err" : undefined} />
        ${error?.key === "file" && html`<p class="field-error" id="im-file-err">${error.message}</p>`}
      </div>
      <div class="field">
        <label for="im-dup">When a row's number is already a contact's</label>
        <select id="im-dup" value=${onDuplicate} onChange=${(e) => setOnDuplicate(e.target.value)}>
          ${ON_DUPLICATE.map(([v, text]) => html`<option value=${v}>${text}</option>`)}
        </select>
      </div>
      <div class="check"><input id="im-dry" type="checkbox" checked=${dryRun} onChange=${(e) => setDryRun(e.target.checked)} />
        <label for="im-dry">Dry run: check every row and write nothing</label></div>
      <div class="actions"><button type="submit" class="primary" disabled=${running}>${dryRun ? "Check file" : "Import file"}</button></div>
    </form>
    ${imp && html`<section aria-labelledby="ip-h" class="card import-progress">
      <h2 id="ip-h">${imp.fileName ?? "The file"}${imp.dryRun ? " (dry run)" : ""}</h2>
      <label for="ip-bar">Progress</label>
      <progress id="ip-bar" max=${imp.total || 1} value=${imp.state === "running" ? imp.processed : imp.total || 1}></progress>
      <p role="status" id="ip-status" ref=${status} tabindex="-1">${progressText(imp)}</p>
      <ul class="plain counts">${counts(imp).map(([s, n, label]) => html`<li key=${s} data-status=${s}><strong>${n.toLocaleString("en-US")}</strong> ${label}</li>`)}</ul>
      ${imp.state !== "running" && html`<${Rows} key=${imp._id} imp=${imp} />`}
      ${imp.state === "done" && !imp.dryRun && imp.created > 0 && html`<p><a href="#/contacts">Go to the contacts</a></p>`}
    </section>`}
  </section>`;
}
