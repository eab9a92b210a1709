/**
 * npm run bench:audience [-- N]   (N: recipients, default 1000000, or BENCH_N)
 *
 * Seeds one owner with N recipients and 20 custom fields (5 of each type, a value for every recipient:
 * 20·N rows of recipient_fields) into a fresh SQLite file, and into PostgreSQL too when BENCH_PG_URL is set
 * (a new user, deleted afterwards). The seed is SQL (a recursive CTE / generate_series) so it takes seconds,
 * not the app's per-row paths; the measured parts are the app's own code:
 * - a segment count on an indexed condition (a number field > x: ~1% and ~10% of recipients), through
 *   SegmentsService.preview (median of 5 after a warm-up);
 * - run creation for an audience of everyone (N recipients), through KyselyRunsStore.createRun, the one
 *   INSERT … SELECT the engine thread runs.
 * Prints one JSON line per measurement. Compiled by tsconfig.bench.json.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { AudienceService } from "../src/audiences/audience.service.js";
import { Database } from "../src/db/database.js";
import { KyselyRunsStore } from "../src/delivery/runs.store.js";
import { SegmentsService } from "../src/segments/segments.service.js";
import { createMailing, createMessage, createUser } from "../test/helpers/fixtures.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 1_000_000);
const PG_URL = process.env.BENCH_PG_URL;
const TYPES = ["number", "text", "date", "yes_no"] as const;

const ms = (start: number) => Math.round((performance.now() - start) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function seed(database: Database, ownerId: number): Promise<void> {
  const db = database.db;
  const now = new Date().toISOString();
  const fields = [];
  for (let i = 0; i < 20; i++) {
    const type = TYPES[i % 4]!;
    fields.push({ owner_id: ownerId, key: `f${i}_${type}`, label: `Field ${i}`, type, created_at: now });
  }
  await db.insertInto("custom_fields").values(fields).execute();
  const pg = database.dialect === "postgres";
  // The recipients, then every field's value for each: numbers 0..999 (by a hash of the id, spread out),
  // text from 50 words, dates over a year, yes / no.
  const ids = pg
    ? sql`select g as n from generate_series(1, ${N}) g`
    : sql`select n from (with recursive s(n) as (select 1 union all select n + 1 from s where n < ${N}) select n from s)`;
  await sql`insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
    select ${ownerId}, 'person' || n || '@bench' || (n % 97) || '.example', 'person' || n || '@bench' || (n % 97) || '.example',
      'Person ' || n, '', ${now}, ${now} from (${ids}) seq`.execute(db);
  const started = performance.now();
  const num = sql`((cast(r.id as bigint) * 7919 + f.id * 104729) % 1000)`;
  const day = pg
    ? sql`to_char(date '2026-01-01' + cast((r.id + f.id) % 365 as integer), 'YYYY-MM-DD')`
    : sql`date('2026-01-01', '+' || ((r.id + f.id) % 365) || ' days')`;
  // A bulk load builds the value indexes once at the end (as a restore would) instead of row by row.
  await sql`drop index recipient_fields_text_idx`.execute(db);
  await sql`drop index recipient_fields_number_idx`.execute(db);
  await sql`insert into recipient_fields (recipient_id, field_id, value_text, value_number)
    select r.id, f.id,
      case f.type
        when 'number' then cast(${num} as text)
        when 'text' then 'word' || ((r.id + f.id) % 50)
        when 'date' then ${day}
        else case when (r.id + f.id) % 2 = 0 then 'yes' else 'no' end
      end,
      case when f.type = 'number' then ${num} else null end
    from recipients r cross join custom_fields f
    where r.owner_id = ${ownerId} and f.owner_id = ${ownerId}`.execute(db);
  await sql`create index recipient_fields_text_idx on recipient_fields (field_id, value_text, recipient_id)`.execute(
    db,
  );
  await sql`create index recipient_fields_number_idx on recipient_fields (field_id, value_number, recipient_id)`.execute(
    db,
  );
  await sql`analyze`.execute(db);
  console.log(JSON.stringify({ step: "seed fields", rows: N * 20, seconds: ms(started) / 1000 }));
}

async function run(label: string, database: Database) {
  await database.migrateToLatest();
  const user = await createUser(database.db, { email: `bench-${Date.now()}@bench.example` });
  const seedStart = performance.now();
  await seed(database, user.id);
  console.log(
    JSON.stringify({
      database: label,
      step: "seed",
      recipients: N,
      fields: 20,
      seconds: ms(seedStart) / 1000,
    }),
  );

  const segments = new SegmentsService(database);
  for (const [what, threshold] of [
    ["number field > 989 (~1%)", 989],
    ["number field > 899 (~10%)", 899],
  ] as const) {
    const definition = {
      match: "all" as const,
      conditions: [{ kind: "field" as const, key: "f0_number", op: "gt" as const, value: String(threshold) }],
    };
    await segments.preview(user, definition); // warm-up
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      count = (await segments.preview(user, definition)).count;
      times.push(ms(started));
    }
    console.log(
      JSON.stringify({
        database: label,
        measure: "segment count + sample",
        condition: what,
        count,
        medianMs: median(times),
        targetMs: 200,
      }),
    );
  }

  const message = await createMessage(database.db, user.id);
  const mailing = await createMailing(database.db, { ownerId: user.id, messageId: message.id });
  await new AudienceService(database).set(user, mailing.id, { all: "on" });
  const started = performance.now();
  const created = await new KyselyRunsStore(database).createRun({
    mailingId: mailing.id,
    trigger: "cli",
    actorUserId: null,
    scheduledFor: new Date().toISOString(),
    now: new Date(),
  });
  const seconds = ms(started) / 1000;
  console.log(
    JSON.stringify({
      database: label,
      measure: "run creation, audience of everyone",
      deliveries: "run" in created ? created.run.total_count : created.skipped,
      seconds,
      targetSeconds: 30,
    }),
  );
  return user.id;
}

const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-audience-"));
try {
  const sqlite = Database.sqlite(path.join(dir, "bench.sqlite"));
  await run("sqlite", sqlite);
  await sqlite.close();
  if (PG_URL) {
    const pg = Database.postgres(PG_URL);
    const userId = await run("postgres", pg);
    await pg.db.deleteFrom("users").where("id", "=", userId).execute();
    await pg.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
