import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: managers read others' mailings, as on the web, and may not change them", () => {
  it("a manager reads another user's mailing; changing or deleting it is a 404; a plain user reads nothing", async () => {
    const t = await buildApi();
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id })).json();
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    const read = await manager.call("GET", `/mailings/${mailing.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: mailing.id, name: MAILING.name });

    expect((await manager.call("PATCH", `/mailings/${mailing.id}`, { name: "Taken over" })).statusCode).toBe(
      404,
    );
    expect((await manager.call("DELETE", `/mailings/${mailing.id}`)).statusCode).toBe(404);
    const pick = await manager.call("POST", `/mailings/${mailing.id}/recipients`, {
      emails: ["a@example.com"],
    });
    expect(pick.statusCode).toBe(404);
    const stored = await t.database.db
      .selectFrom("mailings")
      .select("name")
      .where("id", "=", mailing.id)
      .executeTakeFirstOrThrow();
    expect(stored.name).toBe(MAILING.name);

    const user = await apiClient(t);
    expect((await user.call("GET", `/mailings/${mailing.id}`)).statusCode).toBe(404);
  });
});
