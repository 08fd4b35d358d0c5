import { test } from "node:test";
import assert from "node:assert/strict";
import {
  activeStages, applyLive, boardFromReply, boardQuery, findCard, hasMore, mergePage, moveCard, newerFirst, nextPage, putCard,
  removeCard, withinLoaded, withTotals,
} from "../src/board-state.js";

const P = "p".repeat(24);
const S = { lead: "a".repeat(24), won: "b".repeat(24), lost: "c".repeat(24), old: "d".repeat(24) };
const pipeline = { _id: P, pipelineStages: [
  { _id: S.won, name: "Won", position: 1, isActive: true },
  { _id: S.old, name: "Old", position: 0, isActive: false },
  { _id: S.lead, name: "New Lead", position: 0, isActive: true },
  { _id: S.lost, name: "Lost", position: 2, isActive: true },
] };
// Contact n was created at second n: a higher n is newer.
const id = (n) => n.toString(16).padStart(24, "0");
const card = (n, stage = "lead", extra = {}) => ({ _id: id(n), createdAt: `2026-01-01T00:00:${String(n).padStart(2, "0")}.000Z`,
  pipelineId: P, pipelineStage: S[stage], status: stage, __v: 0, ...extra });
const reply = (buckets) => ({
  data: Object.fromEntries(Object.entries(buckets).map(([name, [cards, total]]) => [name, { contacts: cards, total }])),
  stageIdByName: { "New Lead": S.lead, Won: S.won, Lost: S.lost },
  stageNameById: { [S.lead]: "New Lead", [S.won]: "Won", [S.lost]: "Lost" },
});
const ids = (b) => b.columns.map((c) => c.cards.map((x) => parseInt(x._id, 16)));
const totals = (b) => b.columns.map((c) => c.total);

// New Lead: 5 of 8 loaded (cards 20..16; 15, 14, 13 not loaded); Won: 2 of 2; Lost: none.
const start = () => boardFromReply(pipeline, reply({
  "New Lead": [[card(20), card(19), card(18), card(17), card(16)], 8],
  Won: [[card(10, "won"), card(9, "won")], 2],
  Lost: [[], 0],
}), 5);

test("the server's order is newest first, ties broken by id", () => {
  assert.ok(newerFirst(card(3), card(2)) < 0);
  assert.ok(newerFirst(card(2), card(3)) > 0);
  const a = { _id: id(1), createdAt: "x" }, b = { _id: id(2), createdAt: "x" };
  assert.ok(newerFirst(b, a) < 0);
  assert.equal(newerFirst(a, a), 0);
});

test("columns are the active stages in position order, with the reply's cards and totals", () => {
  assert.deepEqual(activeStages(pipeline).map((s) => s.name), ["New Lead", "Won", "Lost"]);
  const b = start();
  assert.deepEqual(b.columns.map((c) => c.name), ["New Lead", "Won", "Lost"]);
  assert.deepEqual(ids(b), [[20, 19, 18, 17, 16], [10, 9], []]);
  assert.deepEqual(totals(b), [8, 2, 0]);
  assert.equal(hasMore(b.columns[0]), true);
  assert.equal(hasMore(b.columns[1]), false);
  assert.deepEqual(b.columns[0].edge, { createdAt: card(16).createdAt, _id: id(16) });
});

test("a stage the reply has and an old copy of the pipeline lacks still gets its column", () => {
  const r = reply({ "New Lead": [[], 0], Won: [[], 0], Lost: [[], 0] });
  r.data.Fresh = { contacts: [], total: 0 };
  r.stageIdByName.Fresh = "e".repeat(24);
  r.stageNameById["e".repeat(24)] = "Fresh";
  assert.deepEqual(boardFromReply(pipeline, r, 5).columns.map((c) => c.name), ["New Lead", "Won", "Lost", "Fresh"]);
});

