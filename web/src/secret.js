// A secret the server shows once (an API key, a webhook's signing secret): a read-only input that
// takes the focus, a Copy button, and a note that it will not be shown again. The secret lives in
// the caller's state only, never in the page's storage.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";

const html = htm.bind(h);

export function ShownOnce({ id, label, value, copyLabel, note }) {
  const box = useRef(null);
  const [copied, setCopied] = useState(null);
  useEffect(() => { box.current?.focus(); setCopied(null); }, [value]);
  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      box.current?.select();
      setCopied("The browser did not allow copying: it is selected, copy it with your keyboard.");
    }
  }
  return html`<div class="card key-box">
    <label for=${id}>${label}</label>
    <div class="row">
      <input id=${id} ref=${box} readonly value=${value} spellcheck="false" onFocus=${(e) => e.target.select()} />
      <button type="button" onClick=${copy}>${copyLabel}</button>
    </div>
    <p role="status" class="notice">${copied ?? note}</p>
  </div>`;
}
