// The pipeline board's state without a DOM (unit-tested in web/test/board-state.test.mjs): columns
// built from the reply of POST /api/contacts, a stage's next page merged in, a card moved (and
// moved back), live events applied, the totals kept exact or said to be stale.
//
// A board is {pipelineId, size, columns: [{id, name, cards, total, edge}]}. Each column's cards are
// in the server's order (newest first: createdAt, then _id, descending). `edge` is the last card
// the server has sent for the column (its sort key), so that a card that sorts before it belongs
// to what is loaded, and one after it to the pages not asked for yet. Every function returns a
// new board and leaves its argument as it was.

// The server's order of a stage: newest first.
export function newerFirst(a, b) {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a._id === b._id ? 0 : a._id < b._id ? 1 : -1;
}

// The active stages of a pipeline in position order.
export function activeStages(pipeline) {
  return (pipeline?.pipelineStages ?? []).filter((s) => s.isActive).sort((a, b) => a.position - b.position);
}

// The body of POST /api/contacts for a board with these filters ({search, owner}); `stageId` and
// `page` ask one stage's page only.
export function boardQuery(pipelineId, filters, size, stageId, page) {
  const q = { pipelineId, size, ownerFilter: filters.owner || "my" };
  if (filters.search) q.search = filters.search;
  if (stageId) {
    q.stages = [stageId];
    q.page = { [stageId]: page };
  }
  return q;
}

const lastOf = (cards) => (cards.length ? cards[cards.length - 1] : null);
const keyOf = (c) => (c ? { createdAt: c.createdAt, _id: c._id } : null);

// A board from the reply of POST /api/contacts: one column per active stage of the pipeline in
// position order. The reply's stage names win over the pipeline's (they are as fresh as can be),
// and a stage the reply has but the pipeline (an older copy) lacks is added at the end.
export function boardFromReply(pipeline, reply, size) {
  const ids = reply.stageIdByName ?? {};
  const names = reply.stageNameById ?? {};
  const order = activeStages(pipeline).map((s) => s._id).filter((id) => id in names);
  for (const name of Object.keys(reply.data ?? {})) if (ids[name] && !order.includes(ids[name])) order.push(ids[name]);
  const columns = order.map((id) => {
    const bucket = reply.data?.[names[id]] ?? { contacts: [], total: 0 };
    const cards = bucket.contacts.slice().sort(newerFirst);
    return { id, name: names[id], cards, total: bucket.total, edge: keyOf(lastOf(cards)) };
  });
  return { pipelineId: pipeline?._id ?? null, size, columns };
}

// Where the card with this id is: {c (column index), i (card index), card}, or null.
export function findCard(board, id) {
  for (let c = 0; c < board.columns.length; c++) {
    const i = board.columns[c].cards.findIndex((x) => x._id === id);
    if (i >= 0) return { c, i, card: board.columns[c].cards[i] };
  }
  return null;
}

export const hasMore = (col) => col.cards.length < col.total;

// Whether a contact sorts among the cards already loaded in the column (or the column is whole).
export function withinLoaded(col, contact) {
  if (!hasMore(col)) return true;
  return !!col.edge && newerFirst(contact, col.edge) <= 0;
}

// The page to ask for a column's next cards. Pages are offsets ((page - 1) * size), and cards that
// left the column since it loaded shift the server's offsets back: counting only the cards up to
// the edge gives an offset never past the first card not yet seen (overlaps are merged away).
export function nextPage(col, size) {
  const loaded = col.edge ? col.cards.filter((c) => newerFirst(c, col.edge) <= 0).length : 0;
  return Math.floor(loaded / size) + 1;
}

function withColumn(board, c, col) {
  const columns = board.columns.slice();
  columns[c] = col;
  return { ...board, columns };
}

function insertSorted(cards, contact) {
  const out = cards.slice();
  let i = 0;
  while (i < out.length && newerFirst(out[i], contact) < 0) i++;
  out.splice(i, 0, contact);
  return out;
}

// One stage's page merged in: cards not on the board yet join in order, the edge moves on, the
// total is the server's. A card already on the board (in any column) stays as the board has it:
// the board's copy is at least as fresh (a move waiting for its reply, a live event).
export function mergePage(board, stageId, bucket) {
  const c = board.columns.findIndex((x) => x.id === stageId);
  if (c < 0) return board;
  const col = board.columns[c];
  let cards = col.cards;
  for (const contact of bucket.contacts) if (!findCard(board, contact._id)) cards = insertSorted(cards, contact);
  const last = bucket.contacts.length ? bucket.contacts.slice().sort(newerFirst)[bucket.contacts.length - 1] : null;
  const edge = !col.edge ? keyOf(last) : last && newerFirst(last, col.edge) > 0 ? keyOf(last) : col.edge;
  return withColumn(board, c, { ...col, cards, total: bucket.total, edge });
}

