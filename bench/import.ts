/**
 * npm run bench:import [-- N]   (N: rows, default 100000, or BENCH_N)
 *
 * Writes a CSV of N generated recipients (semicolons, a BOM, quoted names, an extra column, 1% duplicates
 * and 1% invalid rows) to a temp file, then imports it through RecipientImportService from a file stream
 * into a fresh SQLite file, and into PostgreSQL too when BENCH_DATABASE_URL (or DATABASE_URL, TEST_DATABASE_URL) is set (as a
 * new user, deleted afterwards: nothing else in that database is touched). Prints one JSON line per
 * database with rows per second and the peak RSS seen during the import. Compiled by tsconfig.bench.json.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Database } from "../src/db/database.js";
import { RecipientImportService } from "../src/recipients/import/import.service.js";
import { createUser } from "../test/helpers/fixtures.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 100_000);
const PG_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

async function writeCsv(file: string): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  await write("\uFEFFid;E-Mail;Full name;Comment\r\n");
  for (let i = 1; i <= N; i++) {
    const email = i % 100 === 0 ? `broken-${i}` : `person${i % 100 === 50 ? i - 1 : i}@bench.example`;
    await write(`${i};${email};"Person ${i}, Jr.";Customer since ${2000 + (i % 25)}\r\n`);
  }
  out.end();
  await once(out, "finish");
}

async function run(label: string, database: Database, file: string) {
  await database.migrateToLatest();
  const user = await createUser(database.db, { email: `bench-${Date.now()}@bench.example` });
  const sut = new RecipientImportService(database);
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  global.gc?.();
  const started = performance.now();
  const summary = await sut.importCsv(user, createReadStream(file, { highWaterMark: 64 * 1024 }));
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  console.log(
    JSON.stringify({
      database: label,
      rows: summary.rows,
      added: summary.added,
      skipped: summary.skipped,
      invalid: summary.invalid,
      seconds: Math.round(ms) / 1000,
      rowsPerSecond: Math.round((summary.rows / ms) * 1000),
      peakRssMb: mb(peak),
      fileMb: mb(statSync(file).size),
    }),
  );
  await database.db.deleteFrom("users").where("id", "=", user.id).execute();
}

const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-import-"));
try {
  const file = path.join(dir, "recipients.csv");
  await writeCsv(file);
  const sqlite = Database.sqlite(path.join(dir, "bench.sqlite"));
  await run("sqlite", sqlite, file);
  await sqlite.close();
  if (PG_URL) {
    const pg = Database.postgres(PG_URL);
    await run("postgres", pg, file);
    await pg.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
