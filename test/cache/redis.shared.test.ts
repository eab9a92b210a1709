import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { RedisCache } from "../../src/cache/redis.cache.js";
import { signIn } from "../helpers/sign-in.js";
import { Client, setupAdmin } from "../helpers/web.js";
import { appWith, createMailing, sharedDatabase, stat } from "./support.js";

const redisUrl = process.env.TEST_REDIS_URL;

describe.skipIf(!redisUrl)("Redis cache shared by two app instances (TEST_REDIS_URL)", () => {
  it("a change made through one instance shows at once on the other", async () => {
    const prefix = `postpilot-test:${randomBytes(4).toString("hex")}:`;
    const database = await sharedDatabase();
    const one = await appWith(database, new RedisCache(redisUrl!, { prefix }));
    const two = await appWith(database, new RedisCache(redisUrl!, { prefix }));
    await setupAdmin(one);
    const onOne = await signIn(one, database, "ann@example.com");
    const onTwo = new Client(two);
    await onTwo.post("/login", { email: "ann@example.com", password: "correct horse battery" });

    expect(stat((await onOne.get("/")).body, "mailings")).toBe(0);
    expect(stat((await onTwo.get("/")).body, "mailings")).toBe(0);
    await createMailing(onTwo);
    expect(stat((await onOne.get("/")).body, "mailings")).toBe(1);

    // The home figures are no longer cached (exact counters kept by triggers, src/db/counters.ts): even a row
    // written behind both instances' backs shows at once on both.
    const message = await database.db.selectFrom("messages").select("id").executeTakeFirstOrThrow();
    const owner = await database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "ann@example.com")
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await database.db
      .insertInto("mailings")
      .values({
        owner_id: owner.id,
        name: "behind",
        message_id: message.id,
        first_send_at: "2099-01-01T09:00:00.000Z",
        end_at: "2099-02-01T09:00:00.000Z",
        periodicity: "once",
        time_zone: "UTC",
        status: "created",
        disabled_at: null,
        next_run_at: null,
        last_run_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    expect(stat((await onOne.get("/")).body, "mailings")).toBe(2);
    expect(stat((await onTwo.get("/")).body, "mailings")).toBe(2);
    await createMailing(onOne, "third");
    expect(stat((await onTwo.get("/")).body, "mailings")).toBe(3);
  });
});
