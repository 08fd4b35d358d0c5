// The ADMIN's pipelines screen (API.md §4): the organization's contact pipelines; a new one with its
// stages (and the default flag, which the API sets only when a pipeline is created); a pipeline
// renamed, its stages renamed, recoloured, added, reordered, deactivated or reactivated — one
// upsert (POST /api/pipelines) per save. Errors land at the field the server names.
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError } from "./api.js";
import { activeStages } from "./board-state.js";

const html = htm.bind(h);
const GREY = "#6b7280";   // the server's colour for a stage given none
let uid = 0;
const row = (s = {}) => ({ key: ++uid, _id: s._id ?? null, name: s.name ?? "", color: s.color ?? GREY });

// Where a server error goes: "pipelineStages[2].name" → "stage.2.name"; "name" → "name".
export function pipelineErrorKey(field) {
  if (typeof field !== "string") return "";
  const m = /^pipelineStages\[(\d+)\](?:\.(name|color|position))?/.exec(field);
  if (m) return `stage.${m[1]}.${m[2] === "color" ? "color" : "name"}`;
  if (field === "pipelineStages") return "stages";
  return field === "name" || field === "description" ? field : "";
}

// The body of an upsert or a create from the editor's rows: positions are the rows' order.
export function stagesBody(rows) {
  return rows.map((r, i) => ({ ...(r._id ? { _id: r._id } : {}), name: r.name.trim(), color: r.color, position: i }));
}

function StageRows({ prefix, rows, setRows, errors, inactive, setInactive }) {
  const focus = useRef(null);   // [kind, key]: the control that takes the focus after the next render
  useEffect(() => {
    if (!focus.current) return;
    const [kind, key] = focus.current;
    focus.current = null;
    document.getElementById(`${prefix}-${kind}-${key}`)?.focus();
  });
  const swap = (i, j, kind) => {
    const next = rows.slice();
    [next[i], next[j]] = [next[j], next[i]];
    focus.current = [j === 0 ? "down" : j === rows.length - 1 ? "up" : kind, rows[i].key];
    setRows(next);
  };
  const drop = (i) => {
    const r = rows[i];
    if (r._id) setInactive([...inactive, r]);
    const next = rows.filter((_, j) => j !== i);
    focus.current = next.length ? ["name", next[Math.min(i, next.length - 1)].key] : ["add", "stage"];
    setRows(next);
  };
  const add = () => {
    const r = row();
    focus.current = ["name", r.key];
    setRows([...rows, r]);
  };
  const set = (i, k) => (e) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: e.target.value } : r)));
  return html`<fieldset class="stages">
    <legend>Stages, in board order</legend>
    ${errors.stages && html`<p class="field-error" id=${prefix + "-stages-err"}>${errors.stages}</p>`}
    <ol class="stage-rows">
      ${rows.map((r, i) => {
        const label = r.name.trim() || `stage ${i + 1}`;
        const nameErr = errors[`row.${r.key}.name`], colorErr = errors[`row.${r.key}.color`];
        return html`<li key=${r.key}>
          <div class="field grow">
            <label for=${`${prefix}-name-${r.key}`}>Stage ${i + 1} name</label>
            <input id=${`${prefix}-name-${r.key}`} maxlength="100" value=${r.name} onInput=${set(i, "name")}
                   aria-invalid=${nameErr ? "true" : undefined} aria-describedby=${nameErr ? `${prefix}-name-${r.key}-err` : undefined} />
            ${nameErr && html`<p class="field-error" id=${`${prefix}-name-${r.key}-err`}>${nameErr}</p>`}
          </div>
          <div class="field">
            <label for=${`${prefix}-color-${r.key}`}>Stage ${i + 1} colour</label>
            <input id=${`${prefix}-color-${r.key}`} type="color" value=${/^#[0-9a-f]{6}$/i.test(r.color) ? r.color : GREY}
                   onInput=${set(i, "color")} aria-invalid=${colorErr ? "true" : undefined} />
            ${colorErr && html`<p class="field-error">${colorErr}</p>`}
          </div>
          <div class="row-actions">
            <button type="button" id=${`${prefix}-up-${r.key}`} disabled=${i === 0} onClick=${() => swap(i, i - 1, "up")}>Move ${label} up</button>
            <button type="button" id=${`${prefix}-down-${r.key}`} disabled=${i === rows.length - 1} onClick=${() => swap(i, i + 1, "down")}>Move ${label} down</button>
            <button type="button" class="danger" onClick=${() => drop(i)}>${r._id ? "Deactivate" : "Remove"} ${label}</button>
          </div>
        </li>`;
      })}
    </ol>
    <button type="button" id=${`${prefix}-add-stage`} onClick=${add}>Add stage</button>
    ${inactive.length > 0 && html`<div class="inactive">
      <p class="muted">Inactive stages keep their contacts but take no new ones, and the board does not show them.</p>
      <ul class="plain">${inactive.map((r) => html`<li key=${r.key}>${r.name}
        <button type="button" onClick=${() => { setInactive(inactive.filter((x) => x !== r)); focus.current = ["name", r.key]; setRows([...rows, r]); }}>
          Reactivate ${r.name}</button></li>`)}</ul>
    </div>`}
  </fieldset>`;
}

