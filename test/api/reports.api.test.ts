import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: GET /reports, the reports page's months", () => {
  it("counts your own runs; a manager reads one user's (owner_id) or everyone's (scope=all); a plain user may not", async () => {
    const t = await buildApi();
    await t.api.call("POST", "/recipients", { email: "a@example.com" });
    await t.api.call("POST", "/recipients", { email: "b@example.com" });
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (
      await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id, recipient_mode: "all" })
    ).json();
    const sent = await t.api.call("POST", `/mailings/${mailing.id}/send`);
    expect(sent.statusCode).toBeLessThan(300);
    // The run finishes (no worker runs in these tests): both deliveries sent.
    const now = new Date().toISOString();
    await t.database.db
      .updateTable("deliveries")
      .set({ status: "sent", sent_at: now, last_code: 250 })
      .execute();
    await t.database.db
      .updateTable("runs")
      .set({ status: "success", sent_count: 2, failed_count: 0, finished_at: now })
      .execute();

    const own = await t.api.call("GET", "/reports");
    expect(own.statusCode).toBe(200);
    const body = own.json();
    expect(body.scope).toBe("own");
    expect(body.months.at(-1)).toMatchObject({ runs: 1, sent: 2, failed: 0 });

    const managerUser = await createUser(t.database.db, { role: "manager" });
    const manager = await apiClient(t, managerUser);
    expect((await manager.call("GET", "/reports")).json().months.at(-1)?.runs ?? 0).toBe(0);
    const theirs = await manager.call("GET", `/reports?owner_id=${t.api.user.id}`);
    expect(theirs.json()).toMatchObject({ scope: "user", owner_id: t.api.user.id });
    expect(theirs.json().months.at(-1)).toMatchObject({ runs: 1, sent: 2 });
    const all = (await manager.call("GET", "/reports?scope=all&months=3")).json();
    expect(all.scope).toBe("all");
    expect(all.months.map((m: { month: string }) => m.month)).toEqual([new Date().toISOString().slice(0, 7)]);
    expect(all.by_owner).toEqual([expect.objectContaining({ owner_id: t.api.user.id, sent: 2, runs: 1 })]);

    const user = await apiClient(t);
    expect((await user.call("GET", `/reports?owner_id=${t.api.user.id}`)).statusCode).toBe(403);
    expect((await user.call("GET", "/reports?scope=all")).statusCode).toBe(403);
    expect((await user.call("GET", "/reports?months=0")).statusCode).toBe(422);
  });
});
