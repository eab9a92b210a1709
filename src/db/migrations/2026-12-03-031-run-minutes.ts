/**
 * `run_minutes` (run_id, minute, sent, failed): a run's sent and failed deliveries per minute (UTC,
 * "2026-12-02T18:09", the minute of the delivery's sent_at, or of its last change when it failed), for the
 * run page's chart. Kept by triggers in the same transaction as every insert and change of a delivery
 * (whoever writes it), so the chart is a read of the run's minutes by primary key, never a GROUP BY over
 * its million deliveries. A delivery leaving sent or failed (a retry, a bounce) moves out of its minute;
 * deleting deliveries (retention, which keeps each run's counts) leaves the minutes as they were, and a
 * deleted run takes its minutes with it (cascade). SQLite triggers are row-level; PostgreSQL's are
 * statement-level over transition tables (one upsert per run and minute a statement, in (run, minute)
 * order, after run_counts' triggers, so concurrent workers lock rows in the same order).
 * Filled from the deliveries here. Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

const MINUTE = (row: string) => `substr(coalesce(${row}sent_at, ${row}updated_at), 1, 16)`;
const DONE = "('sent', 'failed')";

export function runMinutes(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable("run_minutes")
        .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("minute", "text", (c) => c.notNull())
        .addColumn("sent", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("failed", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("run_minutes_pk", ["run_id", "minute"])
        .execute();
      await sql
        .raw(`insert into run_minutes (run_id, minute, sent, failed)
          select run_id, ${MINUTE("")},
                 sum(case when status = 'sent' then 1 else 0 end), sum(case when status = 'failed' then 1 else 0 end)
          from deliveries where status in ${DONE} group by run_id, ${MINUTE("")}`)
        .execute(db);
      for (const statement of dialect === "postgres" ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS)
        await sql.raw(statement).execute(db);
    },
  };
}

const SQLITE_ADD = `insert into run_minutes (run_id, minute, sent, failed)
     select new.run_id, ${MINUTE("new.")}, new.status = 'sent', new.status = 'failed' where new.status in ${DONE}
     on conflict (run_id, minute) do update set sent = sent + excluded.sent, failed = failed + excluded.failed;`;
const SQLITE_SUB = `update run_minutes set sent = sent - (old.status = 'sent'), failed = failed - (old.status = 'failed')
     where old.status in ${DONE} and run_id = old.run_id and minute = ${MINUTE("old.")};`;

const SQLITE_TRIGGERS = [
  `create trigger run_minutes_delivery_insert after insert on deliveries
     when new.status in ${DONE} begin ${SQLITE_ADD} end`,
  `create trigger run_minutes_delivery_update after update of status, sent_at, updated_at on deliveries
     when (old.status in ${DONE} or new.status in ${DONE})
      and (old.status is not new.status or ${MINUTE("old.")} is not ${MINUTE("new.")})
     begin ${SQLITE_SUB} ${SQLITE_ADD} end`,
];

const PG_ROWS = (table: string, sign: string) =>
  `select run_id, ${MINUTE("")} as minute, ${sign}(case when status = 'sent' then 1 else 0 end) as s,
          ${sign}(case when status = 'failed' then 1 else 0 end) as f
   from ${table} where status in ${DONE}`;
const PG_UPSERT = (rows: string) => `
  insert into run_minutes (run_id, minute, sent, failed)
  select run_id, minute, sum(s), sum(f) from (${rows}) c
  group by run_id, minute having sum(s) <> 0 or sum(f) <> 0 order by run_id, minute
  on conflict (run_id, minute) do update
    set sent = run_minutes.sent + excluded.sent, failed = run_minutes.failed + excluded.failed;`;

const POSTGRES_TRIGGERS = [
  `create function run_minutes_delivery_insert() returns trigger language plpgsql as $$ begin
     ${PG_UPSERT(PG_ROWS("new_rows", ""))}
     return null; end $$`,
  `create function run_minutes_delivery_update() returns trigger language plpgsql as $$ begin
     ${PG_UPSERT(`${PG_ROWS("new_rows", "")} union all ${PG_ROWS("old_rows", "-")}`)}
     return null; end $$`,
  `create trigger run_minutes_delivery_insert after insert on deliveries referencing new table as new_rows
     for each statement execute function run_minutes_delivery_insert()`,
  `create trigger run_minutes_delivery_update after update on deliveries
     referencing old table as old_rows new table as new_rows for each statement execute function run_minutes_delivery_update()`,
];
