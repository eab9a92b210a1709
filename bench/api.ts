/**
 * npm run bench:api   ("bench:api": "tsc -p tsconfig.bench.json && node dist/bench/bench/api.js")
 *
 * (a) POST /api/v1/recipients/bulk with BENCH_BULK_N (default 10,000) JSON rows, on file SQLite, through
 *     app.inject (the whole Fastify stack: auth, rate limit, parsing, the bulk upsert): ms, first call
 *     (all created) and a second identical call (all unchanged).
 * (b) A run of BENCH_N (default 100,000) recipients through the real worker and store (a mailer that accepts
 *     every message at once, so the figure is the database's and the dispatcher's, not SMTP's), with one
 *     endpoint subscribed to delivery.sent: how many webhook requests reach a local receiver (batched, ≤ 100
 *     events each) and how long until the last event is delivered after the run finished.
 * (c) POST /api/v1/mailings/{id}/recipients naming BENCH_EMAILS_N (default 5,000) recipients by email, on
 *     file SQLite: ms (the addresses are resolved one query per 500, RecipientsRepository.idsByEmails).
 * BENCH_CASES=bulk, webhooks or emails runs one part. Prints one JSON line per part. Compiled by tsconfig.bench.json to dist/bench.
 */

import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServices } from "../src/container.js";
import { Database } from "../src/db/database.js";
import { KyselyDeliveryStore } from "../src/delivery/delivery.store.js";
import type { Mailer } from "../src/delivery/ports.js";
import { KyselyRunsStore } from "../src/delivery/runs.store.js";
import { Scheduler } from "../src/delivery/scheduler.js";
import { DeliveryWorker } from "../src/delivery/worker.js";
import { buildApp } from "../src/web/app.js";
import { WebhookDispatcher } from "../src/webhooks/webhooks.dispatcher.js";
import { WebhookOutbox } from "../src/webhooks/webhooks.outbox.js";
import { WebhooksService } from "../src/webhooks/webhooks.service.js";
import { WebhookStore } from "../src/webhooks/webhooks.store.js";
import { createMailing, createMessage, createRecipients, createUser } from "../test/helpers/fixtures.js";

const BULK_N = Number(process.env.BENCH_BULK_N ?? 10_000);
const EMAILS_N = Number(process.env.BENCH_EMAILS_N ?? 5_000);
const N = Number(process.env.BENCH_N ?? 100_000);
const PORT = Number(process.env.BENCH_PORT ?? 4150);
/** BENCH_CASES=bulk (or webhooks) runs one part only; both by default. */
const CASES = (process.env.BENCH_CASES ?? "bulk,webhooks,emails").split(",").map((name) => name.trim());

