// Organizations (API.md §3). The SUPERADMIN's screens: the organizations this browser knows (the
// API has no call that lists them), a new organization with its first ADMIN, and an organization's
// page. That page — its fields, its time zone changed (the one edit the API has) and its
// provisioned numbers listed, added and removed — is also an ADMIN's for its own organization,
// as the API allows both.
import { h } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError } from "./api.js";
import { displayPhone } from "./phone.js";
import { useFocusAfter, when } from "./ui.js";
import { PROVIDERS, forgetOrg, orgBody, orgErrorKey, phoneBody, phoneErrorKey, rememberOrg } from "./orgs-state.js";

const html = htm.bind(h);
const ZONES = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];

// The organizations a SUPERADMIN created or opened in this browser: ids only (each is read again
// from the server when listed), in localStorage by user.
const known = {
  key: (me) => "crmd.orgs." + me.id,
  load(me) { try { return JSON.parse(localStorage.getItem(known.key(me))) ?? []; } catch { return []; } },
  save(me, ids) { localStorage.setItem(known.key(me), JSON.stringify(ids)); },
};

// A labelled input with its error under it. `errors` maps keys to messages; the input's id is
// `${prefix}-${key}` with dots as dashes.
function Field({ prefix, k, label, value, onInput, errors, type = "text", max, list, auto = "off", grow }) {
  const id = `${prefix}-${k.replace(".", "-")}`, err = errors[k];
  return html`<div class=${grow ? "field grow" : "field"}>
    <label for=${id}>${label}</label>
    <input id=${id} type=${type} maxlength=${max} list=${list} autocomplete=${auto} value=${value}
           onInput=${(e) => onInput(e.target.value)} aria-invalid=${err ? "true" : undefined}
           aria-describedby=${err ? id + "-err" : undefined} />
    ${err && html`<p class="field-error" id=${id + "-err"}>${err}</p>`}
  </div>`;
}

// A form's server error: at its field (focused) when `keyOf` maps it, else at the top ("").
function useFormErrors(prefix, keyOf) {
  const [errors, setErrors] = useState({});
  const fail = (err) => {
    const key = err instanceof ApiError ? keyOf(err.field) : "";
    setErrors({ [key]: err.message });
    if (key) setTimeout(() => document.getElementById(`${prefix}-${key.replace(".", "-")}`)?.focus());
  };
  return [errors, setErrors, fail];
}

const zoneList = html`<datalist id="tz-names">${ZONES.map((z) => html`<option value=${z} />`)}</datalist>`;

const EMPTY_ORG = { name: "", phoneNumber: "", address: "", timezone: "", defaultCountry: "",
  admin: { fullName: "", email: "", password: "", phoneNumber: "", designation: "" } };

function NewOrg({ onCreated }) {
  const [form, setForm] = useState(EMPTY_ORG);
  const [errors, setErrors, fail] = useFormErrors("no", orgErrorKey);
  const [busy, setBusy] = useState(false);
  const f = (k, label, props = {}) => html`<${Field} prefix="no" k=${k} label=${label} errors=${errors} ...${props}
    value=${form[k]} onInput=${(v) => setForm((x) => ({ ...x, [k]: v }))} />`;
  const a = (k, label, props = {}) => html`<${Field} prefix="no" k=${"admin." + k} label=${label} errors=${errors} ...${props}
    value=${form.admin[k]} onInput=${(v) => setForm((x) => ({ ...x, admin: { ...x.admin, [k]: v } }))} />`;
  async function create(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const { body } = await api("POST", "/api/organizations", { body: orgBody(form) });
      setForm(EMPTY_ORG);
      await onCreated(body.data.organization, body.data.admin);
    } catch (err) {
      fail(err);
    }
    setBusy(false);
  }
  return html`<form class="card org-form" onSubmit=${create} novalidate aria-labelledby="no-h">
    <h2 id="no-h">New organization</h2>
    ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
    <div class="grid">
      ${f("name", "Organization name", { max: 200 })}
      ${f("defaultCountry", "Country of its numbers (two letters; US when empty)", { max: 2 })}
      ${f("timezone", "Time zone (UTC when empty)", { max: 64, list: "tz-names" })}
      ${f("phoneNumber", "Phone (optional)", { type: "tel", max: 64 })}
      ${f("address", "Address (optional)", { max: 500 })}
    </div>
    <fieldset class="plain-set">
      <legend>Its first ADMIN</legend>
      <div class="grid">
        ${a("fullName", "ADMIN's full name", { max: 200 })}
        ${a("email", "ADMIN's email", { type: "email", max: 254 })}
        ${a("password", "ADMIN's password (at least 8 characters)", { type: "password", max: 1024, auto: "new-password" })}
        ${a("phoneNumber", "ADMIN's phone (optional)", { type: "tel", max: 64 })}
        ${a("designation", "ADMIN's designation (optional)", { max: 200 })}
      </div>
    </fieldset>
    ${zoneList}
    <div class="actions"><button type="submit" class="primary" disabled=${busy}>Create organization</button></div>
  </form>`;
}

