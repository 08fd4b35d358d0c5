import { test } from "node:test";
import assert from "node:assert/strict";
import { addPage, applyNoteEvent, canChange, createBody, excerpt, newerFirst, noteErrorKey, noteEventText, noteLength,
  patchBody, removeNote, upsertNote } from "../src/notes-state.js";

const C = "c".repeat(24);
const at = (s) => `2026-12-07T10:00:${String(s).padStart(2, "0")}.000Z`;
const note = (id, sec, extra = {}) => ({ _id: id, contactId: C, userId: "u1", note: `note ${id}`, mentions: [],
  createdAt: at(sec), updatedAt: at(sec), ...extra });
const ids = (l) => l.notes.map((n) => n._id);

test("notes sort as the server lists them: createdAt, then _id, newest first", () => {
  const list = [note("a1", 1), note("a3", 3), note("a2", 3), note("a0", 2)].sort(newerFirst);
  assert.deepEqual(list.map((n) => n._id), ["a3", "a2", "a0", "a1"]);
});

test("a page from the server is appended; a note already held (a live one) is kept once", () => {
  let l = addPage({ notes: [], next: null }, [note("n5", 5), note("n4", 4)], "cursor1");
  assert.deepEqual(ids(l), ["n5", "n4"]);
  assert.equal(l.next, "cursor1");
  // a live note came before the page: kept, with its newer text, not doubled
  l = { notes: [note("n3", 3, { note: "live text", updatedAt: at(9) }), ...l.notes].sort(newerFirst), next: l.next };
  l = addPage(l, [note("n3", 3), note("n2", 2)], undefined);
  assert.deepEqual(ids(l), ["n5", "n4", "n3", "n2"]);
  assert.equal(l.notes[2].note, "live text");
  assert.equal(l.next, null);
});

test("a live note_created goes to the top; an echo of one held changes nothing", () => {
  const l0 = { notes: [note("n2", 2), note("n1", 1)], next: null };
  const l1 = applyNoteEvent(l0, "note_created", { note: note("n3", 3), contact: { _id: C } }, C);
  assert.deepEqual(ids(l1), ["n3", "n2", "n1"]);
  const l2 = applyNoteEvent(l1, "note_created", { note: note("n3", 3) }, C);
  assert.deepEqual(ids(l2), ["n3", "n2", "n1"]);
});

test("a note older than the oldest loaded waits for Load older while more pages remain", () => {
  const l = { notes: [note("n5", 5), note("n4", 4)], next: "cur" };
  assert.equal(upsertNote(l, note("n1", 1)), l);
  assert.deepEqual(ids(upsertNote(l, note("n6", 6))), ["n6", "n5", "n4"]);
  // every note loaded: it joins in its place
  assert.deepEqual(ids(upsertNote({ ...l, next: null }, note("n1", 1))), ["n5", "n4", "n1"]);
});

test("note_updated replaces the held note, unless the held one is newer", () => {
  const l = { notes: [note("n2", 2), note("n1", 1)], next: null };
  const edited = note("n1", 1, { note: "edited", updatedAt: at(8) });
  const l1 = applyNoteEvent(l, "note_updated", { note: edited }, C);
  assert.deepEqual(ids(l1), ["n2", "n1"]);
  assert.equal(l1.notes[1].note, "edited");
  assert.equal(l.notes[1].note, "note n1", "the old list is not changed in place");
  const stale = note("n1", 1, { note: "older edit", updatedAt: at(7) });
  assert.equal(applyNoteEvent(l1, "note_updated", { note: stale }, C), l1);
});

test("note_removed takes the note out; an unknown one, or another contact's event, changes nothing", () => {
  const l = { notes: [note("n2", 2), note("n1", 1)], next: "cur" };
  const l1 = applyNoteEvent(l, "note_removed", { note: note("n2", 2) }, C);
  assert.deepEqual(ids(l1), ["n1"]);
  assert.equal(l1.next, "cur");
  assert.equal(applyNoteEvent(l1, "note_removed", { note: note("n9", 9) }, C), l1);
  const other = { note: { ...note("x1", 9), contactId: "d".repeat(24) } };
  assert.equal(applyNoteEvent(l1, "note_created", other, C), l1);
  assert.equal(applyNoteEvent(l1, "note_created", {}, C), l1);
  assert.equal(applyNoteEvent(l1, "contact_updated", { note: note("n7", 7) }, C), l1);
  assert.deepEqual(ids(removeNote(l, "n1")), ["n2"]);
});

