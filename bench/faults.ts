/**
 * The delivery fault table, re-run at the sizes (2,000 recipients unless said): each row sends a
 * mailing through the real worker (file SQLite in a temp dir, the product's engine config but for a short
 * retry base) into the fault-injecting SMTP server of the tests, and prints one JSON line of what
 * happened: sent, failed, duplicates, tries, and the row's own figures. `npm run bench:faults [-- N]`.
 * The tests in test/delivery/faults.test.ts assert the same rows at smaller sizes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import SQLite from "better-sqlite3";
import { sql } from "kysely";
import { Database } from "../src/db/database.js";
import { KyselyDeliveryStore } from "../src/delivery/delivery.store.js";
import type { EngineConfig } from "../src/delivery/ports.js";
import { KyselyRunsStore } from "../src/delivery/runs.store.js";
import { Scheduler } from "../src/delivery/scheduler.js";
import { SmtpMailer } from "../src/delivery/smtp.mailer.js";
import { DeliveryWorker } from "../src/delivery/worker.js";
import { eventually } from "../test/delivery/support.js";
import { createMailing, createMessage, createRecipients, createUser } from "../test/helpers/fixtures.js";
import { TestSmtpServer } from "../test/helpers/smtp.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 2_000);
const FROM = "PostPilot Bench <bench@postpilot.test>";
const only = process.env.BENCH_ROWS?.split(",");

const engine: EngineConfig = {
  batchSize: 200,
  concurrency: 8,
  rate: 0,
  maxTries: 6,
  retryBaseMs: 200,
  maxAgeMs: 86_400_000,
  leaseMs: 300_000,
  heartbeatMs: 5_000,
  staleAfterMs: 15_000,
  idlePollMs: 200,
  flushMs: 100,
  breaker: { threshold: 5, baseMs: 1_000, maxMs: 60_000 },
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Env {
  dir: string;
  database: Database;
  smtp: TestSmtpServer;
  workers: DeliveryWorker[];
  mailers: SmtpMailer[];
}

async function setUp(): Promise<Env> {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-faults-"));
  const database = Database.sqlite(path.join(dir, "db.sqlite"));
  await database.migrateToLatest();
  const smtp = await TestSmtpServer.start();
  return { dir, database, smtp, workers: [], mailers: [] };
}

async function tearDown(env: Env): Promise<void> {
  for (const w of env.workers) await w.stop();
  for (const m of env.mailers) await m.close();
  await env.smtp.close();
  await env.database.close();
  rmSync(env.dir, { recursive: true, force: true });
}

async function mailing(env: Env, count: number, prefix: string, body = "A message the server takes.") {
  const user = await createUser(env.database.db);
  const message = await createMessage(env.database.db, user.id, { body });
  const emails = Array.from({ length: count }, (_, i) => `${prefix}${i}@bench.test`);
  const recipients = await createRecipients(env.database.db, user.id, emails);
  await createMailing(env.database.db, {
    ownerId: user.id,
    messageId: message.id,
    recipientIds: recipients.map((r) => r.id),
  });
  const scheduler = new Scheduler({ store: new KyselyRunsStore(env.database), intervalMs: 50 });
  const created = (await scheduler.tick()).created;
  return { runId: created[0]!, emails };
}

function startWorker(env: Env, url = env.smtp.url): DeliveryWorker {
  const mailer = new SmtpMailer({ url, timeoutMs: 15_000, concurrency: engine.concurrency });
  const worker = new DeliveryWorker({
    store: new KyselyDeliveryStore(env.database),
    mailer,
    config: engine,
    from: FROM,
  });
  env.mailers.push(mailer);
  env.workers.push(worker);
  worker.start();
  return worker;
}

async function run(env: Env, runId: number) {
  return env.database.db.selectFrom("runs").selectAll().where("id", "=", runId).executeTakeFirstOrThrow();
}

const finished = (env: Env, runId: number) =>
  eventually(
    async () => {
      const r = await run(env, runId);
      return r.status !== "sending" ? r : undefined;
    },
    { timeoutMs: 300_000 },
  );

async function deliveries(env: Env, runId: number) {
  return env.database.db.selectFrom("deliveries").selectAll().where("run_id", "=", runId).execute();
}

function copies(env: Env, emails: string[]) {
  const counts = env.smtp.counts();
  return {
    missing: emails.filter((e) => !counts.get(e)).length,
    duplicates: emails.filter((e) => (counts.get(e) ?? 0) > 1).length,
  };
}

/** A relay fault before the recipient is judged, held for 3 s, then fixed. */
async function relayFault(
  name: string,
  breakIt: (s: TestSmtpServer) => void,
  fixIt: (s: TestSmtpServer) => void,
  url?: (s: TestSmtpServer) => string,
) {
  const env = await setUp();
  try {
    breakIt(env.smtp);
    const { runId, emails } = await mailing(env, N, "r");
    const started = Date.now();
    startWorker(env, url?.(env.smtp));
    await sleep(3_000);
    const during = await deliveries(env, runId);
    const beat = await env.database.db.selectFrom("delivery_workers").selectAll().executeTakeFirst();
    const runDuring = await run(env, runId);
    fixIt(env.smtp);
    const fixedAt = Date.now();
    const done = await finished(env, runId);
    return {
      row: name,
      n: N,
      failedDuringFault: during.filter((d) => d.status === "failed").length,
      triesUsedDuringFault: during.reduce((t, d) => t + d.tries, 0),
      runStatusDuringFault: runDuring.status,
      banner: beat?.reason ?? null,
      secondsAfterFix: (Date.now() - fixedAt) / 1000,
      runStatus: done.status,
      sent: done.sent_count,
      failed: done.failed_count,
      ...copies(env, emails),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await tearDown(env);
  }
}

const rows: Record<string, () => Promise<object>> = {
  async auth() {
    return relayFault(
      "wrong SMTP password (535 to AUTH), fixed after 3 s",
      (s) => {
        s.requireAuth = true;
      },
      (s) => {
        s.credentials = { user: "postpilot", pass: "wrong" };
      },
      (s) => s.authUrl("postpilot", "wrong"),
    );
  },
  async greeting() {
    return relayFault(
      "554 greeting, fixed after 3 s",
      (s) => {
        s.greetingReply = { code: 554, message: "5.3.2 Service unavailable" };
      },
      (s) => {
        s.greetingReply = null;
      },
    );
  },
  async mailFrom() {
    return relayFault(
      "530 to MAIL FROM, fixed after 3 s",
      (s) => {
        s.mailFromReply = { code: 530, message: "5.7.0 Authentication required" };
      },
      (s) => {
        s.mailFromReply = null;
      },
    );
  },
  async tooManyRecipients() {
    const env = await setUp();
    try {
      env.smtp.tooManyRecipientsAfter = 20;
      const n = Math.round(N / 2);
      const { runId, emails } = await mailing(env, n, "r");
      startWorker(env);
      const done = await finished(env, runId);
      const all = await deliveries(env, runId);
      return {
        row: "452 4.5.3 after 20 per connection",
        n,
        runStatus: done.status,
        sent: done.sent_count,
        failed: done.failed_count,
        maxTries: Math.max(...all.map((d) => d.tries)),
        connections: env.smtp.connections,
        ...copies(env, emails),
      };
    } finally {
      await tearDown(env);
    }
  },
  async dropMidData() {
    const env = await setUp();
    try {
      env.smtp.dropDataContaining.add("CHOKE-ON-THIS");
      const bad = await mailing(env, 20, "bad", "CHOKE-ON-THIS");
      const other = await mailing(env, 500, "other");
      const started = Date.now();
      startWorker(env);
      const otherDone = await finished(env, other.runId);
      const otherSeconds = (Date.now() - started) / 1000;
      const badDone = await finished(env, bad.runId);
      const badRows = await deliveries(env, bad.runId);
      return {
        row: "a message the server drops mid-DATA, every time (20 recipients), beside another mailing of 500",
        choking: {
          runStatus: badDone.status,
          failed: badDone.failed_count,
          tries: [...new Set(badRows.map((d) => d.tries))],
          text: badRows[0]?.last_text,
          secondsToFinish: (Date.now() - started) / 1000,
        },
        other: {
          runStatus: otherDone.status,
          sent: otherDone.sent_count,
          seconds: otherSeconds,
          ...copies(env, other.emails),
        },
      };
    } finally {
      await tearDown(env);
    }
  },
  async nul() {
    const env = await setUp();
    try {
      const { runId, emails } = await mailing(env, N, "r");
      for (const e of emails.slice(0, 50))
        env.smtp.rawReplies.set(e, { at: "data", line: "250 2.0.0 ok\u0000id" });
      for (const e of emails.slice(50, 60))
        env.smtp.rawReplies.set(e, { at: "rcpt", line: "550 5.1.1 no\u0000such user" });
      startWorker(env);
      const done = await finished(env, runId);
      return {
        row: "replies containing a NUL byte (50 at end of DATA, 10 at RCPT)",
        n: N,
        runStatus: done.status,
        sent: done.sent_count,
        failed: done.failed_count,
        ...copies(
          env,
          emails.filter((_, i) => i < 50 || i >= 60),
        ),
      };
    } finally {
      await tearDown(env);
    }
  },
  async diskFull() {
    const env = await setUp();
    try {
      env.smtp.delayMs = 2;
      const { runId, emails } = await mailing(env, N, "r");
      const first = startWorker(env);
      await eventually(() => env.smtp.received.length >= N / 5, { timeoutMs: 300_000 });
      const pages = await sql<{ page_count: number }>`pragma page_count`.execute(env.database.db);
      await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(env.database.db);
      await eventually(
        () =>
          env.database.db
            .selectFrom("delivery_workers")
            .selectAll()
            .where("state", "=", "paused")
            .executeTakeFirst(),
        { timeoutMs: 300_000 },
      );
      await sleep(2_000);
      const accepted = env.smtp.received.length;
      const recorded = (await deliveries(env, runId)).filter((d) => d.status === "sent").length;
      await first.stop();
      env.workers.splice(0);
      await sql.raw("pragma max_page_count = 1073741823").execute(env.database.db);
      startWorker(env);
      const done = await finished(env, runId);
      return {
        row: "disk full (SQLite), then a restart, then space again",
        n: N,
        acceptedWhileFull: accepted,
        recordedWhileFull: recorded,
        runStatus: done.status,
        sent: done.sent_count,
        ...copies(env, emails),
      };
    } finally {
      await tearDown(env);
    }
  },
  async lock() {
    const env = await setUp();
    try {
      env.smtp.delayMs = 2;
      const { runId, emails } = await mailing(env, N, "r");
      startWorker(env);
      await eventually(() => env.smtp.received.length >= N / 5, { timeoutMs: 300_000 });
      const other = new SQLite(path.join(env.dir, "db.sqlite"));
      const loop = monitorEventLoopDelay({ resolution: 10 });
      loop.enable();
      other.exec("begin immediate");
      await sleep(20_000);
      other.exec("commit");
      loop.disable();
      other.close();
      const done = await finished(env, runId);
      const timeouts = await env.database.db
        .selectFrom("delivery_attempts")
        .select("text")
        .where("run_id", "=", runId)
        .where("outcome", "!=", "sent")
        .execute();
      return {
        row: "another process holds the SQLite write lock for 20 s",
        n: N,
        maxEventLoopBlockMs: Math.round(loop.max / 1e6),
        runStatus: done.status,
        sent: done.sent_count,
        notSentTries: timeouts.length,
        ...copies(env, emails),
      };
    } finally {
      await tearDown(env);
    }
  },
};

for (const [name, row] of Object.entries(rows)) {
  if (only && !only.includes(name)) continue;
  process.stdout.write(`${JSON.stringify(await row())}\n`);
}
