import { describe, expect, it } from "vitest";
import { API_RATE_LIMIT } from "../../src/api/index.js";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi, expectDeclared, MAILING } from "./support.js";

describe("API: authentication, ownership and rate limits", () => {
  it("refuses a request without a valid token with 401 problem+json", async () => {
    const t = await buildApi();
    const revoked = await t.services.tokens.create(t.api.user, { name: "old" });
    await t.services.tokens.revoke(t.api.user, revoked.item.id);
    const blockedUser = await createUser(t.database.db, { blocked_at: new Date().toISOString() });
    const blocked = await t.services.tokens.create(blockedUser, {});
    const headers: Record<string, string>[] = [
      {},
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      { authorization: `Bearer ${t.api.token}x` },
      { authorization: `Bearer ${t.api.token.slice(3)}` },
      { authorization: "Bearer pp_\u00e9\u00e9" },
      { authorization: `Bearer ${revoked.token}` },
      { authorization: `Bearer ${blocked.token}` },
    ];
    for (const h of headers) {
      for (const [method, url] of [
        ["GET", "/api/v1/me"],
        ["POST", "/api/v1/recipients"],
      ] as const) {
        const res = await t.app.inject({
          method,
          url,
          headers: h,
          payload: method === "POST" ? { email: "x@example.com" } : undefined,
        });
        expect(res.statusCode, JSON.stringify(h)).toBe(401);
        expect(res.headers["www-authenticate"]).toContain("Bearer");
        await expectDeclared(t, method, url, res);
      }
    }
    expect(await t.database.db.selectFrom("recipients").selectAll().execute()).toEqual([]);
  });

  it("does not accept a web session cookie, and needs no CSRF token with a bearer token", async () => {
    const t = await buildApi();
    const session = await t.services.accounts.openSession(t.api.user);
    const cookie = `pp_session=${t.app.signCookie(session.token)}`;
    expect((await t.app.inject({ url: "/profile", headers: { cookie } })).statusCode).toBe(200);
    const res = await t.app.inject({ method: "GET", url: "/api/v1/me", headers: { cookie } });
    expect(res.statusCode).toBe(401);
    const posted = await t.api.call("POST", "/recipients", { email: "a@example.com" });
    expect(posted.statusCode).toBe(201);
  });

  it("gives another user's ids a 404 on every route and changes nothing", async () => {
    const t = await buildApi();
    const owner = t.api;
    const message = (
      await owner.call("POST", "/messages", { subject: "Owned subject", body: "Owned body" })
    ).json();
    const recipient = (await owner.call("POST", "/recipients", { email: "owned@example.com" })).json();
    const mailing = (await owner.call("POST", "/mailings", { ...MAILING, message_id: message.id })).json();
    const run = (await owner.call("POST", `/mailings/${mailing.id}/send`)).json();
    const intruder = await apiClient(t);
    const mine = (await intruder.call("POST", "/messages", { subject: "Mine", body: "Mine" })).json();
    const snapshot = async () => ({
      recipients: await t.database.db.selectFrom("recipients").selectAll().orderBy("id").execute(),
      messages: await t.database.db.selectFrom("messages").selectAll().orderBy("id").execute(),
      mailings: await t.database.db.selectFrom("mailings").selectAll().orderBy("id").execute(),
      runs: await t.database.db.selectFrom("runs").selectAll().orderBy("id").execute(),
      deliveries: await t.database.db.selectFrom("deliveries").selectAll().orderBy("id").execute(),
    });
    const before = await snapshot();
    const attempts: [string, string, unknown?][] = [
      ["GET", `/recipients/${recipient.id}`],
      ["PATCH", `/recipients/${recipient.id}`, { email: "stolen@example.com" }],
      ["DELETE", `/recipients/${recipient.id}`],
      ["GET", `/messages/${message.id}`],
      ["PATCH", `/messages/${message.id}`, { subject: "Stolen" }],
      ["DELETE", `/messages/${message.id}`],
      ["GET", `/mailings/${mailing.id}`],
      ["PATCH", `/mailings/${mailing.id}`, { name: "Stolen", message_id: mine.id }],
      ["DELETE", `/mailings/${mailing.id}`],
      ["POST", `/mailings/${mailing.id}/send`],
      ["GET", `/mailings/${mailing.id}/runs`],
      ["GET", `/runs/${run.id}`],
      ["GET", `/runs/${run.id}/deliveries`],
      ["POST", `/runs/${run.id}/retry-failed`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await intruder.call(method as "GET", url, body);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.body).not.toMatch(/owned@example\.com|Owned subject|Owned body|Autumn news/);
    }
    expect((await intruder.call("GET", "/recipients")).json().total).toBe(0);
    expect(
      (await intruder.call("POST", "/mailings", { ...MAILING, message_id: message.id })).statusCode,
    ).toBe(422);
    expect(await snapshot()).toEqual(before);
  });

  it(`answers a token's requests past ${API_RATE_LIMIT} a minute with 429 and Retry-After`, async () => {
    const t = await buildApi();
    const other = await apiClient(t);
    for (let i = 0; i < API_RATE_LIMIT; i++) {
      const res = await t.app.inject({
        url: "/api/v1/me",
        headers: { authorization: `Bearer ${t.api.token}` },
      });
      expect(res.statusCode).toBe(200);
      if (i === 0) {
        expect(res.headers["ratelimit-limit"]).toBe(String(API_RATE_LIMIT));
        expect(res.headers["ratelimit-remaining"]).toBe(String(API_RATE_LIMIT - 1));
        expect(Number(res.headers["ratelimit-reset"])).toBeGreaterThan(0);
      }
    }
    const limited = await t.api.call("GET", "/me");
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.headers["ratelimit-remaining"]).toBe("0");
    expect(limited.json()).toMatchObject({ status: 429, title: "Too Many Requests" });
    // Another token has its own allowance.
    expect((await other.call("GET", "/me")).statusCode).toBe(200);
  });

  it("answers an unknown API path and a malformed body with problem+json", async () => {
    const t = await buildApi();
    const missing = await t.app.inject({
      url: "/api/v1/nothing",
      headers: { authorization: `Bearer ${t.api.token}` },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-type"]).toContain("application/problem+json");
    const broken = await t.app.inject({
      method: "POST",
      url: "/api/v1/recipients",
      headers: { authorization: `Bearer ${t.api.token}`, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ status: 400, title: "Bad Request" });
  });
});
