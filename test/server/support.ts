/**
 * `postpilot serve` as a real child process, compiled with tsconfig.bench.json: start it on a free port
 * with its own DATA_DIR (a SQLite file seeded here), time /healthz, and stop it with a signal.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { Database } from "../../src/db/database.js";
import { seedMailing } from "../helpers/fixtures.js";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * Compiles src + bench into `outDir` (tsconfig.bench.json) and returns the path of the compiled CLI. Each
 * test file uses its own folder, so two files compiling at once never load each other's half-written output.
 */
export function compileCli(outDir: string): string {
  execFileSync(path.join(root, "node_modules/.bin/tsc"), ["-p", "tsconfig.bench.json", "--outDir", outDir], {
    cwd: root,
  });
  return path.join(outDir, "src/cli.js");
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** GET /healthz; `ms` is the time to the full response, `ok` whether it was a 200. */
export async function healthz(port: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
      redirect: "manual",
      signal: AbortSignal.timeout(5_000),
    });
    await res.text();
    return { ok: res.status === 200, ms: performance.now() - started };
  } catch {
    return { ok: false, ms: performance.now() - started };
  }
}

/** The environment of a child: the test's, without anything that would point it at another database or relay. */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|SMTP_|SEND_|SCHEDULER_|PUBLIC_URL|NODE_OPTIONS)/.test(name))
      delete env[name];
  }
  return { ...env, HOST: "127.0.0.1", LOG_LEVEL: "info", ...extra };
}

export class ServeProcess {
  output = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  }

  /** Spawns `node <cli> serve …args` and resolves once /healthz answers. */
  static start(cli: string, port: number, env: Record<string, string>, args: string[] = []) {
    return ServeProcess.spawn(process.execPath, [cli, "serve", ...args], port, env);
  }

  /** Spawns any command that serves on `port`; `detached` gives it a process group of its own, like a service. */
  static async spawn(
    file: string,
    args: string[],
    port: number,
    env: Record<string, string>,
    options: { detached?: boolean } = {},
  ): Promise<ServeProcess> {
    const child = spawn(file, args, {
      cwd: root,
      env: childEnv({ ...env, PORT: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
      detached: options.detached ?? false,
    });
    const serve = new ServeProcess(child, port);
    const deadline = Date.now() + 20_000;
    while (!(await healthz(port)).ok) {
      if (!serve.running || Date.now() > deadline) {
        serve.kill("SIGKILL");
        throw new Error(`serve did not answer /healthz:\n${serve.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return serve;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.running) this.child.kill(signal);
  }
}

/** A data folder whose database holds a mailing of `recipients` recipients, not yet due. */
export async function seededDataDir(recipients: number) {
  const dir = mkdtempSync(path.join(tmpdir(), "postpilot-serve-"));
  const database = Database.sqlite(path.join(dir, "postpilot.sqlite"));
  await database.migrateToLatest();
  const { mailing } = await seedMailing(database.db, {
    recipients,
    first_send_at: new Date(Date.now() + 3_600_000).toISOString(),
    next_run_at: null,
  });
  return { dir, database, mailingId: mailing.id };
}

/** Makes the mailing due: the scheduler in serve's engine thread creates the run and its worker sends it. */
export async function makeDue(database: Database, mailingId: number): Promise<void> {
  await database.db
    .updateTable("mailings")
    .set({ next_run_at: new Date().toISOString() })
    .where("id", "=", mailingId)
    .execute();
}

export async function outbox(database: Database) {
  return database.db
    .selectFrom("outbox_messages")
    .select([
      sql<number>`count(*)`.as("messages"),
      sql<number>`count(distinct delivery_id)`.as("deliveries"),
      sql<number>`count(distinct to_address)`.as("addresses"),
    ])
    .executeTakeFirstOrThrow();
}

export async function deliveryStatuses(database: Database): Promise<Record<string, number>> {
  const rows = await database.db
    .selectFrom("deliveries")
    .select(["status", sql<number>`count(*)`.as("n")])
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export async function runStatus(database: Database, mailingId: number): Promise<string | undefined> {
  const run = await database.db
    .selectFrom("runs")
    .select("status")
    .where("mailing_id", "=", mailingId)
    .executeTakeFirst();
  return run?.status;
}

export async function heartbeats(database: Database) {
  return database.db.selectFrom("delivery_workers").select("pid").execute();
}
