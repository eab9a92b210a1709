import { describe, expect, it } from "vitest";
import { MemoryCache } from "../../src/cache/memory.cache.js";
import { signIn } from "../helpers/sign-in.js";
import { setupAdmin } from "../helpers/web.js";
import { appWith, createMailing, sharedDatabase, stat } from "./support.js";

describe("home page figures cache", () => {
  it("changes the counts at once when mailings and recipients are created or deleted", async () => {
    const database = await sharedDatabase();
    const app = await appWith(database, new MemoryCache());
    const admin = await setupAdmin(app);
    const user = await signIn(app, database, "ann@example.com");
    expect(stat((await user.get("/")).body, "mailings")).toBe(0);
    expect(stat((await admin.get("/")).body, "mailings")).toBe(0);

    const id = await createMailing(user);
    expect(stat((await user.get("/")).body, "mailings")).toBe(1);
    expect(stat((await admin.get("/")).body, "mailings")).toBe(1);

    const created = await user.post(
      "/recipients/new",
      { email: "x@example.com" },
      { from: "/recipients/new" },
    );
    expect(created.statusCode).toBe(303);
    expect(stat((await user.get("/")).body, "recipients")).toBe(1);
    expect(stat((await admin.get("/")).body, "recipients")).toBe(1);

    const recipientId = Number(/\/recipients\/(\d+)/.exec(String(created.headers.location))?.[1]);
    await user.post(`/recipients/${recipientId}/delete`, {}, { from: `/recipients/${recipientId}/delete` });
    expect(stat((await user.get("/")).body, "recipients")).toBe(0);

    await user.post(`/mailings/${id}/delete`, {}, { from: `/mailings/${id}/delete` });
    expect(stat((await user.get("/")).body, "mailings")).toBe(0);
    expect(stat((await admin.get("/")).body, "mailings")).toBe(0);
  });

  it("shows a change made behind the services' back (the scheduler, a worker, bulk SQL) at once", async () => {
    const database = await sharedDatabase();
    const app = await appWith(database, new MemoryCache());
    await setupAdmin(app);
    const user = await signIn(app, database, "ann@example.com");
    const id = await createMailing(user);
    expect(stat((await user.get("/")).body, "active")).toBe(0);
    // The scheduler marks the mailing Running in its own process: no service call.
    await database.db.updateTable("mailings").set({ status: "running" }).where("id", "=", id).execute();
    expect(stat((await user.get("/")).body, "active")).toBe(1);
  });
});
