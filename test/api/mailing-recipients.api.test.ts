import { describe, expect, it } from "vitest";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: a mailing's picked recipients", () => {
  it("adds and removes by ids or emails with counts, and lists them a page at a time", async () => {
    const t = await buildApi();
    const { api } = t;
    const message = (await api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (
      await api.call("POST", "/mailings", { ...MAILING, message_id: message.id, recipient_mode: "none" })
    ).json();
    const ids: number[] = [];
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      ids.push((await api.call("POST", "/recipients", { email })).json().id);
    }
    const stranger = await apiClient(t);
    const theirs = (await stranger.call("POST", "/recipients", { email: "z@example.com" })).json();

    const added = await api.call("POST", `/mailings/${mailing.id}/recipients`, {
      ids: [ids[0], theirs.id],
      emails: ["B@example.com", "nobody@example.com"],
    });
    expect(added.statusCode).toBe(200);
    expect(added.json()).toEqual({
      added: 2,
      already_present: 0,
      not_found: 2,
      missing: [theirs.id, "nobody@example.com"],
    });
    const again = await api.call("POST", `/mailings/${mailing.id}/recipients`, { ids: [ids[0], ids[2]] });
    expect(again.json()).toMatchObject({ added: 1, already_present: 1, not_found: 0 });

    // page: the offset pages by email, as before (without it: by cursor, newest first).
    const list = await api.call("GET", `/mailings/${mailing.id}/recipients?page=1`);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ total: 3, page: 1 });
    expect(list.json().items.map((r: { email: string }) => r.email)).toEqual([
      "a@example.com",
      "b@example.com",
      "c@example.com",
    ]);
    expect((await api.call("GET", `/mailings/${mailing.id}/recipients?q=b@`)).json().total).toBe(1);

    const removed = await api.call("DELETE", `/mailings/${mailing.id}/recipients`, {
      emails: ["a@example.com"],
      ids: [ids[0], ids[1], 999_999],
    });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ removed: 2, not_present: 0, not_found: 1, missing: [999_999] });
    const rest = await t.database.db
      .selectFrom("mailing_recipients")
      .select("recipient_id")
      .where("mailing_id", "=", mailing.id)
      .execute();
    expect(rest).toEqual([{ recipient_id: ids[2] }]);
    const none = await api.call("DELETE", `/mailings/${mailing.id}/recipients`, { ids: [ids[0]] });
    expect(none.json()).toMatchObject({ removed: 0, not_present: 1 });

    expect((await api.call("POST", `/mailings/${mailing.id}/recipients`, {})).statusCode).toBe(422);
    expect(
      (await api.call("POST", `/mailings/${mailing.id}/recipients`, { emails: ["bad"] })).statusCode,
    ).toBe(422);
    // Another user's mailing is not found, for reading and for changing.
    expect((await stranger.call("GET", `/mailings/${mailing.id}/recipients`)).statusCode).toBe(404);
    const refused = await stranger.call("POST", `/mailings/${mailing.id}/recipients`, { ids: [theirs.id] });
    expect(refused.statusCode).toBe(404);
    expect(await t.database.db.selectFrom("mailing_recipients").select("recipient_id").execute()).toEqual([
      { recipient_id: ids[2] },
    ]);
  });
});

describe("API: a mailing created with its recipients by ids and emails", () => {
  it("starts with exactly those; an unknown one is a 422 naming it and creates nothing; PATCH refuses recipient fields", async () => {
    const t = await buildApi();
    const api = t.api;
    const ids: number[] = [];
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      ids.push((await api.call("POST", "/recipients", { email })).json().id);
    }
    const message = (await api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const created = await api.call("POST", "/mailings", {
      ...MAILING,
      message_id: message.id,
      recipient_ids: [ids[0]],
      recipient_emails: ["C@example.com"],
    });
    expect(created.statusCode).toBe(201);
    expect(created.json().recipient_count).toBe(2);
    const picked = (await api.call("GET", `/mailings/${created.json().id}/recipients`)).json();
    expect(picked.items.map((r: { email: string }) => r.email).sort()).toEqual([
      "a@example.com",
      "c@example.com",
    ]);
    const audience = (await api.call("GET", `/mailings/${created.json().id}/audience`)).json();
    expect(audience.all).toBe(false);

    const unknown = await api.call("POST", "/mailings", {
      ...MAILING,
      name: "Unknown",
      message_id: message.id,
      recipient_emails: ["nobody@example.com"],
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().errors[0]).toMatchObject({ field: "recipient_emails" });
    expect(unknown.json().errors[0].message).toContain("nobody@example.com");
    const both = await api.call("POST", "/mailings", {
      ...MAILING,
      message_id: message.id,
      recipient_mode: "all",
      recipient_ids: [ids[1]],
    });
    expect(both.statusCode).toBe(422);
    const count = await t.database.db
      .selectFrom("mailings")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);

    const patch = await api.call("PATCH", `/mailings/${created.json().id}`, {
      name: "Renamed",
      recipient_mode: "none",
    });
    expect(patch.statusCode).toBe(422);
    expect(patch.json().errors[0]).toMatchObject({ field: "recipient_mode" });
    expect((await api.call("GET", `/mailings/${created.json().id}`)).json().name).toBe(MAILING.name);
  });
});
