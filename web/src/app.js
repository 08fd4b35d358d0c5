// The console's screens (API.md §13), in Preact with htm templates: no JSX build step.
// Routes are in the location hash (#/contacts, #/contacts/new, #/contacts/<id>), so the server
// serves one page at / and nothing else.
import { h } from "preact";
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError, session, setUnauthorizedHandler } from "./api.js";
import { displayPhone, primaryPhone } from "./phone.js";
import { Users } from "./users.js";
import { applyEvent, contactBody, describeChanges, formFromContact, formKey, fullName, listQuery, patchBody, rowWindow } from "./state.js";
import { Board } from "./board.js";
import { Pipelines } from "./pipelines.js";
import { ApiKey } from "./apikey.js";
import { Notes } from "./notes.js";
import { noteEventText } from "./notes-state.js";
import { Webhooks } from "./webhooks.js";
import { Organizations, OrgPage } from "./orgs.js";
import { Import } from "./import.js";
import { when } from "./ui.js";

const html = htm.bind(h);
const PAGE_SIZE = 100;
const ROW_HEIGHT = 44;
const LIVE_EVENTS = ["contact_created", "contact_updated", "contact_removed"];

// ---------------------------------------------------------------- routing and live events

function useHashRoute() {
  const [hash, setHash] = useState(location.hash || "#/contacts");
  useEffect(() => {
    const on = () => setHash(location.hash || "#/contacts");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return hash.replace(/^#/, "");
}

// One Socket.IO connection per signed-in session; screens subscribe to its contact events.
function openLive(token) {
  const listeners = new Set();
  let socket = null;
  if (typeof window.io === "function") {
    socket = window.io({ transports: ["websocket"], auth: { token } });
    for (const name of LIVE_EVENTS) socket.on(name, (p) => p?.contact && listeners.forEach((fn) => fn(name, p.contact)));
  }
  return {
    subscribe(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    // Any other event by name (the notes' note_created…); returns the unsubscribe.
    on(name, fn) { socket?.on(name, fn); return () => socket?.off(name, fn); },
    close() { socket?.close(); listeners.clear(); },
  };
}

const EVENT_LABELS = {
  CONTACT_CREATE: "Created", CONTACT_UPDATE: "Changed", CONTACT_DELETE: "Deleted",
  CONTACT_METHOD_VERIFIED: "Verified", CONTACT_METHOD_UNVERIFIED: "Unverified",
  NOTE_CREATE: "Note added", NOTE_UPDATE: "Note changed", NOTE_DELETE: "Note deleted",
};

// ---------------------------------------------------------------- the app

export function App() {
  const [sess, setSess] = useState(session.load);
  const signOut = useCallback(() => { session.clear(); setSess(null); location.hash = "#/contacts"; }, []);
  useEffect(() => setUnauthorizedHandler(signOut), [signOut]);
  if (!sess) return html`<${SignIn} onSignedIn=${(s) => { session.save(s); setSess(s); }} />`;
  // A SUPERADMIN belongs to no organization: its screens are the organizations.
  if (!sess.user.organizationId) return html`<${SuperShell} me=${sess.user} onSignOut=${signOut} />`;
  return html`<${Shell} sess=${sess} onSignOut=${signOut} />`;
}

function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { body } = await api("POST", "/api/auth/login", { body: { email: email.trim(), password } });
      onSignedIn({ token: body.token, user: body.user });
    } catch (err) {
      setError(err.status === 401 ? "Wrong email or password." : err.message);
      setBusy(false);
    }
  }
  return html`<main class="signin">
    <h1>crmd</h1>
    <form onSubmit=${submit} class="card">
      <h2>Sign in</h2>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <label for="signin-email">Email</label>
      <input id="signin-email" type="email" autocomplete="username" required maxlength="254"
             value=${email} onInput=${(e) => setEmail(e.target.value)} />
      <label for="signin-password">Password</label>
      <input id="signin-password" type="password" autocomplete="current-password" required maxlength="1024"
             value=${password} onInput=${(e) => setPassword(e.target.value)} />
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

// The signed-in frame: the organization's data every screen needs, the live connection, the nav.
function Shell({ sess, onSignOut }) {
  const route = useHashRoute();
  const [org, setOrg] = useState(null);
  const [problem, setProblem] = useState(null);
  const live = useMemo(() => openLive(sess.token), [sess.token]);
  useEffect(() => () => live.close(), [live]);
  const me = sess.user;

  const loadOrg = useCallback(() => Promise.all([
    api("GET", `/api/organizations/${me.organizationId}`),
    api("GET", "/api/pipelines/list?type=Contact"),
    api("GET", "/api/user/list"),
  ]).then(([o, p, u]) => setOrg({
    country: o.body.data.organization.defaultCountry,
    pipelines: p.body.data.pipelines.filter((x) => x.isActive),
    users: u.body,
  })), [me.organizationId]);
  useEffect(() => { loadOrg().catch((e) => setProblem(e.message)); }, [loadOrg]);
  const admin = me.accessRole === "ADMIN";

  let view;
  if (problem) view = html`<p class="error" role="alert">${problem}</p>`;
  else if (!org) view = html`<p role="status">Loading…</p>`;
  else if (route === "/contacts/new") view = html`<${NewContact} org=${org} />`;
  else if (route === "/board") view = html`<${Board} org=${org} me=${me} live=${live} onStale=${loadOrg} />`;
  else if (route === "/pipelines") view = html`<${Pipelines} me=${me} onChanged=${loadOrg} />`;
  else if (route === "/api-key") view = html`<${ApiKey} me=${me} />`;
  else if (route === "/import") view = html`<${Import} />`;
  else if (route === "/webhooks") view = html`<${Webhooks} me=${me} />`;
  else if (route === "/organization") view = admin ? html`<${OrgPage} id=${me.organizationId} me=${me} users=${org.users} />`
    : html`<p class="error" role="alert">Only an ADMIN manages its organization.</p>`;
  else if (route.startsWith("/organizations")) view = html`<${Organizations} me=${me} />`;
  else if (route === "/users") view = html`<${Users} org=${org} me=${me} onChanged=${loadOrg} />`;
  else if (/^\/contacts\/[0-9a-f]{24}$/.test(route)) view = html`<${ContactPage} key=${route} id=${route.slice(10)} org=${org} live=${live} />`;
  else view = html`<${Contacts} org=${org} me=${me} live=${live} />`;

  const links = [["/contacts", "Contacts"], ["/contacts/new", "New contact"], ["/board", "Board"], ["/import", "Import"],
    ...(admin ? [["/users", "Users"], ["/pipelines", "Pipelines"], ["/api-key", "API key"], ["/webhooks", "Webhooks"],
      ["/organization", "Organization"]] : [])];
  return html`<${Frame} route=${route} me=${me} links=${links} onSignOut=${onSignOut}>${view}<//>`;
}

// The page's frame: the header with the nav's links ([route, text]) and the signed-in user.
// On a narrow screen the nav is one row that scrolls sideways (app.css); the current page's link
// is scrolled into that row's view.
function Frame({ route, me, links, onSignOut, children }) {
  const nav = useRef(null);
  useEffect(() => {
    const box = nav.current, cur = box && box.querySelector("[aria-current=page]");
    if (!cur || box.scrollWidth <= box.clientWidth) return;
    if (cur.offsetLeft < box.scrollLeft || cur.offsetLeft + cur.offsetWidth > box.scrollLeft + box.clientWidth)
      box.scrollLeft = cur.offsetLeft - (box.clientWidth - cur.offsetWidth) / 2;
  }, [route]);
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href=${"#" + links[0][0]}>crmd</a>
      <nav aria-label="Main" ref=${nav}>
        ${links.map(([to, text]) => html`<a href=${"#" + to} aria-current=${route === to ? "page" : undefined}>${text}</a>`)}
      </nav>
      <span class="who">${me.fullName} <span class="role">${me.accessRole}</span></span>
      <button type="button" onClick=${onSignOut}>Sign out</button>
    </header>
    <main>${children}</main>
  </div>`;
}

// The SUPERADMIN's frame: organizations (#/organizations) and one organization's page
// (#/organizations/<id>); no organization's data, no live connection.
function SuperShell({ me, onSignOut }) {
  const route = useHashRoute();
  const m = /^\/organizations\/([0-9a-f]{24})$/.exec(route);
  useEffect(() => { if (!route.startsWith("/organizations")) location.replace("#/organizations"); }, [route]);
  const view = m ? html`<${OrgPage} key=${m[1]} id=${m[1]} me=${me} />` : html`<${Organizations} me=${me} />`;
  return html`<${Frame} route=${m ? "" : "/organizations"} me=${me} links=${[["/organizations", "Organizations"]]} onSignOut=${onSignOut}>${view}<//>`;
}

// ---------------------------------------------------------------- contacts table

// A table row's cells, computed once per contact object (a live update brings a new object):
// formatting numbers and dates is the costly part of a scroll.
const rowCache = new WeakMap();
function Row({ c, country }) {
  let cells = rowCache.get(c);
  if (!cells || cells.country !== country) {
    const phone = primaryPhone(c);
    cells = { country, name: fullName(c), phone: phone && displayPhone(phone, country), created: when(c.createdAt) };
    rowCache.set(c, cells);
  }
  return html`<tr data-id=${c._id}>
    <td><a href=${"#/contacts/" + c._id}>${cells.name}</a></td>
    <td>${cells.phone ? html`<span title=${cells.phone.e164}>${cells.phone.text}</span>` : html`<span class="muted">–</span>`}</td>
    <td class="wide">${c.email ?? ""}</td>
    <td>${c.status ?? "–"}</td>
    <td class="wide">${c.source ?? ""}</td>
    <td class="wide">${cells.created}</td>
  </tr>`;
}

function Contacts({ org, me, live }) {
  const rep = me.accessRole === "SALES_REP";
  const [draft, setDraft] = useState("");
  const [filters, setFilters] = useState({ search: "", pipelineId: "", stageId: "", source: "", owner: rep ? "my" : "all" });
  const [list, setList] = useState({ contacts: [], total: 0 });
  const [next, setNext] = useState(null);
  const [state, setState] = useState("loading");   // loading | ready | more | error
  const [error, setError] = useState(null);
  const [win, setWin] = useState([0, 0]);   // the rows rendered: [first, last)
  const box = useRef(null);
  const gen = useRef(0);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  const load = useCallback(async (after) => {
    const g = after ? gen.current : ++gen.current;
    setState(after ? "more" : "loading");
    try {
      const { body } = await api("GET", "/api/contacts?" + listQuery(filtersRef.current, PAGE_SIZE, after));
      if (g !== gen.current) return;
      const d = body.data;
      setList((old) => ({ contacts: after ? [...old.contacts, ...d.contacts] : d.contacts, total: d.total }));
      setNext(d.nextCursor);
      setState("ready");
      setError(null);
    } catch (e) {
      if (g !== gen.current) return;
      setError(e.message);
      setState("error");
    }
  }, []);

  useEffect(() => { if (box.current) box.current.scrollTop = 0; load(null); }, [filters, load]);
  useEffect(() => live.subscribe((name, c) => setList((l) => applyEvent(l, name, c, filtersRef.current, me))), [live, me]);

  const n = list.contacts.length;
  // A scroll re-renders only when the window of rows changes, not on every scroll event.
  const onScroll = useCallback(() => {
    const el = box.current;
    if (!el) return;
    const w = rowWindow(el.scrollTop, el.clientHeight || 600, ROW_HEIGHT, n);
    setWin((old) => (old[0] === w[0] && old[1] === w[1] ? old : w));
  }, [n]);
  useEffect(() => {
    onScroll();
    addEventListener("resize", onScroll);
    return () => removeEventListener("resize", onScroll);
  }, [onScroll]);
  const [first, last] = win;
  useEffect(() => {
    if (next && state === "ready" && last >= n - 10) load(next);
  }, [last, n, next, state, load]);

  const set = (k) => (e) => setFilters((f) => ({ ...f, [k]: e.target.value, ...(k === "pipelineId" ? { stageId: "" } : {}) }));
  // Without a pipeline chosen, the stages of every pipeline, grouped by pipeline.
  const shown = org.pipelines.filter((p) => !filters.pipelineId || p._id === filters.pipelineId);
  const stagesOf = (p) => p.pipelineStages.filter((st) => st.isActive).sort((a, b) => a.position - b.position);

  return html`<section aria-labelledby="contacts-h">
    <div class="bar">
      <h1 id="contacts-h">Contacts</h1>
      <a class="button primary" href="#/contacts/new">New contact</a>
    </div>
    <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setFilters((f) => ({ ...f, search: draft.trim() })); }}>
      <div class="field grow">
        <label for="f-search">Search</label>
        <input id="f-search" type="search" maxlength="100" placeholder="Name, email or phone in any format"
               value=${draft} onInput=${(e) => setDraft(e.target.value)} />
      </div>
      <button type="submit">Search</button>
      <div class="field">
        <label for="f-pipeline">Pipeline</label>
        <select id="f-pipeline" value=${filters.pipelineId} onChange=${set("pipelineId")}>
          <option value="">All pipelines</option>
          ${org.pipelines.map((p) => html`<option value=${p._id}>${p.name}</option>`)}
        </select>
      </div>
      <div class="field">
        <label for="f-stage">Stage</label>
        <select id="f-stage" value=${filters.stageId} onChange=${set("stageId")}>
          <option value="">All stages</option>
          ${shown.map((p) => html`<optgroup label=${p.name}>
            ${stagesOf(p).map((st) => html`<option value=${st._id}>${st.name}</option>`)}
          </optgroup>`)}
        </select>
      </div>
      ${!rep && html`<div class="field">
        <label for="f-owner">Owner</label>
        <select id="f-owner" value=${filters.owner} onChange=${set("owner")}>
          <option value="all">Everyone</option>
          <option value="my">Mine</option>
          <option value="unassigned">Unassigned</option>
          ${org.users.map((u) => html`<option value=${u._id}>${u.fullName}</option>`)}
        </select>
      </div>`}
      <div class="field">
        <label for="f-source">Source</label>
        <input id="f-source" maxlength="100" value=${filters.source} onChange=${set("source")} />
      </div>
    </form>
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${() => load(null)}>Try again</button></p>`}
    <p role="status" class="count">${state === "loading" ? "Loading…" : `${list.total} contact${list.total === 1 ? "" : "s"}, ${n} loaded`}</p>
    <div class="table-box" ref=${box} onScroll=${onScroll} tabindex="0" aria-label="Contacts table">
      <table class="contacts">
        <thead><tr><th scope="col">Name</th><th scope="col">Phone</th><th scope="col" class="wide">Email</th>
          <th scope="col">Stage</th><th scope="col" class="wide">Source</th><th scope="col" class="wide">Created</th></tr></thead>
        <tbody>
          ${first > 0 && html`<tr class="spacer" aria-hidden="true" style=${{ height: first * ROW_HEIGHT + "px" }}><td colspan="6"></td></tr>`}
          ${list.contacts.slice(first, last).map((c) => html`<${Row} key=${c._id} c=${c} country=${org.country} />`)}
          ${last < n && html`<tr class="spacer" aria-hidden="true" style=${{ height: (n - last) * ROW_HEIGHT + "px" }}><td colspan="6"></td></tr>`}
        </tbody>
      </table>
      ${state === "ready" && n === 0 && html`<p class="empty">No contacts match.</p>`}
    </div>
    ${next && html`<button type="button" onClick=${() => load(next)} disabled=${state !== "ready"}>Load more</button>`}
  </section>`;
}

// ---------------------------------------------------------------- the contact form

const EMPTY_FORM = { firstName: "", lastName: "", phones: [""], emails: [""], source: "", process: "", pipelineId: "", stageId: "" };

// Server errors by form key ("phone.1", "firstName"…; "" for one no field matches).
function errorsOf(err) {
  if (!(err instanceof ApiError)) return { "": { message: String(err?.message ?? err) } };
  const key = formKey(err.field);
  return { [key ?? ""]: { message: err.message, code: err.code, contactId: err.contactId } };
}

function FieldError({ id, error }) {
  if (!error) return null;
  return html`<p class="field-error" id=${id}>${error.message}${error.code === "phone_taken" && error.contactId &&
    html` <a href=${"#/contacts/" + error.contactId}>Open the contact that has this number</a>`}</p>`;
}

function ListInputs({ kind, label, values, errors, onChange, type, max }) {
  // After Add the new input has the focus, after Remove the one before: never the page.
  const focusNext = useRef(null);
  useEffect(() => {
    if (focusNext.current === null) return;
    document.getElementById(`cf-${kind}-${focusNext.current}`)?.focus();
    focusNext.current = null;
  }, [values.length, kind]);
  const add = () => { focusNext.current = values.length; onChange([...values, ""]); };
  const remove = (i) => { focusNext.current = Math.max(0, i - 1); onChange(values.filter((_, j) => j !== i)); };
  return html`<fieldset class="list">
    <legend>${label}s</legend>
    ${values.map((v, i) => {
      const id = `cf-${kind}-${i}`, err = errors[`${kind}.${i}`];
      return html`<div class="field" key=${i}>
        <label for=${id}>${label} ${i + 1}${i === 0 ? " (primary)" : ""}</label>
        <div class="row">
          <input id=${id} type=${type} maxlength=${max} value=${v} aria-invalid=${err ? "true" : undefined}
                 aria-describedby=${err ? id + "-err" : undefined}
                 onInput=${(e) => onChange(values.map((x, j) => (j === i ? e.target.value : x)))} />
          ${values.length > 1 && html`<button type="button" onClick=${() => remove(i)}>Remove ${label.toLowerCase()} ${i + 1}</button>`}
        </div>
        <${FieldError} id=${id + "-err"} error=${err} />
      </div>`;
    })}
    ${values.length < 20 && html`<button type="button" onClick=${add}>Add ${label.toLowerCase()}</button>`}
  </fieldset>`;
}

function ContactForm({ initial, org, submitLabel, onSubmit, onCancel, extraError }) {
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const set = (k) => (e) => setForm((f) => ({ ...f, [k]: e.target.value, ...(k === "pipelineId" ? { stageId: "" } : {}) }));
  const pipeline = org.pipelines.find((p) => p._id === form.pipelineId) ?? org.pipelines.find((p) => p.isDefault);
  const stages = pipeline ? pipeline.pipelineStages.filter((s) => s.isActive).sort((a, b) => a.position - b.position) : [];

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await onSubmit(form);
    } catch (err) {
      setErrors(errorsOf(err));
      // Focus the field the server named, so a keyboard or screen-reader user lands on it.
      const key = formKey(err?.field);
      const el = key && document.getElementById("cf-" + key.replace(".", "-"));
      if (el) el.focus();
    }
    setBusy(false);
  }
  const text = (k, label, max) => html`<div class="field">
    <label for=${"cf-" + k}>${label}</label>
    <input id=${"cf-" + k} maxlength=${max} value=${form[k]} onInput=${set(k)} aria-invalid=${errors[k] ? "true" : undefined}
           aria-describedby=${errors[k] ? `cf-${k}-err` : undefined} />
    <${FieldError} id=${`cf-${k}-err`} error=${errors[k]} />
  </div>`;

  return html`<form class="contact-form card" onSubmit=${submit} novalidate>
    ${errors[""] && html`<p class="error" role="alert">${errors[""].message}</p>`}
    ${extraError}
    <div class="grid">
      ${text("firstName", "First name", 200)}
      ${text("lastName", "Last name", 200)}
    </div>
    <${ListInputs} kind="phone" label="Phone" type="tel" max="40" values=${form.phones} errors=${errors}
                   onChange=${(phones) => setForm((f) => ({ ...f, phones }))} />
    <${ListInputs} kind="email" label="Email" type="email" max="254" values=${form.emails} errors=${errors}
                   onChange=${(emails) => setForm((f) => ({ ...f, emails }))} />
    <div class="grid">
      <div class="field">
        <label for="cf-pipeline">Pipeline</label>
        <select id="cf-pipeline" value=${pipeline?._id ?? ""} onChange=${set("pipelineId")}>
          ${org.pipelines.map((p) => html`<option value=${p._id}>${p.name}</option>`)}
        </select>
        <${FieldError} id="cf-pipeline-err" error=${errors.pipeline} />
      </div>
      <div class="field">
        <label for="cf-stage">Stage</label>
        <select id="cf-stage" value=${form.stageId || stages[0]?._id || ""} onChange=${set("stageId")}>
          ${stages.map((s) => html`<option value=${s._id}>${s.name}</option>`)}
        </select>
        <${FieldError} id="cf-stage-err" error=${errors.stage} />
      </div>
      ${text("source", "Source", 100)}
      ${text("process", "Process", 100)}
    </div>
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

function NewContact({ org }) {
  const initial = { ...EMPTY_FORM, pipelineId: org.pipelines.find((p) => p.isDefault)?._id ?? "" };
  async function create(form) {
    const { body } = await api("POST", "/api/contact", { body: contactBody(form) });
    location.hash = "#/contacts/" + body.data.contact._id;
  }
  return html`<section aria-labelledby="new-h">
    <h1 id="new-h">New contact</h1>
    <${ContactForm} initial=${initial} org=${org} submitLabel="Create contact" onSubmit=${create} />
  </section>`;
}

// ---------------------------------------------------------------- the contact page

function ContactPage({ id, org, live }) {
  const [contact, setContact] = useState(null);
  const [etag, setEtag] = useState(null);
  const [events, setEvents] = useState([]);
  const [mode, setMode] = useState("view");   // view | edit | confirm-delete
  const [error, setError] = useState(null);
  const [conflict, setConflict] = useState(false);
  const [gone, setGone] = useState(false);
  const modeRef = useRef(mode);
  modeRef.current = mode;
  // The question takes the focus on its safe answer (autofocus acts only when a page loads).
  const cancelDelete = useRef(null);
  useEffect(() => { if (mode === "confirm-delete") cancelDelete.current?.focus(); }, [mode]);

  const load = useCallback(async () => {
    try {
      const [c, ev] = await Promise.all([
        api("GET", `/api/contacts/${id}`),
        api("GET", `/api/event-logs?contactId=${id}&limit=100`),
      ]);
      setContact(c.body.data.contact);
      setEtag(c.headers.get("ETag"));
      setEvents(ev.body.data.events);
      setError(null);
    } catch (e) {
      setError(e.status === 404 ? "This contact does not exist, or you may not see it." : e.message);
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);
  // Someone else's change shows at once unless this person is editing (their save then meets 412).
  useEffect(() => live.subscribe((name, c) => {
    if (c._id !== id) return;
    if (name === "contact_removed") setGone(true);
    else if (modeRef.current !== "edit") load();
  }), [live, id, load]);

  if (error) return html`<p class="error" role="alert">${error} <a href="#/contacts">Back to contacts</a></p>`;
  if (!contact) return html`<p role="status">Loading…</p>`;
  const users = new Map(org.users.map((u) => [u._id, u.fullName]));
  const pipeline = org.pipelines.find((p) => p._id === contact.pipelineId);
  const stageNames = new Map(org.pipelines.flatMap((p) => p.pipelineStages.map((st) => [st._id, st.name])));
  const readable = (k, v) => (k === "pipelineStage" ? stageNames.get(v) ?? v
    : k === "pipelineId" ? org.pipelines.find((p) => p._id === v)?.name ?? v
    : k === "userId" || k === "createdBy" ? users.get(v) ?? v
    : k === "assignees" && Array.isArray(v) ? v.map((a) => users.get(a) ?? a).join(", ")
    : k === "phoneNumber" || k === "secondaryPhoneNumber" || k === "email" ? (Array.isArray(v) ? v.map((x) => x?.value ?? x).join(", ") : v)
    : v);

  async function save(form) {
    const body = patchBody(formFromContact(contact), form);
    if (Object.keys(body).length === 0) { setMode("view"); return; }
    try {
      // Always the version the form was made from: its ETag, or (a reply without one) the same
      // tag made from its __v, as the board does; never none, which would overwrite blindly.
      const ifMatch = etag ?? `"${contact._id}.${contact.__v}"`;
      await api("PATCH", `/api/contacts/${id}`, { body, headers: { "If-Match": ifMatch } });
    } catch (e) {
      if (e.status === 412) { setConflict(true); return; }
      throw e;
    }
    setConflict(false);
    setMode("view");
    await load();
  }
  async function remove() {
    try {
      await api("DELETE", `/api/contacts/${id}`);
      location.hash = "#/contacts";
    } catch (e) {
      setError(e.message);
    }
  }
  const conflictBox = conflict && html`<div class="error" role="alert">
    <p>Someone else changed this contact since you opened it, so your changes were not saved.</p>
    <button type="button" onClick=${async () => { setConflict(false); setMode("view"); await load(); }}>Reload contact</button>
  </div>`;

  return html`<section aria-labelledby="contact-h">
    <div class="bar">
      <h1 id="contact-h">${fullName(contact)}</h1>
      ${mode === "view" && !gone && html`<div class="actions">
        <button type="button" onClick=${() => setMode("edit")}>Edit</button>
        <button type="button" class="danger" onClick=${() => setMode("confirm-delete")}>Delete</button>
      </div>`}
    </div>
    ${gone && html`<p class="error" role="alert">This contact was deleted. <a href="#/contacts">Back to contacts</a></p>`}
    ${mode === "confirm-delete" && html`<div class="card confirm" role="alertdialog" aria-labelledby="del-q">
      <p id="del-q">Delete ${fullName(contact)}? Its numbers become free and its notes are deleted. This cannot be undone.</p>
      <button type="button" class="danger" onClick=${remove}>Yes, delete</button>
      <button type="button" ref=${cancelDelete} onClick=${() => setMode("view")}>Cancel</button>
    </div>`}
    ${mode === "edit" ? html`<${ContactForm} key=${etag} initial=${formFromContact(contact)} org=${org} submitLabel="Save changes"
                                 onSubmit=${save} onCancel=${() => { setConflict(false); setMode("view"); }} extraError=${conflictBox} />`
      : html`<dl class="card fields">
        <dt>Phones</dt><dd><ul class="plain">${[...contact.phoneNumber, ...contact.secondaryPhoneNumber].map((p) => {
          const d = displayPhone(p.value, org.country);
          return html`<li>${d.text} <span class="muted">${d.e164}</span>${p.isPrimary ? html` <span class="tag">primary</span>` : ""}</li>`;
        })}</ul></dd>
        <dt>Emails</dt><dd>${contact.emails.length ? html`<ul class="plain">${contact.emails.map((e) => html`<li>${e.value}${e.isPrimary ? html` <span class="tag">primary</span>` : ""}</li>`)}</ul>` : "–"}</dd>
        <dt>Pipeline</dt><dd>${pipeline?.name ?? contact.pipelineId ?? "–"}</dd>
        <dt>Stage</dt><dd>${contact.status ?? "–"}</dd>
        <dt>Source</dt><dd>${contact.source ?? "–"}</dd>
        <dt>Process</dt><dd>${contact.process ?? "–"}</dd>
        <dt>Owner</dt><dd>${users.get(contact.userId) ?? contact.userId}</dd>
        <dt>Assignees</dt><dd>${contact.assignees.map((a) => users.get(a) ?? a).join(", ") || "–"}</dd>
        <dt>Created</dt><dd>${when(contact.createdAt)} by ${users.get(contact.createdBy) ?? contact.createdBy}</dd>
        <dt>Updated</dt><dd>${when(contact.updatedAt)} (version ${contact.__v})</dd>
      </dl>`}
    <${Notes} contactId=${id} org=${org} live=${live} onChanged=${() => modeRef.current !== "edit" && load()} />
    <section aria-labelledby="timeline-h" class="timeline">
      <h2 id="timeline-h">Timeline</h2>
      ${events.length === 0 ? html`<p class="muted">Nothing yet.</p>` : html`<ol>
        ${events.map((ev) => {
          // A note's entry is a sentence that names its author ("Ana Díaz added a note: …").
          const said = noteEventText(ev, (u) => users.get(u) ?? null);
          const changes = !said && describeChanges(ev.changes, readable);
          return html`<li key=${ev._id}>
            <span class="tag" title=${ev.type}>${EVENT_LABELS[ev.type] ?? ev.type}</span> ${when(ev.createdAt)}${said ? "" : ` · ${users.get(ev.userId) ?? "someone"}`} · ${ev.source}
            ${said && html`<div class="note-event">${said}</div>`}
            ${changes && html`<div class="muted changes">${changes}</div>`}
          </li>`;
        })}
      </ol>`}
    </section>
    <p><a href="#/contacts">Back to contacts</a></p>
  </section>`;
}
