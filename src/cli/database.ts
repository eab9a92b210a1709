/**
 * `postpilot backup <file>`, `postpilot migrate-to-postgres <url>` (db/copy.ts), `postpilot recount`
 * (db/counters.ts) and `postpilot prune` (delivery/retention.ts): the operator's database tools.
 */
import path from "node:path";
import type { Command } from "commander";
import type { Config } from "../config.js";
import { backupSqlite, copySqliteToPostgres } from "../db/copy.js";
import { recount, recountRuns } from "../db/counters.js";
import { Database } from "../db/database.js";
import { DeliveryRetention } from "../delivery/retention.js";
import { openExistingDatabase } from "./existing-database.js";
import { formatTable } from "./table.js";

export function sqliteFile(config: Config): string {
  return path.join(config.dataDir, "postpilot.sqlite");
}

/** A refusal (an existing file, a database that is not empty) is a message and exit 1, not a stack trace. */
function stop(error: unknown): void {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}

export function registerDatabaseCommands(program: Command, config: () => Config): void {
  program
    .command("backup")
    .description("write a consistent copy of the SQLite database to a new file, while PostPilot runs")
    .argument("<file>", "where to write the copy (must not exist)")
    .action(async (file: string) => {
      const cfg = config();
      if (cfg.databaseUrl) {
        console.error("DATABASE_URL is set: back up PostgreSQL with pg_dump instead.");
        process.exit(2);
      }
      try {
        const { pages } = await backupSqlite(sqliteFile(cfg), file);
        console.log(`Backed up ${sqliteFile(cfg)} to ${path.resolve(file)} (${pages} pages).`);
      } catch (error) {
        stop(error);
      }
    });

  program
    .command("migrate-to-postgres")
    .description("copy every table of the SQLite database into an empty PostgreSQL database, keeping ids")
    .argument("<url>", "the PostgreSQL database (postgres://user:pass@host:5432/db); created tables, no rows")
    .action(async (url: string) => {
      if (!/^postgres(ql)?:\/\//.test(url)) {
        console.error("The URL must start with postgres:// or postgresql://.");
        process.exit(2);
      }
      const cfg = config();
      const from = await openExistingDatabase({ ...cfg, databaseUrl: undefined }).catch((error: Error) => {
        console.error(error.message);
        process.exit(1);
      });
      const to = Database.postgres(url, { max: 2 });
      try {
        await to.migrateToLatest();
        const report = await copySqliteToPostgres(from, to);
        console.log(formatTable(report.map((r) => ({ table: r.table, rows: String(r.rows) }))));
        console.log(`Copied. Set DATABASE_URL to this database and restart PostPilot.`);
      } catch (error) {
        stop(error);
      } finally {
        await to.close();
        await from.close();
      }
    });

  program
    .command("recount")
    .description(
      "rebuild the home page counters and the runs' counts and charts from the data, in one transaction, and print what changed",
    )
    .action(async () => {
      const database = await openExistingDatabase(config());
      try {
        const [changes, runs] = await database.db
          .transaction()
          .execute(async (tx) => [await recount(tx), await recountRuns(tx)] as const);
        if (changes.length === 0 && runs.length === 0) {
          console.log("Every counter was exact: nothing changed.");
          return;
        }
        if (changes.length > 0)
          console.log(
            formatTable(
              changes.map((c) => ({
                owner: c.ownerId === 0 ? "all users" : String(c.ownerId),
                counter: c.name,
                was: String(c.before),
                now: String(c.after),
              })),
            ),
          );
        if (runs.length > 0)
          console.log(
            formatTable(
              runs.map((c) => ({
                run: String(c.runId),
                count: c.name,
                was: String(c.before),
                now: String(c.after),
              })),
            ),
          );
        const total = changes.length + runs.length;
        console.log(`Recounted: ${total} counter${total === 1 ? "" : "s"} changed.`);
      } finally {
        await database.close();
      }
    });

  program
    .command("prune")
    .description(
      "remove, once, the deliveries and tries of runs finished more than DELIVERY_RETENTION_DAYS (or --days) ago",
    )
    .option("--days <n>", "retention in days (default: DELIVERY_RETENTION_DAYS)")
    .action(async (options: { days?: string }) => {
      const cfg = config();
      const days = options.days === undefined ? cfg.send.retentionDays : Number(options.days);
      if (days === undefined) return stop(new Error("Set DELIVERY_RETENTION_DAYS or pass --days <n>."));
      if (!Number.isInteger(days) || days < 1)
        return stop(new Error("--days must be a whole number of days, at least 1."));
      const database = await openExistingDatabase(cfg);
      try {
        const result = await new DeliveryRetention({ database, days }).pruneOnce();
        console.log(
          `Pruned ${result.runs} run${result.runs === 1 ? "" : "s"} finished more than ${days} days ago: ${result.deliveries} deliveries and ${result.attempts} tries removed.`,
        );
      } finally {
        await database.close();
      }
    });
}
