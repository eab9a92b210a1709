/**
 * npm run bench:scale   (BENCH_SCALE: fraction of the full size, default 1; BENCH_SECONDS per case, default 5;
 *                        BENCH_DATABASE_URL: a PostgreSQL database to use instead of a temp SQLite file —
 *                        its public schema is dropped and recreated)
 *
 * Seeds, in SQL (not through the app), one user with 1,000,000 recipients, 200 mailings and 10 finished runs
 * of 1,000,000 deliveries each (10,000,000 deliveries), then loads the real app with autocannon (10
 * connections, signed in, cache off): the home page, the recipients list's first page and a deep page
 * (by cursor, half-way down), a search, a mailing page, a run page with 1M deliveries, and /healthz while
 * a run for the 1M recipients is being created: the web's "Send now" creates the run row (as serve's web
 * does, prepareRuns "engine") and an engine thread with its own connection (bench/prepare-thread.ts) inserts
 * its deliveries a chunk per transaction; it reports the chunks' durations (SQLite: the write lock's hold).
 * The web runs on a thread of its own (bench/web-thread.ts, its own connection), as serve's web runs in its
 * own process, so the load generator does not share its event loop.
 * One JSON line per case, then a table.
 *
 * For profiling: BENCH_KEEP=<file> keeps the seeded SQLite file and reuses it on the next run (seeding takes
 * minutes; with BENCH_DATABASE_URL, BENCH_KEEP=1 reuses a database an earlier run seeded); BENCH_CASES=home,run picks the cases whose names start with one of these ("healthz during" for
 * the run creation, which adds a run to the kept file).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import autocannon from "autocannon";
import { sql } from "kysely";
import { hashPassword } from "../src/accounts/password.js";
import { NoCache } from "../src/cache/index.js";
import { createServices, type Services } from "../src/container.js";
import { Database } from "../src/db/database.js";
import { encodeCursor } from "../src/shared/pagination.js";
import { buildApp } from "../src/web/app.js";
import { createMailing, createMessage, createUser } from "../test/helpers/fixtures.js";
import { signIn } from "./sign-in.js";

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const RECIPIENTS = Math.round(1_000_000 * SCALE);
const MAILINGS = 200;
const RUNS = 10; // each over every recipient: RUNS × RECIPIENTS deliveries
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = 10;
const CHUNK = 100_000;
const PASSWORD = "bench password 123";

interface Seeded {
  userId: number;
  mailingId: number;
  runId: number;
  /** A mailing whose audience is everyone, not yet sent: the run created during /healthz. */
  bigMailingId: number;
}

