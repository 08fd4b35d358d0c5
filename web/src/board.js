// The pipeline board (API.md §13, §5.4): a column per active stage, loaded with one POST
// /api/contacts (each stage's first page and exact total), "Load more" per column, cards moved by
// drag and drop or by the keyboard (PATCH with If-Match), optimistic with an explained revert, and
// live events from other sessions. The state's logic is in board-state.js.
import { Component, h } from "preact";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api } from "./api.js";
import { displayPhone, primaryPhone } from "./phone.js";
import { fullName, matchesFilters } from "./state.js";
import {
  activeStages, applyLive, boardFromReply, boardQuery, findCard, hasMore, mergePage, moveCard, nextPage, putCard, withTotals,
} from "./board-state.js";

const html = htm.bind(h);
const SIZES = [20, 50, 100, 200];
const SIZE_KEY = "crmd.boardSize";

// Cards per column is a preference of the browser (localStorage): it outlives the session.
function savedSize() {
  try {
    const n = Number(localStorage.getItem(SIZE_KEY));
    return SIZES.includes(n) ? n : 50;
  } catch { return 50; }
}
function saveSize(n) {
  try { localStorage.setItem(SIZE_KEY, String(n)); } catch { /* private mode: this tab only */ }
}

// A component that renders again only when a prop changed (preact/compat's memo, without compat).
function pure(render) {
  return class extends Component {
    shouldComponentUpdate(next) {
      for (const k in next) if (next[k] !== this.props[k]) return true;
      for (const k in this.props) if (!(k in next)) return true;
      return false;
    }
    render(props) { return render(props); }
  };
}

// A card's texts, computed once per contact object (formatting a number is the costly part).
const cardCache = new WeakMap();
function texts(c, country) {
  let t = cardCache.get(c);
  if (!t || t.country !== country) {
    const phone = primaryPhone(c);
    t = { country, name: fullName(c), phone: phone && displayPhone(phone, country) };
    cardCache.set(c, t);
  }
  return t;
}

const Card = pure(({ c, country, stages, pending, open, actions }) => {
  const t = texts(c, country);
  const id = c._id;
  return html`<li class=${"bcard" + (pending ? " pending" : "")} data-id=${id} draggable=${pending ? "false" : "true"}
                  onDragStart=${(e) => actions.dragStart(e, id)} onDragEnd=${actions.dragEnd}>
    <a href=${"#/contacts/" + id} draggable="false">${t.name}</a>
    ${t.phone ? html`<span class="phone" title=${t.phone.e164}>${t.phone.text}</span>` : html`<span class="muted">No phone</span>`}
    <button type="button" class="move" aria-expanded=${open ? "true" : "false"} aria-disabled=${pending ? "true" : undefined}
            data-move=${id} onClick=${() => pending || actions.toggle(id)}>${pending ? "Saving…" : "Move"}<span class="sr"> ${t.name}</span>${pending ? "" : "…"}</button>
    ${open && !pending && html`<div class="move-to" role="group" aria-label=${"Move " + t.name + " to"}
                                    onKeyDown=${(e) => e.key === "Escape" && actions.toggle(id, true)}>
      ${stages.filter((s) => s._id !== c.pipelineStage).map((s, i) => html`<button type="button" data-first=${i === 0 ? "1" : undefined}
          onClick=${() => actions.move(id, s._id, true)}><span class="sr">Move ${t.name} to </span>${s.name}</button>`)}
      <button type="button" onClick=${() => actions.toggle(id, true)}>Cancel<span class="sr"> moving ${t.name}</span></button>
    </div>`}
  </li>`;
});

function Column({ col, country, stages, pending, openId, over, busy, actions }) {
  const nameId = "col-" + col.id;
  return html`<section class=${"column" + (over ? " over" : "")} aria-labelledby=${nameId} data-stage=${col.id}
                       onDragOver=${(e) => actions.dragOver(e, col.id)} onDragLeave=${(e) => actions.dragLeave(e, col.id)}
                       onDrop=${(e) => actions.drop(e, col.id)}>
    <h2><span id=${nameId}>${col.name}</span> <span class="total">${col.total}<span class="sr"> contacts</span></span></h2>
    <ol class="cards">
      ${col.cards.map((c) => html`<${Card} key=${c._id} c=${c} country=${country} stages=${stages}
                                         pending=${pending.has(c._id)} open=${openId === c._id} actions=${actions} />`)}
    </ol>
    ${col.cards.length === 0 && html`<p class="muted empty">No contacts</p>`}
    ${hasMore(col) && html`<button type="button" class="more" aria-disabled=${busy ? "true" : undefined}
                                   onClick=${() => busy || actions.more(col.id)}>
      Load more<span class="sr"> in ${col.name}</span> (${col.cards.length} of ${col.total})</button>`}
  </section>`;
}

