import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { createMessage, createUser } from "../helpers/fixtures.js";
import { compileCli } from "../server/support.js";

describe("postpilot send-test (the compiled CLI)", () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-send-test-"));
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-send-test"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(...args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "silent" };
    delete env.DATABASE_URL;
    return spawnSync(process.execPath, [cli, "send-test", ...args], { env, encoding: "utf8", cwd: dir });
  }

  it("queues a [Test] copy to the owner or the given addresses, and refuses bad input plainly", async () => {
    const database = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    await database.migrateToLatest();
    const user = await createUser(database.db, { email: "owner@example.com" });
    const message = await createMessage(database.db, user.id, {
      subject: "Hi {{ recipient.first_name }}",
      body: "Body",
    });
    await database.close();

    const mine = run(String(message.id), "--owner", "owner@example.com");
    // Only the line naming the database in use.
    expect(mine.stderr).toBe(`Database: ${path.join(dir, "data", "postpilot.sqlite")}\n`);
    expect(mine.status).toBe(0);
    expect(mine.stdout).toContain("Test queued to owner@example.com");
    const two = run(
      String(message.id),
      "--owner",
      "owner@example.com",
      "--to",
      "a@example.com,b@example.com",
    );
    expect(two.stdout).toContain("Test queued to a@example.com, b@example.com");
    const bad = run(String(message.id), "--owner", "owner@example.com", "--to", "not-an-address");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/to\.0: .*email/i);
    const missing = run("999", "--owner", "owner@example.com");
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("Message not found");

    const check = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    const queued = await check.db
      .selectFrom("account_emails")
      .select(["to_address", "subject", "kind"])
      .execute();
    await check.close();
    expect(queued).toEqual([
      { to_address: "owner@example.com", subject: "[Test] Hi Ada", kind: "test" },
      { to_address: "a@example.com", subject: "[Test] Hi Ada", kind: "test" },
      { to_address: "b@example.com", subject: "[Test] Hi Ada", kind: "test" },
    ]);
  });
});
