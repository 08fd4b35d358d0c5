// The public API (API.md) as the console calls it: JSON in and out, the bearer token of the
// session, errors as ApiError carrying the envelope's fields.

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}`);
    this.status = status;
    this.code = body?.error ?? null;
    this.field = body?.field ?? null;
    this.value = body?.value ?? null;
    this.contactId = body?.contactId ?? null;
  }
}

const KEY = "crmd.session";

// The session lives in sessionStorage: it survives a reload of the tab, ends with the tab, and is
// not shared with other tabs (docs/console.md).
export const session = {
  load() {
    try { return JSON.parse(sessionStorage.getItem(KEY)) ?? null; } catch { return null; }
  },
  save(s) { sessionStorage.setItem(KEY, JSON.stringify(s)); },
  clear() { sessionStorage.removeItem(KEY); },
};

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// Resolves with {body, headers}; rejects with ApiError (status 0 when the server is unreachable).
// `form` (a FormData) is sent as multipart/form-data instead of a JSON `body`.
export async function api(method, path, { body, form, token, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const t = token ?? session.load()?.token;
  if (t) h.Authorization = "Bearer " + t;
  let r;
  try {
    r = await fetch(path, { method, headers: h, body: form ?? (body === undefined ? undefined : JSON.stringify(body)) });
  } catch {
    throw new ApiError(0, { message: "The server cannot be reached. Check your connection and try again." });
  }
  let json = null;
  try { json = await r.json(); } catch { /* no body */ }
  if (!r.ok) {
    const e = new ApiError(r.status, json);
    if (r.status === 401 && path !== "/api/auth/login") onUnauthorized();
    throw e;
  }
  return { body: json, headers: r.headers };
}
