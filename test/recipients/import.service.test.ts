import { afterEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { User } from "../../src/db/schema.js";
import { RecipientExportService } from "../../src/recipients/export.js";
import { RecipientImportService } from "../../src/recipients/import/import.service.js";
import { RecipientsService } from "../../src/recipients/recipients.service.js";
import { testDatabase } from "../helpers/db.js";
import { createUser } from "../helpers/fixtures.js";

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function setup() {
  database = await testDatabase();
  const sut = new RecipientImportService(database);
  const recipients = new RecipientsService(database);
  const exporter = new RecipientExportService(database);
  const owner = await createUser(database.db);
  const other = await createUser(database.db);
  return { database, sut, recipients, exporter, owner, other };
}

async function recipientsOf(db: Database, user: User) {
  return db.db
    .selectFrom("recipients")
    .select(["email", "email_normalized", "full_name", "comment"])
    .where("owner_id", "=", user.id)
    .orderBy("email_normalized")
    .execute();
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += chunk;
  return text;
}

describe(RecipientImportService.name, () => {
  it("reports the true line of an invalid UTF-8 byte at line 15,002 and keeps every valid row before it (finding 7)", async () => {
    const { database, sut, owner } = await setup();
    const rows = Array.from({ length: 15_000 }, (_, i) => `r${i}@example.com,Name ${i},é ${i}\n`).join("");
    const head = Buffer.from(`email,full_name,comment\n${rows}broken@example.com,Zo`);
    const file = Buffer.concat([head, Buffer.from([0xeb]), Buffer.from(",latin-1\nafter@example.com,,\n")]);
    // As a file stream reads it: 64 KiB pieces, so the bad byte sits in the middle of a piece.
    const chunks: Buffer[] = [];
    for (let at = 0; at < file.length; at += 65_536) chunks.push(file.subarray(at, at + 65_536));
    const summary = await sut.importCsv(owner, chunks);
    expect(summary.error).toContain("Line 15002");
    expect(summary.error).toContain("not UTF-8");
    expect(summary).toMatchObject({ rows: 15_000, added: 15_000, invalid: 0 });
    const count = await database.db
      .selectFrom("recipients")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("owner_id", "=", owner.id)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(15_000);
  }, 60_000);

  it("imports a semicolon file with a BOM, columns in any order and extra columns ignored", async () => {
    const { database, sut, owner } = await setup();
    const csv =
      "\uFEFFPhone;Comment;E-Mail;FULL NAME\r\n123;vip;ann@example.com;Ann Smith\r\n456;;bo@example.com;Bo\r\n";
    const summary = await sut.importCsv(owner, [Buffer.from(csv)]);
    expect(summary).toMatchObject({ rows: 2, added: 2, updated: 0, skipped: 0, invalid: 0, error: null });
    expect(await recipientsOf(database, owner)).toEqual([
      {
        email: "ann@example.com",
        email_normalized: "ann@example.com",
        full_name: "Ann Smith",
        comment: "vip",
      },
      { email: "bo@example.com", email_normalized: "bo@example.com", full_name: "Bo", comment: "" },
    ]);
  });

  it("reports invalid rows and duplicates with their physical line numbers", async () => {
    const { database, sut, recipients, owner } = await setup();
    await recipients.create(owner, { email: "Old@Example.com", full_name: "Old name" });
    const csv = [
      "email,name,comment", // 1
      "ann@example.com,Ann,ok", // 2
      'not-an-email,Cy,"Multi', // 3
      'line comment"', // 4
      "", // 5 (blank)
      " ANN@example.com ,Ann again,", // 6: same as line 2
      "old@example.com,New name,", // 7: already a recipient
      `long@example.com,${"n".repeat(201)},`, // 8: name too long
      "bo@example.com,Bo,", // 9
    ].join("\n");
    const summary = await sut.importCsv(owner, [csv]);
    expect(summary).toMatchObject({ rows: 6, added: 2, updated: 0, skipped: 2, invalid: 2, error: null });
    expect(summary.problems).toEqual([
      { line: 3, email: "not-an-email", reason: "Enter a valid email address, like name@example.com." },
      { line: 6, email: "ANN@example.com", reason: "Same email as line 2." },
      { line: 7, email: "old@example.com", reason: "Already in your recipients: left as it is." },
      { line: 8, email: "long@example.com", reason: "Full name must be at most 200 characters." },
    ]);
    const rows = await recipientsOf(database, owner);
    expect(rows.map((r) => r.email_normalized)).toEqual([
      "ann@example.com",
      "bo@example.com",
      "old@example.com",
    ]);
    expect(rows.find((r) => r.email_normalized === "old@example.com")?.full_name).toBe("Old name");
  });

  it("updates existing recipients when asked, only in the columns the file has", async () => {
    const { database, sut, recipients, owner } = await setup();
    await recipients.create(owner, { email: "ann@example.com", full_name: "Ann", comment: "keep me" });
    const summary = await sut.importCsv(
      owner,
      ["email,full name\nANN@example.com,Ann Smith\nbo@example.com,Bo\n"],
      {
        updateExisting: true,
      },
    );
    expect(summary).toMatchObject({ rows: 2, added: 1, updated: 1, skipped: 0, invalid: 0, problems: [] });
    expect(await recipientsOf(database, owner)).toEqual([
      {
        email: "ANN@example.com",
        email_normalized: "ann@example.com",
        full_name: "Ann Smith",
        comment: "keep me",
      },
      { email: "bo@example.com", email_normalized: "bo@example.com", full_name: "Bo", comment: "" },
    ]);
  });

  it("writes a batch at a time and keeps duplicates across batch boundaries apart", async () => {
    const { database, sut, owner } = await setup();
    const lines = ["email"];
    for (let i = 1; i <= 25; i++) lines.push(`r${i}@example.com`);
    lines.push("r3@example.com", "r10@example.com"); // lines 27 and 28: duplicates from earlier batches
    const progress: number[] = [];
    const summary = await sut.importCsv(owner, [lines.join("\n")], {
      batchSize: 10,
      onProgress: async (s) => {
        progress.push(s.added);
      },
    });
    expect(summary).toMatchObject({ rows: 27, added: 25, skipped: 2 });
    expect(summary.problems.map((p) => p.line)).toEqual([27, 28]);
    expect(progress).toEqual([10, 20, 25]);
    expect(await recipientsOf(database, owner)).toHaveLength(25);
  });

  it("keeps the batches before a broken line and says where it stopped", async () => {
    const { database, sut, owner } = await setup();
    const lines = ["email"];
    for (let i = 1; i <= 12; i++) lines.push(`r${i}@example.com`);
    lines.push('"broken@example.com');
    const summary = await sut.importCsv(owner, [lines.join("\n")], { batchSize: 5 });
    expect(summary.added).toBe(12);
    expect(summary.error).toContain("Line 14");
    expect(await recipientsOf(database, owner)).toHaveLength(12);
  });

  it("refuses a file without an email column or an empty file, writing nothing", async () => {
    const { database, sut, owner } = await setup();
    expect((await sut.importCsv(owner, ["name,phone\nAnn,1\n"])).error).toContain(
      "must name an email column",
    );
    expect((await sut.importCsv(owner, [""])).error).toContain("The file is empty");
    expect(await recipientsOf(database, owner)).toHaveLength(0);
  });

  it("imports only into the acting user's recipients", async () => {
    const { database, sut, recipients, owner, other } = await setup();
    await recipients.create(other, { email: "shared@example.com", full_name: "Other's" });
    const summary = await sut.importCsv(owner, ["email,name\nshared@example.com,Mine\n"], {
      updateExisting: true,
    });
    expect(summary).toMatchObject({ added: 1, updated: 0 });
    expect((await recipientsOf(database, other))[0]?.full_name).toBe("Other's");
    expect((await recipientsOf(database, owner))[0]?.full_name).toBe("Mine");
  });

  it("round-trips through the export into another user, formula cells included", async () => {
    const { database, sut, recipients, exporter, owner, other } = await setup();
    const people = [
      { email: "ann@example.com", full_name: '=HYPERLINK("http://evil")', comment: "line one\nline two" },
      { email: "-bo@example.com", full_name: "+Bo, Jr.", comment: '@home "quoted"' },
      { email: "cy@example.com", full_name: "Zoë; Ünïcode", comment: "" },
    ];
    for (const p of people) await recipients.create(owner, p);
    const csv = await collect(exporter.csv(owner));
    expect(csv.split("\r\n")[0]).toBe("email,full_name,comment");
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csv).toContain("'-bo@example.com");
    expect(csv).toContain(`"'+Bo, Jr."`);
    expect(csv).toContain(`"'@home ""quoted"""`);
    const summary = await sut.importCsv(other, [csv]);
    expect(summary).toMatchObject({ added: 3, invalid: 0, skipped: 0, error: null });
    const strip = (rows: Awaited<ReturnType<typeof recipientsOf>>) =>
      rows.map(({ email, full_name, comment }) => ({ email, full_name, comment }));
    expect(strip(await recipientsOf(database, other))).toEqual(strip(await recipientsOf(database, owner)));
  });
});

