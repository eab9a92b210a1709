import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { Cache } from "../../src/cache/cache.js";
import { MemoryCache } from "../../src/cache/memory.cache.js";
import { RedisCache } from "../../src/cache/redis.cache.js";
import { Versioned } from "../../src/cache/versioned.js";

const redisUrl = process.env.TEST_REDIS_URL;

function contract(name: string, make: () => { cache: Cache; advance?: (ms: number) => void }) {
  describe(name, () => {
    it("gets what was set, as a copy, until deleted", async () => {
      const { cache } = make();
      try {
        await cache.set("a", { n: 1, list: [1, 2] }, 60_000);
        const got = await cache.get<{ n: number; list: number[] }>("a");
        expect(got).toEqual({ n: 1, list: [1, 2] });
        got!.list.push(3);
        expect(await cache.get("a")).toEqual({ n: 1, list: [1, 2] });
        await cache.delete("a");
        expect(await cache.get("a")).toBeUndefined();
      } finally {
        await cache.close();
      }
    });

    it("deletes by prefix only the keys under it", async () => {
      const { cache } = make();
      try {
        await cache.set("blog:1", 1, 60_000);
        await cache.set("blog:2", 2, 60_000);
        await cache.set("figures:1", 3, 60_000);
        await cache.deleteByPrefix("blog:");
        expect(await cache.get("blog:1")).toBeUndefined();
        expect(await cache.get("blog:2")).toBeUndefined();
        expect(await cache.get("figures:1")).toBe(3);
      } finally {
        await cache.close();
      }
    });

    it("forgets a value after its TTL", async () => {
      const { cache, advance } = make();
      try {
        await cache.set("short", "v", 50);
        if (advance) advance(51);
        else await new Promise((r) => setTimeout(r, 80));
        expect(await cache.get("short")).toBeUndefined();
      } finally {
        await cache.close();
      }
    });
  });
}

contract(MemoryCache.name, () => {
  let now = 0;
  return { cache: new MemoryCache(100, () => now), advance: (ms) => (now += ms) };
});

describe.skipIf(!redisUrl)(`${RedisCache.name} (TEST_REDIS_URL)`, () => {
  contract("RedisCache contract", () => ({
    cache: new RedisCache(redisUrl!, { prefix: `postpilot-test:${randomBytes(4).toString("hex")}:` }),
  }));
});

describe(MemoryCache.name, () => {
  it("drops the oldest entry when full", async () => {
    const sut = new MemoryCache(2);
    await sut.set("a", 1, 60_000);
    await sut.set("b", 2, 60_000);
    await sut.set("c", 3, 60_000);
    expect(await sut.get("a")).toBeUndefined();
    expect(await sut.get("c")).toBe(3);
  });
});

describe(Versioned.name, () => {
  it("loads once, serves from the cache, and loads again after a bump", async () => {
    const sut = new Versioned(new MemoryCache());
    let loads = 0;
    const load = async () => ++loads;
    expect(await sut.getOrLoad("s", "k", 60_000, load)).toBe(1);
    expect(await sut.getOrLoad("s", "k", 60_000, load)).toBe(1);
    await sut.bump("other");
    expect(await sut.getOrLoad("s", "k", 60_000, load)).toBe(1);
    await sut.bump("s");
    expect(await sut.getOrLoad("s", "k", 60_000, load)).toBe(2);
  });

  it("never stores a value computed before a bump under the new version", async () => {
    const sut = new Versioned(new MemoryCache());
    let release!: () => void;
    const slow = sut.getOrLoad(
      "s",
      "k",
      60_000,
      () => new Promise<string>((r) => (release = () => r("old"))),
    );
    await new Promise((r) => setTimeout(r, 5));
    await sut.bump("s");
    release();
    expect(await slow).toBe("old");
    expect(await sut.getOrLoad("s", "k", 60_000, async () => "new")).toBe("new");
  });

  it("falls back to the loader when the cache fails", async () => {
    const broken = new MemoryCache();
    broken.get = () => Promise.reject(new Error("down"));
    broken.set = () => Promise.reject(new Error("down"));
    const errors: unknown[] = [];
    const sut = new Versioned(broken, (e) => errors.push(e));
    expect(await sut.getOrLoad("s", "k", 60_000, async () => 42)).toBe(42);
    await sut.bump("s");
    expect(errors.length).toBeGreaterThan(0);
  });
});
