/**
 * API tests: a user with a token, a `call` that sends JSON with the token, and a check of every response
 * against the schema the OpenAPI document declares for it (Ajv, JSON Schema 2020-12, as OpenAPI 3.1 uses).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import type { User } from "../../src/db/schema.js";
import { createUser } from "../helpers/fixtures.js";
import { build, type TestApp } from "../helpers/web.js";

type Json = Record<string, unknown>;
type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface ApiClient {
  user: User;
  token: string;
  call(method: Method, url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

let document: Json | null = null;
let ajv: Ajv2020 | null = null;

async function openApi(t: TestApp): Promise<{ document: Json; ajv: Ajv2020 }> {
  if (!document || !ajv) {
    document = (await t.app.inject({ url: "/api/openapi.json" })).json() as Json;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: "openapi.json", components: document.components });
  }
  return { document, ajv };
}

/** The schema the document declares for a response, or throws if it declares none. */
function declared(document: Json, method: string, url: string, status: number) {
  const path = url.split("?")[0]!.replace(/^\/api\/v1/, "");
  const paths = document.paths as Record<string, Record<string, Json>>;
  const template = Object.keys(paths).find((p) =>
    new RegExp(`^${p.replace(/\{\w+\}/g, "[^/]+")}$`).test(path),
  );
  const op = template ? paths[template]![method.toLowerCase()] : undefined;
  if (!op) throw new Error(`the document has no ${method} ${path}`);
  let response = (op.responses as Record<string, Json>)[String(status)];
  if (!response) throw new Error(`the document declares no ${status} for ${method} ${template}`);
  if (typeof response.$ref === "string") {
    const name = response.$ref.split("/").pop()!;
    response = ((document.components as Json).responses as Record<string, Json>)[name]!;
  }
  const content = response.content as Record<string, { schema: { $ref: string } }> | undefined;
  if (!content) return null;
  const [type, { schema }] = Object.entries(content)[0]!;
  return { type, ref: `openapi.json${schema.$ref}` };
}

/** Checks a response's status, content type and body against the OpenAPI document. */
export async function expectDeclared(
  t: TestApp,
  method: string,
  url: string,
  res: LightMyRequestResponse,
): Promise<void> {
  const { document, ajv } = await openApi(t);
  const expected = declared(document, method, url, res.statusCode);
  if (!expected) {
    expect(res.body, `${method} ${url}`).toBe("");
    return;
  }
  expect(String(res.headers["content-type"]), `${method} ${url}`).toContain(expected.type);
  const validate = ajv.getSchema(expected.ref) ?? ajv.compile({ $ref: expected.ref });
  const ok = validate(res.json());
  expect(
    ok ? null : validate.errors,
    `${method} ${url} ${res.statusCode}: ${res.body.slice(0, 300)}`,
  ).toBeNull();
}

export async function apiClient(t: TestApp, user?: User): Promise<ApiClient> {
  const owner = user ?? (await createUser(t.database.db));
  const { token } = await t.services.tokens.create(owner, { name: "tests" });
  return {
    user: owner,
    token,
    async call(method, url, body) {
      const res = await t.app.inject({
        method,
        url: `/api/v1${url}`,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as Json }),
      });
      await expectDeclared(t, method, `/api/v1${url}`, res);
      return res;
    },
  };
}

export async function buildApi(): Promise<TestApp & { api: ApiClient }> {
  const t = await build();
  return { ...t, api: await apiClient(t) };
}

export const MAILING = {
  name: "Autumn news",
  first_send_at: "2099-01-01T09:00",
  end_at: "2099-02-01T09:00",
  periodicity: "once",
  time_zone: "Europe/Berlin",
};
