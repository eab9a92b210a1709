import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Command } from "commander";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { formatTable } from "../../src/cli/table.js";
import { registerUserCommands } from "../../src/cli/users.js";
import { parseConfig } from "../../src/config.js";
import { Database } from "../../src/db/database.js";
import { hasControlCharacter } from "../../src/shared/fields.js";
import { createUser } from "../helpers/fixtures.js";

// A name as stored before control characters were refused: it sets the terminal's title and rings.
const HOSTILE = "\u001b]0;pwned\u0007\u001b[2J\u202eAnn\u009b";

describe("CLI tables (finding 5)", () => {
  let dir: string;
  let out: string[];

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-tables-"));
    out = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void out.push(line));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it("escape every control character a cell holds", () => {
    const table = formatTable([{ name: HOSTILE, email: "a@example.com" }]);
    expect(hasControlCharacter(table.replaceAll("\n", ""))).toBe(false);
    expect(table).toContain("\\u{1b}]0;pwned\\u{7}");
  });

  it("postpilot users list prints a hostile name escaped", async () => {
    const database = Database.sqlite(path.join(dir, "postpilot.sqlite"));
    await database.migrateToLatest();
    await createUser(database.db, { email: "ann@example.com", name: HOSTILE });
    await database.close();
    const program = new Command("postpilot").exitOverride();
    registerUserCommands(
      program,
      () => parseConfig({ DATA_DIR: dir }),
      (error) => {
        throw error;
      },
    );
    await program.parseAsync(["users", "list"], { from: "user" });
    const printed = out.join("\n");
    expect(printed).toContain("ann@example.com");
    expect(hasControlCharacter(printed.replaceAll("\n", ""))).toBe(false);
  });
});
