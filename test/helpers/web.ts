/**
 * Web tests through app.inject: build() gives a fresh app on a fresh database, and Client keeps cookies and
 * fills in the CSRF token like a browser would.
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterEach } from "vitest";
import type { BounceOptions } from "../../src/bounces/bounces.service.js";
import { createServices, type ServiceOptions, type Services } from "../../src/container.js";
import type { Database } from "../../src/db/database.js";
import type { Clock } from "../../src/shared/time.js";
import { buildApp } from "../../src/web/app.js";
import { testDatabase } from "./db.js";

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  services: Services;
}

const open: TestApp[] = [];

afterEach(async () => {
  for (const t of open.splice(0)) {
    await t.app.close();
    await t.database.close();
  }
});

/** The key of unsubscribe links in web tests (a worker in the test makes links the app accepts). */
export const TEST_UNSUBSCRIBE_SECRET = "test-unsubscribe-secret-".repeat(2);

export async function build(
  options: {
    clock?: Clock;
    bounces?: BounceOptions;
    relays?: ServiceOptions["relays"];
    /** "engine": as serve's web, runs are only created here and filled by a RunPreparer (the test's). */
    prepareRuns?: ServiceOptions["prepareRuns"];
  } = {},
): Promise<TestApp> {
  const database = await testDatabase();
  const services = createServices(database, {
    clock: options.clock,
    ...(options.prepareRuns ? { prepareRuns: options.prepareRuns } : {}),
    ...(options.relays ? { relays: options.relays, sendMode: "smtp" as const } : {}),
    unsubscribeSecret: TEST_UNSUBSCRIBE_SECRET,
    ...(options.bounces ? { bounces: options.bounces } : {}),
  });
  const app = await buildApp({ services, sessionSecret: "test-secret-".repeat(4) });
  const t = { app, database, services };
  open.push(t);
  return t;
}

export type Form = Record<string, string | string[]>;

function encode(form: Form): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    for (const v of Array.isArray(value) ? value : [value]) params.append(key, v);
  }
  return params.toString();
}

export class Client {
  private readonly cookies = new Map<string, string>();

  /** `headers` go with every request (e.g. accept-language). */
  constructor(
    private readonly app: FastifyInstance,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private remember(res: LightMyRequestResponse): LightMyRequestResponse {
    for (const c of res.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = c.maxAge === 0 || (c.expires && c.expires.getTime() < Date.now()) || c.value === "";
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.remember(
      await this.app.inject({
        method: "GET",
        url,
        headers: { ...this.headers, cookie: this.cookieHeader() },
      }),
    );
  }

  /** Posts a form; the CSRF token is taken from `from` (default: the same URL) as a browser's page would have it. */
  async post(
    url: string,
    form: Form = {},
    options: { from?: string; csrf?: boolean; headers?: Record<string, string> } = {},
  ): Promise<LightMyRequestResponse> {
    const body = { ...form };
    if (options.csrf !== false && body._csrf === undefined)
      body._csrf = await this.csrfToken(options.from ?? "/login");
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: {
          ...this.headers,
          ...options.headers,
          cookie: this.cookieHeader(),
          "content-type": "application/x-www-form-urlencoded",
        },
        payload: encode(body),
      }),
    );
  }

  /** Posts a multipart form (file uploads), with the CSRF token as a field like a browser's form. */
  async postMultipart(
    url: string,
    fields: Record<string, string>,
    files: { field: string; filename: string; content: Buffer; type?: string }[],
    options: { from?: string } = {},
  ): Promise<LightMyRequestResponse> {
    const boundary = `----postpilot${Math.random().toString(16).slice(2)}`;
    const all = { _csrf: await this.csrfToken(options.from ?? url), ...fields };
    const parts: Buffer[] = [];
    for (const [name, value] of Object.entries(all)) {
      parts.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      );
    }
    for (const file of files) {
      parts.push(
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
            `Content-Type: ${file.type ?? "application/octet-stream"}\r\n\r\n`,
        ),
        file.content,
        Buffer.from("\r\n"),
      );
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.remember(
      await this.app.inject({
        method: "POST",
        url,
        headers: { cookie: this.cookieHeader(), "content-type": `multipart/form-data; boundary=${boundary}` },
        payload: Buffer.concat(parts),
      }),
    );
  }

  async csrfToken(from: string): Promise<string> {
    const page = await this.get(from);
    const match = /name="_csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no CSRF token on ${from} (status ${page.statusCode})`);
    return match[1]!;
  }

  hasCookie(name: string): boolean {
    return this.cookies.has(name);
  }
}

export const PASSWORD = "correct horse battery";

/** Creates the first admin through /setup and returns a logged-in client. */
export async function setupAdmin(app: FastifyInstance, email = "admin@example.com"): Promise<Client> {
  const client = new Client(app);
  const res = await client.post("/setup", { email, password: PASSWORD, name: "Admin" }, { from: "/setup" });
  if (res.statusCode !== 303) throw new Error(`setup failed: ${res.statusCode}\n${res.body.slice(0, 500)}`);
  return client;
}

/**
 * Registers a user (the first admin must exist), confirms the address through the link in the queued
 * confirmation email, and returns the client, logged in by that link.
 */
export async function registerUser(app: FastifyInstance, email: string, name = ""): Promise<Client> {
  const client = new Client(app);
  const res = await client.post("/register", { email, password: PASSWORD, name }, { from: "/register" });
  if (res.statusCode !== 200)
    throw new Error(`register failed: ${res.statusCode}\n${res.body.slice(0, 500)}`);
  const database = open.find((t) => t.app === app)?.database;
  if (!database) throw new Error("registerUser needs an app made by build()");
  const mail = await database.db
    .selectFrom("account_emails")
    .select("body")
    .where("to_address", "=", email)
    .orderBy("id", "desc")
    .executeTakeFirst();
  const link = /\/confirm\?token=[\w-]+/.exec(mail?.body ?? "")?.[0];
  if (!link) throw new Error(`no confirmation email for ${email}`);
  const confirmed = await client.get(link);
  if (confirmed.statusCode !== 303) throw new Error(`confirm failed: ${confirmed.statusCode}`);
  return client;
}

/** The id at the end of a redirect such as /recipients/12. */
export function idFromLocation(res: LightMyRequestResponse): number {
  const match = /\/(\d+)(?:[/?]|$)/.exec(String(res.headers.location ?? ""));
  if (!match)
    throw new Error(
      `no id in location ${res.headers.location} (status ${res.statusCode})\n${res.body.slice(0, 300)}`,
    );
  return Number(match[1]);
}
