import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { isUniqueViolation } from "../../src/db/database.js";
import { testDatabase } from "../helpers/db.js";

const now = new Date().toISOString();

describe("Database", () => {
  let database: Database;
  afterEach(async () => database?.close());

  it("applies the migrations and enforces the per-owner unique recipient email", async () => {
    database = await testDatabase();
    const user = await database.db
      .insertInto("users")
      .values({
        email: "a@example.com",
        email_normalized: "a@example.com",
        password_hash: "x",
        name: "A",
        time_zone: "UTC",
        role: "user",
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const row = {
      owner_id: user.id,
      email: "Bob@Example.com",
      email_normalized: "bob@example.com",
      full_name: "",
      comment: "",
      created_at: now,
      updated_at: now,
    };
    await database.db.insertInto("recipients").values(row).execute();
    const error = await database.db
      .insertInto("recipients")
      .values({ ...row, email: "bob@example.com" })
      .execute()
      .catch((e: unknown) => e);
    expect(isUniqueViolation(error)).toBe(true);
  });
});
