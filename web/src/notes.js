// The notes of a contact, on its page (API.md §5.7): newest first with `Load older` (the server's
// cursor), a form to add one (optionally mentioning users of the organization), and edit and
// delete on the notes the caller may change (its own; an ADMIN: all). Live: note_created,
// note_updated and note_removed of this contact change the list without a reload.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError, session } from "./api.js";
import { useFocusAfter, when } from "./ui.js";
import { NOTE_MAX, NOTES_PAGE, addPage, applyNoteEvent, canChange, createBody, noteErrorKey, noteLength, patchBody,
  removeNote, upsertNote } from "./notes-state.js";

const html = htm.bind(h);
const NOTE_EVENTS = ["note_created", "note_updated", "note_removed"];
const errorOf = (e) => (e instanceof ApiError ? { key: noteErrorKey(e.field), message: e.message }
  : { key: "", message: String(e?.message ?? e) });

// A note's text and mentions: the new-note form and a note's editor. onSubmit(text, mentions)
// saves; its ApiError lands at the field it names (note, mentions[i]) or at the top of the form.
function NoteForm({ prefix, label, submitLabel, users, note, onSubmit, onCancel }) {
  const [text, setText] = useState(note?.note ?? "");
  const [mentions, setMentions] = useState(note?.mentions ?? []);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const area = useRef(null);
  const picker = useRef(null);
  useEffect(() => { if (note) area.current?.focus(); }, []);   // an editor opens with the focus in its text

  async function submit(e) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await onSubmit(text, mentions);
      if (!note) { setText(""); setMentions([]); area.current?.focus(); }
    } catch (err) {
      const where = errorOf(err);
      setError(where);
      if (where.key === "note") area.current?.focus();
      if (where.key === "mentions" && picker.current) {
        picker.current.open = true;
        picker.current.querySelector("input")?.focus();
      }
    }
    setBusy(false);
  }
  const count = noteLength(text);
  const errId = `${prefix}-err`, hintId = `${prefix}-hint`;
  // Who may be mentioned: the organization's active users, and anyone the note already names.
  const choices = users.filter((u) => !u.loginDisabled || mentions.includes(u._id));
  const toggle = (id) => (e) => setMentions((m) => (e.target.checked ? [...m, id] : m.filter((x) => x !== id)));

  return html`<form class="note-form" onSubmit=${submit} novalidate
      onKeyDown=${(e) => { if (onCancel && e.key === "Escape") { e.preventDefault(); onCancel(); } }}>
    ${error?.key === "" && html`<p class="error" role="alert">${error.message}</p>`}
    <label for=${prefix}>${label}</label>
    <textarea id=${prefix} ref=${area} rows="4" value=${text} onInput=${(e) => setText(e.target.value)}
      aria-invalid=${error?.key === "note" ? "true" : undefined}
      aria-describedby=${error?.key === "note" ? `${errId} ${hintId}` : hintId}></textarea>
    ${error?.key === "note" && html`<p class="field-error" id=${errId}>${error.message}</p>`}
    <p class="hint muted" id=${hintId}><span class=${count > NOTE_MAX ? "error" : ""}>${count.toLocaleString("en-US")}</span> of ${NOTE_MAX.toLocaleString("en-US")} characters</p>
    ${choices.length > 0 && html`<details class="mentions" ref=${picker}>
      <summary>Mention people${mentions.length ? ` (${mentions.length})` : ""}</summary>
      <fieldset class="mention-list" aria-describedby=${error?.key === "mentions" ? `${prefix}-m-err` : undefined}>
        <legend>People to mention</legend>
        ${choices.map((u) => html`<div class="check" key=${u._id}>
          <input type="checkbox" id=${`${prefix}-m-${u._id}`} checked=${mentions.includes(u._id)} onChange=${toggle(u._id)} />
          <label for=${`${prefix}-m-${u._id}`}>${u.fullName}</label>
        </div>`)}
      </fieldset>
      ${error?.key === "mentions" && html`<p class="field-error" id=${`${prefix}-m-err`}>${error.message}</p>`}
    </details>`}
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy}>${submitLabel}</button>
      ${onCancel && html`<button type="button" onClick=${onCancel}>Cancel</button>`}
    </div>
  </form>`;
}

