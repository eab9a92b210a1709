/**
 * Runs filled in chunks by the engine (issue 13): `preparing` says what is still being done to a run before
 * the worker may finish it — 'audience' (deliveries being inserted, none due yet), 'release' (the inserted
 * pending deliveries being made due), 'retry' (failed deliveries being put back to pending) — or null when
 * nothing is; `prepare_cursor` is where the next chunk starts (a recipient id for 'audience', a delivery id
 * otherwise), written in each chunk's transaction so a restart resumes exactly; `expected_count` is the
 * audience's size when preparation began ("Preparing… N of about M"). Existing runs are prepared (null).
 * Frozen: never edit, add a new migration instead.
 */
import type { Kysely } from "kysely";

export function runPreparation() {
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
    },
  };
}
