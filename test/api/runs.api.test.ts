import { describe, expect, it } from "vitest";
import { KyselyDeliveryStore } from "../../src/delivery/delivery.store.js";
import { sentFailedWaiting } from "../delivery/support.js";
import { apiClient, buildApi, MAILING } from "./support.js";

describe("API: a run's tries, its status in words and retrying failures now", () => {
  it("lists each delivery's tries, says when the next retry is due, and retries the failures now", async () => {
    const t = await buildApi();
    const { api, database } = t;
    const message = (await api.call("POST", "/messages", { subject: "News", body: "Hello" })).json();
    for (const email of ["a@example.com", "b@example.com", "c@example.com"])
      await api.call("POST", "/recipients", { email });
    const mailing = (await api.call("POST", "/mailings", { ...MAILING, message_id: message.id })).json();
    const run = (await api.call("POST", `/mailings/${mailing.id}/send`)).json();
    expect(run).toMatchObject({ status: "sending", outcome: "sending", next_retry_at: null });

    // a: sent; b: failed (550, address in the text); c: waiting for its retry.
    const retryAt = new Date(Date.now() + 15 * 60_000).toISOString();
    const [, b, c] = await sentFailedWaiting(database, run.id, {
      failed: "550 5.1.1 <b@example.com> unknown",
      waiting: "451 4.7.1 greylisted",
      retryAt,
    });
    const at = "2027-03-10T09:00:00.000Z";
    await database.db
      .insertInto("delivery_attempts")
      .values([
        {
          delivery_id: b!.id,
          run_id: run.id,
          attempted_at: at,
          stage: "rcpt",
          outcome: "failed",
          code: 550,
          enhanced: "5.1.1",
          text: "550 5.1.1 <b@example.com> unknown",
          relay: "mx.example.test:25",
        },
        {
          delivery_id: c!.id,
          run_id: run.id,
          attempted_at: at,
          stage: "rcpt",
          outcome: "retry",
          code: 451,
          enhanced: "4.7.1",
          text: "451 4.7.1 greylisted",
          relay: "mx.example.test:25",
        },
      ])
      .execute();

    const waiting = (await api.call("GET", `/runs/${run.id}`)).json();
    expect(waiting).toMatchObject({ status: "sending", outcome: "sending", next_retry_at: retryAt });
    const failed = (await api.call("GET", `/runs/${run.id}/deliveries?status=failed`)).json();
    expect(failed.items).toEqual([
      expect.objectContaining({
        email: "b@example.com",
        earlier_attempts: 0,
        attempts: [
          {
            id: expect.any(Number),
            attempted_at: at,
            stage: "rcpt",
            outcome: "failed",
            code: 550,
            enhanced: "5.1.1",
            text: "550 5.1.1 <b@example.com> unknown",
            relay: "mx.example.test:25",
          },
        ],
      }),
    ]);

    const retried = await api.call("POST", `/runs/${run.id}/retry-failed`);
    expect(retried.statusCode).toBe(202);
    expect(retried.json()).toMatchObject({ status: "sending", progress: { sent: 1, failed: 0, pending: 2 } });
    const pending = (await api.call("GET", `/runs/${run.id}/deliveries?status=pending`)).json();
    expect(
      pending.items.map((d: { email: string; attempts: unknown[] }) => [d.email, d.attempts.length]),
    ).toEqual([
      ["b@example.com", 1],
      ["c@example.com", 1],
    ]);
    expect((await api.call("POST", `/runs/${run.id}/retry-failed`)).statusCode).toBe(409); // nothing failed

    // Both fail again; the finished run says "partly failed" and groups its failures.
    await database.db
      .updateTable("deliveries")
      .set({ status: "failed", last_code: 550, last_enhanced: "5.1.1" })
      .where("id", "in", [b!.id, c!.id])
      .execute();
    await database.db
      .updateTable("deliveries")
      .set({ last_text: "550 5.1.1 <c@example.com> unknown" })
      .where("id", "=", c!.id)
      .execute();
    await new KyselyDeliveryStore(database).finishRunsIfDone([run.id], new Date());
    const finished = (await api.call("GET", `/runs/${run.id}`)).json();
    expect(finished).toMatchObject({
      status: "failure",
      outcome: "partly_failed",
      failed_count: 2,
      next_retry_at: null,
      summary: {
        codes: { "250": 1, "550": 2 },
        failures: [{ code: 550, enhanced: "5.1.1", text: "550 5.1.1 <…> unknown", count: 2 }],
      },
    });
    expect((await api.call("GET", `/mailings/${mailing.id}/runs`)).json().items[0].outcome).toBe(
      "partly_failed",
    );

    // Someone else sees none of it.
    const intruder = await apiClient(t);
    expect((await intruder.call("GET", `/runs/${run.id}/deliveries`)).statusCode).toBe(404);
    expect((await intruder.call("POST", `/runs/${run.id}/retry-failed`)).statusCode).toBe(404);
  });
});
