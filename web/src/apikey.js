// The ADMIN's API key screen (API.md §2): one key per user, of which the server keeps only a hash,
// so a key is shown once, when it is made; making a new one ends the old one at once. The key
// lives in this screen's state only: leaving the screen forgets it.
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { api } from "./api.js";
import { ShownOnce } from "./secret.js";

const html = htm.bind(h);

export function ApiKey({ me }) {
  const [step, setStep] = useState("idle");   // idle | confirm | busy
  const [key, setKey] = useState(null);
  const [error, setError] = useState(null);
  const askButton = useRef(null);
  const cancelButton = useRef(null);
  // The question takes the focus on its safe answer (autofocus acts only when a page loads).
  useEffect(() => { if (step === "confirm") cancelButton.current?.focus(); }, [step]);
  if (me.accessRole !== "ADMIN") return html`<p class="error" role="alert">Only an ADMIN manages API keys here.</p>`;

  async function generate() {
    setStep("busy");
    setError(null);
    try {
      const { body } = await api("POST", "/api/user/api-key/regenerate");
      setKey(body.data.apiKey);
    } catch (e) {
      setError(e.message);
    }
    setStep("idle");
  }
  return html`<section aria-labelledby="apikey-h" class="apikey">
    <h1 id="apikey-h">API key</h1>
    <p>An API key lets a program act as you (${me.fullName}, ${me.accessRole}) through the API: it sends
      <code>Authorization: Bearer</code> and the key. crmd keeps only a hash of your key, so a key is shown once, when it is made,
      and cannot be shown again. A new key ends the old one at once.</p>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${key && html`<${ShownOnce} id="apikey-value" label="Your new API key" value=${key} copyLabel="Copy key"
      note="Store it now, somewhere safe: it will not be shown again." />`}
    ${step === "confirm" ? html`<div class="card confirm" role="alertdialog" aria-labelledby="apikey-q">
        <p id="apikey-q">Make a new API key? Any program that uses your current key stops working at once.</p>
        <button type="button" class="danger" onClick=${generate}>Yes, make a new key</button>
        <button type="button" ref=${cancelButton} onClick=${() => { setStep("idle"); setTimeout(() => askButton.current?.focus()); }}>Cancel</button>
      </div>`
      : html`<button type="button" class="primary" ref=${askButton} disabled=${step === "busy"}
                     onClick=${() => setStep("confirm")}>Generate a new API key</button>`}
  </section>`;
}
