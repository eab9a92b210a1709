import { describe, expect, it } from "vitest";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: lists, segments and a mailing's audience", () => {
  it("creates a list, adds and removes members by id and email, counts a segment, and sets an audience", async () => {
    const t = await buildApi();
    const { api } = t;
    const ann = (await api.call("POST", "/recipients", { email: "ann@a.test" })).json();
    await api.call("POST", "/recipients", { email: "bob@b.test" });
    const created = await api.call("POST", "/lists", { name: "Customers", description: "Bought once" });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: "Customers", member_count: 0, signup_enabled: false });
    expect(created.json()).not.toHaveProperty("owner_id");
    const list = created.json().id;
    expect((await api.call("POST", "/lists", { name: "customers" })).statusCode).toBe(409);

    const other = await apiClient(t);
    const stranger = (await other.call("POST", "/recipients", { email: "x@x.test" })).json();
    const added = await api.call("POST", `/lists/${list}/members`, {
      ids: [ann.id, stranger.id],
      emails: ["BOB@b.test", "nobody@x.test"],
    });
    expect(added.json()).toEqual({ changed: 2, unchanged: 0, missing: [stranger.id, "nobody@x.test"] });
    expect((await api.call("GET", `/lists/${list}`)).json().member_count).toBe(2);
    expect((await api.call("POST", `/lists/${list}/members`, {})).statusCode).toBe(422);
    expect((await other.call("POST", `/lists/${list}/members`, { ids: [stranger.id] })).statusCode).toBe(404);

    const segment = await api.call("POST", "/segments", {
      name: "In Customers at b.test",
      definition: {
        match: "all",
        conditions: [
          { kind: "list", op: "in", list_id: list },
          { kind: "text", column: "email", op: "ends_with_domain", value: "b.test" },
        ],
      },
    });
    expect(segment.statusCode).toBe(201);
    expect((await api.call("GET", `/segments/${segment.json().id}/count`)).json()).toEqual({ count: 1 });
    const bad = await api.call("POST", "/segments", {
      name: "Bad",
      definition: { match: "all", conditions: [{ kind: "nope" }] },
    });
    expect(bad.statusCode).toBe(422);
    expect((await api.call("GET", "/segments")).json().items).toHaveLength(1);

    const message = (await api.call("POST", "/messages", { subject: "Hi", body: "Hello" })).json();
    const mailing = (
      await api.call("POST", "/mailings", { ...MAILING, message_id: message.id, recipient_mode: "none" })
    ).json();
    expect((await api.call("GET", `/mailings/${mailing.id}/audience`)).json()).toMatchObject({
      all: false,
      picked: 0,
      count: { total: 0 },
    });
    const set = await api.call("PATCH", `/mailings/${mailing.id}/audience`, {
      lists: [list],
      exclude_segments: [segment.json().id],
    });
    expect(set.json()).toMatchObject({
      lists: [list],
      exclude_segments: [segment.json().id],
      count: { total: 1, suppressed: 0 },
    });
    const refused = await api.call("PATCH", `/mailings/${mailing.id}/audience`, { lists: [999] });
    expect(refused.statusCode).toBe(422);

    const removed = await api.call("DELETE", `/lists/${list}/members`, { emails: ["ann@a.test"] });
    expect(removed.json()).toEqual({ changed: 1, unchanged: 0, missing: [] });
    expect((await api.call("DELETE", `/lists/${list}`)).statusCode).toBe(204);
    expect((await api.call("GET", `/mailings/${mailing.id}/audience`)).json().lists).toEqual([]);
  });

  it("sets and returns custom field values through the recipients API", async () => {
    const t = await buildApi();
    await t.services.fields.create(t.api.user, { label: "Age", key: "age", type: "number" });
    const bad = await t.api.call("POST", "/recipients", {
      email: "a@a.test",
      fields: { age: "old", nope: 1 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual(
      expect.arrayContaining([
        { field: "fields.age", message: "Age must be a number, like 42 or 3.5." },
        { field: "fields.nope", message: "There is no custom field with this key." },
      ]),
    );
    const ok = await t.api.call("POST", "/recipients", { email: "a@a.test", fields: { age: 33 } });
    expect(ok.statusCode).toBe(201);
    expect((await t.services.fields.valuesFor(t.api.user, [ok.json().id])).get(ok.json().id)).toEqual({
      age: 33,
    });
  });
});
