import { describe, expect, it } from "vitest";
import { API_RATE_LIMIT } from "../../src/api/index.js";
import type { TestApp } from "../helpers/web.js";
import { buildApi, expectDeclared } from "./support.js";

/** POST /recipients/bulk with optional headers, checked against the OpenAPI document. */
async function bulk(
  t: TestApp & { api: { token: string } },
  payload: unknown,
  headers: Record<string, string> = {},
) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/recipients/bulk",
    headers: { authorization: `Bearer ${t.api.token}`, ...headers },
    payload: payload as Record<string, unknown>,
  });
  await expectDeclared(t, "POST", "/api/v1/recipients/bulk", res);
  return res;
}

describe("API: POST /recipients/bulk", () => {
  it("creates, updates, leaves unchanged and reports invalid rows by index", async () => {
    const t = await buildApi();
    const ann = (
      await t.api.call("POST", "/recipients", { email: "ann@example.com", full_name: "Ann" })
    ).json();
    const bo = (await t.api.call("POST", "/recipients", { email: "bo@example.com", full_name: "Bo" })).json();
    const res = await bulk(t, [
      { email: "cy@example.com", full_name: "Cy" },
      { email: "not an email" },
      { email: " ANN@example.com", full_name: "Ann Smith" },
      { email: "bo@example.com" },
      "just a string",
      { email: "cy@example.com", comment: "again" },
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ created: 1, updated: 2, unchanged: 1, invalid: 2 });
    expect(body.results.map((r: { index: number; status: string }) => [r.index, r.status])).toEqual([
      [0, "created"],
      [1, "invalid"],
      [2, "updated"],
      [3, "unchanged"],
      [4, "invalid"],
      [5, "updated"],
    ]);
    expect(body.results[1].errors).toEqual([
      { field: "email", message: "Enter a valid email address, like name@example.com." },
    ]);
    expect(body.results[2].id).toBe(ann.id);
    expect(body.results[3].id).toBe(bo.id);
    expect(body.results[5].id).toBe(body.results[0].id);
    const rows = await t.database.db
      .selectFrom("recipients")
      .select(["email", "full_name", "comment"])
      .orderBy("email_normalized")
      .execute();
    expect(rows).toEqual([
      { email: "ANN@example.com", full_name: "Ann Smith", comment: "" },
      { email: "bo@example.com", full_name: "Bo", comment: "" },
      { email: "cy@example.com", full_name: "Cy", comment: "again" },
    ]);
  });

  it("applies more than one chunk of rows and refuses an empty, non-array or oversized request", async () => {
    const t = await buildApi();
    const rows = Array.from({ length: 2_500 }, (_, i) => ({ email: `r${i}@example.com` }));
    const res = await bulk(t, rows);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: 2_500, invalid: 0 });
    expect(res.json().results[2_499]).toMatchObject({ index: 2_499, status: "created" });
    const count = await t.database.db
      .selectFrom("recipients")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(2_500);
    expect((await bulk(t, [])).statusCode).toBe(422);
    expect((await bulk(t, { email: "a@example.com" })).statusCode).toBe(422);
    const tooMany = await bulk(
      t,
      Array.from({ length: 10_001 }, () => ({ email: "x@example.com" })),
    );
    expect(tooMany.statusCode).toBe(422);
    expect(tooMany.json().errors[0].message).toContain("at most 10,000");
  });

  it("applies a call once for the same Idempotency-Key and refuses the key with another body", async () => {
    const t = await buildApi();
    const rows = [{ email: "ann@example.com", full_name: "Ann" }];
    const first = await bulk(t, rows, { "idempotency-key": "k-1" });
    expect(first.statusCode).toBe(200);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(first.json()).toMatchObject({ created: 1 });
    // Someone changes the recipient meanwhile: a replay must not apply the row again.
    const id = first.json().results[0].id;
    await t.api.call("PATCH", `/recipients/${id}`, { full_name: "Changed" });
    const again = await bulk(t, rows, { "idempotency-key": "k-1" });
    expect(again.statusCode).toBe(200);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json()).toEqual(first.json());
    expect((await t.api.call("GET", `/recipients/${id}`)).json().full_name).toBe("Changed");

    const other = await bulk(t, [{ email: "bo@example.com" }], { "idempotency-key": "k-1" });
    expect(other.statusCode).toBe(422);
    expect(other.json().errors[0].field).toBe("Idempotency-Key");
    expect((await bulk(t, rows, { "idempotency-key": "bad key" })).statusCode).toBe(422);
    // Without a key, the same call is applied again (here: the row now updates the changed name).
    expect((await bulk(t, rows)).json()).toMatchObject({ updated: 1 });
    const emails = await t.database.db.selectFrom("recipients").select("email").execute();
    expect(emails).toEqual([{ email: "ann@example.com" }]);
  });

  it("applies two concurrent calls with one Idempotency-Key once: the other is a 409 in progress or the replay", async () => {
    const t = await buildApi();
    const rows = Array.from({ length: 200 }, (_, i) => ({ email: `r${i}@example.com` }));
    const [a, b] = await Promise.all([
      bulk(t, rows, { "idempotency-key": "race" }),
      bulk(t, rows, { "idempotency-key": "race" }),
    ]);
    const applied = [a, b].filter((r) => r.statusCode === 200 && !r.headers["idempotent-replayed"]);
    expect(applied).toHaveLength(1);
    expect(applied[0]!.json()).toMatchObject({ created: 200, unchanged: 0 });
    const other = applied[0] === a ? b : a;
    if (other.statusCode === 409) {
      expect(other.json().detail).toContain("in progress");
    } else {
      expect(other.headers["idempotent-replayed"]).toBe("true");
      expect(other.json()).toEqual(applied[0]!.json());
    }
    const count = await t.database.db
      .selectFrom("recipients")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(200);
  });

  it("answers 409 while the key's first call runs, and frees the key of a call that failed", async () => {
    const t = await buildApi();
    const rows = [{ email: "ann@example.com" }];
    expect(await t.services.idempotencyKeys.claim(t.api.user.id, "busy", "some-hash")).toBe("claimed");
    const busy = await bulk(t, rows, { "idempotency-key": "busy" });
    expect(busy.statusCode).toBe(422); // another request's hash: refused as a reused key
    const { requestHash } = await import("../../src/api/idempotency.js");
    await t.services.idempotencyKeys.claim(
      t.api.user.id,
      "busy-same",
      requestHash("POST", "/api/v1/recipients/bulk", rows),
    );
    const inProgress = await bulk(t, rows, { "idempotency-key": "busy-same" });
    expect(inProgress.statusCode).toBe(409);
    expect(inProgress.json().detail).toContain("in progress");

    const failed = await bulk(t, { not: "an array" }, { "idempotency-key": "k-2" });
    expect(failed.statusCode).toBe(422);
    const retried = await bulk(t, rows, { "idempotency-key": "k-2" });
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ created: 1 });
  });

  it("keeps keys per user: another user's same key is applied for that user", async () => {
    const t = await buildApi();
    const { apiClient } = await import("./support.js");
    const other = await apiClient(t);
    await bulk(t, [{ email: "ann@example.com" }], { "idempotency-key": "shared" });
    const res = await t.app.inject({
      method: "POST",
      url: "/api/v1/recipients/bulk",
      headers: { authorization: `Bearer ${other.token}`, "idempotency-key": "shared" },
      payload: [{ email: "ann@example.com" }],
    });
    expect(res.headers["idempotent-replayed"]).toBeUndefined();
    expect(res.json()).toMatchObject({ created: 1 });
    const owners = await t.database.db
      .selectFrom("recipients")
      .select("owner_id")
      .orderBy("owner_id")
      .execute();
    expect(owners.map((o) => o.owner_id)).toEqual([t.api.user.id, other.user.id].sort((a, b) => a - b));
  });
});

