/**
 * Builds the delivery engine from the app's Config: the mailer (SMTP pool, or the local outbox when
 * SMTP_URL is not set), the worker, the scheduler and the service. The composition root calls this once
 * and starts the parts the chosen command runs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { AccountMailSender } from "../accounts/account-mail.sender.js";
import { BounceService } from "../bounces/bounces.service.js";
import { hardFailureListener } from "../bounces/hard-failures.js";
import { ImapPoller } from "../bounces/imap.poller.js";
import { IncomingMailService } from "../bounces/incoming.service.js";
import { VerpTokens, verpReturnPath } from "../bounces/verp.js";
import { type Config, publicBaseUrl } from "../config.js";
import type { Database } from "../db/database.js";
import { EngineMetrics } from "../ops/engine-metrics.js";
import { type Clock, systemClock } from "../shared/time.js";
import { KyselySuppressionCheck } from "../suppression/suppression.check.js";
import { UnsubscribeService } from "../suppression/unsubscribe.service.js";
import { unsubscribeLinks } from "../suppression/unsubscribe-links.js";
import { UnsubscribeTokens, unsubscribeSecret } from "../suppression/unsubscribe-token.js";
import { TemplateCopies } from "../templates/copies.js";
import { ViewLinks } from "../templates/view-links.js";
import { type DispatcherConfig, WebhookDispatcher } from "../webhooks/webhooks.dispatcher.js";
import { WebhookOutbox } from "../webhooks/webhooks.outbox.js";
import { WebhookStore } from "../webhooks/webhooks.store.js";
import { DeliveryService } from "./delivery.service.js";
import { KyselyDeliveryStore } from "./delivery.store.js";
import { type DkimKey, privateKeyFrom, signerByFromDomain } from "./dkim.js";
import { OutboxMailer } from "./outbox.mailer.js";
import type { EngineConfig, Mailer, UnsubscribeLinks } from "./ports.js";
import { RunPreparation } from "./preparation.store.js";
import { RunPreparer } from "./preparer.js";
import { RelaysMailer } from "./relays.mailer.js";
import { DeliveryRetention } from "./retention.js";
import { KyselyRunsStore } from "./runs.store.js";
import { Scheduler } from "./scheduler.js";
import { SigningMailer } from "./signing.mailer.js";
import { relayOf, SmtpMailer } from "./smtp.mailer.js";
import { type DeliveryLogger, DeliveryWorker, silentLogger } from "./worker.js";

export function engineConfig(config: Config): EngineConfig {
  const s = config.send;
  return {
    batchSize: s.batchSize,
    concurrency: s.concurrency,
    rate: s.rate,
    domainLimits: s.domainLimits,
    maxTries: s.maxTries,
    retryBaseMs: s.retryBaseMs,
    maxAgeMs: s.maxAgeMs,
    leaseMs: s.leaseMs,
    heartbeatMs: Math.max(100, Math.min(5_000, Math.floor(s.leaseMs / 3))),
    staleAfterMs: Math.max(1_000, Math.min(15_000, s.leaseMs)),
    idlePollMs: Math.min(1_000, s.schedulerIntervalMs),
    flushMs: 100,
    breaker: { threshold: 5, baseMs: 1_000, maxMs: 60_000 },
  };
}

export interface DeliveryRuntime {
  service: DeliveryService;
  worker: DeliveryWorker;
  scheduler: Scheduler;
  /** Fills runs a chunk at a time (Send now, retry failed, interrupted ones); runs with the worker or scheduler. */
  preparer: RunPreparer;
  /** Sends queued account emails (confirmation, reset); runs wherever the worker runs. */
  accountMail: AccountMailSender;
  /** Sends queued webhook events (webhooks/); runs wherever the worker runs, in its own loop. */
  webhooks: WebhookDispatcher;
  /** Polls the bounce mailbox (BOUNCE_IMAP_URL) wherever the worker runs; null when it is not set. */
  bouncePoller: ImapPoller | null;
  mailer: Mailer;
  /** Sends, replies and run durations of this engine (read by /metrics through the engine thread). */
  metrics: EngineMetrics;
  /** Removes old runs' deliveries (DELIVERY_RETENTION_DAYS) where the scheduler runs; null when unset. */
  retention: DeliveryRetention | null;
  /** Starts the worker and/or the scheduler (both by default). */
  start(parts?: { worker?: boolean; scheduler?: boolean }): void;
  /** Stops the scheduler, then the worker (two-phase), then closes the mailer's pool. */
  stop(): Promise<void>;
}

export interface DeliveryRuntimeDeps {
  database: Database;
  config: Config;
  logger?: DeliveryLogger;
  clock?: Clock;
  /** Overrides the mailer chosen from SMTP_URL (tests, benches); it is still wrapped for DKIM signing. */
  mailer?: Mailer;
  /** Overrides the unsubscribe links built from the data folder's unsubscribe-secret and PUBLIC_URL. */
  unsubscribe?: UnsubscribeLinks;
  /** Overrides the webhook dispatcher's settings (tests: short timeouts and backoff). */
  webhooks?: Partial<DispatcherConfig>;
}