// The form's errors: {"": top, name, description, stages, "row.<key>.name"|"row.<key>.color"}. A
// stage's error is kept by its row, not its index, so it stays with the stage when rows move.
function useErrors() {
  const [errors, setErrors] = useState({});
  const fail = (err, rows) => {
    let key = err instanceof ApiError ? pipelineErrorKey(err.field) : "";
    const m = /^stage\.(\d+)\.(name|color)$/.exec(key);
    if (m) key = rows[Number(m[1])] ? `row.${rows[Number(m[1])].key}.${m[2]}` : "stages";
    setErrors({ [key]: err.message });
    return key;
  };
  return [errors, setErrors, fail];
}

// Focuses the input of an error key once the form shows it.
function focusError(prefix, key) {
  const m = /^row\.(\d+)\.(name|color)$/.exec(key);
  const id = m ? `${prefix}-${m[2]}-${m[1]}` : key === "stages" ? `${prefix}-add-stage` : key && `${prefix}-${key}`;
  if (id) setTimeout(() => document.getElementById(id)?.focus());
}

function EditPipeline({ pipeline, onSaved, onCancel }) {
  const [name, setName] = useState(pipeline.name);
  const [description, setDescription] = useState(pipeline.description ?? "");
  const [rows, setRows] = useState(() => activeStages(pipeline).map(row));
  const [inactive, setInactive] = useState(() => pipeline.pipelineStages.filter((s) => !s.isActive).map(row));
  const [errors, setErrors, fail] = useErrors();
  const [busy, setBusy] = useState(false);
  async function save(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const { body } = await api("POST", "/api/pipelines?type=Contact", { body: {
        pipelineId: pipeline._id, name: name.trim(), description: description.trim() || null, pipelineStages: stagesBody(rows),
      } });
      const moved = Object.entries(body.contactsMigrated ?? {}).map(([k, n]) => `${k.replace(" -> ", " → ")}: ${n}`);
      await onSaved(`${body.pipeline.name} saved.` + (moved.length ? ` Contacts renamed with their stage: ${moved.join(", ")}.` : ""));
    } catch (err) {
      focusError("pe", fail(err, rows));
      setBusy(false);
    }
  }
  return html`<form class="card pipeline-form" onSubmit=${save} novalidate aria-labelledby="pe-h">
    <h2 id="pe-h">Edit ${pipeline.name}</h2>
    ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
    <${PipelineFields} prefix="pe" name=${name} setName=${setName} description=${description} setDescription=${setDescription} errors=${errors} />
    <${StageRows} prefix="pe" rows=${rows} setRows=${setRows} errors=${errors} inactive=${inactive} setInactive=${setInactive} />
    <div class="actions">
      <button type="submit" class="primary" disabled=${busy}>Save pipeline</button>
      <button type="button" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

function PipelineFields({ prefix, name, setName, description, setDescription, errors }) {
  return html`<div class="grid">
    <div class="field">
      <label for=${prefix + "-name"}>Pipeline name</label>
      <input id=${prefix + "-name"} maxlength="100" value=${name} onInput=${(e) => setName(e.target.value)}
             aria-invalid=${errors.name ? "true" : undefined} aria-describedby=${errors.name ? prefix + "-name-err" : undefined} />
      ${errors.name && html`<p class="field-error" id=${prefix + "-name-err"}>${errors.name}</p>`}
    </div>
    <div class="field">
      <label for=${prefix + "-description"}>Description</label>
      <input id=${prefix + "-description"} maxlength="500" value=${description} onInput=${(e) => setDescription(e.target.value)}
             aria-invalid=${errors.description ? "true" : undefined} />
      ${errors.description && html`<p class="field-error">${errors.description}</p>`}
    </div>
  </div>`;
}

function NewPipeline({ onSaved }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [isDefault, setDefault] = useState(false);
  const [rows, setRows] = useState(() => [row()]);
  const [inactive, setInactive] = useState([]);
  const [errors, setErrors, fail] = useErrors();
  const [busy, setBusy] = useState(false);
  async function create(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const { body } = await api("POST", "/api/pipelines/create", { body: {
        name: name.trim(), type: "Contact", description: description.trim() || null, isDefault, pipelineStages: stagesBody(rows),
      } });
      const p = body.data.pipeline;
      setName(""); setDescription(""); setDefault(false); setRows([row()]);
      await onSaved(`${p.name} created${p.isDefault ? ", and it is now the default pipeline" : ""}.`);
    } catch (err) {
      focusError("pn", fail(err, rows));
    }
    setBusy(false);
  }
  return html`<form class="card pipeline-form" onSubmit=${create} novalidate aria-labelledby="pn-h">
    <h2 id="pn-h">New pipeline</h2>
    ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
    <${PipelineFields} prefix="pn" name=${name} setName=${setName} description=${description} setDescription=${setDescription} errors=${errors} />
    <div class="check">
      <input id="pn-default" type="checkbox" checked=${isDefault} onChange=${(e) => setDefault(e.target.checked)} />
      <label for="pn-default">Make it the default pipeline (new contacts go to it when none is named)</label>
    </div>
    <${StageRows} prefix="pn" rows=${rows} setRows=${setRows} errors=${errors} inactive=${inactive} setInactive=${setInactive} />
    <div class="actions"><button type="submit" class="primary" disabled=${busy}>Create pipeline</button></div>
  </form>`;
}

// A form that opens under its toggle button: the focus goes to the form's first field when it
// opens, and back to the toggle when it closes. Returns the refs for the two.
function useDisclosureFocus(open) {
  const first = useRef(null);
  const toggle = useRef(null);
  const was = useRef(false);
  useEffect(() => {
    if (open) first.current?.focus();
    else if (was.current) toggle.current?.focus();
    was.current = open;
  }, [open]);
  return [first, toggle];
}

// Closing a stage (POST /api/pipelines/stages/reassign): every contact on it goes to another
// active stage of the pipeline, then the stage is deactivated — unlike Deactivate in the editor,
// which leaves the contacts on a stage the board no longer shows.
function CloseStage({ pipeline, onDone }) {
  const stages = activeStages(pipeline);
  const [open, setOpen] = useState(false);
  const [source, setSource] = useState(stages[stages.length - 1]?._id ?? "");
  const [target, setTarget] = useState("");
  const [error, setError] = useState(null);   // {key: "source"|"target"|"", message}
  const [busy, setBusy] = useState(false);
  const [first, toggle] = useDisclosureFocus(open);
  if (stages.length < 2) return null;
  const id = "cs-" + pipeline._id;
  // The stages change under the form (a stage closed, the list read again): a choice that is gone
  // falls back to the last stage, and to the first other one.
  const sourceId = stages.some((st) => st._id === source) ? source : stages[stages.length - 1]._id;
  const targets = stages.filter((st) => st._id !== sourceId);
  const targetId = targets.some((st) => st._id === target) ? target : targets[0]._id;
  const name = (sid) => stages.find((st) => st._id === sid)?.name ?? "";

  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { body } = await api("POST", "/api/pipelines/stages/reassign", { body: { sourceStageId: sourceId, targetStageId: targetId } });
      const n = body.recordsTransferred, from = body.sourceStage.name;
      setBusy(false);
      setOpen(false);
      await onDone(`${n} contact${n === 1 ? "" : "s"} moved from ${from} to ${body.targetStage.name}; ${from} is closed.`);
    } catch (err) {
      const key = err.field === "sourceStageId" ? "source" : err.field === "targetStageId" ? "target" : "";
      setError({ key, message: err.message });
      if (key) document.getElementById(`${id}-${key}`)?.focus();
      setBusy(false);
    }
  }
  if (!open) return html`<button type="button" ref=${toggle} onClick=${() => setOpen(true)}>Close a stage of ${pipeline.name}…</button>`;
  const errorAt = (key) => error?.key === key && html`<p class="field-error" id=${`${id}-${key}-err`}>${error.message}</p>`;
  return html`<form class="close-stage" onSubmit=${submit} novalidate aria-label=${"Close a stage of " + pipeline.name}>
    <p class="muted">Closing a stage moves every contact on it to another stage of ${pipeline.name}, then deactivates it.</p>
    ${error?.key === "" && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="grid">
      <div class="field">
        <label for=${id + "-source"}>Stage to close</label>
        <select id=${id + "-source"} ref=${first} value=${sourceId} onChange=${(e) => setSource(e.target.value)}
                aria-invalid=${error?.key === "source" ? "true" : undefined}>
          ${stages.map((st) => html`<option value=${st._id}>${st.name}</option>`)}
        </select>
        ${errorAt("source")}
      </div>
      <div class="field">
        <label for=${id + "-target"}>Move its contacts to</label>
        <select id=${id + "-target"} value=${targetId} onChange=${(e) => setTarget(e.target.value)}
                aria-invalid=${error?.key === "target" ? "true" : undefined}>
          ${targets.map((st) => html`<option value=${st._id}>${st.name}</option>`)}
        </select>
        ${errorAt("target")}
      </div>
    </div>
    <div class="actions">
      <button type="submit" class="danger" disabled=${busy}>Move the contacts of ${name(sourceId)} to ${name(targetId)} and close ${name(sourceId)}</button>
      <button type="button" onClick=${() => { setError(null); setOpen(false); }}>Cancel</button>
    </div>
  </form>`;
}

// Deleting a pipeline other than the default (DELETE /api/pipelines/{id}): its contacts move to
// the first active stage of the pipeline chosen here, which the API requires when there are any.
function DeletePipeline({ pipeline, others, onDone }) {
  const [open, setOpen] = useState(false);
  const [target, setTarget] = useState("");
  const [error, setError] = useState(null);   // {key: "target"|"", message}
  const [busy, setBusy] = useState(false);
  const [first, toggle] = useDisclosureFocus(open);
  if (pipeline.isDefault || others.length === 0) return null;
  const id = "dp-" + pipeline._id;
  const targetId = others.some((p) => p._id === target) ? target : (others.find((p) => p.isDefault) ?? others[0])._id;

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      const { body } = await api("DELETE", `/api/pipelines/${pipeline._id}`, { body: { targetPipelineId: targetId } });
      const n = body.recordsTransferred;
      await onDone(`${pipeline.name} deleted.` + (body.movedToPipeline
        ? ` ${n} contact${n === 1 ? "" : "s"} moved to ${body.movedToPipeline.name}, ${body.movedToStage.name}.` : ""));
    } catch (err) {
      const key = err.field === "targetPipelineId" ? "target" : "";
      setError({ key, message: err.message });
      if (key) first.current?.focus();
      setBusy(false);
    }
  }
  if (!open) return html`<button type="button" class="danger" ref=${toggle} onClick=${() => setOpen(true)}>Delete ${pipeline.name}…</button>`;
  return html`<div class="card confirm delete-pipeline" role="group" aria-label=${"Delete " + pipeline.name}>
    <p>Delete ${pipeline.name}? Its contacts move to the first stage of the pipeline chosen here. This cannot be undone.</p>
    ${error?.key === "" && html`<p class="error" role="alert">${error.message}</p>`}
    <div class="field">
      <label for=${id + "-target"}>Move its contacts to</label>
      <select id=${id + "-target"} ref=${first} value=${targetId} onChange=${(e) => setTarget(e.target.value)}
              aria-invalid=${error?.key === "target" ? "true" : undefined} aria-describedby=${error?.key === "target" ? id + "-err" : undefined}>
        ${others.map((p) => html`<option value=${p._id}>${p.name}</option>`)}
      </select>
      ${error?.key === "target" && html`<p class="field-error" id=${id + "-err"}>${error.message}</p>`}
    </div>
    <div class="actions">
      <button type="button" class="danger" disabled=${busy} onClick=${remove}>Yes, delete ${pipeline.name}</button>
      <button type="button" onClick=${() => { setError(null); setOpen(false); }}>Cancel</button>
    </div>
  </div>`;
}

export function Pipelines({ me, onChanged }) {
  const [list, setList] = useState(null);
  const [error, setError] = useState(null);
  const [notice, setNotice] = useState(null);
  const [editing, setEditing] = useState(null);
  const admin = me.accessRole === "ADMIN";
  // After an edit ends, its Edit button has the focus again (once the list shows it).
  const focusEdit = useRef(null);
  useEffect(() => {
    const el = focusEdit.current && document.getElementById("edit-" + focusEdit.current);
    if (el) { el.focus(); focusEdit.current = null; }
  });
  const load = useCallback(async () => {
    try {
      const { body } = await api("GET", "/api/pipelines/list?type=Contact");
      setList(body.data.pipelines.filter((p) => p.isActive));
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }, []);
  useEffect(() => { if (admin) load(); }, [admin, load]);
  if (!admin) return html`<p class="error" role="alert">Only an ADMIN manages pipelines.</p>`;

  // After a save: the list again, and the organization's copy every other screen reads.
  const saved = async (text) => {
    focusEdit.current = editing;
    setEditing(null);
    setNotice(text);
    await Promise.all([load(), onChanged()]);
  };
  return html`<section aria-labelledby="pipelines-h">
    <h1 id="pipelines-h" tabindex="-1">Pipelines</h1>
    <div role="status" class="live-slot">${notice && html`<p class="notice">${notice}</p>`}</div>
    ${error && html`<p class="error" role="alert">${error} <button type="button" onClick=${load}>Try again</button></p>`}
    ${!list && !error && html`<p role="status">Loading…</p>`}
    ${list && html`<ul class="plain pipelines">${list.map((p) => html`<li key=${p._id} class="card" data-id=${p._id}>
      ${editing === p._id ? html`<${EditPipeline} pipeline=${p} onSaved=${saved} onCancel=${() => { focusEdit.current = p._id; setEditing(null); }} />`
        : html`<div class="bar">
          <h2>${p.name}${p.isDefault ? html` <span class="tag">default</span>` : ""}</h2>
          <button type="button" id=${"edit-" + p._id} onClick=${() => { setNotice(null); setEditing(p._id); }}>Edit ${p.name}</button>
        </div>
        ${p.description && html`<p class="muted">${p.description}</p>`}
        <ol class="stage-list">${activeStages(p).map((s) => html`<li key=${s._id}><span class="swatch" style=${{ background: s.color }}></span>${s.name}</li>`)}</ol>
        <div class="actions"><${CloseStage} pipeline=${p} onDone=${async (text) => {
          await Promise.all([load(), onChanged()]);
          setNotice(text);   // once the list shows what it says
        }} />
        <${DeletePipeline} pipeline=${p} others=${list.filter((x) => x._id !== p._id)} onDone=${async (text) => {
          await Promise.all([load(), onChanged()]);
          setNotice(text);
          document.getElementById("pipelines-h")?.focus();
        }} /></div>`}
    </li>`)}</ul>`}
    <p class="muted">The default pipeline is chosen when a pipeline is created: the API has no call that moves the flag later.</p>
    <${NewPipeline} onSaved=${async (text) => { setNotice(text); await Promise.all([load(), onChanged()]); }} />
  </section>`;
}