describe("API: POST /recipients/bulk with CSV", () => {
  it("reads the CSV import's columns, reports rows by index after the header, and refuses a header without email", async () => {
    const t = await buildApi();
    await t.api.call("POST", "/recipients", { email: "ann@example.com", full_name: "Ann", comment: "kept" });
    const csv = 'Email;Name\nann@example.com;Ann Smith\nnope;X\n"bo@example.com";"Bo; Jr"\n';
    const res = await bulk(t, csv, { "content-type": "text/csv" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ created: 1, updated: 1, invalid: 1 });
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual([
      "updated",
      "invalid",
      "created",
    ]);
    const rows = await t.database.db
      .selectFrom("recipients")
      .select(["email", "full_name", "comment"])
      .orderBy("email")
      .execute();
    expect(rows).toEqual([
      { email: "ann@example.com", full_name: "Ann Smith", comment: "kept" },
      { email: "bo@example.com", full_name: "Bo; Jr", comment: "" },
    ]);
    const noEmail = await bulk(t, "name\nAnn\n", { "content-type": "text/csv" });
    expect(noEmail.statusCode).toBe(422);
    expect(noEmail.json().errors[0].message).toContain("no email column");
  });

  it("counts a bulk call of 10,000 rows (JSON or CSV) as one request for the rate limit, as the document says", async () => {
    const t = await buildApi();
    const remaining = async () => {
      const res = await t.api.call("GET", "/me");
      return Number(res.headers["ratelimit-remaining"]);
    };
    const before = await remaining();
    expect(before).toBe(API_RATE_LIMIT - 1);
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ email: `b${i}@example.com` }));
    const json = await bulk(t, rows);
    expect(json.statusCode).toBe(200);
    expect(json.json().created).toBe(10_000);
    expect(Number(json.headers["ratelimit-remaining"])).toBe(before - 1);
    expect(json.headers["ratelimit-limit"]).toBe(String(API_RATE_LIMIT));
    const csv = await bulk(t, `email\n${rows.map((r) => r.email.replace("b", "c")).join("\n")}\n`, {
      "content-type": "text/csv",
    });
    expect(csv.json().created).toBe(10_000);
    expect(Number(csv.headers["ratelimit-remaining"])).toBe(before - 2);
    expect(await remaining()).toBe(before - 3);

    const doc = (await t.app.inject({ url: "/api/openapi.json" })).json();
    expect(doc.info.description).toContain(`${API_RATE_LIMIT} requests a minute`);
    expect(doc.info.description).toMatch(/POST \/recipients\/bulk with 10,000 rows counts as one/);
    const op = doc.paths["/recipients/bulk"].post;
    expect(op.description).toContain("counts as one request against the token's rate limit");
    expect(Object.keys(op.responses["200"].headers)).toEqual(
      expect.arrayContaining(["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"]),
    );
    expect(op.responses["429"]).toEqual({ $ref: "#/components/responses/TooManyRequests" });
    expect(Object.keys(doc.components.responses.TooManyRequests.headers)).toContain("Retry-After");
  });
});
