/**
 * Crash safety: a worker process killed with SIGKILL mid-run loses nothing. Its restarted successor on
 * the same host finds the dead worker's heartbeat row and takes its claims back at once (the leases here
 * last 5 minutes, so nothing else could explain a quick recovery); only the deliveries it had in flight
 * (at most SEND_CONCURRENCY) may arrive twice.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { deliveriesOf, eventually, finishedRun, makeScheduler } from "./support.js";

const root = path.resolve(import.meta.dirname, "../..");
const script = path.join(root, "dist/bench/test/delivery/fixtures/worker-process.js");
const CONCURRENCY = 4;

describe("a worker killed with SIGKILL", () => {
  let dir: string;
  let smtp: TestSmtpServer;
  let database: Database;
  const children: ChildProcess[] = [];

  beforeAll(() => {
    execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.bench.json"], { cwd: root });
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-crash-"));
  }, 120_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    await smtp?.close();
    await database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function startWorker(id: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [script], {
      env: {
        ...process.env,
        DB_FILE: path.join(dir, "db.sqlite"),
        SMTP_URL: smtp.url,
        WORKER_ID: id,
        LEASE_MS: "300000",
        STALE_MS: "300000",
        CONCURRENCY: String(CONCURRENCY),
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.stdout!.once("data", () => resolve(child));
      child.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }

  it("loses nothing: after a restart every recipient got the mail, duplicates only from in-flight ones", async () => {
    smtp = await TestSmtpServer.start();
    smtp.delayMs = 5;
    database = Database.sqlite(path.join(dir, "db.sqlite"));
    await database.migrateToLatest();
    const { recipients } = await seedMailing(database.db, { recipients: 400 });
    const [runId] = (await makeScheduler(database).tick()).created;

    const first = await startWorker("first");
    await eventually(() => smtp.received.length >= 100);
    const exited = new Promise((resolve) => first.once("exit", resolve));
    first.kill("SIGKILL");
    await exited;

    const unrecorded = new Set(
      (await deliveriesOf(database, runId!))
        .filter((d) => d.status === "sending")
        .map((d) => d.email.toLowerCase()),
    );
    expect(unrecorded.size).toBeGreaterThan(0); // it really died mid-run, holding claims
    await startWorker("second");
    // The bound: sending resumes within 30 s of the restart (here: at once).
    const run = await finishedRun(database, runId!, 30_000);

    expect(run.status).toBe("success");
    const counts = smtp.counts();
    for (const r of recipients) expect(counts.get(r.email)).toBeGreaterThanOrEqual(1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([email]) => email);
    for (const email of twice) expect(unrecorded.has(email)).toBe(true);
    expect(twice.length).toBeLessThanOrEqual(CONCURRENCY);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
  }, 120_000);
});
