/** Chooses the cache: Redis when REDIS_URL is set (shared by every instance), otherwise in-process. */
import type { Cache } from "./cache.js";
import { MemoryCache } from "./memory.cache.js";
import { RedisCache } from "./redis.cache.js";

export type { Cache } from "./cache.js";
export { NoCache } from "./cache.js";
export { MemoryCache } from "./memory.cache.js";
export { RedisCache } from "./redis.cache.js";
export { Versioned } from "./versioned.js";

export function createCache(options: { redisUrl: string | undefined }): Cache {
  return options.redisUrl ? new RedisCache(options.redisUrl) : new MemoryCache();
}
