// A client of crmd typed by the OpenAPI document alone: `generated/schema.d.ts` is what
// openapi-typescript makes of the server's GET /api/openapi.json, and openapi-fetch sends the
// requests. client.test.mjs type-checks this file (tsc --noEmit, strict) and runs it.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Contact = components["schemas"]["Contact"];

export interface RoundTrip {
  created: Contact;
  listed: string[];
  updated: Contact;
  deletedCount: number;
  afterDelete: { status: number; error: string };
}

function fail(step: string, status: number, body: unknown): never {
  throw new Error(`${step}: HTTP ${status} ${JSON.stringify(body)}`);
}

// Logs in, then creates, lists, updates and deletes one contact; returns what each step saw.
export async function roundTrip(baseUrl: string, email: string, password: string, phone: string): Promise<RoundTrip> {
  const anonymous = createClient<paths>({ baseUrl });
  const login = await anonymous.POST("/api/auth/login", { body: { email, password } });
  if (!login.data) fail("login", login.response.status, login.error);
  const token: string = login.data.token;

  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

  // The request of Tether's documentation, with a fresh number.
  const create = await client.POST("/api/contact", {
    body: {
      firstName: "Jane",
      lastName: "Doe",
      phoneNumber: [{ value: phone, isPrimary: true }],
      email: "jane.doe@example.com",
      status: "New Lead",
    },
  });
  if (!create.data) fail("create", create.response.status, create.error);
  const created: Contact = create.data.data.contact;
  const id = created._id;

  const list = await client.GET("/api/contacts", { params: { query: { search: "Jane", size: 200, ownerFilter: "all" } } });
  if (!list.data) fail("list", list.response.status, list.error);
  const listed = list.data.data.contacts.map((c) => c._id);

  const read = await client.GET("/api/contacts/{id}", { params: { path: { id } } });
  if (!read.data) fail("read", read.response.status, read.error);
  const etag = read.response.headers.get("ETag") ?? "";

  const patch = await client.PATCH("/api/contacts/{id}", {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { lastName: "Doe-Smith", status: "Contacted" },
  });
  if (!patch.data) fail("update", patch.response.status, patch.error);
  const updated: Contact = patch.data.data.contact;

  const del = await client.DELETE("/api/contacts/{id}", { params: { path: { id } } });
  if (!del.data) fail("delete", del.response.status, del.error);
  const deletedCount: number = del.data.deletedCount;

  const gone = await client.GET("/api/contacts/{id}", { params: { path: { id } } });
  if (gone.data || !gone.error) fail("read after delete", gone.response.status, gone.data);
  // The error envelope is typed too: `error` is one of the codes the operation can answer.
  const afterDelete = { status: gone.response.status, error: gone.error.error };

  // @ts-expect-error: the document says what a contact holds, and nothing else.
  void created.favouriteColour;

  return { created, listed, updated, deletedCount, afterDelete };
}
