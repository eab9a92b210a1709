import { describe, expect, it } from "vitest";
import { buildApi, MAILING } from "./support.js";

describe("API: messages, mailings, runs, me and stats", () => {
  it("creates, gets, lists, patches and deletes a message; a message in use is a 409", async () => {
    const { api } = await buildApi();
    const created = await api.call("POST", "/messages", { subject: "News", body: "Hello\nthere" });
    expect(created.statusCode).toBe(201);
    const message = created.json();
    expect((await api.call("GET", `/messages/${message.id}`)).json()).toEqual(message);
    const list = await api.call("GET", "/messages?q=hello&limit=10");
    expect(list.json()).toMatchObject({ total: 1, page: 1, limit: 10, pages: 1 });
    const patched = await api.call("PATCH", `/messages/${message.id}`, { subject: "Big news" });
    expect(patched.json()).toMatchObject({ subject: "Big news", body: "Hello\nthere" });
    const bad = await api.call("PATCH", `/messages/${message.id}`, { subject: "a\nb" });
    expect(bad.json().errors).toEqual([{ field: "subject", message: "Subject must be a single line." }]);

    await api.call("POST", "/mailings", { ...MAILING, message_id: message.id });
    const inUse = await api.call("DELETE", `/messages/${message.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().detail).toContain("used by a mailing");
  });

  it("creates a mailing, changes it, sends it (202 with the run), follows the run and retries failures", async () => {
    const { api, database } = await buildApi();
    const message = (await api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    for (const email of ["a@example.com", "b@example.com"]) await api.call("POST", "/recipients", { email });

    const created = await api.call("POST", "/mailings", { ...MAILING, message_id: message.id });
    expect(created.statusCode).toBe(201);
    const mailing = created.json();
    expect(mailing).toMatchObject({
      name: "Autumn news",
      message_subject: "News",
      first_send_at: "2099-01-01T08:00:00.000Z",
      status: "created",
      recipient_count: 2,
      disabled_at: null,
    });
    expect((await api.call("GET", `/mailings/${mailing.id}`)).json()).toEqual(mailing);
    expect((await api.call("GET", "/mailings?sort=name&dir=asc")).json().total).toBe(1);

    const patched = await api.call("PATCH", `/mailings/${mailing.id}`, {
      name: "Winter news",
      periodicity: "weekly",
    });
    expect(patched.json()).toMatchObject({
      name: "Winter news",
      periodicity: "weekly",
      first_send_at: "2099-01-01T08:00:00.000Z",
    });

    const sent = await api.call("POST", `/mailings/${mailing.id}/send`);
    expect(sent.statusCode).toBe(202);
    const run = sent.json();
    expect(run).toMatchObject({
      mailing_id: mailing.id,
      mailing_name: "Winter news",
      trigger: "api",
      status: "sending",
      total_count: 2,
      progress: { pending: 2, sending: 0, sent: 0, failed: 0, total: 2, done: false },
    });
    const again = await api.call("POST", `/mailings/${mailing.id}/send`);
    expect(again.statusCode).toBe(409);

    const runs = await api.call("GET", `/mailings/${mailing.id}/runs?limit=5`);
    expect(runs.json()).toMatchObject({ total: 1, limit: 5, items: [{ id: run.id }] });
    expect((await api.call("GET", `/runs/${run.id}`)).json()).toMatchObject({
      id: run.id,
      progress: { pending: 2 },
    });
    const pending = await api.call("GET", `/runs/${run.id}/deliveries?status=pending&limit=1`);
    expect(pending.json()).toMatchObject({ total: 2, pages: 2, items: [{ status: "pending" }] });
    expect((await api.call("GET", `/runs/${run.id}/deliveries?status=nope`)).statusCode).toBe(422);
    expect((await api.call("POST", `/runs/${run.id}/retry-failed`)).statusCode).toBe(409);

    // The run finishes with one failure (no worker runs in these tests), then the failure is retried.
    const now = new Date().toISOString();
    const [first] = await database.db.selectFrom("deliveries").select("id").orderBy("id").execute();
    await database.db
      .updateTable("deliveries")
      .set({ status: "sent", sent_at: now, last_code: 250 })
      .execute();
    await database.db
      .updateTable("deliveries")
      .set({ status: "failed", last_code: 550, last_text: "550 no such user" })
      .where("id", "=", first!.id)
      .execute();
    await database.db
      .updateTable("runs")
      .set({
        status: "failure",
        sent_count: 1,
        failed_count: 1,
        finished_at: now,
        response: '{"codes":{"250":1,"550":1},"failures":[{"text":"550 no such user","count":1}]}',
      })
      .execute();
    const finished = (await api.call("GET", `/runs/${run.id}`)).json();
    expect(finished).toMatchObject({ status: "failure", summary: { codes: { "250": 1, "550": 1 } } });
    expect((await api.call("GET", `/runs/${run.id}/deliveries?status=failed`)).json().items).toMatchObject([
      { last_code: 550, last_text: "550 no such user" },
    ]);
    const retried = await api.call("POST", `/runs/${run.id}/retry-failed`);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: "sending", progress: { pending: 1, sent: 1 } });

    expect((await api.call("DELETE", `/mailings/${mailing.id}`)).statusCode).toBe(204);
    expect((await api.call("GET", `/runs/${run.id}`)).statusCode).toBe(404);
  });

  it("names every invalid mailing field, and refuses another user's message", async () => {
    const { api } = await buildApi();
    const bad = await api.call("POST", "/mailings", {
      name: "",
      periodicity: "hourly",
      time_zone: "Mars/Base",
    });
    expect(bad.statusCode).toBe(422);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
      // No end_at: whether one is needed depends on the periodicity (a one-off needs none), itself invalid.
    ).toEqual(["first_send_at", "message_id", "name", "periodicity", "time_zone"]);
    const order = await api.call("POST", "/mailings", {
      ...MAILING,
      message_id: 1,
      end_at: "2098-01-01T09:00",
    });
    expect(order.statusCode).toBe(422);
    const notMine = await api.call("POST", "/mailings", { ...MAILING, message_id: 999 });
    expect(notMine.json().errors).toEqual([{ field: "message_id", message: "Choose one of your messages." }]);
    expect((await api.call("POST", "/mailings/1/send")).statusCode).toBe(404);
  });

  it("tells who the token acts as and the home page figures", async () => {
    const { api } = await buildApi();
    const me = (await api.call("GET", "/me")).json();
    expect(me).toEqual({
      id: api.user.id,
      email: api.user.email,
      name: api.user.name,
      role: "user",
      time_zone: "UTC",
      created_at: api.user.created_at,
    });
    await api.call("POST", "/recipients", { email: "a@example.com" });
    expect((await api.call("GET", "/stats")).json()).toEqual({
      mailings: 0,
      active_mailings: 0,
      unique_recipients: 1,
      scope: "own",
    });
  });
});
