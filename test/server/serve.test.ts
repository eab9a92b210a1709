/**
 * `postpilot serve` as a real process (SQLite file, local outbox): sending runs in the engine thread, so the
 * web's event loop stays free while the outbox fills; SIGTERM stops the web, then the engine (two-phase),
 * and frees the port.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { eventually } from "../delivery/support.js";
import {
  compileCli,
  deliveryStatuses,
  freePort,
  healthz,
  heartbeats,
  makeDue,
  outbox,
  runStatus,
  ServeProcess,
  seededDataDir,
} from "./support.js";

const root = path.resolve(import.meta.dirname, "../..");
/** Generous for a loaded 2-core machine; with the engine on the web's loop /healthz took over a second. */
const HEALTHZ_BOUND_MS = 250;

describe("postpilot serve", () => {
  let cli: string;
  const dirs: string[] = [];
  const databases: Database[] = [];
  const processes: ServeProcess[] = [];

  beforeAll(() => {
    cli = compileCli(path.join(root, "dist/test-serve"));
  }, 120_000);

  afterAll(async () => {
    for (const serve of processes) serve.kill("SIGKILL");
    await Promise.all(processes.map((serve) => serve.exited));
    for (const database of databases) await database.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function dataDir(recipients: number) {
    const data = await seededDataDir(recipients);
    dirs.push(data.dir);
    databases.push(data.database);
    return data;
  }

  async function serve(dir: string, port: number, env: Record<string, string> = {}) {
    const child = await ServeProcess.start(cli, port, {
      DATA_DIR: dir,
      SCHEDULER_INTERVAL_MS: "100",
      ...env,
    });
    processes.push(child);
    return child;
  }

  it(`answers /healthz within ${HEALTHZ_BOUND_MS} ms while its engine thread sends 5,000 messages to the outbox`, async () => {
    const { dir, database, mailingId } = await dataDir(5_000);
    const port = await freePort();
    const web = await serve(dir, port);
    await makeDue(database, mailingId);

    const duringRun: number[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const before = (await outbox(database)).messages;
      const { ok, ms } = await healthz(port);
      expect(ok).toBe(true);
      const after = await outbox(database);
      if (after.messages > 0 && before < 5_000) duringRun.push(ms); // the outbox filled during this request
      if ((await runStatus(database, mailingId)) === "success") break;
      if (Date.now() > deadline) throw new Error(`the run did not finish:\n${web.output}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }

    const max = Math.max(...duringRun);
    console.log(`/healthz during the run: ${duringRun.length} requests, max ${Math.round(max)} ms`);
    expect(max).toBeLessThan(HEALTHZ_BOUND_MS);
    expect(duringRun.length).toBeGreaterThanOrEqual(10); // the loop really sampled the run
    expect(await outbox(database)).toEqual({ messages: 5_000, deliveries: 5_000, addresses: 5_000 });
    expect(await deliveryStatuses(database)).toEqual({ sent: 5_000 });

    web.kill("SIGTERM");
    expect(await web.exited).toEqual({ code: 0, signal: null });
  }, 180_000);

  it("on SIGTERM mid-run exits 0, leaves nothing sending and no heartbeat, and frees the port", async () => {
    const { dir, database, mailingId } = await dataDir(2_000);
    const port = await freePort();
    const first = await serve(dir, port, { SEND_RATE: "400" });
    await makeDue(database, mailingId);
    await eventually(async () => (await outbox(database)).messages >= 200);
    expect(await heartbeats(database)).toEqual([{ pid: first.child.pid }]); // the engine thread shares the process

    const signalled = performance.now();
    first.kill("SIGTERM");
    const exit = await first.exited;
    const stopMs = performance.now() - signalled;
    console.log(`SIGTERM mid-run: exited ${exit.code} after ${Math.round(stopMs)} ms`);
    expect(exit, first.output).toEqual({ code: 0, signal: null });
    expect(stopMs).toBeLessThan(5_000);
    const statuses = await deliveryStatuses(database);
    expect(statuses.sending).toBeUndefined();
    expect(statuses.pending).toBeGreaterThan(0); // it really stopped in the middle of the run
    expect(statuses.sent).toBe((await outbox(database)).messages); // what went out was recorded
    expect(await heartbeats(database)).toEqual([]);

    const restarted = performance.now();
    const second = await serve(dir, port); // the same port: the first process let go of it
    console.log(
      `restart on the same port answered /healthz after ${Math.round(performance.now() - restarted)} ms`,
    );
    await eventually(async () => (await runStatus(database, mailingId)) === "success", { timeoutMs: 60_000 });
    expect(await outbox(database)).toEqual({ messages: 2_000, deliveries: 2_000, addresses: 2_000 });
    expect(await deliveryStatuses(database)).toEqual({ sent: 2_000 });

    second.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(await heartbeats(database)).toEqual([]);
  }, 180_000);

  it("says where links point, is ready, and reports the engine thread's sends on /metrics", async () => {
    const { dir, database, mailingId } = await dataDir(20);
    const port = await freePort();
    const web = await serve(dir, port);
    expect(web.output).toContain(`PUBLIC_URL is not set: links in emails will use http://127.0.0.1:${port}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5_000) });
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
    await makeDue(database, mailingId);
    await eventually(async () => (await runStatus(database, mailingId)) === "success", { timeoutMs: 60_000 });
    const scrape = async () =>
      (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    // Counted in the engine thread, read across the thread boundary.
    await eventually(async () => (await scrape()).includes('postpilot_sends_total{result="sent"} 20'));
    const text = await scrape();
    expect(text).toContain('postpilot_smtp_replies_total{class="2xx"} 20');
    expect(text).toContain("postpilot_run_duration_seconds_count 1");
    expect(text).toMatch(/postpilot_breaker_open\{worker="[^"]+",host="[^"]+"\} 0/);
    web.kill("SIGTERM");
    expect(await web.exited).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("warns loudly when bound to every address without PUBLIC_URL", async () => {
    const { dir } = await dataDir(0);
    const port = await freePort();
    const web = await serve(dir, port, { HOST: "0.0.0.0" });
    expect(web.output).toContain("WARNING: PostPilot listens on 0.0.0.0, reachable from other machines");
    web.kill("SIGTERM");
    expect(await web.exited).toEqual({ code: 0, signal: null });
  }, 60_000);
});