export function Board({ org, me, live, onStale }) {
  const rep = me.accessRole === "SALES_REP";
  const fallback = org.pipelines.find((p) => p.isDefault) ?? org.pipelines[0];
  const [pipelineId, setPipelineId] = useState(fallback?._id ?? "");
  const pipeline = org.pipelines.find((p) => p._id === pipelineId) ?? fallback;
  const stages = useMemo(() => activeStages(pipeline), [pipeline]);
  const [draft, setDraft] = useState("");
  const [filters, setFilters] = useState({ search: "", owner: rep ? "my" : "all" });
  const [size, setSize] = useState(savedSize);
  const [board, setBoard] = useState(null);
  const [error, setError] = useState(null);
  const [loadingMore, setLoadingMore] = useState(null);   // the stage id whose next page is on its way
  const [pending, setPending] = useState(() => new Set());
  const [openId, setOpenId] = useState(null);
  const [over, setOver] = useState(null);
  const [notice, setNotice] = useState(null);   // {kind: "ok"|"error", text, retry?, undo?}
  const gen = useRef(0);
  const ref = useRef({});
  ref.current = { board, filters, pipeline, size };
  const dragging = useRef(null);
  const focusAfter = useRef(null);
  const measuring = useRef(false);

  const query = useCallback((stageId, page, sz) =>
    boardQuery(ref.current.pipeline._id, ref.current.filters, sz ?? ref.current.size, stageId, page), []);

  const load = useCallback(async () => {
    const g = ++gen.current;
    setBoard(null);
    setError(null);
    try {
      const { body } = await api("POST", "/api/contacts", { body: query() });
      if (g !== gen.current) return;
      performance.mark("crmd-board-data");
      measuring.current = true;
      setBoard(boardFromReply(ref.current.pipeline, body, ref.current.size));
    } catch (e) {
      if (g === gen.current) setError(e.message);
    }
  }, [query]);
  useEffect(() => { if (pipeline) load(); }, [pipeline?._id, filters, size, load]);
  // The time from the reply to the cards in the DOM, and to the cards painted (bench/console.mjs).
  useLayoutEffect(() => {
    if (board && measuring.current) performance.measure("crmd-board-commit", "crmd-board-data");
  }, [board]);
  useEffect(() => {
    if (!board || !measuring.current) return;
    measuring.current = false;
    performance.measure("crmd-board-render", "crmd-board-data");
  }, [board]);
  // After a keyboard move, the focus follows the card to its column ({id, stage}), or goes to the
  // board when the card left it ({board: true}). Only the card in that column will do: the effects
  // of a render from before the move may still be waiting for their frame, and the card is then
  // still in its old column.
  useEffect(() => {
    const f = focusAfter.current;
    if (!f) return;
    const el = f.board ? document.querySelector(".board") : document.querySelector(`section[data-stage="${f.stage}"] [data-move="${f.id}"]`);
    if (el) { el.focus(); focusAfter.current = null; }
  });
  useEffect(() => {
    if (!openId) return;
    document.querySelector(`li[data-id="${openId}"] .move-to [data-first]`)?.focus();
  }, [openId]);

  // Totals the page could not keep exact (a contact not loaded changed): fresh ones, at most one
  // request a second whatever the rate of events.
  const refresh = useRef(null);
  const refreshTotals = useCallback(() => {
    if (refresh.current) return;
    refresh.current = setTimeout(async () => {
      refresh.current = null;
      const g = gen.current;
      try {
        const { body } = await api("POST", "/api/contacts", { body: query(null, 1, 1) });
        if (g === gen.current) setBoard((b) => b && withTotals(b, body));
      } catch { /* the next event or a reload will try again */ }
    }, 1000);
  }, [query]);
  useEffect(() => () => clearTimeout(refresh.current), []);

  // Whether a contact belongs on this board: its pipeline and the owner filter; null under a search.
  const fits = useCallback((c) => {
    const f = ref.current.filters;
    if (c.pipelineId !== ref.current.pipeline._id) return false;
    if (f.search) return null;
    return matchesFilters(c, { owner: f.owner }, me);
  }, [me]);

  // Live events: applied to the board as it is when the update runs; one that leaves a total
  // unknown marks it, and the render that follows asks for fresh ones.
  const stale = useRef(false);
  useEffect(() => live.subscribe((name, c) => setBoard((b) => {
    if (!b) return b;
    const r = applyLive(b, name, c, fits(c));
    if (r.exact) return r.board;
    stale.current = true;
    return r.board === b ? { ...b } : r.board;   // a new object, so that the render (and the ask) happen
  })), [live, fits]);
  useEffect(() => {
    if (!stale.current) return;
    stale.current = false;
    refreshTotals();
  }, [board, refreshTotals]);

  const stageName = (id) => ref.current.board?.columns.find((x) => x.id === id)?.name ?? "another stage";
  const setPendingId = (id, on) => setPending((s) => {
    const n = new Set(s);
    if (on) n.add(id); else n.delete(id);
    return n;
  });

  // A card moved: at once on screen, then PATCH with If-Match; a refusal puts it back and says why.
  const move = useCallback(async (id, stageId, byKeyboard) => {
    setOpenId(null);
    const b = ref.current.board;
    const m = b && moveCard(b, id, stageId);
    if (!m) return;
    const name = fullName(m.from), to = stageName(stageId), from = stageName(m.from.pipelineStage);
    setBoard((cur) => moveCard(cur, id, stageId)?.board ?? cur);
    setPendingId(id, true);
    setNotice(null);
    if (byKeyboard) focusAfter.current = { id, stage: stageId };
    const retry = () => move(id, stageId, true);
    try {
      const { body } = await api("PATCH", `/api/contacts/${id}`, {
        body: { pipelineStage: stageId }, headers: { "If-Match": `"${id}.${m.from.__v}"` },
      });
      const c = body.data.contact;
      setBoard((cur) => putCard(cur, c, fits(c) !== false));
      setNotice({ kind: "ok", text: `Moved ${name} to ${to}.`, undo: () => move(id, m.from.pipelineStage, true) });
    } catch (e) {
      // Where the card goes back to: as it was, or (412) as the server has it now, or off the board.
      let placed = m.from, stays = true, text, extra = {};
      if (e.status === 412) {
        // Changed by someone else since the board had it: show it as it is now, and offer the move again.
        let now = null;
        try { now = (await api("GET", `/api/contacts/${id}`)).body.data.contact; } catch { /* shown as it was */ }
        if (now) { placed = now; stays = fits(now) !== false; extra.retry = retry; }
        text = `${name} was not moved to ${to}: someone else changed this contact since the board loaded. ` +
               (now ? `The board now shows it as it is, in ${now.status ?? "its stage"}.` : `It is back in ${from}.`);
      } else if (e.status === 404) {
        stays = false;
        text = `${name} was not moved: it was deleted, or you may no longer see it.`;
      } else if (e.code === "stage_not_found") {
        // The stage was closed since the organization's pipelines were read: read them again.
        extra.reload = true;
        text = `${name} was not moved to ${to}, so it is back in ${from}: ${to} no longer takes contacts (an ADMIN closed it). ` +
               "Reload the board to see the stages as they are.";
      } else {
        extra.retry = retry;
        text = `${name} was not moved to ${to}, so it is back in ${from}: ${e.message}`;
      }
      setBoard((cur) => putCard(cur, placed, stays));
      setNotice({ kind: "error", text, ...extra });
      const shown = stays && placed.pipelineId === ref.current.board?.pipelineId;
      if (byKeyboard) focusAfter.current = shown ? { id, stage: placed.pipelineStage } : { board: true };
    } finally {
      setPendingId(id, false);
    }
  }, [fits]);

  const more = useCallback(async (stageId) => {
    const b = ref.current.board;
    const col = b?.columns.find((x) => x.id === stageId);
    if (!col) return;
    const g = gen.current;
    setLoadingMore(stageId);
    try {
      const { body } = await api("POST", "/api/contacts", { body: query(stageId, nextPage(col, b.size), b.size) });
      const bucket = body.data?.[body.stageNameById?.[stageId]];
      if (g === gen.current && bucket) {
        // The first card that came goes to the focus, so that the keyboard goes on from there.
        const fresh = bucket.contacts.find((c) => !findCard(ref.current.board, c._id));
        setBoard((cur) => mergePage(cur, stageId, bucket));
        if (fresh) focusAfter.current = { id: fresh._id, stage: stageId };
      }
    } catch (e) {
      if (g === gen.current) setNotice({ kind: "error", text: `More contacts of ${col.name} could not be loaded: ${e.message}`, retry: () => more(stageId) });
    }
    setLoadingMore(null);
  }, [query]);

  // Drag and drop (HTML5): the card's id travels in the drag data; a column takes it on drop.
  const actions = useRef(null);
  actions.current ??= {};
  Object.assign(actions.current, {
    move, more,
    toggle: (id, close) => {
      setOpenId((cur) => (close || cur === id ? null : id));
      if (close) setTimeout(() => document.querySelector(`[data-move="${id}"]`)?.focus());
    },
    dragStart: (e, id) => {
      dragging.current = id;
      e.dataTransfer.effectAllowed = "move";
      e.dataTransfer.setData("text/plain", id);
    },
    dragEnd: () => { dragging.current = null; setOver(null); },
    dragOver: (e, stageId) => {
      if (!dragging.current) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      setOver((cur) => (cur === stageId ? cur : stageId));
    },
    dragLeave: (e, stageId) => {
      if (!e.currentTarget.contains(e.relatedTarget)) setOver((cur) => (cur === stageId ? null : cur));
    },
    drop: (e, stageId) => {
      e.preventDefault();
      const id = dragging.current || e.dataTransfer.getData("text/plain");
      dragging.current = null;
      setOver(null);
      if (id) move(id, stageId, false);
    },
  });

  if (!pipeline) return html`<p class="error" role="alert">This organization has no active contact pipeline.</p>`;
  const cards = board ? board.columns.reduce((n, col) => n + col.cards.length, 0) : 0;
  const total = board ? board.columns.reduce((n, col) => n + col.total, 0) : 0;
  const setFilter = (k) => (e) => setFilters((f) => ({ ...f, [k]: e.target.value }));

  // The message of the last move, in live regions present from the start (so that what appears in
  // them is announced). Retry and Undo give the focus to the card; Dismiss to the board.
  const noticeBody = notice && html`<span>${notice.text}</span>
      ${notice.retry && html`<button type="button" onClick=${notice.retry}>Retry</button>`}
      ${notice.undo && html`<button type="button" onClick=${notice.undo}>Undo</button>`}
      ${notice.reload && html`<button type="button" onClick=${async () => { setNotice(null); await onStale(); load(); }}>Reload board</button>`}
      <button type="button" onClick=${() => { setNotice(null); document.querySelector(".board")?.focus(); }}>Dismiss</button>`;

  return html`<section aria-labelledby="board-h" class="board-page">
    <div class="bar">
      <h1 id="board-h">Board</h1>
      <a class="button primary" href="#/contacts/new">New contact</a>
    </div>
    <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); setFilters((f) => ({ ...f, search: draft.trim() })); }}>
      ${org.pipelines.length > 1 && html`<div class="field">
        <label for="b-pipeline">Pipeline</label>
        <select id="b-pipeline" value=${pipeline._id} onChange=${(e) => setPipelineId(e.target.value)}>
          ${org.pipelines.map((p) => html`<option value=${p._id}>${p.name}</option>`)}
        </select>
      </div>`}
      <div class="field grow">
        <label for="b-search">Search</label>
        <input id="b-search" type="search" maxlength="100" placeholder="Name, email or phone in any format"
               value=${draft} onInput=${(e) => setDraft(e.target.value)} />
      </div>
      <button type="submit">Search</button>
      ${!rep && html`<div class="field">
        <label for="b-owner">Owner</label>
        <select id="b-owner" value=${filters.owner} onChange=${setFilter("owner")}>
          <option value="all">Everyone</option>
          <option value="my">Mine</option>
          <option value="unassigned">Unassigned</option>
          ${org.users.map((u) => html`<option value=${u._id}>${u.fullName}</option>`)}
        </select>
      </div>`}
      <div class="field">
        <label for="b-size">Cards per column</label>
        <select id="b-size" value=${String(size)} onChange=${(e) => { setSize(Number(e.target.value)); saveSize(Number(e.target.value)); }}>
          ${SIZES.map((n) => html`<option value=${String(n)}>${n}</option>`)}
        </select>
      </div>
    </form>
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${load}>Try again</button></p>`}
    <div role="status" class="live-slot">${notice?.kind === "ok" && html`<div class="notice notice-box">${noticeBody}</div>`}</div>
    <div role="alert" class="live-slot">${notice?.kind === "error" && html`<div class="error notice-box">${noticeBody}</div>`}</div>
    <p role="status" class="count">${board ? `${total} contact${total === 1 ? "" : "s"} in ${stages.length} stages, ${cards} shown` : error ? "" : "Loading…"}</p>
    ${board && html`<div class="board" role="region" tabindex="0" aria-label="Board columns">
      ${board.columns.map((col) => html`<${Column} key=${col.id} col=${col} country=${org.country} stages=${stages}
          pending=${pending} openId=${openId} over=${over === col.id} busy=${loadingMore === col.id} actions=${actions.current} />`)}
    </div>`}
    <p class="muted hint">Drag a card to another column, or use its Move button.</p>
  </section>`;
}
