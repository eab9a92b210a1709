/**
 * Commands that only read or change existing data open the database with this: a missing SQLite file is an
 * error that says where it looked, not a new empty database (serve, migrate and demo create one).
 */
import { existsSync } from "node:fs";
import type { Config } from "../config.js";
import { openDatabase } from "../container.js";
import type { Database } from "../db/database.js";
import { DomainError } from "../shared/errors.js";
import { sqliteFile } from "./database.js";

export class NoDatabaseError extends DomainError {
  constructor(readonly file: string) {
    super(
      `No PostPilot database at ${file}. Set DATA_DIR to the folder that holds postpilot.sqlite, or DATABASE_URL to the PostgreSQL database (\`postpilot migrate\` creates a new one).`,
    );
  }
}

export async function openExistingDatabase(config: Config): Promise<Database> {
  if (!config.databaseUrl) {
    const file = sqliteFile(config);
    if (!existsSync(file)) throw new NoDatabaseError(file);
  }
  return openDatabase(config);
}
