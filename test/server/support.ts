/**
 * `postpilot serve` as a real child process, compiled with tsconfig.bench.json: start it on a free port
 * with its own DATA_DIR, time /healthz, and stop it with a signal.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

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
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) });
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
  static async start(
    cli: string,
    port: number,
    env: Record<string, string>,
    args: string[] = [],
  ): Promise<ServeProcess> {
    const child = spawn(process.execPath, [cli, "serve", ...args], {
      cwd: root,
      env: childEnv({ ...env, PORT: String(port) }),
      stdio: ["ignore", "pipe", "pipe"],
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
