/**
 * The cache port: JSON values with a time to live. The in-process implementation is the default; with
 * REDIS_URL every instance shares one Redis. A cache failure must never fail a page: callers fall back
 * to the database (see `Versioned`).
 */
export interface Cache {
  readonly kind: "memory" | "redis" | "none";
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, ttlMs: number): Promise<void>;
  delete(...keys: string[]): Promise<void>;
  /** Deletes every key starting with the prefix (tests, maintenance; pages use version keys instead). */
  deleteByPrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** A cache that keeps nothing: for benches and for turning caching off. */
export class NoCache implements Cache {
  readonly kind = "none";
  async get<T>(): Promise<T | undefined> {
    return undefined;
  }
  async set(): Promise<void> {}
  async delete(): Promise<void> {}
  async deleteByPrefix(): Promise<void> {}
  async close(): Promise<void> {}
}
