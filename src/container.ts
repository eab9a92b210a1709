/**
 * The composition root: from a Config, open the database and build repositories → services, and (for the
 * commands that need them) the web app and the delivery runtime. Nothing else reads configuration.
 */

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { AccountLinksService } from "./accounts/account-links.service.js";
import { AccountsService } from "./accounts/accounts.service.js";
import { TokensService } from "./accounts/tokens.service.js";
import { TwoFactorService } from "./accounts/two-factor.service.js";
import { AdminService } from "./admin/admin.service.js";
import { IdempotencyKeys } from "./api/idempotency.js";
import { AudienceService } from "./audiences/audience.service.js";
import { BlogService } from "./blog/blog.service.js";
import { FileImageStore } from "./blog/images.js";
import { type BounceOptions, BounceService } from "./bounces/bounces.service.js";
import { IncomingMailService } from "./bounces/incoming.service.js";
import { VerpTokens } from "./bounces/verp.js";
import type { Cache } from "./cache/cache.js";
import { MemoryCache } from "./cache/memory.cache.js";
import type { Config } from "./config.js";
import { CustomFieldsService } from "./custom-fields/custom-fields.service.js";
import { DashboardService } from "./dashboard/dashboard.service.js";
import { Database } from "./db/database.js";
import { DeliveryService, type DeliveryServiceOptions } from "./delivery/delivery.service.js";
import { DemoService } from "./demo/demo.service.js";
import { LayoutsService } from "./layouts/layouts.service.js";
import { ListsService } from "./lists/lists.service.js";
import { MailingsService } from "./mailings/mailings.service.js";
import { MessagesService } from "./messages/messages.service.js";
import { makeLogger, stdoutIsTerminal } from "./ops/logging.js";
import { OpsService } from "./ops/ops.service.js";
import { RecipientExportService } from "./recipients/export.js";
import { RecipientImportService } from "./recipients/import/import.service.js";
import type { ImportRunner } from "./recipients/import/import-thread.js";
import { RecipientBulkService } from "./recipients/recipients.bulk.js";
import { RecipientsService } from "./recipients/recipients.service.js";
import { SegmentsService } from "./segments/segments.service.js";
import { SendersService } from "./senders/senders.service.js";
import { type Clock, systemClock } from "./shared/time.js";
import { SignupService } from "./signup/signup.service.js";
import { SuppressionImportService } from "./suppression/suppression.import.js";
import { SuppressionService } from "./suppression/suppression.service.js";
import { UnsubscribeService } from "./suppression/unsubscribe.service.js";
import { UnsubscribeTokens } from "./suppression/unsubscribe-token.js";
import { ViewService } from "./templates/view.service.js";
import { WebhookOutbox } from "./webhooks/webhooks.outbox.js";
import { WebhooksService } from "./webhooks/webhooks.service.js";

export interface Services {
  accounts: AccountsService;
  accountLinks: AccountLinksService;
  tokens: TokensService;
  recipients: RecipientsService;
  recipientImport: RecipientImportService;
  recipientExport: RecipientExportService;
  recipientBulk: RecipientBulkService;
  /** The API's Idempotency-Key store. */
  idempotencyKeys: IdempotencyKeys;
  lists: ListsService;
  fields: CustomFieldsService;
  segments: SegmentsService;
  audiences: AudienceService;
  signups: SignupService;
  messages: MessagesService;
  view: ViewService;
  layouts: LayoutsService;
  senders: SendersService;
  mailings: MailingsService;
  dashboard: DashboardService;
  delivery: DeliveryService;
  blog: BlogService;
  demo: DemoService;
  admin: AdminService;
  suppressions: SuppressionService;
  suppressionImport: SuppressionImportService;
  unsubscribe: UnsubscribeService;
  bounces: BounceService;
  /** Mail that arrived at the bounce or unsubscribe address (process-bounce, the IMAP poller). */
  incoming: IncomingMailService;
  ops: OpsService;
  twoFactor: TwoFactorService;
  webhooks: WebhooksService;
}

export interface ServiceOptions {
  clock?: Clock;
  /** Where an uploaded CSV is imported (default: inline; `postpilot serve`: a worker thread per upload). */
  importRunner?: ImportRunner;
  /** Called when a mailing's schedule or recipients change (wakes an in-process scheduler). */
  mailingsChanged?: () => void;
  /** Where mail goes: a real SMTP server, or the local outbox (the UI says so). */
  sendMode?: "smtp" | "outbox";
  /** Where a run's deliveries are inserted: here (default), or by the engine (serve: never on the web's loop). */
  prepareRuns?: DeliveryServiceOptions["prepareRuns"];
  /** The SMTP relays, for the admins' Mail relays page (address, weight and a connection test each). */
  relays?: DeliveryServiceOptions["relays"];
  /** The base of links in account emails (config.ts `publicBaseUrl`; default http://localhost). */
  linkBaseUrl?: string | (() => string);
  /** The cache of figures and blog pages (default: in-process; see createCache for Redis). */
  cache?: Cache;
  /** Where uploaded blog images are kept (default: a folder under the system's temp folder). */
  uploadsDir?: string;
  /**
   * The key of unsubscribe links (unsubscribeSecret(DATA_DIR), which the workers read too). Default: a
   * random key for this process (tests), whose links no worker elsewhere could have made. VERP tokens are
   * made from it too.
   */
  unsubscribeSecret?: string;
  /** SMTP_FROM and UNSUBSCRIBE_FOOTER, for message previews and test sends; SMTP_FROM is also the From picker's default. */
  from?: string;
  unsubscribeFooter?: string;
  /** REQUIRE_ADMIN_2FA: admins must turn on two-factor sign-in before anything else. */
  requireAdmin2fa?: boolean;
  /** BOUNCE_HARD_LIMIT, BOUNCE_SOFT_LIMIT and BOUNCE_WEBHOOK_TOKEN (default: 1, 3, webhook off). */
  bounces?: BounceOptions;
  /** WEBHOOK_ALLOW_PRIVATE: webhook URLs may point at private and loopback addresses (default false). */
  webhookAllowPrivate?: boolean;
}