async function bulk(dir: string) {
  const database = Database.sqlite(path.join(dir, "bulk.sqlite"));
  await database.migrateToLatest();
  const services = createServices(database);
  const app = await buildApp({ services, sessionSecret: "bench-secret-".repeat(4) });
  const user = await createUser(database.db);
  const { token } = await services.tokens.create(user, { name: "bench" });
  const rows = Array.from({ length: BULK_N }, (_, i) => ({
    email: `bulk${i}@example.test`,
    full_name: `Row ${i}`,
  }));
  const call = async () => {
    const t0 = performance.now();
    const res = await app.inject({
      method: "POST",
      url: "/api/v1/recipients/bulk",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify(rows),
    });
    const ms = Math.round(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`bulk: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return ms;
  };
  const firstMs = await call();
  const againMs = await call();
  console.log(JSON.stringify({ part: "bulk", dialect: "sqlite", rows: BULK_N, firstMs, againMs }));
  await app.close();
  await database.close();
}

async function emails(dir: string) {
  const database = Database.sqlite(path.join(dir, "emails.sqlite"));
  await database.migrateToLatest();
  const services = createServices(database);
  const app = await buildApp({ services, sessionSecret: "bench-secret-".repeat(4) });
  const user = await createUser(database.db);
  const { token } = await services.tokens.create(user, { name: "bench" });
  const addresses = (await createRecipients(database.db, user.id, EMAILS_N)).map((r) => r.email);
  const message = await createMessage(database.db, user.id);
  const mailing = await createMailing(database.db, { ownerId: user.id, messageId: message.id });
  const call = async (method: "POST" | "DELETE") => {
    const t0 = performance.now();
    const res = await app.inject({
      method,
      url: `/api/v1/mailings/${mailing.id}/recipients`,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      payload: JSON.stringify({ emails: addresses }),
    });
    const ms = Math.round(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`emails: ${res.statusCode} ${res.body.slice(0, 300)}`);
    return ms;
  };
  const addMs = await call("POST");
  const removeMs = await call("DELETE");
  console.log(JSON.stringify({ part: "emails", dialect: "sqlite", emails: EMAILS_N, addMs, removeMs }));
  await app.close();
  await database.close();
}

/** Accepts every message at once (the engine's own cost, without SMTP). */
const instantMailer: Mailer = {
  kind: "outbox",
  async send(mail) {
    await mail.beforeTransmit?.();
    return { ok: true, stage: "data", relay: "bench", response: "250 2.0.0 Ok", responseCode: 250 };
  },
  async close() {},
};

async function webhooks(dir: string) {
  const database = Database.sqlite(path.join(dir, "hooks.sqlite"));
  await database.migrateToLatest();
  let requests = 0;
  let events = 0;
  let lastAt = 0;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      requests++;
      events += body.type === "batch" ? body.data.events.length : 1;
      lastAt = performance.now();
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => receiver.listen(PORT, "127.0.0.1", resolve));

  const user = await createUser(database.db);
  const message = await createMessage(database.db, user.id);
  const recipients = await createRecipients(database.db, user.id, N);
  await createMailing(database.db, {
    ownerId: user.id,
    messageId: message.id,
    recipientIds: recipients.map((r) => r.id),
  });
  await new WebhooksService(database, { allowPrivate: true }).create(
    { id: user.id, role: "user" },
    { url: `http://127.0.0.1:${PORT}/hooks`, events: ["delivery.sent"] },
  );
  const outbox = new WebhookOutbox();
  const t0 = performance.now();
  const tick = await new Scheduler({ store: new KyselyRunsStore(database, outbox), intervalMs: 1000 }).tick();
  const runId = tick.created[0]!;
  const worker = new DeliveryWorker({
    store: new KyselyDeliveryStore(database, undefined, outbox),
    mailer: instantMailer,
    from: "Bench <bench@postpilot.test>",
    config: {
      batchSize: 500,
      concurrency: 50,
      rate: 0,
      maxTries: 3,
      retryBaseMs: 1000,
      maxAgeMs: 3_600_000,
      leaseMs: 60_000,
      heartbeatMs: 5_000,
      staleAfterMs: 15_000,
      idlePollMs: 50,
      flushMs: 100,
      breaker: { threshold: 5, baseMs: 1000, maxMs: 60_000 },
    },
  });
  const dispatcher = new WebhookDispatcher(new WebhookStore(database), {
    config: { allowPrivate: true, pollMs: 50, requestsPerClaim: 1_000 },
  });
  worker.start();
  dispatcher.start();
  for (;;) {
    const run = await database.db
      .selectFrom("runs")
      .select("status")
      .where("id", "=", runId)
      .executeTakeFirstOrThrow();
    if (run.status !== "sending") break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const runMs = Math.round(performance.now() - t0);
  while (events < N) await new Promise((r) => setTimeout(r, 50));
  const deliveredMs = Math.round(lastAt - t0);
  await worker.stop();
  await dispatcher.stop();
  receiver.close();
  console.log(
    JSON.stringify({
      part: "webhooks",
      dialect: "sqlite",
      recipients: N,
      deliveryEvents: events,
      webhookRequests: requests,
      runMs,
      lastEventDeliveredMs: deliveredMs,
      eventsBehindRunMs: Math.max(0, deliveredMs - runMs),
    }),
  );
  await database.close();
}

const dir = mkdtempSync(path.join(tmpdir(), "pp-bench-api-"));
try {
  if (CASES.includes("bulk")) await bulk(dir);
  if (CASES.includes("webhooks")) await webhooks(dir);
  if (CASES.includes("emails")) await emails(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
