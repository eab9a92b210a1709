/**
 * Cached values under version keys. A scope (one owner's figures, the blog) has a version token; values
 * are stored under the token that was current when their computation started. A change sets a new token,
 * so every value of the scope is invalid at once (on every instance, with Redis), and a slow reader that
 * computed from old rows can only store them under the old token, never resurrect them under the new one.
 * Old values simply expire. Cache errors are swallowed: the page is computed from the database instead.
 */
import { randomBytes } from "node:crypto";
import type { Cache } from "./cache.js";

const VERSION_TTL_MS = 7 * 24 * 3600_000;

export class Versioned {
  constructor(
    private readonly cache: Cache,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** The value for `key` in `scope`, computed by `load` (and stored for `ttlMs`) when it is not cached. */
  async getOrLoad<T>(scope: string, key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const version = await this.version(scope);
    if (version === null) return load();
    const fullKey = `${scope}:${version}:${key}`;
    const hit = await this.cache.get<{ v: T }>(fullKey).catch(this.swallow);
    if (hit) return hit.v;
    const value = await load();
    await this.cache.set(fullKey, { v: value }, ttlMs).catch(this.swallow);
    return value;
  }

  /** Invalidates every value of the given scopes. */
  async bump(...scopes: string[]): Promise<void> {
    await Promise.all(
      scopes.map((scope) => this.cache.set(versionKey(scope), token(), VERSION_TTL_MS).catch(this.swallow)),
    );
  }

  /** The scope's current token (created when missing), or null when the cache cannot be reached. */
  private async version(scope: string): Promise<string | null> {
    try {
      const current = await this.cache.get<string>(versionKey(scope));
      if (current) return current;
      const fresh = token();
      await this.cache.set(versionKey(scope), fresh, VERSION_TTL_MS);
      return fresh;
    } catch (error) {
      this.onError(error);
      return null;
    }
  }

  private readonly swallow = (error: unknown): undefined => {
    this.onError(error);
    return undefined;
  };
}

const versionKey = (scope: string) => `${scope}:version`;
const token = () => randomBytes(6).toString("base64url");