export function createServices(database: Database, options: ServiceOptions = {}): Services {
  const clock = options.clock ?? systemClock;
  const cache = options.cache ?? new MemoryCache();
  const dashboard = new DashboardService(database);
  const figuresChanged = (ownerId: number) => dashboard.changed(ownerId);
  const images = new FileImageStore(options.uploadsDir ?? path.join(tmpdir(), "postpilot-uploads"));
  const blog = new BlogService(database, { cache, images, clock });
  const secret = options.unsubscribeSecret ?? randomBytes(32).toString("base64url");
  const unsubscribe = new UnsubscribeService(database, new UnsubscribeTokens(secret), clock);
  const bounces = new BounceService(
    database,
    { ...(options.bounces ?? { hardLimit: 1, softLimit: 3 }), verp: new VerpTokens(secret) },
    clock,
  );
  const twoFactor = new TwoFactorService(database, clock, options.requireAdmin2fa ?? false);
  return {
    accounts: new AccountsService(database, clock, twoFactor),
    twoFactor,
    accountLinks: new AccountLinksService(database, {
      clock,
      ...(options.linkBaseUrl ? { baseUrl: options.linkBaseUrl } : {}),
    }),
    tokens: new TokensService(database, clock),
    recipients: new RecipientsService(database, clock, figuresChanged),
    recipientImport: new RecipientImportService(database, clock, figuresChanged, options.importRunner),
    recipientExport: new RecipientExportService(database),
    messages: new MessagesService(database, clock, {
      from: options.from ?? "PostPilot <postpilot@localhost>",
      unsubscribeFooter: options.unsubscribeFooter ?? "Unsubscribe: {{unsubscribe_url}}",
    }),
    view: new ViewService(
      database,
      {
        key: secret,
        // The same base as every other link (PUBLIC_URL or the listen address), read once here.
        baseUrl:
          typeof options.linkBaseUrl === "function" ? options.linkBaseUrl() : (options.linkBaseUrl ?? ""),
        from: options.from ?? "PostPilot <postpilot@localhost>",
        footer: options.unsubscribeFooter ?? "Unsubscribe: {{unsubscribe_url}}",
      },
      () => clock.now(),
    ),
    layouts: new LayoutsService(database, clock),
    senders: new SendersService(database, clock, options.from),
    recipientBulk: new RecipientBulkService(database, clock, figuresChanged),
    idempotencyKeys: new IdempotencyKeys(database, clock),
    lists: new ListsService(database, clock),
    fields: new CustomFieldsService(database, clock),
    segments: new SegmentsService(database, clock),
    signups: new SignupService(database, {
      clock,
      linkBaseUrl: options.linkBaseUrl,
      changed: figuresChanged,
    }),
    audiences: new AudienceService(database, clock, async (ownerId) => {
      options.mailingsChanged?.();
      await figuresChanged(ownerId);
    }),
    mailings: new MailingsService(database, clock, async (ownerId) => {
      options.mailingsChanged?.();
      await figuresChanged(ownerId);
    }),
    dashboard,
    delivery: new DeliveryService(database, {
      mode: options.sendMode ?? "outbox",
      clock,
      events: new WebhookOutbox(),
      deliveriesDue: () => options.mailingsChanged?.(),
      ...(options.prepareRuns ? { prepareRuns: options.prepareRuns } : {}),
      ...(options.relays ? { relays: options.relays } : {}),
    }),
    blog,
    demo: new DemoService(database, { blog, clock }),
    admin: new AdminService(database, clock, () => options.mailingsChanged?.()),
    webhooks: new WebhooksService(database, { allowPrivate: options.webhookAllowPrivate ?? false, clock }),
    suppressions: new SuppressionService(database, clock),
    suppressionImport: new SuppressionImportService(database, clock),
    unsubscribe,
    bounces,
    incoming: new IncomingMailService(bounces, unsubscribe),
    ops: new OpsService(database),
  };
}

/** Uploaded files (blog images) live in the data folder. */
export function uploadsDir(dataDir: string): string {
  return path.join(dataDir, "uploads");
}

/** Pretty one-line logs on a terminal, JSON otherwise (ops/logging.ts). */
export function createLogger(config: Config, pretty = stdoutIsTerminal()): Logger {
  return makeLogger(config.logLevel, pretty);
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
