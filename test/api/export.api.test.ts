import { describe, expect, it } from "vitest";
import { buildApi } from "./support.js";

describe("API: GET /recipients/export", () => {
  it("streams JSON lines by default and CSV for Accept text/csv or format=csv, formula-safe, only the token's own", async () => {
    const t = await buildApi();
    await t.api.call("POST", "/recipients", { email: "ann@example.com", full_name: "=HYPERLINK(1)" });
    await t.api.call("POST", "/recipients", { email: "bo@example.com", full_name: "Bo" });
    const { apiClient } = await import("./support.js");
    const other = await apiClient(t);
    await other.call("POST", "/recipients", { email: "theirs@example.com" });
    const get = (url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${t.api.token}`, ...headers } });

    const lines = await get("/recipients/export");
    expect(lines.statusCode).toBe(200);
    expect(lines.headers["content-type"]).toContain("application/x-ndjson");
    expect(lines.headers["ratelimit-limit"]).toBeDefined();
    const rows = lines.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.email)).toEqual(["ann@example.com", "bo@example.com"]);
    expect(rows[0]).toMatchObject({ full_name: "=HYPERLINK(1)", fields: {} });

    const csv = await get("/recipients/export", { accept: "text/csv" });
    expect(csv.headers["content-type"]).toContain("text/csv");
    expect(csv.body.split("\r\n")).toEqual([
      "email,full_name,comment",
      "ann@example.com,'=HYPERLINK(1),",
      "bo@example.com,Bo,",
      "",
    ]);
    expect((await get("/recipients/export?format=csv")).body).toBe(csv.body);
    const some = await get("/recipients/export?format=ndjson&q=bo", { accept: "text/csv" });
    expect(some.body.trim().split("\n")).toHaveLength(1);
    expect((await get("/recipients/export?format=xml")).statusCode).toBe(422);
  });

  it("streams more recipients than one page (1,000) in id order", async () => {
    const t = await buildApi();
    const rows = Array.from({ length: 2_345 }, (_, i) => ({ email: `r${i}@example.com` }));
    await t.app.inject({
      method: "POST",
      url: "/api/v1/recipients/bulk",
      headers: { authorization: `Bearer ${t.api.token}` },
      payload: rows,
    });
    const res = await t.app.inject({
      url: "/api/v1/recipients/export",
      headers: { authorization: `Bearer ${t.api.token}` },
    });
    const emails = res.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).email);
    expect(emails).toHaveLength(2_345);
    expect(new Set(emails).size).toBe(2_345);
    expect(emails[0]).toBe("r0@example.com");
    expect(emails.at(-1)).toBe("r2344@example.com");
  });

  it("streams a run's deliveries as JSON lines or CSV; another user's run is a 404, a manager reads it", async () => {
    const t = await buildApi();
    const a = (await t.api.call("POST", "/recipients", { email: "ann@example.com" })).json();
    const b = (await t.api.call("POST", "/recipients", { email: "=bo@example.com" })).json();
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const { MAILING, apiClient } = await import("./support.js");
    const { createUser } = await import("../helpers/fixtures.js");
    const mailing = (
      await t.api.call("POST", "/mailings", {
        ...MAILING,
        message_id: message.id,
        recipient_ids: [a.id, b.id],
      })
    ).json();
    const run = (await t.api.call("POST", `/mailings/${mailing.id}/send`)).json();
    const get = (token: string, url: string, headers: Record<string, string> = {}) =>
      t.app.inject({ url: `/api/v1${url}`, headers: { authorization: `Bearer ${token}`, ...headers } });
    const lines = await get(t.api.token, `/runs/${run.id}/deliveries/export`);
    expect(lines.statusCode).toBe(200);
    const rows = lines.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => [r.email, r.status])).toEqual([
      ["ann@example.com", "pending"],
      ["=bo@example.com", "pending"],
    ]);
    const csv = await get(t.api.token, `/runs/${run.id}/deliveries/export?format=csv`);
    expect(csv.headers["content-type"]).toContain("text/csv");
    const csvLines = csv.body.split("\r\n");
    expect(csvLines[0]).toBe(
      "id,recipient_id,email,status,tries,last_code,last_enhanced,last_text,sent_at,bounce_type,bounced_at",
    );
    expect(csvLines[2]).toContain(",'=bo@example.com,pending,0,");

    const stranger = await apiClient(t);
    expect((await get(stranger.token, `/runs/${run.id}/deliveries/export`)).statusCode).toBe(404);
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    expect((await get(manager.token, `/runs/${run.id}/deliveries/export`)).body).toBe(lines.body);
  });
});
