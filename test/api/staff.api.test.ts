import { describe, expect, it } from "vitest";
import { createMailing, createMessage, createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi } from "./support.js";

describe("API: managers and admins", () => {
  it("lets a manager list users, block and unblock a user, and disable and enable a mailing", async () => {
    const t = await buildApi();
    const owner = t.api.user;
    const message = await createMessage(t.database.db, owner.id);
    const mailing = await createMailing(t.database.db, { ownerId: owner.id, messageId: message.id });
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));

    const users = await manager.call("GET", "/users?q=");
    expect(users.statusCode).toBe(200);
    expect(users.json().items.map((u: { email: string }) => u.email)).toContain(owner.email);

    const blocked = await manager.call("POST", `/users/${owner.id}/block`);
    expect(blocked.statusCode).toBe(200);
    expect(blocked.json().blocked_at).not.toBeNull();
    // The blocked user's own token stops working at once.
    expect((await t.api.call("GET", "/me")).statusCode).toBe(401);
    expect((await manager.call("POST", `/users/${owner.id}/unblock`)).json().blocked_at).toBeNull();
    expect((await t.api.call("GET", "/me")).statusCode).toBe(200);

    const disabled = await manager.call("POST", `/mailings/${mailing.id}/disable`);
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json().disabled_at).not.toBeNull();
    // The owner cannot send a disabled mailing.
    expect((await t.api.call("POST", `/mailings/${mailing.id}/send`)).statusCode).toBe(409);
    expect((await manager.call("POST", `/mailings/${mailing.id}/enable`)).json().disabled_at).toBeNull();

    const audit = await t.database.db.selectFrom("audit_log").select("action").orderBy("id").execute();
    expect(audit.map((a) => a.action)).toEqual(["block", "unblock", "disable_mailing", "enable_mailing"]);
  });

  it("refuses staff endpoints to plain users and keeps managers off admins and other people's content", async () => {
    const t = await buildApi();
    const other = await createUser(t.database.db);
    const admin = await createUser(t.database.db, { role: "admin" });
    const message = await createMessage(t.database.db, other.id);
    const mailing = await createMailing(t.database.db, { ownerId: other.id, messageId: message.id });
    for (const [method, url] of [
      ["GET", "/users"],
      ["POST", `/users/${other.id}/block`],
      ["POST", `/mailings/${mailing.id}/disable`],
    ] as const) {
      expect((await t.api.call(method, url)).statusCode, url).toBe(404);
    }
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    expect((await manager.call("POST", `/users/${admin.id}/block`)).statusCode).toBe(403);
    expect((await manager.call("POST", `/users/${manager.user.id}/block`)).statusCode).toBe(409);
    // Managers read and oversee; they never edit, delete or send someone else's mailing. They may see
    // it, so the answer is a 403, not a 404.
    expect((await manager.call("PATCH", `/mailings/${mailing.id}`, { name: "Stolen" })).statusCode).toBe(403);
    expect((await manager.call("DELETE", `/mailings/${mailing.id}`)).statusCode).toBe(403);
    expect((await manager.call("POST", `/mailings/${mailing.id}/send`)).statusCode).toBe(403);
    const row = await t.database.db
      .selectFrom("mailings")
      .selectAll()
      .where("id", "=", mailing.id)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe(mailing.name);
    expect(await t.database.db.selectFrom("audit_log").selectAll().execute()).toEqual([]);
  });
});
