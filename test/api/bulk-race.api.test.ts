import { describe, expect, it } from "vitest";
import type { Recipient } from "../../src/db/schema.js";
import { upsertChunk } from "../../src/recipients/recipients.bulk.js";
import { RecipientsRepository } from "../../src/recipients/recipients.repository.js";
import type { Actor } from "../../src/shared/actor.js";
import { createRecipients } from "../helpers/fixtures.js";
import type { TestApp } from "../helpers/web.js";
import { buildApi, expectDeclared } from "./support.js";

async function bulk(t: TestApp & { api: { token: string } }, rows: unknown[]) {
  const res = await t.app.inject({
    method: "POST",
    url: "/api/v1/recipients/bulk",
    headers: { authorization: `Bearer ${t.api.token}` },
    payload: rows as unknown as Record<string, unknown>,
  });
  await expectDeclared(t, "POST", "/api/v1/recipients/bulk", res);
  return res;
}

/** Its first read of known emails is stale: it sees none, as when another call had not committed yet. */
class StaleFirstRead extends RecipientsRepository {
  private reads = 0;
  override findByEmails(actor: Actor, emails: readonly string[]): Promise<Recipient[]> {
    return this.reads++ === 0 ? Promise.resolve([]) : super.findByEmails(actor, emails);
  }
}

describe("API: concurrent POST /recipients/bulk with overlapping emails", () => {
  it("both calls answer 200; each email is one recipient, created by one call and updated by the other", async () => {
    const t = await buildApi();
    const a = Array.from({ length: 1_500 }, (_, i) => ({ email: `e${i}@example.com`, full_name: "A" }));
    const b = Array.from({ length: 1_500 }, (_, i) => ({ email: `e${i + 500}@example.com`, full_name: "B" }));
    const [ra, rb] = await Promise.all([bulk(t, a), bulk(t, b)]);
    expect([ra.statusCode, rb.statusCode]).toEqual([200, 200]);
    const [ja, jb] = [ra.json(), rb.json()];
    expect(ja.created + jb.created).toBe(2_000);
    expect(ja.updated + jb.updated).toBe(1_000);
    expect(ja.invalid + jb.invalid + ja.unchanged + jb.unchanged).toBe(0);
    const stored = await t.database.db
      .selectFrom("recipients")
      .select(["id", "email_normalized"])
      .where("owner_id", "=", t.api.user.id)
      .execute();
    expect(stored).toHaveLength(2_000);
    const ids = new Map(stored.map((r) => [r.email_normalized, r.id]));
    for (const [rows, answer] of [
      [a, ja],
      [b, jb],
    ] as const) {
      answer.results.forEach((r: { id: number }, i: number) => {
        expect(r.id).toBe(ids.get(rows[i]!.email));
      });
    }
  });

  it("rows whose email another call created after the read are re-read and reported updated or unchanged, never a 500", async () => {
    const t = await buildApi();
    const actor = t.api.user;
    // Created "meanwhile" by another call: the chunk's first read does not see them.
    const [ann, bo] = await createRecipients(t.database.db, actor.id, ["ann@example.com", "bo@example.com"]);
    await t.database.db.updateTable("recipients").set({ full_name: "Bo" }).where("id", "=", bo!.id).execute();
    const rows = await t.database.db
      .transaction()
      .execute((tx) =>
        upsertChunk(
          new StaleFirstRead(tx),
          actor,
          [
            { email: "ANN@example.com", full_name: "Ann" },
            { email: "bo@example.com", full_name: "Bo" },
            { email: "cy@example.com" },
            { email: "ann@example.com", comment: "twice" },
          ],
          0,
          new Date().toISOString(),
        ),
      );
    expect(rows.map((r) => [r.index, r.status])).toEqual([
      [0, "updated"],
      [1, "unchanged"],
      [2, "created"],
      [3, "updated"],
    ]);
    expect(rows[0]!.id).toBe(ann!.id);
    expect(rows[1]!.id).toBe(bo!.id);
    expect(rows[3]!.id).toBe(ann!.id);
    const stored = await t.database.db
      .selectFrom("recipients")
      .select(["email", "full_name", "comment"])
      .where("owner_id", "=", actor.id)
      .orderBy("id")
      .execute();
    expect(stored).toEqual([
      { email: "ann@example.com", full_name: "Ann", comment: "twice" },
      { email: "bo@example.com", full_name: "Bo", comment: "" },
      { email: "cy@example.com", full_name: "", comment: "" },
    ]);
  });
});