test("the author and an ADMIN may change a note; others may not", () => {
  const n = note("n1", 1, { userId: "rep" });
  assert.equal(canChange(n, { id: "rep", accessRole: "SALES_REP" }), true);
  assert.equal(canChange(n, { id: "boss", accessRole: "ADMIN" }), true);
  assert.equal(canChange(n, { id: "head", accessRole: "DEPARTMENT_HEAD" }), false);
  assert.equal(canChange(n, { id: "rep2", accessRole: "SALES_REP" }), false);
  assert.equal(canChange(n, null), false);
});

test("bodies: a create names mentions only when chosen; an edit sends only what changed", () => {
  assert.deepEqual(createBody(C, "Hi", []), { contactId: C, note: "Hi" });
  assert.deepEqual(createBody(C, "Hi", ["u2"]), { contactId: C, note: "Hi", mentions: ["u2"] });
  const n = note("n1", 1, { note: "text", mentions: ["u2", "u3"] });
  assert.deepEqual(patchBody(n, "text", ["u3", "u2"]), {});
  assert.deepEqual(patchBody(n, "new text", ["u2", "u3"]), { note: "new text" });
  assert.deepEqual(patchBody(n, "text", ["u2"]), { mentions: ["u2"] });
  assert.deepEqual(patchBody(note("n2", 2, { mentions: undefined }), "note n2", []), {});
});

test("errors land at the note, at the mentions, or at the top of the form", () => {
  assert.equal(noteErrorKey("note"), "note");
  assert.equal(noteErrorKey("mentions"), "mentions");
  assert.equal(noteErrorKey("mentions[3]"), "mentions");
  assert.equal(noteErrorKey("contactId"), "");
  assert.equal(noteErrorKey(null), "");
  assert.equal(noteErrorKey(undefined), "");
});

test("length counts characters as the server does (code points)", () => {
  assert.equal(noteLength(""), 0);
  assert.equal(noteLength("abc"), 3);
  assert.equal(noteLength("😀é"), 2);
});

test("a note's entries of the timeline read as sentences, with names for ids", () => {
  const names = { u1: "Ana Díaz", u2: "Bob Ray", u3: "Cleo Li" };
  const name = (id) => names[id] ?? null;
  const note = { _id: "n1", userId: "u1", note: "Call back\n\non  Monday", mentions: ["u2", "u3"] };
  assert.equal(noteEventText({ type: "NOTE_CREATE", userId: "u1", changes: { note } }, name),
    "Ana Díaz added a note: “Call back on Monday” Mentions: Bob Ray, Cleo Li.");
  assert.equal(noteEventText({ type: "NOTE_CREATE", userId: "u1", changes: { note: { ...note, mentions: [] } } }, name),
    "Ana Díaz added a note: “Call back on Monday”");
  assert.equal(noteEventText({ type: "NOTE_DELETE", userId: "u2", changes: { note: { ...note, mentions: [] } } }, name),
    "Bob Ray deleted a note by Ana Díaz: “Call back on Monday”");
  assert.equal(noteEventText({ type: "NOTE_DELETE", userId: "u1", changes: { note: { ...note, mentions: [] } } }, name),
    "Ana Díaz deleted a note: “Call back on Monday”");
  assert.equal(noteEventText({ type: "NOTE_UPDATE", userId: "u1", changes: {
    noteId: "n1", note: { from: "Call", to: "Called" }, mentions: { from: ["u2"], to: ["u2", "zz"] } } }, name),
    "Ana Díaz changed a note: now “Called” (was “Call”); mentions Bob Ray, someone (was Bob Ray)");
  assert.equal(noteEventText({ type: "NOTE_UPDATE", userId: "gone", changes: { noteId: "n1", mentions: { from: ["u3"], to: [] } } }, name),
    "Someone changed a note: mentions no one (was Cleo Li)");
  assert.equal(noteEventText({ type: "NOTE_UPDATE", userId: "u1", changes: { noteId: "n1", attachments: { from: [], to: [{}] } } }, name),
    "Ana Díaz changed a note: its attachments changed");
  assert.equal(noteEventText({ type: "CONTACT_UPDATE", userId: "u1", changes: {} }, name), null);
});

test("a note's excerpt: white space folded, long text cut by characters", () => {
  assert.equal(excerpt("  a\tb\n c "), "a b c");
  assert.equal(excerpt("😀".repeat(5), 3), "😀😀😀…");
  assert.equal(excerpt("abc", 3), "abc");
  assert.equal(excerpt(null), "");
});