// contactId; org (its users name authors and mentions); live (the Shell's connection, whose
// on(name, fn) gives the socket's note events); onChanged() after any change of the contact's
// notes, so the page can refresh its timeline.
export function Notes({ contactId, org, live, onChanged }) {
  const [me] = useState(() => session.load()?.user ?? null);
  const [list, setList] = useState({ notes: [], next: null });
  const [state, setState] = useState("loading");   // loading | ready | more | error
  const [loadError, setLoadError] = useState(null);
  const [active, setActive] = useState(null);      // {id, mode: "edit" | "delete"}
  const [itemError, setItemError] = useState(null); // {id, message}
  const [status, setStatus] = useState({ text: "", n: 0 });   // n: a new node each time, so the same words are said again
  const say = (text) => setStatus((s) => ({ text, n: s.n + 1 }));
  const focusNext = useFocusAfter();               // the id of the element that takes the focus after the next render
  const changed = useRef(onChanged);
  changed.current = onChanged;

  const load = useCallback(async (after) => {
    setState(after ? "more" : "loading");
    try {
      const q = new URLSearchParams({ contactId, limit: String(NOTES_PAGE) });
      if (after) q.set("after", after);
      const { body } = await api("GET", "/api/contact-notes?" + q);
      const { notes, nextCursor } = body.data;
      setList((l) => addPage(l, notes, nextCursor));
      if (after) focusNext.current = notes.length ? `note-${notes[0]._id}` : "notes-h";
      setLoadError(null);
      setState("ready");
    } catch (e) {
      setLoadError(e.message);
      setState(after ? "ready" : "error");
    }
  }, [contactId]);
  useEffect(() => { load(null); }, [load]);

  useEffect(() => {
    if (!live?.on) return undefined;
    const offs = NOTE_EVENTS.map((name) => live.on(name, (p) => {
      if (p?.note?.contactId !== contactId) return;
      setList((l) => applyNoteEvent(l, name, p, contactId));
      changed.current?.();
    }));
    return () => offs.forEach((off) => off());
  }, [live, contactId]);

  const users = org.users ?? [];
  const names = new Map(users.map((u) => [u._id, u.fullName]));
  const author = (n) => names.get(n.userId) ?? "Unknown user";

  async function add(text, mentions) {
    const { body } = await api("POST", "/api/contact-notes", { body: createBody(contactId, text, mentions) });
    setList((l) => upsertNote(l, body.data.note));
    say("Note added.");
    changed.current?.();
  }
  // A note that is gone (404) leaves the list, with a word why.
  function lost(note) {
    setList((l) => removeNote(l, note._id));
    setActive(null);
    say("That note was deleted meanwhile, or you may no longer see it.");
    focusNext.current = "notes-h";
  }
  async function save(note, text, mentions) {
    const b = patchBody(note, text, mentions);
    if (Object.keys(b).length) {
      let body;
      try {
        ({ body } = await api("PATCH", `/api/contact-notes/${note._id}`, { body: b }));
      } catch (e) {
        if (e.status === 404) { lost(note); return; }
        throw e;
      }
      setList((l) => upsertNote(l, body.data.note));
      say("Note saved.");
      changed.current?.();
    }
    setActive(null);
    focusNext.current = `note-edit-${note._id}`;
  }
  async function remove(note) {
    setItemError(null);
    try {
      await api("DELETE", `/api/contact-notes/${note._id}`);
    } catch (e) {
      if (e.status === 404) { lost(note); return; }
      setItemError({ id: note._id, message: e.message });
      return;
    }
    setList((l) => removeNote(l, note._id));
    setActive(null);
    say("Note deleted.");
    focusNext.current = "notes-h";
    changed.current?.();
  }
  const open = (note, mode) => {
    setItemError(null);
    setActive({ id: note._id, mode });
    if (mode === "delete") focusNext.current = `note-cancel-${note._id}`;   // the safe answer
  };
  const close = (note, mode) => {
    setActive(null);
    focusNext.current = `note-${mode}-${note._id}`;
  };

  const item = (n) => {
    const mine = canChange(n, me);
    const editing = active?.id === n._id && active.mode === "edit";
    const asking = active?.id === n._id && active.mode === "delete";
    const whom = ` by ${author(n)}, ${when(n.createdAt)}`;
    const mentioned = (n.mentions ?? []).map((id) => names.get(id) ?? "Unknown user");
    return html`<li class="note" key=${n._id} id=${"note-" + n._id} tabindex="-1">
      <p class="note-meta"><strong>${author(n)}</strong> · <time datetime=${n.createdAt}>${when(n.createdAt)}</time>${n.updatedAt !== n.createdAt
        ? html` · <span class="muted" title=${when(n.updatedAt)}>edited</span>` : ""}</p>
      ${editing ? html`<${NoteForm} prefix=${"note-text-" + n._id} label="Edit note" submitLabel="Save note" users=${users} note=${n}
                        onSubmit=${(text, mentions) => save(n, text, mentions)} onCancel=${() => close(n, "edit")} />`
        : html`<p class="note-text">${n.note}</p>
          ${mentioned.length > 0 && html`<p class="muted note-mentions">Mentions: ${mentioned.join(", ")}</p>`}`}
      ${mine && !editing && !asking && html`<div class="actions">
        <button type="button" id=${"note-edit-" + n._id} onClick=${() => open(n, "edit")}>Edit note<span class="sr">${whom}</span></button>
        <button type="button" id=${"note-delete-" + n._id} class="danger" onClick=${() => open(n, "delete")}>Delete note<span class="sr">${whom}</span></button>
      </div>`}
      ${asking && html`<div class="card confirm" role="alertdialog" aria-labelledby=${"note-q-" + n._id}>
        <p id=${"note-q-" + n._id}>Delete this note${whom}? This cannot be undone.</p>
        <button type="button" class="danger" onClick=${() => remove(n)}>Yes, delete note</button>
        <button type="button" id=${"note-cancel-" + n._id} onClick=${() => close(n, "delete")}>Cancel</button>
      </div>`}
      ${itemError?.id === n._id && html`<p class="error" role="alert">${itemError.message}</p>`}
    </li>`;
  };

  return html`<section aria-labelledby="notes-h" class="notes">
    <h2 id="notes-h" tabindex="-1">Notes</h2>
    <div role="status" class="live-slot">${status.text && html`<p class="notice" key=${status.n}>${status.text}</p>`}</div>
    <${NoteForm} prefix="note-new" label="New note" submitLabel="Add note" users=${users} onSubmit=${add} />
    ${state === "loading" && html`<p class="muted">Loading notes…</p>`}
    ${loadError && html`<p class="error" role="alert">${loadError} <button type="button"
        onClick=${() => load(state === "error" ? null : list.next)}>Try again</button></p>`}
    ${state !== "loading" && state !== "error" && list.notes.length === 0 && html`<p class="muted">No notes yet.</p>`}
    ${list.notes.length > 0 && html`<ol class="note-list">${list.notes.map(item)}</ol>`}
    ${list.next && state !== "loading" && html`<button type="button" aria-disabled=${state === "more" ? "true" : undefined}
        onClick=${() => state === "ready" && load(list.next)}>Load older<span class="sr"> notes</span></button>`}
  </section>`;
}