test("the board's queries: every stage, or one stage's page", () => {
  assert.deepEqual(boardQuery(P, { search: "", owner: "all" }, 50), { pipelineId: P, size: 50, ownerFilter: "all" });
  assert.deepEqual(boardQuery(P, { search: "ada", owner: "" }, 20, S.won, 3),
    { pipelineId: P, size: 20, ownerFilter: "my", search: "ada", stages: [S.won], page: { [S.won]: 3 } });
});

test("a move is at once in the target column, totals follow; putting the card back undoes it exactly", () => {
  const b = start();
  const m = moveCard(b, id(18), S.won);
  assert.deepEqual(ids(m.board), [[20, 19, 17, 16], [18, 10, 9], []]);
  assert.deepEqual(totals(m.board), [7, 3, 0]);
  assert.equal(m.to.pipelineStage, S.won);
  assert.equal(m.to.status, "Won");
  assert.equal(m.from, b.columns[0].cards[2]);
  const back = putCard(m.board, m.from);
  assert.deepEqual(ids(back), ids(b));
  assert.deepEqual(totals(back), totals(b));
  assert.deepEqual(ids(b), [[20, 19, 18, 17, 16], [10, 9], []]);   // the original board is untouched
  assert.equal(moveCard(b, id(18), S.lead), null);   // already there
  assert.equal(moveCard(b, id(99), S.won), null);    // not on the board
});

test("a card moved to a column whose loaded cards are all newer still shows, at the end", () => {
  const b = boardFromReply(pipeline, reply({ "New Lead": [[card(20)], 1], Won: [[card(40, "won")], 3], Lost: [[], 0] }), 1);
  const m = moveCard(b, id(20), S.won);
  assert.deepEqual(ids(m.board), [[], [40, 20], []]);
  assert.deepEqual(totals(m.board), [0, 4, 0]);
});

test("the server's copy after a move replaces the optimistic one, without counting twice", () => {
  const m = moveCard(start(), id(18), S.won);
  const saved = { ...m.to, __v: 1 };
  const b = putCard(m.board, saved);
  assert.deepEqual(totals(b), [7, 3, 0]);
  assert.equal(findCard(b, id(18)).card.__v, 1);
  // the live echo of the same move changes nothing more
  const echo = applyLive(b, "contact_updated", saved, true);
  assert.equal(echo.exact, true);
  assert.deepEqual(ids(echo.board), ids(b));
  assert.deepEqual(totals(echo.board), [7, 3, 0]);
});

test("the next page counts only cards up to the edge: departures never skip a card", () => {
  let b = start();
  assert.equal(nextPage(b.columns[0], 5), 2);
  b = moveCard(b, id(19), S.won).board;   // one card left: the server's page 2 now starts at card 15's successor
  assert.equal(nextPage(b.columns[0], 5), 1);   // so ask page 1 again: an overlap, never a gap
  b = mergePage(b, S.lead, { contacts: [card(20), card(18), card(17), card(16), card(15)], total: 7 });
  assert.deepEqual(ids(b)[0], [20, 18, 17, 16, 15]);
  assert.equal(b.columns[0].total, 7);
  assert.equal(b.columns[0].edge._id, id(15));
  assert.equal(nextPage(b.columns[0], 5), 2);
  b = mergePage(b, S.lead, { contacts: [card(14), card(13)], total: 7 });
  assert.deepEqual(ids(b)[0], [20, 18, 17, 16, 15, 14, 13]);
  assert.equal(hasMore(b.columns[0]), false);
});

test("a merged page leaves a card already elsewhere on the board where the board has it", () => {
  let b = moveCard(start(), id(16), S.won).board;   // waiting for the server, which still lists 16 in New Lead
  b = mergePage(b, S.lead, { contacts: [card(16), card(15)], total: 8 });
  assert.deepEqual(ids(b), [[20, 19, 18, 17, 15], [16, 10, 9], []]);
});

