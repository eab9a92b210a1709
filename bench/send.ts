/**
 * npm run bench:send [-- N]   (N: recipients, default 20000, or BENCH_N)
 *
 * Sends a mailing of N recipients through `postpilot serve` in a child process (the web, with the real
 * scheduler and worker in its engine thread; file SQLite under a temp dir) into a raw-socket SMTP sink
 * running in another child process. Meanwhile a signed-in user's home page is requested one request at a
 * time, one every 20 ms (BENCH_WEB_EVERY_MS), and its p99 is compared with the same page idle before the
 * run. In the same run it measures a bare nodemailer pool with the same concurrency, and a naive loop
 * opening one connection per message, one at a time. Runs with every sink reply delayed by 5 ms, then by
 * 0 ms. Prints one JSON line per latency; the 0 ms line is last. Compiled by tsconfig.bench.json to
 * dist/bench (Node 20 cannot run TypeScript).
 * BENCH_DKIM=1 signs every message of the service run (a fresh key in its DATA_DIR) and also reports the
 * signer's CPU cost per message (`dkimSignMs`); the bare and naive baselines never sign.
 * BENCH_CASES (default "plain,personalised"): `plain` is the plain-text message above; `personalised` a
 * Markdown message with Liquid in subject and body, in the shipped default layout, each recipient with a
 * name. Its bare baseline gets the same messages rendered beforehand (compiled and rendered per recipient
 * before the clock starts) and lets nodemailer build the multipart from them, so the comparison is fair.
 * `throttled` is `plain` with SEND_RATE=BENCH_RATE (default 100000, far above what is reached), so every
 * grant of tokens is a round trip to the shared bucket in the database: compare its serviceMsgsPerSec with
 * plain's to see the bucket's cost (with SEND_RATE=0 the bucket is never read). Set BENCH_RATE to, say, 500
 * to see the limit hold ("sendRate" in the line).
 * Each JSON line carries its "case".
 * BENCH_VERP=1 sets SMTP_RETURN_PATH: each copy of the service run gets its own envelope sender
 * (bounces+<token>@…). The List-Unsubscribe headers and footer are always on.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import { hashPassword } from "../src/accounts/password.js";
import { writeDkimKey } from "../src/cli/dkim.js";
import { parseConfig } from "../src/config.js";
import { Database } from "../src/db/database.js";
import { DEFAULT_LAYOUT_HTML, DEFAULT_LAYOUT_TEXT } from "../src/db/migrations/default-layout.js";
import { dkimSigner, generateDkimKey } from "../src/delivery/dkim.js";
import { prepareMessage } from "../src/delivery/message.js";
import { smtpTransportOptions } from "../src/delivery/smtp.mailer.js";
import { sampleContext } from "../src/templates/check.js";
import { compileMessage } from "../src/templates/compile.js";
import { createMailing, createMessage, createUser } from "../test/helpers/fixtures.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 20_000);
const NAIVE_MAX = Number(process.env.BENCH_NAIVE_N ?? 1_000);
const NAIVE_MAX_MS = 15_000;
const LATENCIES = (process.env.BENCH_LATENCIES ?? "5,0").split(",").map(Number);
/** For profiling one part: BENCH_PARTS=service (default: service,bare,raw,naive). */
const PARTS = new Set((process.env.BENCH_PARTS ?? "service,bare,raw,naive").split(","));
const FROM = "PostPilot Bench <bench@postpilot.test>";
const DKIM = process.env.BENCH_DKIM === "1";
const VERP = process.env.BENCH_VERP === "1";
const DKIM_DOMAIN = "postpilot.test";
const DKIM_SELECTOR = "bench";
const SUBJECT = "PostPilot bench: what is new this month";
const BODY = `Hello,\n\n${"This is a typical newsletter paragraph with some text in it. ".repeat(20)}\n\nBye\n`;
const CASES = (process.env.BENCH_CASES ?? "plain,personalised").split(",") as (
  | "plain"
  | "personalised"
  | "throttled"
)[];
/** The throttled case's SEND_RATE: by default far above what is reached, so the figure is the bucket's cost. */
const THROTTLED_RATE = process.env.BENCH_RATE ?? "100000";
const P_SUBJECT = "{{ recipient.first_name }}, what is new at {{ mailing.name }} this month";
const P_BODY = `# Hello {{ recipient.full_name }}

${"This is a typical newsletter paragraph with **some text** in it and a [link](https://example.com/news). ".repeat(12)}

{% if recipient.comment != blank %}A note for you: {{ recipient.comment }}{% endif %}

Sent {{ now | date: "%d %B %Y" }}. Bye!
`;
const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, "../src/cli.js");
const PASSWORD = "bench password 123";
/** The page timed during the run, and how often it is requested (one request at a time). */
const WEB_PAGE = "/";
const WEB_EVERY_MS = Number(process.env.BENCH_WEB_EVERY_MS ?? 20);
const WEB_IDLE_SAMPLES = 250;