export function createDeliveryRuntime(deps: DeliveryRuntimeDeps): DeliveryRuntime {
  const { database, config } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? silentLogger;
  const engine = engineConfig(config);
  const smtpTo = (url: string, connections = engine.concurrency) =>
    new SmtpMailer({
      url,
      timeoutMs: config.smtp.timeoutMs,
      concurrency: Math.min(engine.concurrency, connections),
      name: config.smtp.name,
    });
  const relays = config.smtp.relays;
  const transport =
    deps.mailer ??
    (relays.length > 1
      ? new RelaysMailer(
          relays.map((r) => ({
            mailer: smtpTo(r.url, r.connections),
            weight: r.weight,
            ...(r.rate ? { rate: r.rate } : {}),
            name: relayOf({ ...config.smtp, url: r.url }).address,
          })),
        )
      : config.smtp.url
        ? smtpTo(config.smtp.url)
        : new OutboxMailer(database.db, () => clock.now()));
  // With DKIM configured, every message (mailings and account emails) is signed as it is handed over.
  // Every send is counted for /metrics (ops/engine-metrics.ts), whichever mailer it goes through. A sender
  // identity on another domain is signed with that domain's key when DATA_DIR/dkim holds one.
  const metrics = new EngineMetrics();
  const mailer = metrics.counting(
    config.dkim
      ? new SigningMailer(
          transport,
          signerByFromDomain(config.dkim, otherDkimKeys(config.dataDir, config.dkim)),
        )
      : transport,
  );
  const key = unsubscribeSecret(config.dataDir);
  const verp = new VerpTokens(key);
  const bounces = new BounceService(database, { ...config.bounces, verp }, clock);
  const unsubscribe =
    deps.unsubscribe ??
    unsubscribeLinks({
      key,
      baseUrl: publicBaseUrl(config),
      mailto: config.unsubscribe.mailto,
      footer: config.unsubscribe.footer,
    });
  // Webhook events are queued by the engine's own transactions through the EngineEvents port.
  const events = new WebhookOutbox();
  const worker = new DeliveryWorker({
    store: new KyselyDeliveryStore(
      database,
      metrics.timing(database, hardFailureListener(bounces, logger)),
      events,
    ),
    mailer,
    config: engine,
    from: config.smtp.from,
    clock,
    logger,
    unsubscribe,
    suppression: new KyselySuppressionCheck(database.db),
    copies: new TemplateCopies({
      db: database.db,
      from: config.smtp.from,
      unsubscribe,
      view: new ViewLinks(key, publicBaseUrl(config)),
      now: () => clock.now(),
    }),
    ...(config.bounces.returnPath ? { returnPath: verpReturnPath(verp, config.bounces.returnPath) } : {}),
  });
  const bouncePoller = config.bounces.imap
    ? new ImapPoller(
        config.bounces.imap,
        new IncomingMailService(bounces, new UnsubscribeService(database, new UnsubscribeTokens(key), clock)),
        logger,
      )
    : null;
  // One RunPreparation for the scheduler (which fills the runs it creates at once) and the preparer loop
  // (the web's runs, retries, interrupted ones), so the two never prepare the same run side by side.
  const preparation = new RunPreparation(database, { events });
  const preparer = new RunPreparer({
    preparation,
    clock,
    logger,
    intervalMs: engine.idlePollMs,
    prepared: () => worker.wake(),
  });
  const scheduler = new Scheduler({
    store: new KyselyRunsStore(database, events, { preparation }),
    clock,
    logger,
    intervalMs: config.send.schedulerIntervalMs,
  });
  const service = new DeliveryService(database, { mode: mailer.kind, clock, events });
  const webhooks = new WebhookDispatcher(new WebhookStore(database), {
    config: { allowPrivate: config.webhooks.allowPrivate, ...deps.webhooks },
    clock,
    logger,
  });
  const accountMail = new AccountMailSender({
    db: database.db,
    mailer,
    from: config.smtp.from,
    clock,
    logger,
    policy: { baseMs: engine.retryBaseMs, maxTries: engine.maxTries, maxAgeMs: engine.maxAgeMs },
    pollMs: engine.idlePollMs,
  });
  const retention =
    config.send.retentionDays === undefined
      ? null
      : new DeliveryRetention({ database, days: config.send.retentionDays, clock, logger });
  let started = { worker: false, scheduler: false };
  return {
    service,
    worker,
    scheduler,
    preparer,
    accountMail,
    bouncePoller,
    retention,
    webhooks,
    mailer,
    metrics,
    start(parts = {}) {
      started = { worker: parts.worker ?? true, scheduler: parts.scheduler ?? true };
      if (started.scheduler || started.worker) preparer.start();
      if (started.scheduler) scheduler.start();
      if (started.scheduler) retention?.start();
      if (started.worker) worker.start();
      if (started.worker) accountMail.start();
      if (started.worker) bouncePoller?.start();
      if (started.worker) webhooks.start();
    },
    async stop() {
      await preparer.stop();
      await scheduler.stop();
      await retention?.stop();
      await worker.stop();
      await accountMail.stop();
      await bouncePoller?.stop();
      await webhooks.stop();
      await mailer.close();
    },
  };
}

/** The keys `dkim-keygen` wrote for other domains (DATA_DIR/dkim/<selector>.<domain>.pem); unreadable ones are skipped. */
function otherDkimKeys(dataDir: string, main: DkimKey): DkimKey[] {
  const dir = path.join(path.resolve(dataDir), "dkim");
  if (!existsSync(dir)) return [];
  const keys: DkimKey[] = [];
  for (const file of readdirSync(dir)) {
    const match = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9.-]+)\.pem$/.exec(file);
    if (!match || match[2]!.toLowerCase() === main.domain.toLowerCase()) continue;
    try {
      const privateKey = readFileSync(path.join(dir, file), "utf8");
      privateKeyFrom(privateKey);
      keys.push({ selector: match[1]!, domain: match[2]!, privateKey });
    } catch {
      // Not a usable key: that domain's mail is signed with the main key.
    }
  }
  return keys;
}
