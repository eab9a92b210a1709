/** Apps for cache tests: any number of app instances over one database, each with the cache it is given. */
import type { FastifyInstance } from "fastify";
import { afterEach } from "vitest";
import type { Cache } from "../../src/cache/cache.js";
import { createServices } from "../../src/container.js";
import type { Database } from "../../src/db/database.js";
import { buildApp } from "../../src/web/app.js";
import { testDatabase } from "../helpers/db.js";
import { type Client, idFromLocation } from "../helpers/web.js";

const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

export async function sharedDatabase(): Promise<Database> {
  const database = await testDatabase();
  cleanup.push(() => database.close());
  return database;
}

export async function appWith(database: Database, cache: Cache): Promise<FastifyInstance> {
  const services = createServices(database, { cache });
  const app = await buildApp({ services, sessionSecret: "test-secret-".repeat(4) });
  cleanup.push(async () => {
    await app.close();
    await cache.deleteByPrefix(""); // a Redis cache's keys are under a prefix of the test's own
    await cache.close();
  });
  return app;
}

export const stat = (html: string, name: string) =>
  Number(new RegExp(`data-testid="stat-${name}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, ""));

export async function createMailing(client: Client, name = "M"): Promise<number> {
  const message = await client.post(
    "/messages/new",
    { subject: "Hi", body: "Hello" },
    { from: "/messages/new" },
  );
  const res = await client.post(
    "/mailings/new",
    {
      name,
      message_id: String(idFromLocation(message)),
      first_send_at: "2099-01-01T09:00",
      end_at: "2099-02-01T09:00",
      periodicity: "once",
      time_zone: "UTC",
      recipient_mode: "all",
    },
    { from: "/mailings/new" },
  );
  return idFromLocation(res);
}
