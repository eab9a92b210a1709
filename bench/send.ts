/**
 * npm run bench:send [-- N]   (N: recipients, default 20000, or BENCH_N)
 *
 * Sends a mailing of N recipients through the real scheduler and worker (file SQLite under a temp dir)
 * into a raw-socket SMTP sink running in a child process, and in the same run measures a bare nodemailer
 * pool with the same concurrency, and a naive loop opening one connection per message, one at a time.
 * Runs with every sink reply delayed by 5 ms, then by 0 ms. Prints one JSON line per latency; the 0 ms
 * line is last. Compiled by tsconfig.bench.json to dist/bench (Node 20 cannot run TypeScript).
 * BENCH_DKIM=1 signs every message of the service run (a fresh key in its DATA_DIR) and also reports the
 * signer's CPU cost per message (`dkimSignMs`); the bare and naive baselines never sign.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import { writeDkimKey } from "../src/cli/dkim.js";
import { parseConfig } from "../src/config.js";
import { Database } from "../src/db/database.js";
import { dkimSigner, generateDkimKey } from "../src/delivery/dkim.js";
import { prepareMessage } from "../src/delivery/message.js";
import { createDeliveryRuntime } from "../src/delivery/runtime.js";
import { smtpTransportOptions } from "../src/delivery/smtp.mailer.js";
import { createMailing, createMessage, createUser } from "../test/helpers/fixtures.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 20_000);
const NAIVE_MAX = Number(process.env.BENCH_NAIVE_N ?? 1_000);
const NAIVE_MAX_MS = 15_000;
const LATENCIES = (process.env.BENCH_LATENCIES ?? "5,0").split(",").map(Number);
/** For profiling one part: BENCH_PARTS=service (default: service,bare,raw,naive). */
const PARTS = new Set((process.env.BENCH_PARTS ?? "service,bare,raw,naive").split(","));
const DKIM = process.env.BENCH_DKIM === "1";
const DKIM_DOMAIN = "postpilot.test";
const DKIM_SELECTOR = "bench";
const FROM = "PostPilot Bench <bench@postpilot.test>";
const SUBJECT = "PostPilot bench: what is new this month";
const BODY = `Hello,\n\n${"This is a typical newsletter paragraph with some text in it. ".repeat(20)}\n\nBye\n`;
const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * 16 connections unless SEND_CONCURRENCY says otherwise: with 8 (the product default) even the bare pool
 * stays under 10x the naive loop at 5 ms, since each message costs four round trips on a connection.
 */
const CONCURRENCY = process.env.SEND_CONCURRENCY ?? "16";

function config(port: number, dataDir: string, dkim = false) {
  return parseConfig({
    ...process.env,
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_FROM: FROM,
    DATA_DIR: dataDir,
    SEND_CONCURRENCY: CONCURRENCY,
    SCHEDULER_INTERVAL_MS: "50",
    ...(dkim ? { DKIM_DOMAIN, DKIM_SELECTOR } : {}),
  });
}

/** CPU time of one DKIM signature of the bench's message (the signer alone, one core). */
async function dkimSignMs(): Promise<number> {
  const sign = dkimSigner({ domain: DKIM_DOMAIN, selector: DKIM_SELECTOR, ...generateDkimKey() });
  const prepared = await prepareMessage({ from: FROM, subject: SUBJECT, body: BODY, date: new Date() });
  const copies = Array.from({ length: 2000 }, (_, i) =>
    prepared.forRecipient(`r${i}@bench.test`, `b.${i}@x`),
  );
  for (const copy of copies.slice(0, 200)) sign(copy);
  const started = performance.now();
  for (const copy of copies) sign(copy);
  return Math.round(((performance.now() - started) / copies.length) * 1000) / 1000;
}

async function startSink(delayMs: number): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [path.join(here, "sink.js"), String(delayMs)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve(Number(/port (\d+)/.exec(d.toString())?.[1])));
    child.once("exit", (code) => reject(new Error(`sink exited with ${code}`)));
  });
  return { port, child };
}

const rssMb = () => Math.round((process.memoryUsage.rss() / 1024 / 1024) * 10) / 10;
const perSec = (count: number, ms: number) => Math.round((count / ms) * 1000);

