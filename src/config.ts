/**
 * The service's configuration: read from the environment (and an optional .env) and validated in one
 * place. Nothing else reads process.env.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { privateKeyFrom } from "./delivery/dkim.js";
import { dkimDomainSchema, dkimSelectorSchema } from "./delivery/dkim.schemas.js";
import { DEFAULT_DOMAIN_LIMITS, type DomainLimit, parseDomainLimits } from "./delivery/domains.js";
import { parseRelays, type RelayConfig } from "./delivery/relays.mailer.js";

const intFrom = (min: number, fallback: number) =>
  z.coerce
    .number({ error: `must be a whole number of at least ${min}` })
    .int(`must be a whole number of at least ${min}`)
    .min(min, `must be a whole number of at least ${min}`)
    .default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: z.coerce
    .number({ error: "must be a port number (0-65535)" })
    .int("must be a port number (0-65535)")
    .min(0, "must be a port number (0-65535)")
    .max(65535, "must be a port number (0-65535)")
    .default(3000),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://")
    .optional(),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  TRUST_PROXY: z.stringbool({ error: "must be true or false" }).default(false),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must start with redis:// or rediss://")
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, "must start with smtp:// or smtps://")
    .optional(),
  SMTP_RELAYS: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      try {
        parseRelays(v);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
  SMTP_FROM: z.string().min(3).default("PostPilot <postpilot@localhost>"),
  UNSUBSCRIBE_MAILTO: z.email("must be an email address").optional(),
  UNSUBSCRIBE_FOOTER: z
    .string()
    .min(1)
    .max(500)
    .default("To stop receiving these emails, unsubscribe: {{unsubscribe_url}}"),
  SMTP_TIMEOUT_MS: intFrom(100, 15_000),
  SMTP_NAME: z
    .string()
    .regex(
      /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/,
      "must be a host name such as mail.example.com, or an address literal such as [192.0.2.1]",
    )
    .optional(),
  DKIM_DOMAIN: dkimDomainSchema.optional(),
  DKIM_SELECTOR: dkimSelectorSchema.optional(),
  DKIM_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  SEND_CONCURRENCY: intFrom(1, 16),
  SEND_RATE: z.coerce
    .number({ error: "must be a number (0 = unlimited)" })
    .min(0, "must be 0 or more")
    .default(0),
  SEND_DOMAIN_LIMITS: z
    .string()
    .default("")
    .superRefine((v, ctx) => {
      try {
        parseDomainLimits(v);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: (error as Error).message });
      }
    }),
  SEND_BATCH_SIZE: intFrom(1, 200),
  SEND_MAX_TRIES: intFrom(1, 6),
  SEND_RETRY_BASE_MS: intFrom(1, 30_000),
  SEND_MAX_AGE_MS: intFrom(1000, 24 * 3600_000),
  SEND_LEASE_MS: intFrom(1000, 5 * 60_000),
  SCHEDULER_INTERVAL_MS: intFrom(50, 5_000),
  DELIVERY_RETENTION_DAYS: z.coerce
    .number({ error: "must be a whole number of days, at least 1 (unset: keep everything)" })
    .int("must be a whole number of days, at least 1 (unset: keep everything)")
    .min(1, "must be a whole number of days, at least 1 (unset: keep everything)")
    .optional(),
  BOUNCE_HARD_LIMIT: intFrom(1, 1),
  BOUNCE_SOFT_LIMIT: intFrom(1, 3),
  SMTP_RETURN_PATH: z
    .email("must be an email address such as bounces@example.com")
    .refine((v) => !v.split("@")[0]!.includes("+"), "must not contain + (PostPilot adds +<token> itself)")
    .optional(),
  BOUNCE_IMAP_URL: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      if (v === undefined) return;
      const problem = imapUrlProblem(v);
      // The value is never repeated: it holds the mailbox's password.
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    }),
  BOUNCE_IMAP_INTERVAL_MS: intFrom(1000, 60_000),
  BOUNCE_IMAP_PROCESSED_FOLDER: z.string().min(1).max(200).default("PostPilot/Processed"),
  BOUNCE_IMAP_IGNORED_FOLDER: z.string().min(1).max(200).default("PostPilot/Ignored"),
  REQUIRE_ADMIN_2FA: z.stringbool({ error: "must be true or false" }).default(false),
  WEBHOOK_ALLOW_PRIVATE: z.stringbool({ error: "must be true or false" }).default(false),
  METRICS_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{24,200}$/, "must be 24 to 200 printable characters without spaces")
    .optional(),
  BOUNCE_WEBHOOK_TOKEN: z
    .string()
    .regex(/^[\x21-\x7e]{24,200}$/, "must be 24 to 200 printable characters without spaces")
    .optional(),
});

export type Config = {
  env: "development" | "production" | "test";
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  logLevel: string;
  trustProxy: boolean;
  /** When set, the cache is shared by every instance through this Redis; otherwise it is in-process. */
  redisUrl: string | undefined;
  /** name: the EHLO host name (SMTP_NAME, default os.hostname()). */
  /**
   * `url`: SMTP_URL, or the first of SMTP_RELAYS (unset: the local outbox). `relays`: SMTP_RELAYS with their
   * weights, or SMTP_URL alone.
   */
  smtp: {
    url: string | undefined;
    relays: RelayConfig[];
    from: string;
    timeoutMs: number;
    name: string;
  };
  /**
   * Every mailing copy's unsubscribe link: the optional mailto for List-Unsubscribe, and the footer added to
   * messages without {{unsubscribe_url}} (its own {{unsubscribe_url}} is the link).
   */
  unsubscribe: { mailto: string | undefined; footer: string };
  /** Set when DKIM_DOMAIN and DKIM_SELECTOR are: every message is signed with this key. */
  dkim: { domain: string; selector: string; keyFile: string; privateKey: string } | undefined;
  /** METRICS_TOKEN: /metrics needs it as a bearer token; unset, /metrics answers loopback clients only. */
  metricsToken: string | undefined;
  /** REQUIRE_ADMIN_2FA: admins must use two-factor sign-in (they are sent to set it up, and cannot turn it off). */
  requireAdmin2fa: boolean;
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may reach private and loopback addresses (off: refused, SSRF guard). */
  webhooks: { allowPrivate: boolean };
  /** Suppression after bounces (see bounces/bounces.service.ts) and the bounce webhook's token (unset: off). */
  bounces: {
    hardLimit: number;
    softLimit: number;
    webhookToken: string | undefined;
    /** SMTP_RETURN_PATH: each mailing copy's envelope sender is its local part +<token> (VERP); unset: SMTP_FROM. */
    returnPath: string | undefined;
    /** BOUNCE_IMAP_URL: the bounce mailbox the engine polls (unset: no polling). */
    imap: ImapConfig | undefined;
  };
  send: {
    concurrency: number;
    rate: number;
    /** Per recipient domain (DEFAULT_DOMAIN_LIMITS, with SEND_DOMAIN_LIMITS over them). */
    domainLimits: Record<string, DomainLimit>;
    batchSize: number;
    maxTries: number;
    retryBaseMs: number;
    maxAgeMs: number;
    leaseMs: number;
    schedulerIntervalMs: number;
    /** DELIVERY_RETENTION_DAYS: deliveries and tries of runs finished longer ago are removed; unset: kept. */
    retentionDays: number | undefined;
  };
};

