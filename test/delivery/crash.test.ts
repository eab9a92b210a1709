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
import { DeliveryRepository } from "../../src/delivery/delivery.repository.js";
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

  it("killed while a run is paused: the restarted worker sends nothing until resume, then everyone exactly once", async () => {
    smtp.received.length = 0;
    const { recipients } = await seedMailing(database.db, { recipients: 300 });
    const [runId] = (await makeScheduler(database).tick()).created;
    const runs = new DeliveryRepository(database.db);

    const first = await startWorker("paused-first");
    await eventually(() => smtp.received.length >= 50);
    expect(await runs.pause(runId!, new Date().toISOString())).toBe(true);
    // In-flight deliveries finish and are recorded; what the worker had queued goes back at its next heartbeat.
    await eventually(
      async () => {
        const open = (await deliveriesOf(database, runId!)).filter((d) => d.status === "sending");
        return open.length === 0;
      },
      { timeoutMs: 20_000 },
    );
    const sentBeforeKill = smtp.received.length;
    const exited = new Promise((resolve) => first.once("exit", resolve));
    first.kill("SIGKILL");
    await exited;

    await startWorker("paused-second");
    // The successor is up and claiming (its heartbeat row is written twice), and sends nothing of the paused run.
    const beatOf = async () =>
      (
        await database.db
          .selectFrom("delivery_workers")
          .select("heartbeat_at")
          .where("worker_id", "=", "paused-second")
          .executeTakeFirst()
      )?.heartbeat_at;
    const firstBeat = await eventually(beatOf);
    await eventually(
      async () => {
        const beat = await beatOf();
        return beat !== undefined && beat > firstBeat;
      },
      { timeoutMs: 20_000 },
    );
    expect(smtp.received.length).toBe(sentBeforeKill);
    expect((await runRowStatus(runId!)).paused_at).not.toBeNull();

    const heldUntil = new Date(Date.now() + 120_000).toISOString();
    expect(await runs.resume(runId!, new Date().toISOString(), heldUntil)).toBe(true);
    const run = await finishedRun(database, runId!, 30_000);
    expect(run).toMatchObject({ status: "success", sent_count: 300 });
    const counts = smtp.counts();
    // Nothing was in flight at the kill: every recipient exactly once.
    for (const r of recipients) expect(counts.get(r.email)).toBe(1);
  }, 120_000);

  async function runRowStatus(runId: number) {
    return database.db
      .selectFrom("runs")
      .select("paused_at")
      .where("id", "=", runId)
      .executeTakeFirstOrThrow();
  }
});
