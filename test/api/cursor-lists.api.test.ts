import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import type { TestApp } from "../helpers/web.js";
import { type ApiClient, apiClient, buildApi, MAILING } from "./support.js";

const URL_OK = "https://93.184.216.34/hooks";

/**
 * Follows next_cursor through a list two rows at a time, calling `insert` after every page (rows added
 * meanwhile are newer than the walk's start, so a newest-first walk must neither repeat nor show them).
 */
async function walk(
  api: ApiClient,
  path: string,
  insert: (round: number) => Promise<unknown>,
): Promise<{ ids: number[]; pages: number }> {
  const ids: number[] = [];
  const sep = path.includes("?") ? "&" : "?";
  let url = `${path}${sep}limit=2`;
  for (let round = 0; round < 20; round++) {
    const res = await api.call("GET", url);
    expect(res.statusCode, url).toBe(200);
    const body = res.json();
    expect(body.items.length).toBeLessThanOrEqual(2);
    expect(body.page).toBe(round === 0 ? 1 : null);
    ids.push(...body.items.map((r: { id: number }) => r.id));
    await insert(round);
    if (body.next_cursor === null) return { ids, pages: round + 1 };
    url = `${path}${sep}limit=2&cursor=${body.next_cursor}`;
  }
  throw new Error("the walk did not end");
}

const newestFirst = (ids: number[]) => [...ids].sort((a, b) => b - a);

let runs = 0;
/** A finished run, as the engine leaves one (each scheduled a minute apart: one run per occurrence). */
async function run(t: TestApp, mailingId: number, userId: number): Promise<number> {
  const at = new Date(Date.UTC(2026, 0, 1) + ++runs * 60_000).toISOString();
  const row = await t.database.db
    .insertInto("runs")
    .values({
      mailing_id: mailingId,
      trigger: "api",
      actor_user_id: userId,
      status: "success",
      scheduled_for: at,
      subject: "News",
      body: "Hello",
      total_count: 0,
      sent_count: 0,
      failed_count: 0,
      response: null,
      started_at: at,
      finished_at: at,
      created_at: at,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

describe("API: cursor pagination of the remaining lists", () => {
  it("walks suppressions and lists newest first; rows added meanwhile are not repeated", async () => {
    const t = await buildApi();
    const supp: number[] = [];
    for (let i = 0; i < 5; i++) {
      supp.push((await t.api.call("POST", "/suppressions", { email: `s${i}@example.com` })).json().id);
    }
    const s = await walk(t.api, "/suppressions", (i) =>
      t.api.call("POST", "/suppressions", { email: `new${i}@example.com` }),
    );
    expect(s.ids).toEqual(newestFirst(supp));
    expect(s.pages).toBe(3);
    // page keeps its offset pages.
    expect((await t.api.call("GET", "/suppressions?page=2&limit=2")).json()).toMatchObject({
      page: 2,
      next_cursor: null,
    });

    const lists: number[] = [];
    for (let i = 0; i < 4; i++) lists.push((await t.api.call("POST", "/lists", { name: `L${i}` })).json().id);
    const l = await walk(t.api, "/lists", (i) => t.api.call("POST", "/lists", { name: `New ${i}` }));
    expect(l.ids).toEqual(newestFirst(lists));
    const byName = (await t.api.call("GET", "/lists?sort=name&dir=asc&limit=2")).json();
    expect(byName).toMatchObject({ page: 1, next_cursor: null });
    expect(byName.items.map((x: { name: string }) => x.name)).toEqual(["L0", "L1"]);
  });

  it("walks users (staff), a mailing's runs and its picked recipients by cursor", async () => {
    const t = await buildApi();
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    const before = await t.database.db.selectFrom("users").select("id").execute();
    const u = await walk(manager, "/users", () => createUser(t.database.db));
    expect(u.ids).toEqual(newestFirst(before.map((r) => r.id)));
    expect((await manager.call("GET", "/users?page=1")).json()).toMatchObject({ page: 1, next_cursor: null });
    expect((await t.api.call("GET", "/users")).statusCode).toBe(404);

    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const recipients: number[] = [];
    for (let i = 0; i < 5; i++) {
      recipients.push((await t.api.call("POST", "/recipients", { email: `p${i}@example.com` })).json().id);
    }
    const mailing = (
      await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id, recipient_ids: recipients })
    ).json();
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(await run(t, mailing.id, t.api.user.id));
    const r = await walk(t.api, `/mailings/${mailing.id}/runs`, () => run(t, mailing.id, t.api.user.id));
    expect(r.ids).toEqual(newestFirst(runs));
    // Staff read another user's runs by cursor too.
    expect((await manager.call("GET", `/mailings/${mailing.id}/runs?limit=1`)).json().items).toHaveLength(1);

    const more: number[] = [];
    const p = await walk(t.api, `/mailings/${mailing.id}/recipients`, async (i) => {
      const extra = (await t.api.call("POST", "/recipients", { email: `x${i}@example.com` })).json().id;
      more.push(extra);
      await t.api.call("POST", `/mailings/${mailing.id}/recipients`, { ids: [extra] });
    });
    expect(p.ids).toEqual(newestFirst(recipients));
    const asc = (await t.api.call("GET", `/mailings/${mailing.id}/recipients?dir=asc&limit=100`)).json();
    expect(asc.items.map((x: { id: number }) => x.id)).toEqual([...recipients, ...more]);
    expect(asc.total).toBe(recipients.length + more.length);
    const search = (await t.api.call("GET", `/mailings/${mailing.id}/recipients?q=p3@`)).json();
    expect(search).toMatchObject({ total: 1, next_cursor: null });
    const byEmail = (await t.api.call("GET", `/mailings/${mailing.id}/recipients?page=1`)).json();
    expect(byEmail.items[0].email).toBe("p0@example.com");
  });

  it("walks webhook endpoints and an endpoint's requests; another user's endpoint's requests are a 404", async () => {
    const t = await buildApi();
    const endpoints: number[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await t.api.call("POST", "/webhook-endpoints", {
        url: URL_OK,
        events: ["run.finished"],
      });
      endpoints.push(created.json().endpoint.id);
    }
    const e = await walk(t.api, "/webhook-endpoints", () =>
      t.api.call("POST", "/webhook-endpoints", { url: URL_OK, events: ["run.finished"] }),
    );
    expect(e.ids).toEqual(newestFirst(endpoints));

    const attempt = async () =>
      (
        await t.database.db
          .insertInto("webhook_attempts")
          .values({
            endpoint_id: endpoints[0]!,
            request_id: "req",
            event_ids: "[]",
            event_count: 1,
            outcome: "ok",
            status_code: 200,
            error: null,
            duration_ms: 5,
            attempted_at: new Date().toISOString(),
          })
          .returning("id")
          .executeTakeFirstOrThrow()
      ).id;
    const attempts: number[] = [];
    for (let i = 0; i < 3; i++) attempts.push(await attempt());
    const a = await walk(t.api, `/webhook-endpoints/${endpoints[0]}/attempts`, attempt);
    expect(a.ids).toEqual(newestFirst(attempts));

    const stranger = await apiClient(t);
    expect((await stranger.call("GET", `/webhook-endpoints/${endpoints[0]}/attempts`)).statusCode).toBe(404);
    expect((await stranger.call("GET", "/webhook-endpoints")).json()).toMatchObject({ items: [], total: 0 });
    expect((await t.api.call("GET", "/webhook-endpoints?cursor=forged")).statusCode).toBe(422);
  });
});
