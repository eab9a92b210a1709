import { describe, expect, it } from "vitest";
import { buildApi } from "./support.js";

describe("API: suppressions", () => {
  it("adds, lists, shows a recipient's status and removes (audited) a suppression", async () => {
    const { api, database } = await buildApi();
    const recipient = (await api.call("POST", "/recipients", { email: "Ann@Example.com" })).json();
    const before = await api.call("GET", `/recipients/${recipient.id}/suppression`);
    expect(before.json()).toEqual({ suppressed: false, suppression: null });

    const added = await api.call("POST", "/suppressions", {
      email: "ann@example.com",
      reason: "hard_bounce",
    });
    expect(added.statusCode).toBe(201);
    expect(added.json()).toMatchObject({ email: "ann@example.com", reason: "hard_bounce", source: "api" });
    expect(added.json()).not.toHaveProperty("owner_id");
    const dup = await api.call("POST", "/suppressions", { email: " ANN@example.com" });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().existing_id).toBe(added.json().id);
    expect((await api.call("POST", "/suppressions", { email: "nope" })).statusCode).toBe(422);

    const list = await api.call("GET", "/suppressions?q=ann");
    expect(list.json()).toMatchObject({ total: 1, items: [{ email: "ann@example.com" }] });
    const status = await api.call("GET", `/recipients/${recipient.id}/suppression`);
    expect(status.json()).toMatchObject({ suppressed: true, suppression: { reason: "hard_bounce" } });

    expect((await api.call("DELETE", `/suppressions/${added.json().id}`)).statusCode).toBe(204);
    expect((await api.call("DELETE", `/suppressions/${added.json().id}`)).statusCode).toBe(404);
    expect((await api.call("GET", "/suppressions")).json().total).toBe(0);
    const audit = await database.db.selectFrom("audit_log").selectAll().execute();
    expect(audit).toMatchObject([{ action: "remove_suppression", target_label: "ann@example.com" }]);
  });

  it("never shows or removes another user's suppressions", async () => {
    const { api, database } = await buildApi();
    const mine = (await api.call("POST", "/suppressions", { email: "mine@example.com" })).json();
    // A row of another owner, straight in the database.
    const stranger = await database.db
      .insertInto("users")
      .values({
        email: "s@example.com",
        email_normalized: "s@example.com",
        password_hash: "x",
        name: "S",
        time_zone: "UTC",
        role: "user",
        created_at: mine.created_at,
        updated_at: mine.created_at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const theirs = await database.db
      .insertInto("suppressions")
      .values({
        owner_id: stranger.id,
        email: "theirs@example.com",
        email_normalized: "theirs@example.com",
        reason: "manual",
        source: "manual",
        delivery_id: null,
        run_id: null,
        mailing_id: null,
        comment: null,
        created_at: mine.created_at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    expect((await api.call("GET", "/suppressions")).json().items).toHaveLength(1);
    expect((await api.call("DELETE", `/suppressions/${theirs.id}`)).statusCode).toBe(404);
    expect(await database.db.selectFrom("suppressions").selectAll().execute()).toHaveLength(2);
  });
});
