// The ADMIN's webhooks screen (docs/webhooks.md): the organization's webhooks; a new one (URL,
// events, an optional signing secret), whose secret is shown once; a webhook deleted after an
// on-page question; its deliveries, newest first, a page at a time, read again while some are
// pending; a delivery redelivered (a new delivery of the same event), with the outcome shown. The
// API has no call that edits, enables or disables a webhook: the screen offers none.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError } from "./api.js";
import { ShownOnce } from "./secret.js";
import { useFocusAfter, when } from "./ui.js";
import { DELIVERIES_PAGE, WEBHOOK_EVENTS, anyPending, deliveryResponse, deliveryState, pageCount, pollDelay, webhookBody,
  webhookErrorKey } from "./webhooks-state.js";

const html = htm.bind(h);
const EMPTY = { url: "", events: ["contact_created", "contact_updated", "contact_removed"], secret: "" };

function NewWebhook({ onCreated }) {
  const [form, setForm] = useState(EMPTY);
  const [error, setError] = useState(null);   // {key: "url"|"events"|"secret"|"", message}
  const [busy, setBusy] = useState(false);
  async function create(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { body } = await api("POST", "/api/webhooks", { body: webhookBody(form) });
      setForm(EMPTY);
      await onCreated(body.data.webhook, body.data.secret);
    } catch (err) {
      const key = err instanceof ApiError ? webhookErrorKey(err.field) : "";
      setError({ key, message: err.message });
      document.getElementById(key === "events" ? "wf-ev-" + WEBHOOK_EVENTS[0] : key && "wf-" + key)?.focus();
    }
    setBusy(false);
  }
  const errorAt = (key) => error?.key === key && html`<p class="field-error" id=${`wf-${key}-err`}>${error.message}</p>`;
  const invalid = (key) => ({ "aria-invalid": error?.key === key ? "true" : undefined,
    "aria-describedby": error?.key === key ? `wf-${key}-err` : undefined });
  const toggle = (ev) => (e) => setForm((f) => ({ ...f, events: e.target.checked ? [...f.events, ev] : f.events.filter((x) => x !== ev) }));
  return html`<form class="card webhook-form" onSubmit=${create} novalidate aria-labelledby="wf-h">
    <h2 id="wf-h">New webhook</h2>
    ${error?.key === "" && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="field">
      <label for="wf-url">Receiver URL (http:// or https://)</label>
      <input id="wf-url" type="url" maxlength="2048" spellcheck="false" value=${form.url}
             onInput=${(e) => setForm((f) => ({ ...f, url: e.target.value }))} ...${invalid("url")} />
      ${errorAt("url")}
    </div>
    <fieldset class="events" ...${invalid("events")}>
      <legend>Events to send</legend>
      ${WEBHOOK_EVENTS.map((ev) => html`<div class="check" key=${ev}>
        <input type="checkbox" id=${"wf-ev-" + ev} checked=${form.events.includes(ev)} onChange=${toggle(ev)} />
        <label for=${"wf-ev-" + ev}>${ev}</label>
      </div>`)}
      ${errorAt("events")}
    </fieldset>
    <div class="field">
      <label for="wf-secret">Signing secret (optional: 16 to 256 characters; left empty, crmd makes one)</label>
      <input id="wf-secret" type="password" autocomplete="off" maxlength="256" value=${form.secret}
             onInput=${(e) => setForm((f) => ({ ...f, secret: e.target.value }))} ...${invalid("secret")} />
      ${errorAt("secret")}
    </div>
    <div class="actions"><button type="submit" class="primary" disabled=${busy}>Create webhook</button></div>
  </form>`;
}

