/**
 * The composition root: from a Config, open the database and build repositories → services, and (for the
 * commands that need them) the web app and the delivery runtime. Nothing else reads configuration.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import pino, { type Logger } from "pino";
import { AccountLinksService } from "./accounts/account-links.service.js";
import { AccountsService } from "./accounts/accounts.service.js";
import type { Config } from "./config.js";
import { DashboardService } from "./dashboard/dashboard.service.js";
import { Database } from "./db/database.js";
import { DeliveryService } from "./delivery/delivery.service.js";
import { MailingsService } from "./mailings/mailings.service.js";
import { MessagesService } from "./messages/messages.service.js";
import { RecipientsService } from "./recipients/recipients.service.js";
import { type Clock, systemClock } from "./shared/time.js";

export interface Services {
  accounts: AccountsService;
  accountLinks: AccountLinksService;
  recipients: RecipientsService;
  messages: MessagesService;
  mailings: MailingsService;
  dashboard: DashboardService;
  delivery: DeliveryService;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Called when a mailing's schedule or recipients change (wakes an in-process scheduler). */
  mailingsChanged?: () => void;
  /** Where mail goes: a real SMTP server, or the local outbox (the UI says so). */
  sendMode?: "smtp" | "outbox";
  /** PUBLIC_URL: the base of links in account emails (otherwise the request's origin). */
  publicUrl?: string | undefined;
}

export function createServices(database: Database, options: ServiceOptions = {}): Services {
  const clock = options.clock ?? systemClock;
  return {
    accounts: new AccountsService(database, clock),
    accountLinks: new AccountLinksService(database, { clock, publicUrl: options.publicUrl }),
    recipients: new RecipientsService(database, clock),
    messages: new MessagesService(database, clock),
    mailings: new MailingsService(database, clock, options.mailingsChanged),
    dashboard: new DashboardService(database),
    delivery: new DeliveryService(database, { mode: options.sendMode ?? "outbox", clock }),
  };
}

export function createLogger(config: Config): Logger {
  return pino({ level: config.logLevel });
}

/** Opens the configured database (creating the data folder) and brings its schema up to date. */
export async function openDatabase(config: Config, logger?: Logger): Promise<Database> {
  mkdirSync(config.dataDir, { recursive: true });
  const database = Database.open(config);
  const applied = await database.migrateToLatest();
  if (applied.length > 0) logger?.info({ migrations: applied }, "database migrated");
  return database;
}

/** The cookie-signing secret: generated on first start and kept in the data folder. */
export function sessionSecret(dataDir: string): string {
  const file = path.join(dataDir, "session-secret");
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
