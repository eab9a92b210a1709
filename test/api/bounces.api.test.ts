import { describe, expect, it } from "vitest";
import { BOUNCE_WEBHOOK_RATE_LIMIT } from "../../src/api/bounces.api.js";
import { sendRun } from "../bounces/support.js";
import { createUser, seedMailing } from "../helpers/fixtures.js";
import { build, type TestApp } from "../helpers/web.js";
import { apiClient, expectDeclared } from "./support.js";

const TOKEN = "bounce-webhook-token-0123456789abcdef";
const URL = "/api/v1/webhooks/bounces";

async function post(t: TestApp, body: unknown, authorization?: string) {
  const res = await t.app.inject({
    method: "POST",
    url: URL,
    headers: authorization ? { authorization } : {},
    payload: body as Record<string, unknown>,
  });
  await expectDeclared(t, "POST", URL, res);
  return res;
}

describe("API: POST /webhooks/bounces", () => {
  it("is 404 while BOUNCE_WEBHOOK_TOKEN is unset, and 401 without the right token", async () => {
    const off = await build();
    await createUser(off.database.db); // past first-run setup
    expect((await post(off, { email: "a@example.com", type: "hard" }, `Bearer ${TOKEN}`)).statusCode).toBe(
      404,
    );
    const t = await build({ bounces: { hardLimit: 1, softLimit: 3, webhookToken: TOKEN } });
    await createUser(t.database.db);
    expect((await post(t, { email: "a@example.com", type: "hard" })).statusCode).toBe(401);
    expect((await post(t, { email: "a@example.com", type: "hard" }, `Bearer ${TOKEN}x`)).statusCode).toBe(
      401,
    );
    expect((await post(t, { email: "a@example.com", type: "hard" }, "Bearer short")).statusCode).toBe(401);
    // A user's API token is not the webhook's.
    const { token } = await t.services.tokens.create(await createUser(t.database.db), { name: "x" });
    expect((await post(t, { email: "a@example.com", type: "hard" }, `Bearer ${token}`)).statusCode).toBe(401);
  });

  it("records a complaint by delivery id and suppresses at once; validates the body", async () => {
    const t = await build({ bounces: { hardLimit: 1, softLimit: 3, webhookToken: TOKEN } });
    const seeded = await seedMailing(t.database.db, {
      recipients: ["reader@example.com", "gone@example.com"],
    });
    const { run, deliveries } = await sendRun(t.database, seeded.mailing.id, seeded.user.id);
    const reader = deliveries.find((d) => d.email === "reader@example.com")!;
    const auth = `Bearer ${TOKEN}`;

    const res = await post(
      t,
      { email: "Reader@Example.com", type: "complaint", delivery_id: reader.id },
      auth,
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ result: "recorded", delivery_id: reader.id, suppressed: true });
    expect(
      (
        await post(t, { email: "reader@example.com", type: "complaint", delivery_id: reader.id }, auth)
      ).json(),
    ).toMatchObject({ result: "duplicate", suppressed: false });

    // By address alone (one owner mailed it): a hard bounce with a 5.1.1 in its reason suppresses.
    const gone = await post(
      t,
      { email: "gone@example.com", type: "hard", reason: "550 5.1.1 user unknown" },
      auth,
    );
    expect(gone.json()).toMatchObject({ result: "recorded", suppressed: true });
    expect((await post(t, { email: "stranger@example.com", type: "soft" }, auth)).json()).toMatchObject({
      result: "unmatched",
      delivery_id: null,
    });

    expect((await post(t, { email: "nope", type: "bounce" }, auth)).statusCode).toBe(422);
    const wrong = await post(t, { email: "gone@example.com", type: "hard", delivery_id: reader.id }, auth);
    expect(wrong.statusCode).toBe(422);

    // The owner sees it on the run's deliveries.
    const owner = await apiClient(t, seeded.user);
    const listed = (await owner.call("GET", `/runs/${run.id}/deliveries`)).json();
    expect(listed.items.find((d: { id: number }) => d.id === reader.id)).toMatchObject({
      status: "sent",
      bounce_type: "complaint",
      bounced_at: expect.any(String),
    });

    const rows = await t.database.db.selectFrom("suppressions").selectAll().orderBy("id").execute();
    expect(rows).toMatchObject([
      { email: "reader@example.com", reason: "complaint", source: "complaint" },
      { email: "gone@example.com", reason: "hard_bounce", source: "bounce" },
    ]);
  });

  it("is rate limited per client before the token is checked (429 with Retry-After)", async () => {
    const t = await build({ bounces: { hardLimit: 1, softLimit: 3, webhookToken: TOKEN } });
    await createUser(t.database.db);
    for (let i = 0; i < BOUNCE_WEBHOOK_RATE_LIMIT; i++) {
      const res = await t.app.inject({
        method: "POST",
        url: URL,
        payload: { email: "a@example.com", type: "soft" },
      });
      expect(res.statusCode).toBe(401);
    }
    const limited = await post(t, { email: "a@example.com", type: "soft" }, `Bearer ${TOKEN}`);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBeDefined();
  });
});
