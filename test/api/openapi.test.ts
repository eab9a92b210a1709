import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { build } from "../helpers/web.js";

// biome-ignore lint/suspicious/noExplicitAny: walking an arbitrary JSON document
type Json = Record<string, any>;

/** Every METHOD /path under /api/v1, read from Fastify's route tree. */
function apiRoutes(routes: string): string[] {
  const found: string[] = [];
  const stack: string[] = [];
  for (const line of routes.split("\n")) {
    const match = /^(.*?)[├└]── (.+) \(([^)]+)\)$/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 4;
    stack[depth] = (depth > 0 ? stack[depth - 1]! : "") + match[2]!;
    const path = stack[depth]!.replace(/^\/\//, "/");
    if (!path.startsWith("/api/v1/")) continue;
    for (const method of match[3]!.split(", ")) if (method !== "HEAD") found.push(`${method} ${path}`);
  }
  return found.sort();
}

describe("API: OpenAPI document and docs page", () => {
  it("is an OpenAPI 3.1 document with every route, its parameters, and every schema it refers to", async () => {
    const { app, database } = await build();
    await createUser(database.db); // past first-run setup, which sends every page to /setup
    const res = await app.inject({ url: "/api/openapi.json" });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as Json;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: "PostPilot API", version: expect.any(String) });
    expect(doc.servers).toEqual([{ url: "/api/v1" }]);
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    // The per-token rate limit: described, with its headers on a 429 and on a success.
    expect(doc.info.description).toContain("300 requests a minute");
    expect(Object.keys(doc.components.responses.TooManyRequests.headers)).toEqual(
      expect.arrayContaining(["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]),
    );
    expect(Object.keys(doc.paths["/recipients"].get.responses["200"].headers)).toContain(
      "RateLimit-Remaining",
    );

    const documented = Object.entries(doc.paths as Json)
      .flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} /api/v1${path.replace(/\{(\w+)\}/g, ":$1")}`),
      )
      .sort();
    expect(documented).toEqual(apiRoutes(app.printRoutes({ commonPrefix: false })));
    expect(documented.length).toBeGreaterThan(30);

    // Every $ref resolves, and every component schema compiles as JSON Schema 2020-12.
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!.split("/").reduce((node: Json | undefined, key) => node?.[key], doc);
      expect(target, ref).toBeDefined();
    }
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: "openapi.json", components: doc.components });
    for (const name of Object.keys(doc.components.schemas)) {
      expect(() => ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` }), name).not.toThrow();
    }

    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(ops as Json)) {
        const where = `${method} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(ids.has(op.operationId), where).toBe(false);
        ids.add(op.operationId);
        expect(op.summary, where).toBeTruthy();
        const statuses = Object.keys(op.responses);
        expect(
          statuses.filter((s) => s.startsWith("2")),
          where,
        ).toHaveLength(1);
        expect(statuses, where).toEqual(expect.arrayContaining(["401", "429", "500"]));
        if (path.includes("{id}")) {
          expect(op.parameters, where).toContainEqual(
            expect.objectContaining({ name: "id", in: "path", required: true }),
          );
          expect(statuses, where).toContain("404");
        }
        if (op.requestBody) expect(statuses, where).toContain("422");
        const success = op.responses[statuses.find((s) => s.startsWith("2"))!];
        if (success.content?.["application/json"])
          expect(success.content["application/json"].schema.$ref, where).toMatch(/^#\/components\/schemas\//);
        // Streamed exports declare each content type they answer with.
        else if (success.content)
          expect(Object.keys(success.content), where).toEqual(
            expect.arrayContaining(["application/x-ndjson", "text/csv"]),
          );
      }
    }
    expect(doc.components.schemas.RecipientInput.required).toEqual(["email"]);
    expect(doc.components.schemas.RecipientPatch.required).toBeUndefined();
    expect(doc.components.schemas.Recipient.additionalProperties).toBe(false);
    expect(doc.paths["/recipients"].get.parameters.map((p: Json) => p.name)).toEqual(
      expect.arrayContaining(["q", "page", "limit", "sort", "dir", "cursor"]),
    );
  });

  it("serves the docs page with Swagger UI from this server, under the app's CSP", async () => {
    const { app, database } = await build();
    await createUser(database.db); // past first-run setup, which sends every page to /setup
    const page = await app.inject({ url: "/api/docs" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toContain("text/html");
    const csp = String(page.headers["content-security-policy"]);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(page.body).not.toMatch(/<script>/);
    const links = [...page.body.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    for (const url of [...scripts, ...links]) {
      expect(url.startsWith("/"), url).toBe(true);
      expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
    expect((await app.inject({ url: "/assets/app/api-docs.js" })).body).toContain("/api/openapi.json");
    expect((await app.inject({ url: "/api/docs/assets/index.html" })).statusCode).toBe(404);
  });
});
