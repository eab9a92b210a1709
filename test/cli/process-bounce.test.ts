import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { reportAbout, sendRun } from "../bounces/support.js";
import { seedMailing } from "../helpers/fixtures.js";
import { compileCli } from "../server/support.js";

describe("postpilot process-bounce (the compiled CLI, a message on standard input)", () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-bounce-"));
    // Inside the repository, so the compiled CLI finds node_modules.
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-process-bounce"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(input: string) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "silent" };
    delete env.DATABASE_URL;
    return spawnSync(process.execPath, [cli, "process-bounce"], { input, env, encoding: "utf8", cwd: dir });
  }

  it("records a piped DSN, suppresses the address, and ignores a message that is not a report", async () => {
    const database = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    await database.migrateToLatest();
    const seeded = await seedMailing(database.db, { recipients: ["nobody@example.com"] });
    const { deliveries } = await sendRun(database, seeded.mailing.id, seeded.user.id);
    const d = deliveries[0]!;
    await database.close();

    const dsn = reportAbout(
      "postfix-unknown-user.eml",
      d.message_id!,
      "nobody@example.com",
      "nobody@example.com",
    );
    const first = run(dsn);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`nobody@example.com: hard recorded on delivery ${d.id}`);
    expect(first.stdout).toContain("suppressed");
    const again = run(dsn);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain("duplicate");

    const other = run("From: a@example.com\nSubject: hello\n\nJust a note.\n");
    expect(other.status).toBe(0);
    expect(other.stdout).toContain("ignored");

    const empty = run("");
    expect(empty.status).toBe(1);

    const check = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    const rows = await check.db.selectFrom("suppressions").selectAll().execute();
    await check.close();
    expect(rows).toMatchObject([{ email: "nobody@example.com", reason: "hard_bounce", source: "bounce" }]);
  }, 60_000);
});