// A webhook's delivery log: a page at a time (newest first), read again while a delivery on the
// page is pending (pollDelay), and Redeliver on each.
function Deliveries({ hook }) {
  const [page, setPage] = useState(1);
  const [data, setData] = useState(null);   // {deliveries, total, page}
  const [error, setError] = useState(null);
  const [redone, setRedone] = useState(null);   // {id, of}: the delivery the last Redeliver made
  const [busy, setBusy] = useState(null);       // the id being redelivered
  const polls = useRef(0);   // reads since the last page change, Redeliver or Refresh
  const focusNext = useFocusAfter();
  const base = `/api/webhooks/${hook._id}/deliveries`;

  const load = useCallback(async (p) => {
    try {
      const { body } = await api("GET", `${base}?page=${p}&limit=${DELIVERIES_PAGE}`);
      setData({ ...body.data, page: p });   // the label says the page the rows are from
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, [base]);
  useEffect(() => { polls.current = 0; load(page); }, [page, load]);
  useEffect(() => {
    if (!data || !anyPending(data.deliveries)) return undefined;
    const t = setTimeout(() => load(page), pollDelay(polls.current++));
    return () => clearTimeout(t);
  }, [data, page, load]);

  async function redeliver(d) {
    setBusy(d._id);
    setError(null);
    try {
      const { body } = await api("POST", `${base}/${d._id}/redeliver`);
      setRedone({ id: body.data.delivery._id, of: d });
      polls.current = 0;
      focusNext.current = "wd-status-" + hook._id;
      if (page === 1) await load(1); else setPage(1);
    } catch (e) {
      setError(e.message);
    }
    setBusy(null);
  }

  const fresh = redone && data?.deliveries.find((x) => x._id === redone.id);
  const outcome = redone && (!fresh ? `Redelivery of ${redone.of.event} queued.`
    : fresh.status === "pending" ? `Redelivery of ${redone.of.event}: ${deliveryState(fresh, when)}; ${deliveryResponse(fresh)}.`
    : `Redelivery of ${redone.of.event}: ${deliveryState(fresh).toLowerCase()}, ${deliveryResponse(fresh)}, after ${fresh.attempts} attempt${fresh.attempts === 1 ? "" : "s"}.`);
  const pages = data ? pageCount(data.total, DELIVERIES_PAGE) : 1;
  return html`<section class="deliveries" aria-labelledby=${"wd-h-" + hook._id}>
    <h3 id=${"wd-h-" + hook._id}>Deliveries</h3>
    <p role="status" class="notice" id=${"wd-status-" + hook._id} tabindex="-1">${outcome ?? ""}</p>
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${() => load(page)}>Try again</button></p>`}
    ${!data ? html`<p class="muted">Loading deliveries…</p>` : data.total === 0 ? html`<p class="muted">No deliveries yet: one is made for each subscribed event from now on.</p>`
      : html`<table class="data-table">
        <thead><tr><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Response</th>
          <th scope="col">Time</th><th scope="col"><span class="sr">Action</span></th></tr></thead>
        <tbody>${data.deliveries.map((d) => html`<tr key=${d._id} data-id=${d._id} class=${d._id === redone?.id ? "fresh" : ""}>
          <td data-label="Event">${d.event}${d._id === redone?.id ? html` <span class="tag">redelivery</span>` : ""}</td>
          <td data-label="Status">${deliveryState(d, when)}</td>
          <td data-label="Attempts">${d.attempts}</td>
          <td data-label="Response">${deliveryResponse(d)}</td>
          <td data-label="Time"><time datetime=${d.createdAt}>${when(d.createdAt)}</time>${d.attempts > 0 && d.updatedAt !== d.createdAt
            ? html`<br /><span class="muted">last attempt ${when(d.updatedAt)}</span>` : ""}</td>
          <td><button type="button" disabled=${busy === d._id} onClick=${() => redeliver(d)}>Redeliver<span class="sr"> ${d.event} of ${when(d.createdAt)}</span></button></td>
        </tr>`)}</tbody>
      </table>`}
    ${data && data.total > 0 && html`<div class="actions pager">
      <button type="button" disabled=${page <= 1} onClick=${() => setPage(page - 1)}>Newer<span class="sr"> deliveries</span></button>
      <span>Page ${data.page} of ${pages} (${data.total} deliver${data.total === 1 ? "y" : "ies"})</span>
      <button type="button" disabled=${page >= pages} onClick=${() => setPage(page + 1)}>Older<span class="sr"> deliveries</span></button>
      <button type="button" onClick=${() => { polls.current = 0; load(page); }}>Refresh<span class="sr"> deliveries</span></button>
    </div>`}
  </section>`;
}

function Webhook({ hook, open, onToggle, onDeleted }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState(null);
  const focusNext = useFocusAfter();
  const id = hook._id;
  async function remove() {
    setError(null);
    try {
      await api("DELETE", `/api/webhooks/${id}`);
      await onDeleted(hook);
    } catch (e) {
      setError(e.message);
    }
  }
  const ask = (yes) => { setAsking(yes); focusNext.current = yes ? "wh-cancel-" + id : "wh-delete-" + id; };
  return html`<li class="card" data-id=${id}>
    <h2 class="url">${hook.url}</h2>
    <p><span class="muted">Events:</span> ${hook.events.join(", ")}</p>
    <p class="muted">Created ${when(hook.createdAt)}</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${asking ? html`<div class="card confirm" role="alertdialog" aria-labelledby=${"wh-q-" + id}>
        <p id=${"wh-q-" + id}>Delete the webhook to ${hook.url}? Nothing more is sent to it, and its deliveries are deleted with it. This cannot be undone.</p>
        <button type="button" class="danger" onClick=${remove}>Yes, delete the webhook</button>
        <button type="button" id=${"wh-cancel-" + id} onClick=${() => ask(false)}>Cancel</button>
      </div>`
      : html`<div class="actions">
        <button type="button" aria-expanded=${open ? "true" : "false"} onClick=${onToggle}>${open ? "Hide" : "Show"} deliveries<span class="sr"> of ${hook.url}</span></button>
        <button type="button" class="danger" id=${"wh-delete-" + id} onClick=${() => ask(true)}>Delete webhook…<span class="sr"> ${hook.url}</span></button>
      </div>`}
    ${open && html`<${Deliveries} hook=${hook} />`}
  </li>`;
}

export function Webhooks({ me }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null);   // {url, secret}: shown once
  const [notice, setNotice] = useState(null);
  const [open, setOpen] = useState(null);         // the webhook whose deliveries show
  const admin = me.accessRole === "ADMIN";
  const load = useCallback(async () => {
    try {
      const { body } = await api("GET", "/api/webhooks");
      setList(body.data.webhooks);
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, []);
  useEffect(() => { if (admin) load(); }, [admin, load]);
  if (!admin) return html`<p class="error" role="alert">Only an ADMIN manages webhooks.</p>`;

  return html`<section aria-labelledby="webhooks-h" class="webhooks">
    <h1 id="webhooks-h" tabindex="-1">Webhooks</h1>
    <p class="muted">crmd POSTs each subscribed event of the organization to a webhook's URL, signed with its secret
      (<code>X-Crmd-Signature</code>), and retries a failed delivery with growing pauses.</p>
    <div role="status" class="live-slot">${notice && html`<p class="notice">${notice}</p>`}</div>
    ${created && html`<${ShownOnce} id="wh-secret" label=${"Signing secret of " + created.url} value=${created.secret} copyLabel="Copy secret"
      note="Store it now with the receiver: crmd will not show this secret again. It is the key that signs every delivery." />`}
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${load}>Try again</button></p>`}
    ${!list && !error && html`<p role="status">Loading…</p>`}
    ${list && list.length === 0 && html`<p class="muted">No webhooks yet.</p>`}
    ${list && list.length > 0 && html`<ul class="plain hooks">${list.map((w) => html`<${Webhook} key=${w._id} hook=${w}
        open=${open === w._id} onToggle=${() => setOpen(open === w._id ? null : w._id)}
        onDeleted=${async (hook) => {
          setCreated(null);
          setNotice(`The webhook to ${hook.url} is deleted.`);
          await load();
          document.getElementById("webhooks-h")?.focus();
        }} />`)}</ul>`}
    <${NewWebhook} onCreated=${async (hook, secret) => {
      setNotice(`Webhook to ${hook.url} created.`);
      setCreated({ url: hook.url, secret });
      await load();
    }} />
  </section>`;
}
