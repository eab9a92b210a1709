import { describe, expect, it } from "vitest";
import { buildApi, MAILING } from "./support.js";

describe("API: cursor pagination", () => {
  it("walks recipients by next_cursor: rows inserted between pages are neither repeated nor push rows out", async () => {
    const t = await buildApi();
    const emails = Array.from({ length: 7 }, (_, i) => `r${i}@example.com`);
    for (const email of emails) await t.api.call("POST", "/recipients", { email });
    const seen: string[] = [];
    let url = "/recipients?limit=3";
    for (let round = 0; round < 10; round++) {
      const res = await t.api.call("GET", url);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      seen.push(...body.items.map((r: { email: string }) => r.email));
      // Someone adds recipients while we page: they are newer than the walk's start, so not in it.
      await t.api.call("POST", "/recipients", { email: `new${round}@example.com` });
      if (body.next_cursor === null) break;
      url = `/recipients?limit=3&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual([...emails].reverse());
  });

  it("walks oldest first with dir=asc, and then includes rows added at the end", async () => {
    const t = await buildApi();
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) {
      await t.api.call("POST", "/recipients", { email });
    }
    const first = (await t.api.call("GET", "/recipients?limit=2&dir=asc")).json();
    expect(first.items.map((r: { email: string }) => r.email)).toEqual(["a@example.com", "b@example.com"]);
    expect(first).toMatchObject({ total: 3, page: 1, limit: 2 });
    await t.api.call("POST", "/recipients", { email: "d@example.com" });
    const second = (await t.api.call("GET", `/recipients?limit=2&cursor=${first.next_cursor}`)).json();
    expect(second.items.map((r: { email: string }) => r.email)).toEqual(["c@example.com", "d@example.com"]);
    expect(second).toMatchObject({ page: null, total: 4, next_cursor: null });
  });

  it("pages mailings by cursor; a forged cursor or cursor with page is a 422 naming cursor", async () => {
    const t = await buildApi();
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await t.api.call("POST", "/mailings", { ...MAILING, name: `M${i}`, message_id: message.id });
      ids.push(m.json().id);
    }
    const first = (await t.api.call("GET", "/mailings?limit=2")).json();
    expect(first.items.map((m: { id: number }) => m.id)).toEqual([ids[2], ids[1]]);
    const rest = (await t.api.call("GET", `/mailings?limit=2&cursor=${first.next_cursor}`)).json();
    expect(rest.items.map((m: { id: number }) => m.id)).toEqual([ids[0]]);
    expect(rest.next_cursor).toBeNull();

    const forged = await t.api.call("GET", "/mailings?cursor=not-a-cursor");
    expect(forged.statusCode).toBe(422);
    expect(forged.json().errors[0].field).toBe("cursor");
    const both = await t.api.call("GET", `/mailings?page=2&cursor=${first.next_cursor}`);
    expect(both.statusCode).toBe(422);
    // page keeps working as before, without a cursor.
    expect((await t.api.call("GET", "/mailings?page=2&limit=2")).json()).toMatchObject({
      page: 2,
      pages: 2,
      next_cursor: null,
    });
  });

  it("pages messages by cursor, searching subject and body", async () => {
    const t = await buildApi();
    for (const subject of ["One news", "Two news", "Three", "Four news"]) {
      await t.api.call("POST", "/messages", { subject, body: "Hello" });
    }
    const first = (await t.api.call("GET", "/messages?limit=2&q=news")).json();
    expect(first.items.map((m: { subject: string }) => m.subject)).toEqual(["Four news", "Two news"]);
    expect(first.total).toBe(3);
    await t.api.call("POST", "/messages", { subject: "Five news", body: "Hello" });
    const rest = (await t.api.call("GET", `/messages?limit=2&q=news&cursor=${first.next_cursor}`)).json();
    expect(rest.items.map((m: { subject: string }) => m.subject)).toEqual(["One news"]);
    expect(rest.next_cursor).toBeNull();
  });

  it("pages a run's deliveries by cursor in id order, with a status filter", async () => {
    const t = await buildApi();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await t.api.call("POST", "/recipients", { email: `d${i}@example.com` })).json().id);
    }
    const message = (await t.api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    const mailing = (
      await t.api.call("POST", "/mailings", { ...MAILING, message_id: message.id, recipient_ids: ids })
    ).json();
    const run = (await t.api.call("POST", `/mailings/${mailing.id}/send`)).json();
    const seen: string[] = [];
    let url = `/runs/${run.id}/deliveries?limit=2&status=pending`;
    for (let round = 0; round < 5; round++) {
      const body = (await t.api.call("GET", url)).json();
      expect(body.total).toBe(5);
      seen.push(...body.items.map((d: { email: string }) => d.email));
      if (body.next_cursor === null) break;
      url = `/runs/${run.id}/deliveries?limit=2&status=pending&cursor=${body.next_cursor}`;
    }
    expect(seen).toEqual(ids.map((_, i) => `d${i}@example.com`));
    expect((await t.api.call("GET", `/runs/${run.id}/deliveries?page=1&cursor=x`)).statusCode).toBe(422);
  });
});
