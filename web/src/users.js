// The ADMIN's users screen (API.md §3): the organization's users, a new user, a role changed, an
// account disabled or enabled. Other roles never see it: the nav has no link and the route says
// so without asking the server.
import { h } from "preact";
import { useState } from "preact/hooks";
import htm from "htm";
import { api, ApiError } from "./api.js";

const html = htm.bind(h);
const ROLES = ["SALES_REP", "DEPARTMENT_HEAD", "ADMIN"];
const USER_FIELDS = ["fullName", "email", "password", "accessRole"];
const EMPTY = { fullName: "", email: "", password: "", accessRole: "SALES_REP" };

export function Users({ org, me, onChanged }) {
  const [form, setForm] = useState(EMPTY);
  const [errors, setErrors] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);
  if (me.accessRole !== "ADMIN") return html`<p class="error" role="alert">Only an ADMIN manages users.</p>`;

  const set = (k) => (e) => setForm((f) => ({ ...f, [k]: e.target.value }));
  // A failed call's message goes to its field when the server names one of the form's.
  const fail = (err) => {
    const key = err instanceof ApiError && USER_FIELDS.includes(err.field) ? err.field : "";
    setErrors({ [key]: err.message });
    if (key) document.getElementById("uf-" + key)?.focus();
  };

  async function create(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setNotice(null);
    try {
      const body = { ...form, fullName: form.fullName.trim(), email: form.email.trim() };
      await api("POST", "/api/users", { body });
      setNotice(`${body.fullName} can now sign in as ${body.email}.`);
      setForm(EMPTY);
      await onChanged();
    } catch (err) {
      fail(err);
    }
    setBusy(false);
  }
  async function update(u, change, done) {
    setErrors({});
    setNotice(null);
    try {
      await api("PUT", "/api/user/profile", { body: { id: u._id, ...change } });
      setNotice(done);
      await onChanged();
    } catch (err) {
      fail(err);
    }
  }
  const field = (k, label, type, max, auto) => html`<div class="field">
    <label for=${"uf-" + k}>${label}</label>
    <input id=${"uf-" + k} type=${type} maxlength=${max} autocomplete=${auto} value=${form[k]} onInput=${set(k)}
           aria-invalid=${errors[k] ? "true" : undefined} aria-describedby=${errors[k] ? `uf-${k}-err` : undefined} />
    ${errors[k] && html`<p class="field-error" id=${`uf-${k}-err`}>${errors[k]}</p>`}
  </div>`;

  return html`<section aria-labelledby="users-h">
    <h1 id="users-h">Users</h1>
    ${notice && html`<p role="status" class="notice">${notice}</p>`}
    ${errors[""] && html`<p class="error" role="alert">${errors[""]}</p>`}
    <div class="table-box auto">
      <table class="contacts users">
        <thead><tr><th scope="col">Name</th><th scope="col" class="wide">Email</th><th scope="col">Role</th>
          <th scope="col">Account</th></tr></thead>
        <tbody>${org.users.map((u) => {
          const self = u._id === me.id;
          return html`<tr key=${u._id} data-id=${u._id}>
            <td>${u.fullName}</td>
            <td class="wide">${u.email}</td>
            <td>${self ? u.accessRole : html`<label class="cell" for=${"role-" + u._id}>Role of ${u.fullName}</label>
              <select id=${"role-" + u._id} value=${u.accessRole}
                      onChange=${(e) => update(u, { accessRole: e.target.value }, `${u.fullName} is now ${e.target.value}.`)}>
                ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
              </select>`}</td>
            <td>${self ? "You" : html`<button type="button" onClick=${() => update(u, { loginDisabled: !u.loginDisabled },
                `${u.fullName} ${u.loginDisabled ? "can sign in again" : "can no longer sign in"}.`)}>
                ${u.loginDisabled ? "Enable" : "Disable"} ${u.fullName}</button>
              ${u.loginDisabled ? html` <span class="tag">disabled</span>` : ""}`}</td>
          </tr>`;
        })}</tbody>
      </table>
    </div>
    <form class="card user-form" onSubmit=${create} novalidate>
      <h2>New user</h2>
      <div class="grid">
        ${field("fullName", "Full name", "text", 200, "off")}
        ${field("email", "Email address", "email", 254, "off")}
        ${field("password", "Password (at least 8 characters)", "password", 1024, "new-password")}
        <div class="field">
          <label for="uf-accessRole">Role</label>
          <select id="uf-accessRole" value=${form.accessRole} onChange=${set("accessRole")}>
            ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}
          </select>
          ${errors.accessRole && html`<p class="field-error" id="uf-accessRole-err">${errors.accessRole}</p>`}
        </div>
      </div>
      <div class="actions"><button type="submit" class="primary" disabled=${busy}>Create user</button></div>
    </form>
  </section>`;
}