async function seed(database: Database): Promise<Seeded> {
  const db = database.db;
  const pg = database.dialect === "postgres";
  await createUser(db, { email: "admin@bench.test", role: "admin" });
  const user = await createUser(db, {
    email: "user@bench.test",
    password_hash: await hashPassword(PASSWORD),
  });
  const message = await createMessage(db, user.id);
  const now = new Date().toISOString();
  let t = Date.now();
  for (let from = 1; from <= RECIPIENTS; from += CHUNK) {
    const to = Math.min(RECIPIENTS, from + CHUNK - 1);
    const seq = pg
      ? sql`generate_series(${from}::int, ${to}::int) as seq(n)`
      : sql`(with recursive s(n) as (select ${from} union all select n + 1 from s where n < ${to}) select n from s) as seq`;
    // created_at spreads over time so sorting by date is meaningful.
    await sql`
      insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
      select ${user.id}, 'r' || n || '@bench.test', 'r' || n || '@bench.test', 'Recipient ' || n, '',
             ${now}, ${now}
      from ${seq}`.execute(db);
  }
  console.log(`seed: ${RECIPIENTS.toLocaleString("en-US")} recipients in ${Date.now() - t} ms`);
  t = Date.now();
  const mailingIds: number[] = [];
  for (let i = 0; i < MAILINGS; i++) {
    const mailing = await createMailing(db, {
      ownerId: user.id,
      messageId: message.id,
      name: `Mailing ${i + 1}`,
      status: i < RUNS ? "completed" : "created",
      first_send_at: new Date(Date.now() + 86_400_000).toISOString(),
      next_run_at: null,
    });
    mailingIds.push(mailing.id);
  }
  const bigMailingId = mailingIds[MAILINGS - 1]!;
  await db
    .insertInto("mailing_audiences")
    .values({ mailing_id: bigMailingId, mode: "include", kind: "all" })
    .execute();
  const runIds: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const failed = Math.floor(RECIPIENTS / 20);
    const run = await sql<{ id: number }>`
      insert into runs (mailing_id, "trigger", status, scheduled_for, subject, body, total_count, sent_count,
                        failed_count, started_at, finished_at, created_at)
      values (${mailingIds[i]}, 'cli', 'success', ${now}, 'Bench', 'Hello', ${RECIPIENTS}, ${RECIPIENTS - failed},
              ${failed}, ${now}, ${now}, ${now})
      returning id`.execute(db);
    const runId = run.rows[0]!.id;
    runIds.push(runId);
    // Chunks by recipient id: each statement holds the SQLite write lock for one chunk only.
    const ids = await db
      .selectFrom("recipients")
      .select((eb) => [eb.fn.min("id").as("lo"), eb.fn.max("id").as("hi")])
      .where("owner_id", "=", user.id)
      .executeTakeFirstOrThrow();
    for (let lo = Number(ids.lo); lo <= Number(ids.hi); lo += CHUNK) {
      await sql`
        insert into deliveries (run_id, recipient_id, email, status, tries, next_attempt_at, created_at, sent_at,
                                updated_at)
        select ${runId}, id, email, case when id % 20 = 0 then 'failed' else 'sent' end, 1, ${now}, ${now},
               ${now}, ${now}
        from recipients where owner_id = ${user.id} and id >= ${lo} and id < ${lo + CHUNK}`.execute(db);
    }
  }
  console.log(
    `seed: ${MAILINGS} mailings, ${RUNS} runs, ${(RUNS * RECIPIENTS).toLocaleString("en-US")} deliveries in ${Date.now() - t} ms`,
  );
  await sql`create table bench_probe (n integer not null)`.execute(db);
  await sql`insert into bench_probe (n) values (0)`.execute(db);
  await sql`analyze`.execute(db);
  return { userId: user.id, mailingId: mailingIds[0]!, runId: runIds[0]!, bigMailingId };
}

