/**
 * The shared cache: Redis through ioredis, with connect and command timeouts, so a slow or absent Redis
 * costs a page at most one short timeout and the page is served from the database.
 */
import { Redis } from "ioredis";
import type { Cache } from "./cache.js";

export interface RedisCacheOptions {
  /** Prepended to every key, so several installations (or test runs) can share one Redis. */
  prefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export class RedisCache implements Cache {
  readonly kind = "redis";
  private readonly client: Redis;
  private readonly prefix: string;

  constructor(url: string, options: RedisCacheOptions = {}) {
    this.prefix = options.prefix ?? "postpilot:";
    this.client = new Redis(url, {
      connectTimeout: options.connectTimeoutMs ?? 2_000,
      commandTimeout: options.commandTimeoutMs ?? 500,
      maxRetriesPerRequest: 1,
      // Reconnect with a capped backoff; commands fail fast meanwhile (the caller falls back).
      retryStrategy: (times) => Math.min(times * 200, 5_000),
    });
    // Errors surface on each command; without a listener ioredis would print every reconnect attempt.
    this.client.on("error", () => {});
  }

  async get<T>(key: string): Promise<T | undefined> {
    const json = await this.client.get(this.prefix + key);
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async set(key: string, value: unknown, ttlMs: number): Promise<void> {
    await this.client.set(this.prefix + key, JSON.stringify(value), "PX", Math.max(1, Math.round(ttlMs)));
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) await this.client.del(...keys.map((k) => this.prefix + k));
  }

  async deleteByPrefix(prefix: string): Promise<void> {
    // SCAN, not KEYS: it never blocks Redis for long on a big keyspace.
    let cursor = "0";
    do {
      const [next, keys] = await this.client.scan(
        cursor,
        "MATCH",
        `${escapeGlob(this.prefix + prefix)}*`,
        "COUNT",
        500,
      );
      cursor = next;
      if (keys.length > 0) await this.client.unlink(...keys);
    } while (cursor !== "0");
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
