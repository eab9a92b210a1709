import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { createMailing, createMessage, createUser } from "../helpers/fixtures.js";
import { compileCli } from "../server/support.js";

describe("postpilot senders (the compiled CLI)", () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-senders-"));
    // Inside the repository, so the compiled CLI finds node_modules.
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-senders"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(...args: string[]) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: path.join(dir, "data"),
      LOG_LEVEL: "silent",
      SMTP_FROM: "Shop <shop@example.com>",
    };
    delete env.DATABASE_URL;
    return spawnSync(process.execPath, [cli, "senders", ...args], { env, encoding: "utf8", cwd: dir });
  }

  it("adds, lists and removes senders (audited), refusing bad input and a sender in use", async () => {
    // `senders` reads an existing database (it creates none): migrate one first, as `postpilot migrate` would.
    const fresh = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    await fresh.migrateToLatest();
    await fresh.close();
    const empty = run("list");
    expect(empty.stdout).toContain("No senders: every mailing sends as Shop <shop@example.com> (SMTP_FROM).");

    const bad = run("add", "--name", "Bakery", "--email", "not-an-email", "--postal-address", "1 Lane");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("from_email: Enter a valid email address");

    const added = run(
      "add",
      "--name",
      "Ada's Bakery",
      "--email",
      "news@bakery.example",
      "--postal-address",
      "1 Flour Lane\\nSpringfield",
    );
    // Only the line naming the database in use.
    expect(added.stderr).toBe(`Database: ${path.join(dir, "data", "postpilot.sqlite")}\n`);
    expect(added.status).toBe(0);
    const id = Number(/Sender (\d+) added/.exec(added.stdout)?.[1]);
    expect(added.stdout).toContain("Ada's Bakery <news@bakery.example>");

    const listed = run("list");
    expect(listed.stdout).toMatch(
      /Ada's Bakery <news@bakery\.example>\s+-\s+1 Flour Lane \/ Springfield\s+0/,
    );

    // In use by a mailing: refused with how many.
    const database = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    const user = await createUser(database.db);
    const message = await createMessage(database.db, user.id);
    const mailing = await createMailing(database.db, { ownerId: user.id, messageId: message.id });
    await database.db.updateTable("mailings").set({ sender_id: id }).where("id", "=", mailing.id).execute();
    const refused = run("remove", String(id));
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("This sender cannot be deleted: a mailing sends as it.");
    await database.db.updateTable("mailings").set({ sender_id: null }).execute();

    expect(run("remove", "abc").status).toBe(2);
    const removed = run("remove", String(id));
    expect(removed.status).toBe(0);
    expect(removed.stdout).toContain(`Sender ${id} deleted`);
    const audit = await database.db.selectFrom("audit_log").select(["action", "actor_email"]).execute();
    await database.close();
    expect(audit).toEqual([
      { action: "create_sender", actor_email: "command line" },
      { action: "delete_sender", actor_email: "command line" },
    ]);
  }, 120_000);
});