/** The bounce mailbox, from BOUNCE_IMAP_URL (imap[s]://user:password@host:port/MAILBOX). */
export interface ImapConfig {
  host: string;
  port: number;
  secure: boolean;
  user: string;
  password: string;
  mailbox: string;
  intervalMs: number;
  processedFolder: string;
  ignoredFolder: string;
  timeoutMs: number;
}

export class ConfigError extends Error {}

/** Why BOUNCE_IMAP_URL is unusable, or null. Never quotes the URL (it holds a password). */
function imapUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a URL such as imap://user:password@mail.example.com/INBOX";
  }
  if (url.protocol !== "imap:" && url.protocol !== "imaps:") return "must start with imap:// or imaps://";
  if (!url.hostname) return "must name a host";
  if (!url.username || !url.password)
    return "must hold a user name and a password (imap://user:password@host/)";
  return null;
}

function imapFrom(e: z.infer<typeof envSchema>, timeoutMs: number): ImapConfig | undefined {
  if (!e.BOUNCE_IMAP_URL) return undefined;
  const url = new URL(e.BOUNCE_IMAP_URL);
  const secure = url.protocol === "imaps:";
  const mailbox = decodeURIComponent(url.pathname.replace(/^\/+/, "")) || "INBOX";
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port ? Number(url.port) : secure ? 993 : 143,
    secure,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    mailbox,
    intervalMs: e.BOUNCE_IMAP_INTERVAL_MS,
    processedFolder: e.BOUNCE_IMAP_PROCESSED_FOLDER,
    ignoredFolder: e.BOUNCE_IMAP_IGNORED_FOLDER,
    timeoutMs,
  };
}

export interface ParseOptions {
  /** false: do not read DKIM_PRIVATE_KEY_FILE (`dkim-keygen`, which writes it); `dkim` is then undefined. */
  readDkimKey?: boolean;
}

