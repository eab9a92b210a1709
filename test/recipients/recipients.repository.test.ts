import type { KyselyPlugin } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { RecipientsRepository } from "../../src/recipients/recipients.repository.js";
import { normalizeEmail } from "../../src/shared/fields.js";
import { testDatabase } from "../helpers/db.js";
import { createRecipients, createUser } from "../helpers/fixtures.js";

/** Counts the statements a Kysely instance runs. */
function counting(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery(args) {
      this.count++;
      return args.node;
    },
    async transformResult(args) {
      return args.result;
    },
  };
}

describe(RecipientsRepository.name, () => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
  });

  it("resolves 1,200 addresses in one query per 500 (3), keeping the missing ones as given and in order", async () => {
    database = await testDatabase();
    const user = await createUser(database.db);
    const other = await createUser(database.db);
    const emails = Array.from({ length: 1_100 }, (_, i) => `r${i}@example.com`);
    const known = await createRecipients(database.db, user.id, emails);
    await createRecipients(database.db, other.id, ["theirs@example.com"]);
    const asked = [
      ...emails.map((e, i) => (i === 7 ? ` R7@Example.COM ` : e)),
      "nobody@example.com",
      "theirs@example.com",
      "r0@example.com",
      ...Array.from({ length: 97 }, (_, i) => `missing${i}@example.com`),
    ];
    expect(asked).toHaveLength(1_200);
    const plugin = counting();
    const sut = new RecipientsRepository(database.db.withPlugin(plugin));
    const { ids, missing } = await sut.idsByEmails(user, asked, normalizeEmail);
    expect(plugin.count).toBe(3);
    expect(ids.sort((a, b) => a - b)).toEqual(known.map((r) => r.id).sort((a, b) => a - b));
    expect(missing).toEqual([
      "nobody@example.com",
      "theirs@example.com",
      ...Array.from({ length: 97 }, (_, i) => `missing${i}@example.com`),
    ]);
  });
});
