/**
 * `npm start` the way systemd or Docker run it: SIGTERM to the npm process, or to its whole process group,
 * reaches node itself, which shuts down in two phases and lets go of the port (no orphan keeps sending).
 * Without a build, bin/postpilot.js says what to run.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { eventually } from "../delivery/support.js";
import {
  deliveryStatuses,
  freePort,
  healthz,
  heartbeats,
  makeDue,
  outbox,
  ServeProcess,
  seededDataDir,
} from "./support.js";

const root = path.resolve(import.meta.dirname, "../..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("npm start", () => {
  const dirs: string[] = [];
  const databases: Database[] = [];
  const pids: number[] = [];

  beforeAll(() => {
    // What `npm install` (prepare) or `npm run build` does; `npm start` itself no longer builds.
    execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json"], { cwd: root });
  }, 120_000);

  afterAll(async () => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    for (const database of databases) await database.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const target of ["the npm process", "its process group"] as const) {
    it(`on SIGTERM to ${target} mid-run, node stops in two phases, npm exits 0 and the port is free`, async () => {
      const { dir, database, mailingId } = await seededDataDir(2_000);
      dirs.push(dir);
      databases.push(database);
      const port = await freePort();
      const env = { DATA_DIR: dir, SEND_RATE: "400", SCHEDULER_INTERVAL_MS: "100" };
      const npm = await ServeProcess.spawn("npm", ["start"], port, env, { detached: true });
      pids.push(npm.child.pid!);
      await makeDue(database, mailingId);
      await eventually(async () => (await outbox(database)).messages >= 200);
      const [worker] = await heartbeats(database);
      const node = worker!.pid;
      pids.push(node);
      expect(node).not.toBe(npm.child.pid);

      // systemd's default KillMode signals the whole control group: node gets the signal twice (npm forwards it).
      process.kill(target === "the npm process" ? npm.child.pid! : -npm.child.pid!, "SIGTERM");
      expect(await npm.exited, npm.output).toEqual({ code: 0, signal: null });
      await eventually(() => !alive(node), { timeoutMs: 5_000 }); // node ended too, it was not orphaned
      expect((await healthz(port)).ok).toBe(false);
      const statuses = await deliveryStatuses(database);
      expect(statuses.sending).toBeUndefined();
      expect(statuses.pending).toBeGreaterThan(0); // stopped in the middle of the run
      expect(await heartbeats(database)).toEqual([]);

      const restarted = performance.now();
      const again = await ServeProcess.spawn(process.execPath, ["bin/postpilot.js", "serve"], port, env);
      pids.push(again.child.pid!);
      const answeredMs = performance.now() - restarted;
      console.log(
        `npm start, SIGTERM to ${target}: restart answered /healthz after ${Math.round(answeredMs)} ms`,
      );
      expect(answeredMs).toBeLessThan(5_000);
      again.kill("SIGTERM");
      expect(await again.exited).toEqual({ code: 0, signal: null });
    }, 120_000);
  }

  it("says to run npm run build, and exits 1, when dist/cli.js is missing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "postpilot-unbuilt-"));
    dirs.push(dir);
    mkdirSync(path.join(dir, "bin"));
    copyFileSync(path.join(root, "bin/postpilot.js"), path.join(dir, "bin/postpilot.js"));
    // bin/postpilot.js is an ES module: it needs the package's "type": "module" beside it.
    copyFileSync(path.join(root, "package.json"), path.join(dir, "package.json"));
    const result = spawnSync(process.execPath, [path.join(dir, "bin/postpilot.js"), "serve"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("npm run build");
  });
});
