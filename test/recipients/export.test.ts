import { sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { csvCell, RecipientExportService } from "../../src/recipients/export.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

describe(csvCell.name, () => {
  it("quotes separators, quotes, line breaks and edge spaces", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell("a;b")).toBe('"a;b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("one\ntwo")).toBe('"one\ntwo"');
    expect(csvCell(" padded")).toBe('" padded"');
    expect(csvCell("")).toBe("");
  });

  it("makes cells that a spreadsheet would run as formulas plain text", () => {
    expect(csvCell("=1+2")).toBe("'=1+2");
    expect(csvCell("+49 30 1234")).toBe("'+49 30 1234");
    expect(csvCell("-x")).toBe("'-x");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\t=1")).toBe("'\t=1");
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell("a=b")).toBe("a=b");
  });
});

describe(RecipientExportService.name, () => {
  it("streams every one of the owner's recipients, page by page, and nobody else's", async () => {
    database = await testDatabase();
    const sut = new RecipientExportService(database);
    const owner = await createUser(database.db);
    const other = await createUser(database.db);
    const now = new Date().toISOString();
    for (const [user, n] of [
      [owner, 2_500],
      [other, 10],
    ] as const) {
      await sql`
        with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${n})
        insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
        select ${user.id}, 'r' || n || '@u${sql.raw(String(user.id))}.test', 'r' || n || '@u${sql.raw(String(user.id))}.test', 'Name ' || n, '', ${now}, ${now} from seq
      `.execute(database.db);
    }
    const chunks: string[] = [];
    for await (const chunk of sut.csv(owner)) chunks.push(chunk);
    const lines = chunks.join("").split("\r\n");
    expect(lines[0]).toBe("email,full_name,comment");
    expect(lines.at(-1)).toBe("");
    expect(lines).toHaveLength(2_502);
    expect(lines[1]).toBe(`r1@u${owner.id}.test,Name 1,`);
    expect(lines[2_500]).toBe(`r2500@u${owner.id}.test,Name 2500,`);
    expect(chunks.join("")).not.toContain(`@u${other.id}.test`);
    expect(chunks.length).toBeGreaterThan(3);
  });
});