interface Result {
  db: string;
  case: string;
  url: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

/** The ids a kept file was seeded with. */
async function seededIn(database: Database): Promise<Seeded> {
  const db = database.db;
  const user = await db
    .selectFrom("users")
    .select("id")
    .where("email_normalized", "=", "user@bench.test")
    .executeTakeFirstOrThrow();
  const mailings = await db
    .selectFrom("mailings")
    .select("id")
    .where("owner_id", "=", user.id)
    .orderBy("id")
    .execute();
  const run = await db.selectFrom("runs").select("id").orderBy("id").executeTakeFirstOrThrow();
  // The run an earlier "healthz during 1M run creation" made goes (its deliveries with it), so Send now can
  // start another.
  await db
    .deleteFrom("runs")
    .where("mailing_id", "=", mailings[MAILINGS - 1]!.id)
    .execute();
  return {
    userId: user.id,
    mailingId: mailings[0]!.id,
    runId: run.id,
    bigMailingId: mailings[MAILINGS - 1]!.id,
  };
}

const CASES = process.env.BENCH_CASES?.split(",").map((c) => c.trim().toLowerCase());
const picked = (name: string) => !CASES || CASES.some((c) => name.toLowerCase().startsWith(c));

/** The app on its own thread (bench/web-thread.ts), and how to close it. */
async function webThread(where: { file?: string; url?: string }, secret: string) {
  const web = new Worker(new URL("./web-thread.js", import.meta.url), { workerData: { ...where, secret } });
  const address = await new Promise<string>((resolve, reject) => {
    web.once("message", resolve);
    web.once("error", reject);
  });
  const close = async () => {
    const closed = new Promise((resolve) => web.once("message", resolve));
    web.postMessage("close");
    await closed;
    await web.terminate();
  };
  return { address, close };
}

async function load(address: string, url: string, cookie: string) {
  await autocannon({ url: address + url, headers: { cookie }, connections: 2, amount: 20 });
  return autocannon({ url: address + url, headers: { cookie }, connections: CONNECTIONS, duration: SECONDS });
}

interface Prepared {
  runs: number[];
  ms: number;
  chunks: number;
  chunkSize: number;
  chunkP50Ms: number;
  chunkP99Ms: number;
  chunkMaxMs: number;
  slowestMs: number[];
  phases: Record<string, { chunks: number; maxMs: number; meanMs: number }>;
}

async function measure(
  database: Database,
  seeded: Seeded,
  label: string,
  where: { file?: string; url?: string },
): Promise<Result[]> {
  const services: Services = createServices(database, { cache: new NoCache(), prepareRuns: "engine" });
  const secret = randomBytes(32).toString("hex");
  // This thread's app only signs in and follows links (inject); the load goes to the web thread's.
  const app = await buildApp({ services, sessionSecret: secret });
  const web = await webThread(where, secret);
  const address = web.address;
  const results: Result[] = [];
  const record = (name: string, url: string, r: autocannon.Result) => {
    const result = {
      db: label,
      case: name,
      url,
      requestsPerSec: Math.round(r.requests.average),
      p50: r.latency.p50,
      p99: r.latency.p99,
      // The slowest request: a stall of the loop that autocannon (in this process) shares shows here.
      max: r.latency.max,
      errors: r.errors + r.non2xx,
    };
    console.log(JSON.stringify({ bench: "scale", recipients: RECIPIENTS, ...result }));
    results.push(result);
  };
  try {
    const cookie = await signIn(app, "user@bench.test", PASSWORD);
    // Half-way down the default order (newest first): the cursor a reader following Next would reach.
    const middle = await database.db
      .selectFrom("recipients")
      .select(["id", "created_at"])
      .where("owner_id", "=", seeded.userId)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .offset(Math.floor(RECIPIENTS / 2))
      .limit(1)
      .executeTakeFirstOrThrow();
    // Also follow a few Next links from the first page, as a reader would, to check the cursors work.
    let next = "/recipients";
    for (let i = 0; i < 5; i++) {
      const page = await app.inject({ method: "GET", url: next, headers: { cookie } });
      const href = /href="([^"]*)" aria-label="Next page"/.exec(page.body)?.[1];
      if (!href || href === "#") throw new Error(`no Next link on ${next}`);
      next = href.replaceAll("&amp;", "&");
    }
    const cases: [string, string][] = [
      ["home", "/"],
      ["recipients page 1", "/recipients"],
      ["recipients page 6 (followed)", next],
      ["recipients deep (half-way)", `/recipients?after=${encodeCursor([middle.created_at, middle.id])}`],
      ["recipients search", "/recipients?q=r12345"],
      ["mailings list", "/mailings"],
      ["mailing page", `/mailings/${seeded.mailingId}`],
      ["run page (1M deliveries)", `/runs/${seeded.runId}`],
      ["healthz", "/healthz"],
    ];
    for (const [name, url] of cases) if (picked(name)) record(name, url, await load(address, url, cookie));
    if (!picked("healthz during 1M run creation")) return results;

