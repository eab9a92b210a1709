/**
 * Commands that only read or change existing data open the database with this: it says which database
 * (one line to standard error), and a missing SQLite file is an error that says where it looked, not a new
 * empty database, unless the operator passed `--create` (serve, migrate and demo create one).
 */
import { existsSync } from "node:fs";
import type { Config } from "../config.js";
import { openDatabase } from "../container.js";
import type { Database } from "../db/database.js";
import { DomainError } from "../shared/errors.js";
import { escapeControls } from "../shared/fields.js";
import { sqliteFile } from "./database.js";

export class NoDatabaseError extends DomainError {
  constructor(readonly file: string) {
    super(
      `No PostPilot database at ${file}. Set DATA_DIR to the folder that holds postpilot.sqlite, or DATABASE_URL to the PostgreSQL database, or pass --create to make a new empty one (\`postpilot migrate\` creates one too).`,
    );
  }
}

/** The database in use, for the operator: the SQLite file, or PostgreSQL's host, port and name (no password). */
export function describeDatabase(config: Config): string {
  if (!config.databaseUrl) return sqliteFile(config);
  try {
    const url = new URL(config.databaseUrl);
    return escapeControls(`PostgreSQL ${url.host}${url.pathname}`);
  } catch {
    return "PostgreSQL";
  }
}

/** Set once by the command line's `--create`: a missing SQLite database is then made, not refused. */
let createWhenMissing = false;
export function allowCreatingDatabase(allow: boolean): void {
  createWhenMissing = allow;
}

export async function openExistingDatabase(
  config: Config,
  options: { create?: boolean; announce?: (line: string) => void } = {},
): Promise<Database> {
  const create = options.create ?? createWhenMissing;
  if (!config.databaseUrl) {
    const file = sqliteFile(config);
    if (!existsSync(file) && !create) throw new NoDatabaseError(file);
  }
  (options.announce ?? ((line: string) => console.error(line)))(`Database: ${describeDatabase(config)}`);
  return openDatabase(config);
}