/** (a) The service end to end: from "send" (the mailing becomes due) to the last delivery recorded. */
async function service(port: number) {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-"));
  const database = Database.sqlite(path.join(dir, "bench.sqlite"));
  await database.migrateToLatest();
  const user = await createUser(database.db);
  const message = await createMessage(database.db, user.id, { subject: SUBJECT, body: BODY });
  const now = new Date().toISOString();
  // Recipients are generated in SQL, so seeding N of them costs the bench process no memory.
  await sql`
    with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${N})
    insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
    select ${user.id}, 'r' || n || '@bench.test', 'r' || n || '@bench.test', '', '', ${now}, ${now} from seq
  `.execute(database.db);
  const mailing = await createMailing(database.db, {
    ownerId: user.id,
    messageId: message.id,
    first_send_at: new Date(Date.now() + 3_600_000).toISOString(),
    next_run_at: null,
  });
  await sql`insert into mailing_recipients (mailing_id, recipient_id) select ${mailing.id}, id from recipients`.execute(
    database.db,
  );
  global.gc?.();
  let peak = rssMb();
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMb());
  }, 50);
  if (DKIM) writeDkimKey(dir, DKIM_DOMAIN, DKIM_SELECTOR);
  const runtime = createDeliveryRuntime({ database, config: config(port, dir, DKIM) });

  const started = performance.now();
  await database.db.updateTable("mailings").set({ next_run_at: now }).where("id", "=", mailing.id).execute();
  runtime.start();
  let run: { status: string; sent_count: number } | undefined;
  for (;;) {
    run = await database.db
      .selectFrom("runs")
      .select(["status", "sent_count"])
      .where("mailing_id", "=", mailing.id)
      .executeTakeFirst();
    if (run && run.status !== "sending") break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, rssMb());
  await runtime.stop();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
  if (run.sent_count !== N) throw new Error(`service sent ${run.sent_count} of ${N}`);
  return { msgsPerSec: perSec(N, ms), seconds: Math.round(ms) / 1000, peakRssMb: peak };
}

/** (b) A bare nodemailer pool, same concurrency: nodemailer builds each message (and, raw: prebuilt). */
async function bare(port: number, raw: boolean) {
  const concurrency = config(port, tmpdir()).send.concurrency;
  const transport = nodemailer.createTransport(
    smtpTransportOptions({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 15_000, concurrency }),
  );
  const prepared = raw
    ? await prepareMessage({ from: FROM, subject: SUBJECT, body: BODY, date: new Date() })
    : null;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < N; i = next++) {
        const to = `r${i}@bench.test`;
        if (prepared) {
          await transport.sendMail({
            envelope: { from: "bench@postpilot.test", to: [to] },
            raw: prepared.forRecipient(to, `bench.${i}@postpilot.test`),
          });
        } else {
          await transport.sendMail({ from: FROM, to, subject: SUBJECT, text: BODY });
        }
      }
    }),
  );
  const ms = performance.now() - started;
  transport.close();
  return perSec(N, ms);
}

/** (c) One SMTP connection per message, one message at a time (capped in count and time). */
async function naive(port: number) {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port, secure: false, ignoreTLS: true });
  const started = performance.now();
  let sent = 0;
  while (sent < Math.min(N, NAIVE_MAX) && performance.now() - started < NAIVE_MAX_MS) {
    await transport.sendMail({ from: FROM, to: `r${sent}@bench.test`, subject: SUBJECT, text: BODY });
    sent++;
  }
  const ms = performance.now() - started;
  transport.close();
  return { msgsPerSec: perSec(sent, ms), sent };
}

const signMs = DKIM ? await dkimSignMs() : undefined;
for (const latencyMs of LATENCIES) {
  const sink = await startSink(latencyMs);
  try {
    const svc = PARTS.has("service") ? await service(sink.port) : { msgsPerSec: 0, seconds: 0, peakRssMb: 0 };
    const bareMsgsPerSec = PARTS.has("bare") ? await bare(sink.port, false) : 0;
    const bareRawMsgsPerSec = PARTS.has("raw") ? await bare(sink.port, true) : 0;
    const naiveResult = PARTS.has("naive") ? await naive(sink.port) : { msgsPerSec: 0, sent: 0 };
    process.stdout.write(
      `${JSON.stringify({
        n: N,
        latencyMs,
        concurrency: Number(CONCURRENCY),
        dkim: DKIM,
        ...(signMs === undefined ? {} : { dkimSignMs: signMs }),
        serviceMsgsPerSec: svc.msgsPerSec,
        bareMsgsPerSec,
        naiveMsgsPerSec: naiveResult.msgsPerSec,
        peakRssMb: svc.peakRssMb,
        serviceSeconds: svc.seconds,
        bareRawMsgsPerSec,
        naiveN: naiveResult.sent,
        serviceVsBare: Math.round((svc.msgsPerSec / bareMsgsPerSec) * 100) / 100,
        serviceVsNaive: Math.round((svc.msgsPerSec / naiveResult.msgsPerSec) * 10) / 10,
      })}\n`,
    );
  } finally {
    sink.child.kill("SIGTERM");
  }
}
