/** Opening the database for a command that reads it: names it, refuses a missing one unless asked to create. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { describeDatabase, NoDatabaseError, openExistingDatabase } from "../../src/cli/existing-database.js";
import { type Config, parseConfig } from "../../src/config.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sqliteConfig(): Config {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-existing-"));
  dirs.push(dir);
  return { ...parseConfig({ DATA_DIR: path.join(dir, "data") }), databaseUrl: undefined } as Config;
}

describe("openExistingDatabase", () => {
  it("refuses a missing SQLite database, naming the file, and creates nothing", async () => {
    const config = sqliteConfig();
    const lines: string[] = [];
    await expect(openExistingDatabase(config, { announce: (l) => lines.push(l) })).rejects.toThrow(
      NoDatabaseError,
    );
    await expect(openExistingDatabase(config, { announce: (l) => lines.push(l) })).rejects.toThrow(
      "--create",
    );
    expect(existsSync(path.join(config.dataDir, "postpilot.sqlite"))).toBe(false);
    expect(lines).toEqual([]);
  });

  it("with create, makes the database and says which one is in use", async () => {
    const config = sqliteConfig();
    const lines: string[] = [];
    const database = await openExistingDatabase(config, { create: true, announce: (l) => lines.push(l) });
    await database.close();
    const file = path.join(config.dataDir, "postpilot.sqlite");
    expect(existsSync(file)).toBe(true);
    expect(lines).toEqual([`Database: ${file}`]);
  });

  it("names a PostgreSQL database by host and name, never its password", () => {
    const config = {
      ...sqliteConfig(),
      databaseUrl: "postgres://pp:s3cret@db.example:5433/postpilot",
    } as Config;
    const described = describeDatabase(config);
    expect(described).toBe("PostgreSQL db.example:5433/postpilot");
    expect(described).not.toContain("s3cret");
  });
});
