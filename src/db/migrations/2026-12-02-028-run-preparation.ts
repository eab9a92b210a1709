/**
 * Runs filled in chunks by the engine (issue 13): `preparing` says what is still being done to a run before
 * the worker may finish it — 'audience' (deliveries being inserted, none due yet), 'release' (the inserted
 * pending deliveries being made due), 'retry' (failed deliveries being put back to pending) — or null when
 * nothing is; `prepare_cursor` is where the next chunk starts (a recipient id for 'audience', a delivery id
 * otherwise), written in each chunk's transaction so a restart resumes exactly; `expected_count` is the
 * audience's size when preparation began ("Preparing… N of about M"). Existing runs are prepared (null).
 *
 * `run_counts` (run_id, status, n): each run's deliveries by status, kept exact by triggers in the same
 * transaction as every insert, status change and delete of a delivery (whoever writes it: run preparation,
 * claims, results, releases, cancels, retries, the suppression re-check), so a run's progress is a read of
 * at most six rows, never a GROUP BY over its deliveries. SQLite triggers are row-level; PostgreSQL's are
 * statement-level over transition tables (one upsert per run and status a statement, in (run, status)
 * order so concurrent workers lock the rows in the same order). Filled from the deliveries here.
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

export function runPreparation(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable("runs").addColumn("preparing", "text").execute();
      await db.schema.alterTable("runs").addColumn("prepare_cursor", "bigint").execute();
      await db.schema.alterTable("runs").addColumn("expected_count", "integer").execute();
      // The engine looks for runs with preparation left (few rows: the index holds only non-null keys' order).
      await db.schema.createIndex("runs_preparing_idx").on("runs").column("preparing").execute();
      // A run's audience is walked by recipient id within its owner, a chunk at a time (keyset).
      await db.schema
        .createIndex("recipients_owner_id_idx")
        .on("recipients")
        .columns(["owner_id", "id"])
        .execute();
      await db.schema
        .createTable("run_counts")
        .addColumn("run_id", "integer", (c) => c.notNull().references("runs.id").onDelete("cascade"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("n", "integer", (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint("run_counts_pk", ["run_id", "status"])
        .execute();
      await sql`insert into run_counts (run_id, status, n)
        select run_id, status, count(*) from deliveries group by run_id, status`.execute(db);
      for (const statement of dialect === "postgres" ? POSTGRES_TRIGGERS : SQLITE_TRIGGERS)
        await sql.raw(statement).execute(db);
    },
  };
}

const SQLITE_ADD = (row: "new", sign: string) =>
  `insert into run_counts (run_id, status, n) values (${row}.run_id, ${row}.status, ${sign})
     on conflict (run_id, status) do update set n = n + excluded.n;`;
const SQLITE_SUB = "update run_counts set n = n - 1 where run_id = old.run_id and status = old.status;";

const SQLITE_TRIGGERS = [
  `create trigger run_counts_delivery_insert after insert on deliveries begin ${SQLITE_ADD("new", "1")} end`,
  `create trigger run_counts_delivery_status after update of status on deliveries
     when old.status is not new.status begin ${SQLITE_SUB} ${SQLITE_ADD("new", "1")} end`,
  `create trigger run_counts_delivery_delete after delete on deliveries begin ${SQLITE_SUB} end`,
];

const PG_UPSERT = (select: string) => `
  insert into run_counts (run_id, status, n) ${select}
  on conflict (run_id, status) do update set n = run_counts.n + excluded.n;`;

const POSTGRES_TRIGGERS = [
  `create function run_counts_delivery_insert() returns trigger language plpgsql as $$ begin
     ${PG_UPSERT("select run_id, status, count(*) from new_rows group by run_id, status order by run_id, status")}
     return null; end $$`,
  `create function run_counts_delivery_update() returns trigger language plpgsql as $$ begin
     ${PG_UPSERT(`select run_id, status, sum(d) from (
         select run_id, status, 1 as d from new_rows union all select run_id, status, -1 from old_rows) c
       group by run_id, status having sum(d) <> 0 order by run_id, status`)}
     return null; end $$`,
  `create function run_counts_delivery_delete() returns trigger language plpgsql as $$ begin
     ${PG_UPSERT("select run_id, status, -count(*) from old_rows where exists (select 1 from runs where runs.id = old_rows.run_id) group by run_id, status order by run_id, status")}
     return null; end $$`,
  `create trigger run_counts_delivery_insert after insert on deliveries referencing new table as new_rows
     for each statement execute function run_counts_delivery_insert()`,
  `create trigger run_counts_delivery_update after update on deliveries
     referencing old table as old_rows new table as new_rows for each statement execute function run_counts_delivery_update()`,
  `create trigger run_counts_delivery_delete after delete on deliveries referencing old table as old_rows
     for each statement execute function run_counts_delivery_delete()`,
];