/** Parses an environment into a Config; throws a ConfigError that names every bad variable. */
export function parseConfig(env: Record<string, string | undefined>, options: ParseOptions = {}): Config {
  const result = envSchema.safeParse(env);
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  const dkim = result.success && options.readDkimKey !== false ? dkimFrom(result.data, problems) : undefined;
  if (!result.success || problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join("\n")}`);
  }
  const e = result.data;
  const relays = e.SMTP_RELAYS
    ? parseRelays(e.SMTP_RELAYS)
    : e.SMTP_URL
      ? [{ url: e.SMTP_URL, weight: 1 }]
      : [];
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    redisUrl: e.REDIS_URL,
    smtp: {
      url: relays[0]?.url,
      relays,
      from: e.SMTP_FROM,
      timeoutMs: e.SMTP_TIMEOUT_MS,
      name: e.SMTP_NAME ?? (os.hostname() || "localhost"),
    },
    unsubscribe: { mailto: e.UNSUBSCRIBE_MAILTO, footer: e.UNSUBSCRIBE_FOOTER },
    dkim,
    metricsToken: e.METRICS_TOKEN,
    requireAdmin2fa: e.REQUIRE_ADMIN_2FA,
    webhooks: { allowPrivate: e.WEBHOOK_ALLOW_PRIVATE },
    bounces: {
      hardLimit: e.BOUNCE_HARD_LIMIT,
      softLimit: e.BOUNCE_SOFT_LIMIT,
      webhookToken: e.BOUNCE_WEBHOOK_TOKEN,
      returnPath: e.SMTP_RETURN_PATH,
      imap: imapFrom(e, e.SMTP_TIMEOUT_MS),
    },
    send: {
      concurrency: e.SEND_CONCURRENCY,
      rate: e.SEND_RATE,
      domainLimits: { ...DEFAULT_DOMAIN_LIMITS, ...parseDomainLimits(e.SEND_DOMAIN_LIMITS) },
      batchSize: e.SEND_BATCH_SIZE,
      maxTries: e.SEND_MAX_TRIES,
      retryBaseMs: e.SEND_RETRY_BASE_MS,
      maxAgeMs: e.SEND_MAX_AGE_MS,
      leaseMs: e.SEND_LEASE_MS,
      schedulerIntervalMs: e.SCHEDULER_INTERVAL_MS,
      retentionDays: e.DELIVERY_RETENTION_DAYS,
    },
  };
}

/**
 * The base of every link in an email (unsubscribe, confirmation, password reset): PUBLIC_URL, or the
 * address PostPilot listens on when it is unset (HOST, or localhost for a wildcard HOST such as 0.0.0.0),
 * which works only where that address reaches: PUBLIC_URL must be set for real use. Never a Host header.
 * `port`: the port actually bound, when PORT is 0.
 */
export function publicBaseUrl(
  config: Pick<Config, "publicUrl" | "port" | "host">,
  port = config.port,
): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/+$/, "");
  const bare = config.host.replace(/^\[|\]$/g, "");
  const wildcard = ["0.0.0.0", "::", ""].includes(bare);
  const host = wildcard ? "localhost" : bare.includes(":") ? `[${bare}]` : bare;
  return `http://${host}:${port}`;
}

/** HOST values only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The default key file, where `postpilot dkim-keygen` writes it. */
export function dkimKeyPath(dataDir: string, domain: string, selector: string): string {
  return path.join(path.resolve(dataDir), "dkim", `${selector}.${domain}.pem`);
}

/** Both DKIM_DOMAIN and DKIM_SELECTOR, or neither; the key file must hold a PEM RSA private key. */
function dkimFrom(e: z.infer<typeof envSchema>, problems: string[]): Config["dkim"] {
  const { DKIM_DOMAIN: domain, DKIM_SELECTOR: selector } = e;
  if (!domain || !selector) {
    if (domain) problems.push("DKIM_SELECTOR: must be set when DKIM_DOMAIN is");
    if (selector) problems.push("DKIM_DOMAIN: must be set when DKIM_SELECTOR is");
    if (e.DKIM_PRIVATE_KEY_FILE && !domain && !selector)
      problems.push("DKIM_PRIVATE_KEY_FILE: needs DKIM_DOMAIN and DKIM_SELECTOR");
    return undefined;
  }
  const keyFile = e.DKIM_PRIVATE_KEY_FILE
    ? path.resolve(e.DKIM_PRIVATE_KEY_FILE)
    : dkimKeyPath(e.DATA_DIR, domain, selector);
  let privateKey: string;
  try {
    privateKey = readFileSync(keyFile, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : `cannot be read (${code ?? String(error)})`;
    const hint = e.DKIM_PRIVATE_KEY_FILE
      ? ""
      : ` (run \`postpilot dkim-keygen --domain ${domain} --selector ${selector}\`)`;
    problems.push(`DKIM_PRIVATE_KEY_FILE: ${keyFile} ${why}${hint}`);
    return undefined;
  }
  try {
    privateKeyFrom(privateKey);
  } catch (error) {
    problems.push(`DKIM_PRIVATE_KEY_FILE: ${keyFile} ${(error as Error).message}`);
    return undefined;
  }
  return { domain, selector, keyFile, privateKey };
}

/** Loads ./.env (when present, without overriding the real environment) and parses process.env. */
export function loadConfig(options: ParseOptions = {}): Config {
  if (existsSync(".env")) process.loadEnvFile(".env");
  return parseConfig(process.env, options);
}