describe("RecipientImportService into a list", () => {
  it("puts every valid row, new or already a recipient, in the chosen list; another user's list imports nothing", async () => {
    const { database, sut, recipients, owner, other } = await setup();
    const { ListsService } = await import("../../src/lists/lists.service.js");
    const lists = new ListsService(database);
    const list = await lists.create(owner, { name: "Fair 2026" });
    const theirs = await lists.create(other, { name: "Theirs" });
    await recipients.create(owner, { email: "old@example.com" });
    await recipients.create(owner, { email: "outside@example.com" });
    const csv = "email,full name\nold@example.com,Old\nnew@example.com,New\nnot-an-email,Bad\n";
    const summary = await sut.importCsv(owner, [csv], { listId: list.id });
    expect(summary).toMatchObject({ added: 1, skipped: 1, invalid: 1, error: null });
    const members = await database.db
      .selectFrom("list_members")
      .innerJoin("recipients", "recipients.id", "list_members.recipient_id")
      .select("recipients.email")
      .where("list_members.list_id", "=", list.id)
      .orderBy("recipients.email")
      .execute();
    expect(members.map((m) => m.email)).toEqual(["new@example.com", "old@example.com"]);

    const refused = await sut.importCsv(owner, ["email\nsneaky@example.com\n"], { listId: theirs.id });
    expect(refused.error).toBe("The chosen list was not found: nothing was imported.");
    expect((await recipientsOf(database, owner)).map((r) => r.email)).not.toContain("sneaky@example.com");
  });
});
