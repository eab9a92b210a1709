/**
 * A migrated, empty database for a test: in-memory SQLite by default, or the PostgreSQL database named by
 * TEST_DATABASE_URL (emptied before each use; test files then run one at a time).
 */
import { Database } from "../../src/db/database.js";

export const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

let pgMigrated = false;

export async function testDatabase(): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) {
    const database = Database.memory();
    await database.migrateToLatest();
    return database;
  }
  const database = Database.postgres(url, { max: 5 });
  if (!pgMigrated) {
    await database.migrateToLatest();
    pgMigrated = true;
  }
  await database.truncateAll();
  return database;
}
