import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { progressWriter } from "../../src/cli/send.js";
import { Database } from "../../src/db/database.js";
import { createUser } from "../helpers/fixtures.js";
import { compileCli } from "../server/support.js";

describe("postpilot send's progress line", () => {
  it("on a terminal, clears the rest of the line before each redraw, so a shorter line leaves nothing behind", () => {
    const out: string[] = [];
    const show = progressWriter(true, (text) => out.push(text));
    show("pending 1754");
    show("pending 1754");
    show("pending 175");
    expect(out).toEqual(["\r\u001b[Kpending 1754", "\r\u001b[Kpending 175"]);
  });

  it("elsewhere, writes one line per change and nothing for a poll that changed nothing", () => {
    const out: string[] = [];
    const show = progressWriter(false, (text) => out.push(text));
    for (const line of ["a 1", "a 1", "a 1", "a 2", "a 2"]) show(line);
    expect(out).toEqual(["a 1\n", "a 2\n"]);
  });
});

describe("commands that read a database that is not there (the compiled CLI)", () => {
  let dir: string;
  let cli: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-missing-"));
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-missing-input"));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(dataDir: string, ...args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: "silent" };
    delete env.DATABASE_URL;
    return spawnSync(process.execPath, [cli, ...args], { env, encoding: "utf8", cwd: dir });
  }

  it("say where they looked and how to point at the database, exit non-zero and create nothing", () => {
    const empty = path.join(dir, "nowhere");
    for (const args of [
      ["mailings"],
      ["lists", "--owner", "a@example.com"],
      ["users", "list"],
      ["send", "1"],
    ]) {
      const result = run(empty, ...args);
      expect(result.status, args.join(" ")).not.toBe(0);
      expect(result.stderr).toContain(path.join(empty, "postpilot.sqlite"));
      expect(result.stderr).toContain("DATA_DIR");
      expect(result.stderr).toContain("DATABASE_URL");
      expect(result.stdout).toBe("");
    }
    expect(existsSync(empty)).toBe(false);
  });

  it("import-recipients of a missing file names it, imports nothing and exits 1", async () => {
    const data = path.join(dir, "data");
    const database = Database.sqlite(path.join(data, "postpilot.sqlite"));
    await database.migrateToLatest();
    await createUser(database.db, { email: "owner@example.com" });
    await database.close();

    const missing = path.join(dir, "no-such.csv");
    const result = run(data, "import-recipients", "--owner", "owner@example.com", missing);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`Cannot read ${missing}: no such file`);
    expect(result.stdout).not.toContain("Imported");

    const folder = run(data, "import-recipients", "--owner", "owner@example.com", dir);
    expect(folder.status).toBe(1);
    expect(folder.stderr).toContain(`Cannot read ${dir}: not a file`);
  });
});