    // /healthz while a run for every recipient is created: "Send now" on the web's loop creates the run row,
    // the engine thread fills it. Measured for BENCH_SECONDS, or until the run is prepared if that is longer.
    const started = Date.now();
    const run = await services.delivery.sendNow(
      { id: seeded.userId, role: "user" },
      seeded.bigMailingId,
      "web",
    );
    const sendNowMs = Date.now() - started;
    const engine = new Worker(new URL("./prepare-thread.js", import.meta.url), { workerData: where });
    const prepared = new Promise<Prepared>((resolve, reject) => {
      engine.once("message", resolve);
      engine.once("error", reject);
    });
    let preparing = true;
    void prepared.then(
      () => {
        preparing = false;
      },
      () => {
        preparing = false;
      },
    );
    // The write lock as another writer sees it: a one-row write every 20 ms from the web's connection waits
    // for whatever transaction holds the lock; its longest wait is about the longest hold.
    const waits: number[] = [];
    const probing = (async () => {
      while (preparing) {
        const t0 = performance.now();
        await sql`update bench_probe set n = n + 1`.execute(database.db);
        waits.push(performance.now() - t0);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const latencies: autocannon.Result[] = [];
    do
      latencies.push(
        await autocannon({ url: `${address}/healthz`, connections: CONNECTIONS, duration: SECONDS }),
      );
    while (preparing);
    const during = latencies.reduce((worst, r) => (r.latency.p99 > worst.latency.p99 ? r : worst));
    record("healthz during 1M run creation", "/healthz", during);
    const report = await prepared;
    await probing;
    await engine.terminate();
    waits.sort((a, b) => a - b);
    const row = await database.db
      .selectFrom("runs")
      .select(["total_count", "preparing"])
      .where("id", "=", run.id)
      .executeTakeFirstOrThrow();
    console.log(
      JSON.stringify({
        bench: "scale",
        db: label,
        case: "1M run creation",
        recipients: RECIPIENTS,
        sendNowMs,
        preparedMs: report.ms,
        deliveries: row.total_count,
        preparing: row.preparing,
        healthzWindows: latencies.length,
        chunks: report.chunks,
        chunkSize: report.chunkSize,
        chunkP50Ms: report.chunkP50Ms,
        chunkP99Ms: report.chunkP99Ms,
        chunkMaxMs: report.chunkMaxMs,
        slowestMs: report.slowestMs,
        writeProbes: waits.length,
        writeWaitP99Ms: Math.round(waits[Math.floor(waits.length * 0.99)] ?? 0),
        writeWaitMaxMs: Math.round(waits.at(-1) ?? 0),
        phases: report.phases,
      }),
    );
    return results;
  } finally {
    await web.close();
    await app.close();
  }
}

async function main() {
  const url = process.env.BENCH_DATABASE_URL;
  const kept = process.env.BENCH_KEEP;
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-scale-"));
  const file = !url && kept ? path.resolve(kept) : path.join(dir, "bench.sqlite");
  const database = url ? Database.postgres(url) : Database.sqlite(file);
  const label = url ? "postgres" : "sqlite";
  // PostgreSQL with BENCH_KEEP (any value): reuse the database when an earlier run seeded it.
  const reuse =
    kept !== undefined &&
    (url
      ? (
          await sql<{ seeded: boolean }>`select to_regclass('public.users') is not null as seeded`.execute(
            database.db,
          )
        ).rows[0]?.seeded === true
      : existsSync(file));
  try {
    if (url && !reuse) await sql`drop schema public cascade; create schema public`.execute(database.db);
    await database.migrateToLatest();
    const started = Date.now();
    const seeded = reuse ? await seededIn(database) : await seed(database);
    console.log(
      `seed: ${reuse ? `reused ${url ? "the database" : file}` : `total ${Date.now() - started} ms`} (${label})`,
    );
    const results = await measure(database, seeded, label, url ? { url } : { file });
    console.log(
      `\n${label}, ${RECIPIENTS.toLocaleString("en-US")} recipients, cache off, ${CONNECTIONS} connections`,
    );
    console.log("case                               req/s   p50 ms  p99 ms  max ms  errors");
    for (const r of results)
      console.log(
        `${r.case.padEnd(34)} ${String(r.requestsPerSec).padStart(6)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${String(r.max).padStart(6)}  ${r.errors}`,
      );
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