// The board without the card (its column's total one less); the board itself when it is not there.
export function removeCard(board, id) {
  const at = findCard(board, id);
  if (!at) return board;
  const col = board.columns[at.c];
  return withColumn(board, at.c, { ...col, cards: col.cards.filter((_, j) => j !== at.i), total: Math.max(0, col.total - 1) });
}

// The contact added to its stage's column (that column's total one more). `always`: even when it
// sorts past the loaded cards (a card a person moved, or watched move, stays in sight).
export function addCard(board, contact, always = true) {
  const c = board.columns.findIndex((x) => x.id === contact.pipelineStage);
  if (c < 0 || contact.pipelineId !== board.pipelineId) return board;
  const col = board.columns[c];
  const cards = always || withinLoaded(col, contact) ? insertSorted(col.cards, contact) : col.cards;
  return withColumn(board, c, { ...col, cards, total: col.total + 1 });
}

// The optimistic move: the card at once in the stage's column, as the server will store it.
// Returns {board, from (the card as it was, for the revert), to (the card as moved)}, or null when
// the card is not on the board or already in that stage.
export function moveCard(board, id, stageId) {
  const at = findCard(board, id);
  const target = board.columns.find((x) => x.id === stageId);
  if (!at || !target || at.card.pipelineStage === stageId) return null;
  const to = { ...at.card, pipelineStage: stageId, status: target.name };
  return { board: addCard(removeCard(board, id), to), from: at.card, to };
}

// A card put back as the server has it (a refused move's revert, a move's reply): wherever it is
// now on the board, it goes to the column of its stage; or off the board when it no longer fits.
export function putCard(board, contact, fits = true) {
  const without = removeCard(board, contact._id);
  return fits ? addCard(without, contact) : without;
}

// A live event applied. `fits` says whether the contact, as the event carries it, belongs on this
// board (its pipeline and the board's filters): true, false, or null when the page cannot judge
// (a search in force: the server matches digits in any format). Returns {board, exact}: exact is
// false when a column's total may now be off by one (a contact not loaded changed, and the page
// cannot know where it was before), so the caller asks the server for fresh totals.
export function applyLive(board, name, contact, fits) {
  const ours = contact.pipelineId === board.pipelineId && board.columns.some((x) => x.id === contact.pipelineStage);
  const onBoard = !!findCard(board, contact._id);
  if (name === "contact_removed") {
    if (onBoard) return { board: removeCard(board, contact._id), exact: true };
    if (!ours || fits === false) return { board, exact: true };
    if (fits === null) return { board, exact: false };
    // Counted in its column, but not loaded: the column's total goes down by one.
    const c = board.columns.findIndex((x) => x.id === contact.pipelineStage);
    return { board: withColumn(board, c, { ...board.columns[c], total: Math.max(0, board.columns[c].total - 1) }), exact: true };
  }
  if (onBoard) {
    // A card shown stays while the page cannot judge (as the contacts table keeps its rows).
    return { board: putCard(board, contact, ours && fits !== false), exact: true };
  }
  if (name === "contact_created") {
    if (!ours || fits === false) return { board, exact: true };
    if (fits === null) return { board, exact: false };
    return { board: addCard(board, contact, false), exact: true };
  }
  // An update of a contact not on the board: it may have come from a stage or a page not loaded,
  // or been counted in a column already, so the totals are not known here.
  if (!ours || !fits) return { board, exact: false };
  const col = board.columns.find((x) => x.id === contact.pipelineStage);
  // Sorting among the loaded cards but not among them: it was not in this column before, so this
  // column's total is right; the column it left is not known.
  if (withinLoaded(col, contact)) return { board: addCard(board, contact, false), exact: false };
  return { board, exact: false };
}

// Fresh totals from a reply of POST /api/contacts (the cards stay).
export function withTotals(board, reply) {
  return {
    ...board,
    columns: board.columns.map((col) => {
      const b = reply.data?.[reply.stageNameById?.[col.id]];
      return b ? { ...col, total: b.total } : col;
    }),
  };
}
