/**
 * npm run bench:web [-- N]   (N: recipients, default 100000, or BENCH_N; BENCH_SECONDS per case, default 5)
 *
 * Requests per second and latency percentiles of the home page and of the recipients list of a user with
 * N recipients (file SQLite under a temp dir), served by the real app on a local port and loaded with
 * autocannon, with the cache off, in-process, and in Redis when BENCH_REDIS_URL is set. Prints a table
 * and one JSON line per case. Compiled by tsconfig.bench.json to dist/bench (Node 20 cannot run TypeScript).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { sql } from "kysely";
import { hashPassword } from "../src/accounts/password.js";
import { type Cache, MemoryCache, NoCache, RedisCache } from "../src/cache/index.js";
import { createServices } from "../src/container.js";
import { Database } from "../src/db/database.js";
import { buildApp } from "../src/web/app.js";
import { createMailing, createMessage, createUser } from "../test/helpers/fixtures.js";
import { signIn } from "./sign-in.js";

const N = Number(process.argv[2] ?? process.env.BENCH_N ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PASSWORD = "bench password 123";

async function seed(database: Database) {
  await createUser(database.db, { email: "admin@bench.test", role: "admin" });
  const user = await createUser(database.db, {
    email: "user@bench.test",
    password_hash: await hashPassword(PASSWORD),
  });
  const message = await createMessage(database.db, user.id);
  const now = new Date().toISOString();
  await sql`
    with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ${N})
    insert into recipients (owner_id, email, email_normalized, full_name, comment, created_at, updated_at)
    select ${user.id}, 'r' || n || '@bench.test', 'r' || n || '@bench.test', 'Recipient ' || n, '', ${now}, ${now} from seq
  `.execute(database.db);
  for (let i = 0; i < 20; i++) {
    const mailing = await createMailing(database.db, {
      ownerId: user.id,
      messageId: message.id,
      name: `Mailing ${i + 1}`,
      status: i % 3 === 0 ? "running" : "created",
      first_send_at: new Date(Date.now() + 86_400_000).toISOString(),
      next_run_at: null,
    });
    if (i === 0)
      await sql`insert into mailing_recipients (mailing_id, recipient_id) select ${mailing.id}, id from recipients`.execute(
        database.db,
      );
  }
}

interface Result {
  cache: string;
  page: string;
  requestsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function measure(database: Database, cache: Cache, label: string): Promise<Result[]> {
  const services = createServices(database, { cache });
  const app = await buildApp({ services, sessionSecret: randomBytes(32).toString("hex") });
  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    const cookie = await signIn(app, "user@bench.test", PASSWORD);
    const results: Result[] = [];
    for (const page of ["/", "/recipients"]) {
      // Warm-up: fills the cache and the database's page cache.
      await autocannon({ url: address + page, headers: { cookie }, connections: 2, amount: 20 });
      const r = await autocannon({
        url: address + page,
        headers: { cookie },
        connections: CONNECTIONS,
        duration: SECONDS,
      });
      results.push({
        cache: label,
        page,
        requestsPerSec: Math.round(r.requests.average),
        p50: r.latency.p50,
        p90: r.latency.p90,
        p99: r.latency.p99,
        errors: r.errors,
        non2xx: r.non2xx,
      });
    }
    return results;
  } finally {
    await app.close();
    await cache.close();
  }
}

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-bench-web-"));
  const database = Database.sqlite(path.join(dir, "bench.sqlite"));
  try {
    await database.migrateToLatest();
    const started = Date.now();
    await seed(database);
    console.log(
      `Seeded ${N.toLocaleString("en-US")} recipients in ${Date.now() - started} ms (SQLite file).`,
    );
    console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per case.\n`);
    const caches: [string, () => Cache][] = [
      ["none", () => new NoCache()],
      ["memory", () => new MemoryCache()],
    ];
    const redisUrl = process.env.BENCH_REDIS_URL;
    if (redisUrl)
      caches.push([
        "redis",
        () => new RedisCache(redisUrl, { prefix: `postpilot-bench:${randomBytes(4).toString("hex")}:` }),
      ]);
    const all: Result[] = [];
    for (const [label, make] of caches) all.push(...(await measure(database, make(), label)));
    console.log("cache   page         req/s   p50 ms  p90 ms  p99 ms  errors");
    for (const r of all) {
      console.log(
        `${r.cache.padEnd(7)} ${r.page.padEnd(11)} ${String(r.requestsPerSec).padStart(6)}  ${String(r.p50).padStart(6)}  ${String(r.p90).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.errors + r.non2xx}`,
      );
    }
    console.log("");
    for (const r of all) console.log(JSON.stringify({ bench: "web", recipients: N, ...r }));
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
