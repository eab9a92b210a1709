import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { createUser } from "../helpers/fixtures.js";
import { compileCli } from "../server/support.js";

describe("postpilot webhooks (the compiled CLI)", () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-webhooks-"));
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-webhooks"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(...args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, "data"), LOG_LEVEL: "silent" };
    delete env.DATABASE_URL;
    delete env.WEBHOOK_ALLOW_PRIVATE;
    return spawnSync(process.execPath, [cli, "webhooks", ...args], { env, encoding: "utf8", cwd: dir });
  }

  it("adds, lists, disables, enables and removes a user's endpoint, refusing a loopback URL and unknown events", async () => {
    const fresh = Database.sqlite(path.join(dir, "data", "postpilot.sqlite"));
    await fresh.migrateToLatest();
    await createUser(fresh.db, { email: "ada@example.com" });
    await fresh.close();

    expect(run("list", "--user", "ada@example.com").stdout).toContain("No webhook endpoints.");
    const loop = run(
      "add",
      "--user",
      "ada@example.com",
      "--url",
      "http://localhost:4100/",
      "--events",
      "run.started",
    );
    expect(loop.status).toBe(1);
    expect(loop.stderr).toContain("private or local address");
    const unknown = run(
      "add",
      "--user",
      "ada@example.com",
      "--url",
      "https://93.184.216.34/",
      "--events",
      "nope",
    );
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("Unknown event type.");

    const added = run(
      "add",
      "--user",
      "ada@example.com",
      "--url",
      "https://93.184.216.34/hooks",
      "--events",
      "run.finished,delivery.failed",
    );
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Endpoint 1 added\. Signing secret \(shown once\): whsec_/);
    const list = run("list", "--user", "ada@example.com").stdout;
    expect(list).toContain("https://93.184.216.34/hooks");
    expect(list).toContain("run.finished,delivery.failed");
    expect(run("disable", "--user", "ada@example.com", "1").stdout).toContain("Endpoint 1 disabled.");
    expect(run("list", "--user", "ada@example.com").stdout).toMatch(/\bdisabled\b/);
    expect(run("enable", "--user", "ada@example.com", "1").stdout).toContain("Endpoint 1 enabled.");
    expect(run("list", "--user", "ada@example.com").stdout).toMatch(/\benabled\b/);
    expect(run("enable", "--user", "bo@example.com", "1").status).toBe(1);
    expect(run("remove", "--user", "ada@example.com", "1").stdout).toContain("Endpoint 1 removed.");
    expect(run("remove", "--user", "ada@example.com", "1").status).toBe(1);
  });
});