/**
 * 16 connections unless SEND_CONCURRENCY says otherwise: with 8 (the product default) even the bare pool
 * stays under 10x the naive loop at 5 ms, since each message costs four round trips on a connection.
 */
const CONCURRENCY = process.env.SEND_CONCURRENCY ?? "16";

function config(port: number, dataDir: string) {
  return parseConfig({
    ...process.env,
    SMTP_URL: `smtp://127.0.0.1:${port}`,
    SMTP_FROM: FROM,
    DATA_DIR: dataDir,
    SEND_CONCURRENCY: CONCURRENCY,
    SCHEDULER_INTERVAL_MS: "50",
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

const perSec = (count: number, ms: number) => Math.round((count / ms) * 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round((sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? 0) * 10) / 10;
}

/** A `done` for probe(): true after it has been asked `n` times. */
function times(n: number): () => boolean {
  let asked = 0;
  return () => asked++ >= n;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The highest resident set size the process has had (Linux), in MB; null elsewhere. */
function peakRssMb(pid: number): number | null {
  try {
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]);
    return Number.isFinite(kb) ? Math.round((kb / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** Signs in through /login like a browser; returns the session cookie. */
async function signIn(base: string, email: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const cookies = page.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? "";
  const login = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: cookies, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email, password: PASSWORD, _csrf: csrf }).toString(),
  });
  const session = login.headers.getSetCookie().find((c) => c.startsWith("pp_session="));
  if (!session) throw new Error(`login failed: ${login.status}`);
  return session.split(";")[0]!;
}

/** Requests `url` one at a time, starting one every WEB_EVERY_MS, until `done()`; returns the latencies. */
async function probe(url: string, cookie: string, done: () => boolean): Promise<number[]> {
  const samples: number[] = [];
  while (!done()) {
    const started = performance.now();
    const res = await fetch(url, { headers: { cookie }, redirect: "manual" });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    const ms = performance.now() - started;
    samples.push(ms);
    await sleep(Math.max(0, WEB_EVERY_MS - ms));
  }
  return samples;
}

/**
 * (a) The service end to end, the way `postpilot serve` runs it: from "send" (the mailing becomes due) to
 * the last delivery recorded, with the web's p99 during the run and idle before it.
 */
async function service(smtpPort: number, personalised: boolean, sendRate: string) {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-"));
  const database = Database.sqlite(path.join(dir, "postpilot.sqlite"));
  await database.migrateToLatest();
  const user = await createUser(database.db, {
    email: "user@bench.test",
    password_hash: await hashPassword(PASSWORD),
  });
  const message = await createMessage(
    database.db,
    user.id,
    personalised ? { subject: P_SUBJECT, body: P_BODY } : { subject: SUBJECT, body: BODY },
  );
  if (personalised) {
    const layout = await database.db.selectFrom("layouts").select("id").executeTakeFirstOrThrow();
    await database.db
      .updateTable("messages")
      .set({ format: "markdown", layout_id: layout.id })
      .where("id", "=", message.id)
      .execute();
  }
  const now = new Date().toISOString();
  // Recipients are generated in SQL, so seeding N of them costs the bench process no memory.
  await sql`
    with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${N})
    insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
    select ${user.id}, 'r' || n || '@bench.test', 'r' || n || '@bench.test', 'Reader ' || n || ' Smith', '', ${now}, ${now} from seq
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

  const webPort = await freePort();
  if (DKIM) writeDkimKey(dir, DKIM_DOMAIN, DKIM_SELECTOR);
  const serve = spawn(process.execPath, [cli, "serve"], {
    env: {
      ...process.env,
      DATA_DIR: dir,
      HOST: "127.0.0.1",
      PORT: String(webPort),
      LOG_LEVEL: "error",
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      SMTP_FROM: FROM,
      SEND_CONCURRENCY: CONCURRENCY,
      SEND_RATE: sendRate,
      SCHEDULER_INTERVAL_MS: "50",
      ...(DKIM ? { DKIM_DOMAIN, DKIM_SELECTOR } : {}),
      ...(VERP ? { SMTP_RETURN_PATH: "bounces@bench.test" } : {}),
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => serve.once("exit", resolve));
  try {
    const base = `http://127.0.0.1:${webPort}`;
    for (;;) {
      if (serve.exitCode !== null) throw new Error(`serve exited with ${serve.exitCode}`);
      const up = await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      await sleep(50);
    }
    const cookie = await signIn(base, user.email);
    const url = base + WEB_PAGE;
    await probe(url, cookie, times(20)); // warm-up
    const idle = await probe(url, cookie, times(WEB_IDLE_SAMPLES));

    const started = performance.now();
    await database.db
      .updateTable("mailings")
      .set({ next_run_at: now })
      .where("id", "=", mailing.id)
      .execute();
    let run: { status: string; sent_count: number } | undefined;
    const during = probe(url, cookie, () => run !== undefined && run.status !== "sending");
    for (;;) {
      run = await database.db
        .selectFrom("runs")
        .select(["status", "sent_count"])
        .where("mailing_id", "=", mailing.id)
        .executeTakeFirst();
      if (run && run.status !== "sending") break;
      await sleep(20);
    }
    const ms = performance.now() - started;
    const web = await during;
    const peak = peakRssMb(serve.pid!);
    if (run.sent_count !== N) throw new Error(`service sent ${run.sent_count} of ${N}`);
    return {
      msgsPerSec: perSec(N, ms),
      seconds: Math.round(ms) / 1000,
      peakRssMb: peak,
      webP99Ms: p99(web),
      webIdleP99Ms: p99(idle),
      webMaxMs: Math.round(Math.max(...web) * 10) / 10,
      webSamples: web.length,
    };
  } finally {
    serve.kill("SIGTERM");
    const code = await exited;
    await database.close();
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0) console.error(`serve exited with ${code}`);
  }
}

