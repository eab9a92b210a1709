import { describe, expect, it } from "vitest";
import { createMessage, createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi, MAILING } from "./support.js";

const SENDER = {
  from_name: "Ada's Bakery",
  from_email: "news@bakery.example",
  postal_address: "1 Flour Lane\nSpringfield",
};

describe("API: senders", () => {
  it("lets admins write senders (audited), everyone read them, and others get 403", async () => {
    const t = await buildApi();
    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    const created = await admin.call("POST", "/senders", SENDER);
    expect(created.statusCode).toBe(201);
    const sender = created.json();
    expect(sender).toMatchObject({ ...SENDER, reply_to: null });

    // Everyone signed in reads them (to pick one); a plain user and a manager cannot write.
    const list = await t.api.call("GET", "/senders");
    expect(list.statusCode).toBe(200);
    expect(list.json().items.map((s: { id: number }) => s.id)).toEqual([sender.id]);
    expect((await t.api.call("GET", `/senders/${sender.id}`)).json().from_name).toBe("Ada's Bakery");
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    for (const client of [t.api, manager]) {
      expect((await client.call("POST", "/senders", SENDER)).statusCode).toBe(403);
      expect((await client.call("PATCH", `/senders/${sender.id}`, { from_name: "Stolen" })).statusCode).toBe(
        403,
      );
      expect((await client.call("DELETE", `/senders/${sender.id}`)).statusCode).toBe(403);
    }
    expect((await t.api.call("GET", "/senders/999999")).statusCode).toBe(404);

    const patched = await admin.call("PATCH", `/senders/${sender.id}`, { reply_to: "hi@bakery.example" });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ from_name: "Ada's Bakery", reply_to: "hi@bakery.example" });

    const bad = await admin.call("PATCH", `/senders/${sender.id}`, { from_email: "nope", reply_to: "x" });
    expect(bad.statusCode).toBe(422);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(["from_email", "reply_to"]);

    expect((await admin.call("DELETE", `/senders/${sender.id}`)).statusCode).toBe(204);
    const audit = await t.database.db
      .selectFrom("audit_log")
      .select(["action", "actor_email"])
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "create_sender", actor_email: admin.user.email },
      { action: "update_sender", actor_email: admin.user.email },
      { action: "delete_sender", actor_email: admin.user.email },
    ]);
  });

  it("gives mailings a sender_id: set, read, changed back to the default, and checked to exist", async () => {
    const t = await buildApi();
    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    const sender = (await admin.call("POST", "/senders", SENDER)).json();
    const message = await createMessage(t.database.db, t.api.user.id);

    const missing = await t.api.call("POST", "/mailings", {
      ...MAILING,
      message_id: message.id,
      sender_id: 999999,
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.json().errors).toEqual([
      { field: "sender_id", message: "Choose one of the senders in the list." },
    ]);

    const created = await t.api.call("POST", "/mailings", {
      ...MAILING,
      message_id: message.id,
      sender_id: sender.id,
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().sender_id).toBe(sender.id);
    const id = created.json().id;
    // A PATCH that does not name the sender keeps it; null goes back to SMTP_FROM.
    expect((await t.api.call("PATCH", `/mailings/${id}`, { name: "Renamed" })).json().sender_id).toBe(
      sender.id,
    );

    const inUse = await admin.call("DELETE", `/senders/${sender.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().detail).toContain("a mailing sends as it");

    expect((await t.api.call("PATCH", `/mailings/${id}`, { sender_id: null })).json().sender_id).toBeNull();
    expect((await t.api.call("GET", `/mailings/${id}`)).json().sender_id).toBeNull();
    expect((await admin.call("DELETE", `/senders/${sender.id}`)).statusCode).toBe(204);
  });
});