// The SUPERADMIN's list: the organizations known to this browser, read again; one opened by id;
// a new one.
export function Organizations({ me }) {
  const [ids, setIds] = useState(() => known.load(me));
  const [orgs, setOrgs] = useState(null);
  const [notice, setNotice] = useState(null);
  const [openId, setOpenId] = useState("");
  const [openError, setOpenError] = useState(null);
  const sa = me.accessRole === "SUPERADMIN";
  const keep = (next) => { known.save(me, next); setIds(next); };
  useEffect(() => {
    if (!sa) return;
    let live = true;
    Promise.all(ids.map((id) => api("GET", `/api/organizations/${id}`).then((r) => r.body.data.organization, () => null)))
      .then((list) => { if (live) setOrgs(list); });
    return () => { live = false; };
  }, [ids, sa]);
  if (!sa) return html`<p class="error" role="alert">Only a SUPERADMIN manages organizations.</p>`;

  async function open(e) {
    e.preventDefault();
    setOpenError(null);
    const id = openId.trim().toLowerCase();
    try {
      await api("GET", `/api/organizations/${id}`);
      keep(rememberOrg(ids, id));
      location.hash = "#/organizations/" + id;
    } catch (err) {
      setOpenError(err.status === 404 ? "No organization has this id." : err.message);
      document.getElementById("oo-id")?.focus();
    }
  }
  const shown = (orgs ?? []).filter(Boolean);
  return html`<section aria-labelledby="orgs-h" class="orgs">
    <h1 id="orgs-h">Organizations</h1>
    <div role="status" class="live-slot">${notice && html`<p class="notice">${notice}</p>`}</div>
    <p class="muted">The API has no call that lists every organization: this list holds the ones created or opened in this browser.</p>
    ${!orgs ? html`<p role="status">Loading…</p>` : shown.length === 0 ? html`<p class="muted">None yet.</p>`
      : html`<ul class="plain org-list">${shown.map((o) => html`<li key=${o._id} data-id=${o._id} class="card">
          <a href=${"#/organizations/" + o._id}>${o.name}</a>
          <span class="muted"> · ${o.defaultCountry} · ${o.timezone} · created ${when(o.createdAt)}</span>
          <button type="button" class="link" onClick=${() => keep(forgetOrg(ids, o._id))}>Forget<span class="sr"> ${o.name} in this browser</span></button>
        </li>`)}</ul>`}
    ${orgs && shown.length < ids.length && html`<p class="muted">${ids.length - shown.length} organization(s) this browser knew no longer answer.</p>`}
    <form class="filters" onSubmit=${open} novalidate>
      <div class="field grow">
        <label for="oo-id">Organization id</label>
        <input id="oo-id" maxlength="24" spellcheck="false" value=${openId} onInput=${(e) => setOpenId(e.target.value)}
               aria-invalid=${openError ? "true" : undefined} aria-describedby=${openError ? "oo-id-err" : undefined} />
        ${openError && html`<p class="field-error" id="oo-id-err">${openError}</p>`}
      </div>
      <button type="submit">Open organization</button>
    </form>
    <${NewOrg} onCreated=${async (o, admin) => {
      keep(rememberOrg(ids, o._id));
      setNotice(`${o.name} is created. Its ADMIN, ${admin.fullName}, can sign in as ${admin.email}.`);
    }} />
  </section>`;
}

const EMPTY_PHONE = { phoneNumber: "", provider: "twilio", targetUserId: "", isDefault: true, isInboundEnabled: true };

