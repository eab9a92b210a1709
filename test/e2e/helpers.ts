/**
 * What the browser tests need around a page: the real `postpilot serve` process on a fresh data folder,
 * Debian's Chromium driven by playwright-core, a watcher that collects every console error and failed
 * request, and full-page screenshots under test-results/e2e/.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

const root = fileURLToPath(new URL("../..", import.meta.url));
export const screenshotDir = path.join(root, "test-results", "e2e");

/** Debian's chromium package; CHROMIUM_PATH points elsewhere (e.g. a developer's own browser). */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** The test drives the compiled CLI, so a missing or stale dist/ would test the wrong code. */
function assertFreshBuild(): void {
  const cli = path.join(root, "dist", "cli.js");
  if (!existsSync(cli)) throw new Error("dist/cli.js is missing: run `npm run build` first.");
  if (newestMtime(path.join(root, "src")) > statSync(cli).mtimeMs) {
    throw new Error("src/ changed after the last build: run `npm run build` first.");
  }
}

export interface Server {
  baseUrl: string;
  /** Log lines at level error or worse (pino level ≥ 50), e.g. a 500's stack. */
  errors: string[];
  stop(): Promise<void>;
}

/**
 * Starts `node bin/postpilot.js serve` as a user would, on a free port (PORT=0; the address is read from
 * Fastify's "Server listening at" log line) with SQLite in a new temporary DATA_DIR. The working folder is
 * that temporary folder too, so a developer's ./.env or ./data cannot leak in. `extraEnv` adds settings
 * (SMTP_URL of a test sink, say).
 */
export async function startServer(extraEnv: Record<string, string> = {}): Promise<Server> {
  assertFreshBuild();
  const dataRoot = mkdtempSync(path.join(tmpdir(), "postpilot-e2e-"));
  const { DATABASE_URL: _ignored, ...env } = process.env;
  const child: ChildProcess = spawn(process.execPath, [path.join(root, "bin", "postpilot.js"), "serve"], {
    cwd: dataRoot,
    env: {
      ...env,
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: path.join(dataRoot, "data"),
      LOG_LEVEL: "info",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const errors: string[] = [];
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail("did not start within 20 s"), 20_000);
    function fail(why: string) {
      clearTimeout(timer);
      reject(new Error(`postpilot serve ${why}:\n${output.join("\n")}`));
    }
    let pending = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        output.push(line);
        try {
          const entry = JSON.parse(line) as { level?: number; msg?: string };
          if ((entry.level ?? 0) >= 50) errors.push(line);
          const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(entry.msg ?? "");
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        } catch {
          // Not a pino line; kept in output for the failure message.
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => output.push(chunk));
    child.once("exit", (code) => fail(`exited with code ${code}`));
  });

  return {
    baseUrl,
    errors,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dataRoot, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Debian Chromium with the flags this machine needs (its closed network refuses Google's hosts).
 * launch() gives every run a new, empty user-data-dir of its own and removes it on close.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: apt-get install -y --no-install-recommends chromium (or set CHROMIUM_PATH).`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * Collects what should never happen on a page: console errors (a CSP violation is one), uncaught
 * exceptions, requests that failed at the network level, and responses with status ≥ 400 (a 404 asset).
 * A response the test provokes on purpose is announced first with expectStatus and then not reported.
 */
export class PageWatcher {
  readonly problems: string[] = [];
  private expected: string[] = [];

  watch(page: Page): void {
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      // Chromium also logs each ≥ 400 response as a console error; those are judged by status below.
      if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
      this.problems.push(`console error on ${page.url()}: ${msg.text()}`);
    });
    page.on("pageerror", (error) => this.problems.push(`uncaught exception on ${page.url()}: ${error}`));
    page.on("requestfailed", (request) => {
      // The browser cancels what is still loading (the favicon, say) when a click navigates away: not a fault.
      if (request.failure()?.errorText === "net::ERR_ABORTED") return;
      this.problems.push(
        `request failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`,
      );
    });
    page.on("response", (response) => {
      if (response.status() < 400) return;
      const key = `${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`;
      const index = this.expected.indexOf(key);
      if (index >= 0) this.expected.splice(index, 1);
      else this.problems.push(`unexpected response: ${key}`);
    });
  }

  /** The next response with this status, method and path is intended (e.g. "409 POST /recipients/new"). */
  expectStatus(key: string): void {
    this.expected.push(key);
  }

  /** Expected responses that never came. */
  get missing(): string[] {
    return [...this.expected];
  }
}

let shot = 0;

/** Clears the screenshot folder; screenshots are then numbered in the order they were taken. */
export function resetScreenshots(): void {
  rmSync(screenshotDir, { recursive: true, force: true });
  mkdirSync(screenshotDir, { recursive: true });
  shot = 0;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  shot += 1;
  const file = path.join(screenshotDir, `${String(shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: "disabled" });
}