/**
 * (b) A bare nodemailer pool, same concurrency: nodemailer builds each message (and, raw: prebuilt). In the
 * personalised case it is handed each recipient's subject, text and HTML rendered before the clock starts.
 */
async function bare(port: number, raw: boolean, personalised: boolean) {
  const concurrency = config(port, tmpdir()).send.concurrency;
  const transport = nodemailer.createTransport(
    smtpTransportOptions({ url: `smtp://127.0.0.1:${port}`, timeoutMs: 15_000, concurrency }),
  );
  const prepared = raw
    ? await prepareMessage({ from: FROM, subject: SUBJECT, body: BODY, date: new Date() })
    : null;
  const rendered = personalised ? renderedBeforehand() : null;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < N; i = next++) {
        const to = `r${i}@bench.test`;
        if (rendered) {
          const r = rendered[i]!;
          await transport.sendMail({ from: FROM, to, subject: r.subject, text: r.text, html: r.html ?? "" });
        } else if (prepared) {
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

/** The personalised message rendered for each of the N recipients, as the service renders it. */
function renderedBeforehand() {
  const compiled = compileMessage({
    format: "markdown",
    subject: P_SUBJECT,
    body: P_BODY,
    layout: { html: DEFAULT_LAYOUT_HTML, text: DEFAULT_LAYOUT_TEXT },
    unsubscribeFooter: "Unsubscribe: {{unsubscribe_url}}",
  });
  const base = sampleContext();
  return Array.from({ length: N }, (_, i) => {
    const name = `Reader ${i + 1} Smith`;
    return compiled.render({
      ...base,
      recipient: { ...base.recipient, email: `r${i}@bench.test`, full_name: name, first_name: "Reader" },
      unsubscribe_url: `https://example.com/u/${i}`,
      view_in_browser_url: `https://example.com/v/${i}`,
    });
  });
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
for (const kind of CASES) {
  const personalised = kind === "personalised";
  for (const latencyMs of LATENCIES) {
    const sink = await startSink(latencyMs);
    try {
      const svc = PARTS.has("service")
        ? await service(sink.port, personalised, kind === "throttled" ? THROTTLED_RATE : "0")
        : {
            msgsPerSec: 0,
            seconds: 0,
            peakRssMb: 0,
            webP99Ms: 0,
            webIdleP99Ms: 0,
            webMaxMs: 0,
            webSamples: 0,
          };
      const bareMsgsPerSec = PARTS.has("bare") ? await bare(sink.port, false, personalised) : 0;
      const bareRawMsgsPerSec = PARTS.has("raw") && kind === "plain" ? await bare(sink.port, true, false) : 0;
      const naiveResult =
        PARTS.has("naive") && kind === "plain" ? await naive(sink.port) : { msgsPerSec: 0, sent: 0 };
      process.stdout.write(
        `${JSON.stringify({
          case: kind,
          sendRate: kind === "throttled" ? Number(THROTTLED_RATE) : 0,
          n: N,
          latencyMs,
          concurrency: Number(CONCURRENCY),
          dkim: DKIM,
          verp: VERP,
          ...(signMs === undefined ? {} : { dkimSignMs: signMs }),
          serviceMsgsPerSec: svc.msgsPerSec,
          bareMsgsPerSec,
          naiveMsgsPerSec: naiveResult.msgsPerSec,
          peakRssMb: svc.peakRssMb,
          serviceSeconds: svc.seconds,
          bareRawMsgsPerSec,
          naiveN: naiveResult.sent,
          serviceVsBare: Math.round((svc.msgsPerSec / bareMsgsPerSec) * 100) / 100,
          serviceVsNaive: kind !== "plain"
            ? null
            : Math.round((svc.msgsPerSec / naiveResult.msgsPerSec) * 10) / 10,
          webPage: WEB_PAGE,
          webIdleP99Ms: svc.webIdleP99Ms,
          webP99Ms: svc.webP99Ms,
          webMaxMs: svc.webMaxMs,
          webSamples: svc.webSamples,
        })}\n`,
      );
    } finally {
      sink.child.kill("SIGTERM");
    }
  }
}