test("cards moved in are not counted as loaded pages", () => {
  const b = moveCard(start(), id(10), S.lead).board;   // card 10 sorts past New Lead's edge (16)
  assert.deepEqual(ids(b)[0], [20, 19, 18, 17, 16, 10]);
  assert.equal(nextPage(b.columns[0], 5), 2);
  assert.equal(withinLoaded(b.columns[0], card(10)), false);
  assert.equal(withinLoaded(b.columns[0], card(17)), true);
});

test("live: a created contact joins its column when it fits; removed ones leave", () => {
  let r = applyLive(start(), "contact_created", card(30, "won"), true);
  assert.equal(r.exact, true);
  assert.deepEqual(ids(r.board), [[20, 19, 18, 17, 16], [30, 10, 9], []]);
  assert.deepEqual(totals(r.board), [8, 3, 0]);
  r = applyLive(start(), "contact_created", card(30, "won"), false);   // another owner's, under "Mine"
  assert.deepEqual(ids(r.board), ids(start()));
  r = applyLive(start(), "contact_created", card(30, "won", { pipelineId: "x".repeat(24) }), true);
  assert.deepEqual(totals(r.board), [8, 2, 0]);
  r = applyLive(start(), "contact_created", card(30, "won"), null);   // a search the page cannot judge
  assert.equal(r.exact, false);
  assert.deepEqual(totals(r.board), [8, 2, 0]);

  r = applyLive(start(), "contact_removed", card(19), true);
  assert.deepEqual(ids(r.board)[0], [20, 18, 17, 16]);
  assert.deepEqual(totals(r.board), [7, 2, 0]);
  r = applyLive(start(), "contact_removed", card(14), true);   // counted, not loaded
  assert.equal(r.exact, true);
  assert.deepEqual(ids(r.board), ids(start()));
  assert.deepEqual(totals(r.board), [7, 2, 0]);
});

test("live: a card changed elsewhere moves column, or leaves the board when it no longer fits", () => {
  let r = applyLive(start(), "contact_updated", card(19, "lost", { __v: 1 }), true);
  assert.equal(r.exact, true);
  assert.deepEqual(ids(r.board), [[20, 18, 17, 16], [10, 9], [19]]);
  assert.deepEqual(totals(r.board), [7, 2, 1]);
  r = applyLive(start(), "contact_updated", card(19, "lead", { firstName: "New" }), true);
  assert.equal(findCard(r.board, id(19)).card.firstName, "New");
  assert.deepEqual(totals(r.board), [8, 2, 0]);
  r = applyLive(start(), "contact_updated", card(19, "lead", { userId: "someone" }), false);   // reassigned away
  assert.deepEqual(ids(r.board)[0], [20, 18, 17, 16]);
  assert.deepEqual(totals(r.board), [7, 2, 0]);
  r = applyLive(start(), "contact_updated", card(19, "lead"), null);   // under a search: kept
  assert.deepEqual(ids(r.board), ids(start()));
});

test("live: a contact not loaded that changed leaves the totals to the server", () => {
  // card 14 sits in New Lead past the loaded cards, moved to Won (complete): it joins Won
  let r = applyLive(start(), "contact_updated", card(14, "won"), true);
  assert.equal(r.exact, false);
  assert.deepEqual(ids(r.board)[1], [14, 10, 9]);
  assert.deepEqual(totals(r.board), [8, 3, 0]);
  // an old contact that lands past New Lead's loaded cards is not shown: a later page brings it
  r = applyLive(start(), "contact_updated", card(5, "lead"), true);
  assert.equal(r.exact, false);
  assert.deepEqual(ids(r.board), ids(start()));
  assert.deepEqual(totals(r.board), [8, 2, 0]);
  const fresh = withTotals(start(), reply({ "New Lead": [[], 9], Won: [[], 2], Lost: [[], 0] }));
  assert.deepEqual(totals(fresh), [9, 2, 0]);
  assert.deepEqual(ids(fresh), ids(start()));
});

test("removing a card that is not there changes nothing", () => {
  const b = start();
  assert.equal(removeCard(b, id(99)), b);
});