// The organization's provisioned numbers: listed, added, removed after a question.
function Numbers({ org, users }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [asking, setAsking] = useState(null);   // the number whose removal is asked
  const [form, setForm] = useState(EMPTY_PHONE);
  const [errors, setErrors, fail] = useFormErrors("pn", phoneErrorKey);
  const focusNext = useFocusAfter();
  const base = `/api/organizations/${org._id}/phone-numbers`;
  const show = (n) => displayPhone(n, org.defaultCountry);
  const userName = (id) => users?.find((u) => u._id === id)?.fullName ?? `user ${id}`;
  const load = useCallback(async () => {
    try {
      const { body } = await api("GET", base);
      setList(body.data.phoneNumbers);
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, [base]);
  useEffect(() => { load(); }, [load]);

  async function add(e) {
    e.preventDefault();
    setErrors({});
    setNotice(null);
    try {
      const { body } = await api("POST", base, { body: phoneBody(form) });
      const d = show(body.data.phoneNumber.phoneNumber);
      setForm(EMPTY_PHONE);
      setNotice(`${d.text} (${d.e164}) is provisioned.`);
      await load();
    } catch (err) {
      fail(err);
    }
  }
  async function remove(n) {
    setError(null);
    try {
      await api("DELETE", base, { body: { phoneNumber: n.phoneNumber } });
      setAsking(null);
      setNotice(`${show(n.phoneNumber).text} is no longer provisioned.`);
      focusNext.current = "pn-h";
      await load();
    } catch (e) {
      setError(e.message);
    }
  }
  const set = (k) => (e) => setForm((f) => ({ ...f, [k]: e.target.type === "checkbox" ? e.target.checked : e.target.value }));
  return html`<section aria-labelledby="pn-h" class="numbers">
    <h2 id="pn-h" tabindex="-1">Provisioned numbers</h2>
    <p class="muted">The organization's own sending numbers: no contact of it may have one.</p>
    <div role="status" class="live-slot">${notice && html`<p class="notice">${notice}</p>`}</div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${!list ? html`<p class="muted">Loading numbers…</p>` : list.length === 0 ? html`<p class="muted">No numbers yet.</p>`
      : html`<ul class="plain number-list">${list.map((n) => {
        const d = show(n.phoneNumber);
        return html`<li key=${n.phoneNumber} data-number=${n.phoneNumber}>
          <strong>${d.text}</strong> <span class="muted">${d.e164}</span> · ${n.provider}${n.isDefault ? html` <span class="tag">default</span>` : ""}
          ${n.isInboundEnabled ? html` <span class="tag">inbound</span>` : ""}${n.targetUserId ? ` · for ${userName(n.targetUserId)}` : ""}
          <span class="muted"> · added ${when(n.createdAt)}</span>
          ${asking === n.phoneNumber ? html`<div class="card confirm" role="alertdialog" aria-labelledby="pn-q">
              <p id="pn-q">Remove ${d.text} from ${org.name}? It can then be a contact's number again.</p>
              <button type="button" class="danger" onClick=${() => remove(n)}>Yes, remove ${d.text}</button>
              <button type="button" id="pn-cancel" onClick=${() => { setAsking(null); focusNext.current = "pn-rm-" + n.phoneNumber; }}>Cancel</button>
            </div>`
            : html` <button type="button" class="danger" id=${"pn-rm-" + n.phoneNumber} onClick=${() => { setAsking(n.phoneNumber); focusNext.current = "pn-cancel"; }}>Remove ${d.text}…</button>`}
        </li>`;
      })}</ul>`}
    <form class="card" onSubmit=${add} novalidate aria-labelledby="pn-new-h">
      <h3 id="pn-new-h">Add a number</h3>
      ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
      <div class="grid">
        <${Field} prefix="pn" k="phoneNumber" label=${`Number (without + it is read as ${org.defaultCountry})`} type="tel" max="64"
                  errors=${errors} value=${form.phoneNumber} onInput=${(v) => setForm((f) => ({ ...f, phoneNumber: v }))} />
        <div class="field">
          <label for="pn-provider">Provider</label>
          <select id="pn-provider" value=${form.provider} onChange=${set("provider")}>
            ${PROVIDERS.map((p) => html`<option value=${p}>${p}</option>`)}
          </select>
        </div>
        ${users ? html`<div class="field">
            <label for="pn-targetUserId">Sends for (optional)</label>
            <select id="pn-targetUserId" value=${form.targetUserId} onChange=${set("targetUserId")}
                    aria-invalid=${errors.targetUserId ? "true" : undefined}>
              <option value="">No one in particular</option>
              ${users.map((u) => html`<option value=${u._id}>${u.fullName}</option>`)}
            </select>
            ${errors.targetUserId && html`<p class="field-error">${errors.targetUserId}</p>`}
          </div>`
          : html`<${Field} prefix="pn" k="targetUserId" label="Sends for the user with id (optional)" max="24" errors=${errors}
                  value=${form.targetUserId} onInput=${(v) => setForm((f) => ({ ...f, targetUserId: v.trim() }))} />`}
      </div>
      <div class="check"><input id="pn-default" type="checkbox" checked=${form.isDefault} onChange=${set("isDefault")} />
        <label for="pn-default">The organization's default number</label></div>
      <div class="check"><input id="pn-inbound" type="checkbox" checked=${form.isInboundEnabled} onChange=${set("isInboundEnabled")} />
        <label for="pn-inbound">Receives inbound messages</label></div>
      <div class="actions"><button type="submit" class="primary">Add number</button></div>
    </form>
  </section>`;
}

// An organization's page: its fields, its time zone, its numbers. `users` (the ADMIN's own
// organization's) names a number's user; a SUPERADMIN may not list an organization's users.
export function OrgPage({ id, me, users }) {
  const [org, setOrg] = useState(null);
  const [error, setError] = useState(null);
  const [zone, setZone] = useState("");
  const [notice, setNotice] = useState(null);
  const [errors, setErrors, fail] = useFormErrors("oz", (f) => (f === "timezone" ? "timezone" : ""));
  const allowed = me.accessRole === "SUPERADMIN" || (me.accessRole === "ADMIN" && me.organizationId === id);
  useEffect(() => {
    if (!allowed) return;
    api("GET", `/api/organizations/${id}`).then(({ body }) => { setOrg(body.data.organization); setZone(body.data.organization.timezone); },
      (e) => setError(e.status === 404 ? "No organization has this id." : e.message));
  }, [id, allowed]);
  if (!allowed) return html`<p class="error" role="alert">Only a SUPERADMIN, or an ADMIN of its own organization, manages an organization.</p>`;
  if (error) return html`<p class="error" role="alert">${error}</p>`;
  if (!org) return html`<p role="status">Loading…</p>`;

  async function saveZone(e) {
    e.preventDefault();
    setErrors({});
    setNotice(null);
    try {
      const { body } = await api("PUT", `/api/organizations/${id}/timezone`, { body: { timezone: zone.trim() } });
      setOrg(body.data.organization);
      setNotice(`The time zone is now ${body.data.organization.timezone}.`);
    } catch (err) {
      fail(err);
    }
  }
  const phone = org.phoneNumber && displayPhone(org.phoneNumber, org.defaultCountry);
  return html`<section aria-labelledby="org-h" class="org-page">
    <h1 id="org-h">${org.name}</h1>
    <dl class="card fields">
      <dt>Id</dt><dd><code>${org._id}</code></dd>
      <dt>Country of its numbers</dt><dd>${org.defaultCountry}</dd>
      <dt>Time zone</dt><dd>${org.timezone}</dd>
      <dt>Phone</dt><dd>${phone ? html`${phone.text} <span class="muted">${phone.e164}</span>` : "–"}</dd>
      <dt>Address</dt><dd>${org.address ?? "–"}</dd>
      <dt>Created</dt><dd>${when(org.createdAt)}</dd>
    </dl>
    <form class="filters" onSubmit=${saveZone} novalidate>
      ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
      <${Field} prefix="oz" k="timezone" label="Time zone (an IANA name, e.g. America/Toronto)" max="64" list="tz-names"
                errors=${errors} value=${zone} onInput=${setZone} grow />
      <button type="submit">Save time zone</button>
      ${zoneList}
    </form>
    <div role="status" class="live-slot">${notice && html`<p class="notice">${notice}</p>`}</div>
    <p class="muted">The API changes an organization's time zone only: its name, country, phone and address stay as created.</p>
    <${Numbers} org=${org} users=${users} />
    ${me.accessRole === "SUPERADMIN" && html`<p><a href="#/organizations">Back to organizations</a></p>`}
  </section>`;
}
