import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvLine } from "../../src/recipients/export.js";
import { mapColumns, unescapeFormula } from "../../src/recipients/import/columns.js";
import { CsvError, type CsvRecord, detectDelimiter, readCsv } from "../../src/recipients/import/csv.js";

async function parse(chunks: (string | Uint8Array)[] | string): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  for await (const r of readCsv(typeof chunks === "string" ? [chunks] : chunks)) records.push(r);
  return records;
}

/** The text as bytes cut into pieces of `size` bytes (so multi-byte characters and CRLFs get split). */
function pieces(text: string, size: number): Uint8Array[] {
  const bytes = new TextEncoder().encode(text);
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

describe(readCsv.name, () => {
  it("reads a plain file with its line numbers", async () => {
    expect(await parse("email,name\na@x.io,Ann\nb@x.io,Bo\n")).toEqual([
      { line: 1, fields: ["email", "name"] },
      { line: 2, fields: ["a@x.io", "Ann"] },
      { line: 3, fields: ["b@x.io", "Bo"] },
    ]);
  });

  it("drops a UTF-8 BOM, in bytes and in text", async () => {
    const text = "\uFEFFemail;name\r\na@x.io;Zoë\r\n";
    for (const input of [[text], pieces(text, 1), pieces(text, 3)]) {
      expect(await parse(input)).toEqual([
        { line: 1, fields: ["email", "name"] },
        { line: 2, fields: ["a@x.io", "Zoë"] },
      ]);
    }
  });

  it("detects the separator from the header line", () => {
    expect(detectDelimiter("email;full name;comment")).toBe(";");
    expect(detectDelimiter("email,full name,comment")).toBe(",");
    expect(detectDelimiter('"a;b",c')).toBe(",");
    expect(detectDelimiter("email\tname")).toBe("\t");
    expect(detectDelimiter("email")).toBe(",");
  });

  it("reads quoted fields with separators, doubled quotes and line breaks, counting physical lines", async () => {
    const text =
      'email,comment\na@x.io,"one, two"\nb@x.io,"say ""hi"""\nc@x.io,"first\r\nsecond\nthird"\nd@x.io,last\n';
    const expected = [
      { line: 1, fields: ["email", "comment"] },
      { line: 2, fields: ["a@x.io", "one, two"] },
      { line: 3, fields: ["b@x.io", 'say "hi"'] },
      { line: 4, fields: ["c@x.io", "first\r\nsecond\nthird"] },
      { line: 7, fields: ["d@x.io", "last"] },
    ];
    expect(await parse(text)).toEqual(expected);
    // The same, whatever the chunk boundaries.
    for (const size of [1, 2, 5, 7]) expect(await parse(pieces(text, size))).toEqual(expected);
  });

  it("skips blank lines but counts them, and reads a last line without a line break", async () => {
    expect(await parse("email\n\na@x.io\r\n\r\nb@x.io")).toEqual([
      { line: 1, fields: ["email"] },
      { line: 3, fields: ["a@x.io"] },
      { line: 5, fields: ["b@x.io"] },
    ]);
  });

  it("keeps empty fields and is lenient about stray quotes", async () => {
    expect(await parse('email,name,comment\na@x.io,,\nb@x.io,O"Neil,"x"y\n')).toEqual([
      { line: 1, fields: ["email", "name", "comment"] },
      { line: 2, fields: ["a@x.io", "", ""] },
      { line: 3, fields: ["b@x.io", 'O"Neil', "xy"] },
    ]);
  });

  it("stops with the line number when a quote is never closed or the text is not UTF-8", async () => {
    await expect(parse('email,comment\na@x.io,ok\nb@x.io,"open\nmore\n')).rejects.toMatchObject({
      line: 3,
      message: expect.stringContaining("never closed"),
    });
    const latin1 = new Uint8Array([...new TextEncoder().encode("email,name\na@x.io,Zo"), 0xeb, 10]);
    await expect(parse([latin1])).rejects.toBeInstanceOf(CsvError);
    // The true line, wherever the pieces are cut, and every record before it first.
    const text = new TextEncoder().encode("email,name\na@x.io,Zoë\nb@x.io,Bo\nc@x.io,Zo");
    const bad = new Uint8Array([...text, 0xeb, 10, ...new TextEncoder().encode("d@x.io,D\n")]);
    for (const size of [1, 2, 3, 7, 64, 4096]) {
      const seen: CsvRecord[] = [];
      const reading = (async () => {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bad.length; i += size) chunks.push(bad.subarray(i, i + size));
        for await (const r of readCsv(chunks)) seen.push(r);
      })();
      await expect(reading, `pieces of ${size}`).rejects.toMatchObject({
        line: 4,
        message: expect.stringContaining("Line 4: the file is not UTF-8"),
      });
      expect(
        seen.map((r) => r.fields[0]),
        `pieces of ${size}`,
      ).toEqual(["email", "a@x.io", "b@x.io"]);
    }
    await expect(parse(`email,comment\na@x.io,"${"x".repeat(200)}"`)).resolves.toHaveLength(2);
    await expect(
      (async () => {
        for await (const _ of readCsv([`email,comment\na@x.io,"${"x".repeat(200)}`], { maxFieldChars: 100 }));
      })(),
    ).rejects.toMatchObject({ line: 2, message: expect.stringContaining("longer than 100") });
  });

  it("reads back every line the export writes", async () => {
    const cell = fc.string({ unit: fc.constantFrom("a", ",", ";", '"', "\n", "\r\n", " ", "=", "é", "'") });
    await fc.assert(
      // A cell that already starts with a quote and a formula character is the one that does not round-trip.
      fc.asyncProperty(fc.array(fc.tuple(cell, cell), { minLength: 1, maxLength: 5 }), async (rows) => {
        fc.pre(rows.flat().every((c) => !/^'[=+\-@\t\r]/.test(c)));
        const text = csvLine(["email", "full_name"]) + rows.map((r) => csvLine(r)).join("");
        const records = await parse(pieces(text, 3));
        const back = records.slice(1).map((r) => r.fields.map(unescapeFormula));
        expect(back).toEqual(rows);
      }),
      { numRuns: 200 },
    );
  });
});

describe(mapColumns.name, () => {
  it("finds the columns in any order and case, ignoring extra ones", () => {
    expect(mapColumns(["Comment", "E-Mail", "Phone", "Full Name"])).toEqual({
      email: 1,
      full_name: 3,
      comment: 0,
    });
    expect(mapColumns(["full_name", "EMAIL"])).toEqual({ email: 1, full_name: 0 });
    expect(mapColumns(["Name", "Email Address", "Comments"])).toEqual({ email: 1, full_name: 0, comment: 2 });
    expect(mapColumns(["name", "phone"])).toBeNull();
  });
});
