// The notes of a contact page without a DOM (API.md §5.7): the list as the server orders it
// (newest first), live events merged into it, who may change a note, request bodies and where a
// server error goes. Unit-tested in web/test/notes-state.test.mjs.

export const NOTE_MAX = 10000;
export const NOTES_PAGE = 20;

// The server's order: createdAt, then _id, both descending. ISO-8601 UTC with milliseconds sorts
// as text.
export function newerFirst(a, b) {
  if (a.createdAt !== b.createdAt) return a.createdAt > b.createdAt ? -1 : 1;
  return a._id === b._id ? 0 : a._id > b._id ? -1 : 1;
}

// The list after a page from the server: the older page appended, anything already held (a live
// note that came meanwhile) kept once. {notes, next}: next is the server's cursor, null at the end.
export function addPage(list, notes, next) {
  const seen = new Set(list.notes.map((n) => n._id));
  return { notes: [...list.notes, ...notes.filter((n) => !seen.has(n._id))].sort(newerFirst), next: next ?? null };
}

// A note the page learned of (its own write, or a live event): replaces the one held with that id
// unless the held one is newer (an echo arriving after a later edit); a note not held joins the
// list when it sorts among the loaded ones, or when every note is loaded. One older than the
// oldest loaded while more pages remain comes with `Load older` instead.
export function upsertNote(list, note) {
  const i = list.notes.findIndex((n) => n._id === note._id);
  if (i >= 0) {
    if ((list.notes[i].updatedAt ?? "") > (note.updatedAt ?? "")) return list;
    const notes = list.notes.slice();
    notes[i] = note;
    return { ...list, notes };
  }
  const last = list.notes[list.notes.length - 1];
  if (list.next && last && newerFirst(note, last) > 0) return list;
  return { ...list, notes: [...list.notes, note].sort(newerFirst) };
}

export function removeNote(list, id) {
  return list.notes.some((n) => n._id === id) ? { ...list, notes: list.notes.filter((n) => n._id !== id) } : list;
}

// A live note_created / note_updated / note_removed ({note, contact}) applied to the list of the
// contact `contactId`; events of other contacts leave it as it is.
export function applyNoteEvent(list, name, payload, contactId) {
  const note = payload?.note;
  if (!note || note.contactId !== contactId) return list;
  if (name === "note_removed") return removeNote(list, note._id);
  if (name === "note_created" || name === "note_updated") return upsertNote(list, note);
  return list;
}

// The author or an ADMIN may edit and delete a note (the server decides; this hides the buttons).
export const canChange = (note, me) => !!me && (me.accessRole === "ADMIN" || note.userId === me.id);

// Characters as the server counts them (Unicode code points, not UTF-16 units).
export const noteLength = (text) => [...text].length;

// POST /api/contact-notes: the text as typed (the server refuses blank text); mentions only when
// some are chosen.
export function createBody(contactId, text, mentions) {
  const body = { contactId, note: text };
  if (mentions.length) body.mentions = mentions;
  return body;
}

// PATCH /api/contact-notes/{id}: only what changed; {} when nothing did.
export function patchBody(note, text, mentions) {
  const out = {};
  if (text !== note.note) out.note = text;
  const a = [...(note.mentions ?? [])].sort(), b = [...mentions].sort();
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) out.mentions = mentions;
  return out;
}

// Where a server error goes in a note form: "note", "mentions" (mentions or mentions[i]), or ""
// (the top of the form) for any other.
export function noteErrorKey(field) {
  if (field === "note") return "note";
  if (typeof field === "string" && /^mentions(\[\d+\])?$/.test(field)) return "mentions";
  return "";
}

// A note's text in one line of the timeline: white space folded, at most `max` characters (code
// points) with "…" after a cut.
export function excerpt(text, max = 200) {
  const one = String(text ?? "").replace(/\s+/g, " ").trim();
  const chars = [...one];
  return chars.length > max ? chars.slice(0, max).join("").trimEnd() + "…" : one;
}

// An event-log entry of a note (NOTE_CREATE, NOTE_UPDATE, NOTE_DELETE; changes as
// docs/api-decisions.md "Notes" gives them) as a person reads it: "Ana Díaz added a note: “Call
// back on Monday” Mentions: Bob Ray.", with names for user ids (`name(id)`, null when unknown).
// null for any other entry.
export function noteEventText(ev, name) {
  const who = (id) => name(id) ?? "someone";
  const people = (ids) => (Array.isArray(ids) && ids.length ? ids.map(who).join(", ") : "no one");
  const actor = name(ev.userId) ?? "Someone";
  const ch = ev.changes ?? {};
  const quote = (t) => `“${excerpt(t)}”`;
  if (ev.type === "NOTE_CREATE" || ev.type === "NOTE_DELETE") {
    const n = ch.note ?? {};
    const by = ev.type === "NOTE_DELETE" && n.userId && n.userId !== ev.userId ? ` by ${who(n.userId)}` : "";
    const mentions = Array.isArray(n.mentions) && n.mentions.length ? ` Mentions: ${people(n.mentions)}.` : "";
    return `${actor} ${ev.type === "NOTE_CREATE" ? "added" : "deleted"} a note${by}: ${quote(n.note)}${mentions}`;
  }
  if (ev.type !== "NOTE_UPDATE") return null;
  const parts = [];
  if (ch.note) parts.push(`now ${quote(ch.note.to)} (was ${quote(ch.note.from)})`);
  if (ch.mentions) parts.push(`mentions ${people(ch.mentions.to)} (was ${people(ch.mentions.from)})`);
  if (ch.attachments) parts.push("its attachments changed");
  return `${actor} changed a note${parts.length ? ": " + parts.join("; ") : ""}`;
}
