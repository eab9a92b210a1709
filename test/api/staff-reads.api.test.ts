import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/fixtures.js";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: managers read others' mailings, as on the web, and may not change them", () => {
  it("a manager reads another user's mailing; changing or deleting it is a 403; a plain user reads nothing", async () => {
    const t = await buildApi();
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id })).json();
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    const read = await manager.call("GET", `/mailings/${mailing.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: mailing.id, name: MAILING.name });

    expect((await manager.call("PATCH", `/mailings/${mailing.id}`, { name: "Taken over" })).statusCode).toBe(
      403,
    );
    expect((await manager.call("DELETE", `/mailings/${mailing.id}`)).statusCode).toBe(403);
    const pick = await manager.call("POST", `/mailings/${mailing.id}/recipients`, {
      emails: ["a@example.com"],
    });
    expect(pick.statusCode).toBe(403);
    const stored = await t.database.db
      .selectFrom("mailings")
      .select("name")
      .where("id", "=", mailing.id)
      .executeTakeFirstOrThrow();
    expect(stored.name).toBe(MAILING.name);

    const user = await apiClient(t);
    expect((await user.call("GET", `/mailings/${mailing.id}`)).statusCode).toBe(404);
  });

  it("lists every user's mailings and recipients with scope=all for a manager, one owner's with owner=", async () => {
    const t = await buildApi();
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id })).json();
    await t.api.call("POST", "/recipients", { email: "theirs@example.com" });
    const managerUser = await createUser(t.database.db, { role: "manager" });
    const manager = await apiClient(t, managerUser);

    expect((await manager.call("GET", "/mailings")).json().items).toEqual([]);
    const all = (await manager.call("GET", "/mailings?scope=all")).json();
    expect(all.items.map((m: { id: number }) => m.id)).toEqual([mailing.id]);
    expect(all.items[0].owner_id).not.toBe(managerUser.id);
    const ownerId = all.items[0].owner_id as number;
    expect((await manager.call("GET", `/mailings?scope=all&owner=${ownerId}`)).json().total).toBe(1);
    expect((await manager.call("GET", `/mailings?scope=all&owner=${managerUser.id}`)).json().total).toBe(0);
    const recipients = (await manager.call("GET", "/recipients?scope=all")).json();
    expect(recipients.items.map((r: { email: string }) => r.email)).toEqual(["theirs@example.com"]);

    // A plain user's scope=all is their own.
    const user = await apiClient(t);
    expect((await user.call("GET", "/mailings?scope=all")).json().total).toBe(0);
  });
});

describe("API: staff read other users' lists with owner_id, runs and picked recipients", () => {
  it("managers and admins read a user's recipients, mailings, picked recipients and runs; a manager may not send it; a plain user's owner_id is a 403", async () => {
    const t = await buildApi();
    const owner = t.api;
    const recipient = (await owner.call("POST", "/recipients", { email: "ann@example.com" })).json();
    const message = (await owner.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (
      await owner.call("POST", "/mailings", {
        ...MAILING,
        message_id: message.id,
        recipient_ids: [recipient.id],
      })
    ).json();
    const run = (await owner.call("POST", `/mailings/${mailing.id}/send`)).json();
    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    for (const staff of [manager, admin]) {
      const recipients = await staff.call("GET", `/recipients?owner_id=${owner.user.id}`);
      expect(recipients.statusCode).toBe(200);
      expect(recipients.json().items.map((r: { email: string }) => r.email)).toEqual(["ann@example.com"]);
      const mailings = await staff.call("GET", `/mailings?owner_id=${owner.user.id}`);
      expect(mailings.json().items.map((m: { id: number }) => m.id)).toEqual([mailing.id]);
      // Without owner_id, their own (none).
      expect((await staff.call("GET", "/mailings")).json().total).toBe(0);
      const picked = await staff.call("GET", `/mailings/${mailing.id}/recipients`);
      expect(picked.statusCode).toBe(200);
      expect(picked.json().items.map((r: { email: string }) => r.email)).toEqual(["ann@example.com"]);
      expect((await staff.call("GET", `/mailings/${mailing.id}/runs`)).json().items[0].id).toBe(run.id);
      expect((await staff.call("GET", `/runs/${run.id}`)).json()).toMatchObject({
        id: run.id,
        total_count: 1,
      });
      expect((await staff.call("GET", `/runs/${run.id}/deliveries`)).json().items[0].email).toBe(
        "ann@example.com",
      );
      expect((await staff.call("GET", "/recipients?owner_id=999999")).statusCode).toBe(404);
    }
    // The web refuses a manager's send of someone else's mailing; so does the API.
    const send = await manager.call("POST", `/mailings/${mailing.id}/send`);
    expect(send.statusCode).toBe(403);
    expect((await manager.call("POST", `/runs/${run.id}/retry-failed`)).statusCode).toBe(403);
    const runs = await t.database.db.selectFrom("runs").select("id").execute();
    expect(runs).toHaveLength(1);

    const user = await apiClient(t);
    const refused = await user.call("GET", `/recipients?owner_id=${owner.user.id}`);
    expect(refused.statusCode).toBe(403);
    expect((await user.call("GET", `/mailings?owner_id=${owner.user.id}`)).statusCode).toBe(403);
    expect((await user.call("GET", `/recipients?owner_id=${user.user.id}`)).statusCode).toBe(200);
    expect((await user.call("GET", `/mailings/${mailing.id}/recipients`)).statusCode).toBe(404);
  });
});

describe("API: staff read other users' rows by id, as on the web, and are refused changing them (403)", () => {
  it("managers and admins GET another user's recipient, its suppression, mailing, audience, run, deliveries and list; every write is a 403 problem and changes nothing; a plain user gets 404s", async () => {
    const t = await buildApi();
    const owner = t.api;
    const recipient = (await owner.call("POST", "/recipients", { email: "ann@example.com" })).json();
    await owner.call("POST", "/suppressions", { email: "ann@example.com" });
    const message = (await owner.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (
      await owner.call("POST", "/mailings", {
        ...MAILING,
        message_id: message.id,
        recipient_ids: [recipient.id],
      })
    ).json();
    const run = (await owner.call("POST", `/mailings/${mailing.id}/send`)).json();
    const list = (await owner.call("POST", "/lists", { name: "Friends" })).json();
    await owner.call("POST", `/lists/${list.id}/members`, { ids: [recipient.id] });

    const manager = await apiClient(t, await createUser(t.database.db, { role: "manager" }));
    const admin = await apiClient(t, await createUser(t.database.db, { role: "admin" }));
    for (const staff of [manager, admin]) {
      const r = await staff.call("GET", `/recipients/${recipient.id}`);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ id: recipient.id, email: "ann@example.com" });
      expect((await staff.call("GET", `/recipients/${recipient.id}/suppression`)).json().suppressed).toBe(
        true,
      );
      expect((await staff.call("GET", `/mailings/${mailing.id}`)).json().id).toBe(mailing.id);
      expect((await staff.call("GET", `/mailings/${mailing.id}/audience`)).json()).toMatchObject({
        picked: 1,
      });
      expect((await staff.call("GET", `/runs/${run.id}`)).json().id).toBe(run.id);
      expect((await staff.call("GET", `/runs/${run.id}/deliveries`)).json().items).toHaveLength(1);
      expect((await staff.call("GET", `/lists/${list.id}`)).json()).toMatchObject({
        name: "Friends",
        member_count: 1,
      });
      const theirLists = (await staff.call("GET", `/lists?owner_id=${owner.user.id}`)).json();
      expect(theirLists.items.map((l: { id: number }) => l.id)).toEqual([list.id]);
      expect((await staff.call("GET", "/lists")).json().total).toBe(0);
      expect((await staff.call("GET", "/recipients/999999")).statusCode).toBe(404);
      expect((await staff.call("GET", "/lists/999999")).statusCode).toBe(404);

      const writes: [string, string, unknown?][] = [
        ["PATCH", `/recipients/${recipient.id}`, { full_name: "Taken over" }],
        ["DELETE", `/recipients/${recipient.id}`],
        ["PATCH", `/mailings/${mailing.id}`, { name: "Taken over" }],
        ["DELETE", `/mailings/${mailing.id}`],
        ["POST", `/mailings/${mailing.id}/recipients`, { ids: [recipient.id] }],
        ["DELETE", `/mailings/${mailing.id}/recipients`, { ids: [recipient.id] }],
        ["PATCH", `/mailings/${mailing.id}/audience`, { all: true }],
        // Admins may send anyone's mailing and retry its runs, as on the web; managers may not.
        ...(staff === manager
          ? ([
              ["POST", `/mailings/${mailing.id}/send`],
              ["POST", `/runs/${run.id}/retry-failed`],
            ] as [string, string][])
          : []),
        ["DELETE", `/lists/${list.id}`],
        ["POST", `/lists/${list.id}/members`, { ids: [recipient.id] }],
        ["DELETE", `/lists/${list.id}/members`, { ids: [recipient.id] }],
      ];
      for (const [method, url, body] of writes) {
        const res = await staff.call(method as "PATCH", url, body);
        expect(res.statusCode, `${method} ${url}`).toBe(403);
        expect(res.headers["content-type"]).toContain("application/problem+json");
      }
    }
    const stored = await t.database.db
      .selectFrom("recipients")
      .select("full_name")
      .where("id", "=", recipient.id)
      .executeTakeFirstOrThrow();
    expect(stored.full_name).toBe("");
    expect((await owner.call("GET", `/mailings/${mailing.id}`)).json().name).toBe(MAILING.name);
    expect((await owner.call("GET", `/mailings/${mailing.id}/audience`)).json()).toMatchObject({
      all: false,
      picked: 1,
    });
    expect((await owner.call("GET", `/lists/${list.id}`)).json().member_count).toBe(1);

    // A manager's own rows stay theirs to change.
    const mine = (await manager.call("POST", "/recipients", { email: "mine@example.com" })).json();
    expect((await manager.call("PATCH", `/recipients/${mine.id}`, { full_name: "Me" })).statusCode).toBe(200);

    const user = await apiClient(t);
    expect((await user.call("GET", `/recipients/${recipient.id}`)).statusCode).toBe(404);
    expect((await user.call("GET", `/lists/${list.id}`)).statusCode).toBe(404);
    expect((await user.call("GET", `/lists?owner_id=${owner.user.id}`)).statusCode).toBe(403);
    expect((await user.call("PATCH", `/recipients/${recipient.id}`, { full_name: "X" })).statusCode).toBe(
      404,
    );
    expect((await user.call("DELETE", `/lists/${list.id}`)).statusCode).toBe(404);
    expect((await user.call("GET", `/mailings/${mailing.id}/audience`)).statusCode).toBe(404);
  });
});
