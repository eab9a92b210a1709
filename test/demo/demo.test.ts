import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createServices } from "../../src/container.js";
import { ConflictError } from "../../src/shared/errors.js";
import { buildApp } from "../../src/web/app.js";
import { createUser } from "../helpers/fixtures.js";
import { build, Client } from "../helpers/web.js";

describe("seed-demo", () => {
  it("fills an empty database with accounts that can log in, mailings in every status, runs and posts", async () => {
    const { database, services, app } = await build();
    const result = await services.demo.seed();
    expect(result.accounts.map((a) => a.role)).toEqual(["admin", "manager", "user", "user"]);
    expect(result.counts.posts).toBe(4);

    const statuses = await database.db.selectFrom("mailings").select("status").distinct().execute();
    expect(statuses.map((s) => s.status).sort()).toEqual(["completed", "created", "running"]);
    const runs = await database.db.selectFrom("runs").selectAll().execute();
    expect(runs.some((r) => r.status === "success")).toBe(true);
    expect(runs.some((r) => r.status === "failure")).toBe(true);
    const failed = await database.db
      .selectFrom("deliveries")
      .selectAll()
      .where("status", "=", "failed")
      .execute();
    expect(failed.length).toBeGreaterThan(0);

    const user = result.accounts.find((a) => a.role === "user")!;
    const client = new Client(app);
    const login = await client.post("/login", { email: user.email, password: user.password });
    expect(login.statusCode).toBe(303);
    const home = (await client.get("/")).body;
    expect(home).toContain("Daily tips");
    expect(home).toContain("From the");
    // A run page of the daily mailing shows its sent and failed deliveries.
    const failedRun = runs.find((r) => r.status === "failure")!;
    const mailing = await database.db
      .selectFrom("mailings")
      .select("owner_id")
      .where("id", "=", failedRun.mailing_id)
      .executeTakeFirstOrThrow();
    const ownerRow = await database.db
      .selectFrom("users")
      .select("email")
      .where("id", "=", mailing.owner_id)
      .executeTakeFirstOrThrow();
    const owner = result.accounts.find((a) => a.email === ownerRow.email)!;
    const ownerClient = new Client(app);
    await ownerClient.post("/login", { email: owner.email, password: owner.password });
    const runPage = await ownerClient.get(`/runs/${failedRun.id}`);
    expect(runPage.statusCode).toBe(200);
    expect(runPage.body).toContain("User unknown");

    // The admin's first login is not empty: mailings, recipients, messages and reports of their own.
    const adminAccount = result.accounts.find((a) => a.role === "admin")!;
    const admin = new Client(app);
    await admin.post("/login", { email: adminAccount.email, password: adminAccount.password });
    const adminMailings = (await admin.get("/mailings")).body;
    expect(adminMailings).toContain("Daily tips");
    expect(adminMailings).not.toContain("No mailings yet");
    expect((await admin.get("/recipients")).body).not.toContain("No recipients yet");
    expect((await admin.get("/messages")).body).not.toContain("No messages yet");
    expect((await admin.get("/reports")).body).not.toContain("Reports fill in as your mailings are sent.");

    // Blog posts come with valid PNG images served by the app.
    const blog = (await new Client(app).get("/blog")).body;
    const src = /src="(\/blog\/images\/[a-f0-9]{32}\.png)"/.exec(blog)?.[1];
    const image = await new Client(app).get(src!);
    expect(image.statusCode).toBe(200);
    expect(image.headers["content-type"]).toBe("image/png");
  });

  it("refuses a database that has data, saying why, and writes nothing", async () => {
    const { database, services } = await build();
    await createUser(database.db, { email: "someone@example.com" });
    await expect(services.demo.seed()).rejects.toThrow(/not empty \(1 users\)/);
    const users = await database.db.selectFrom("users").selectAll().execute();
    expect(users).toHaveLength(1);
    expect(await database.db.selectFrom("posts").selectAll().execute()).toHaveLength(0);
  });

  it("refuses a second seed", async () => {
    const { services } = await build();
    await services.demo.seed();
    await expect(services.demo.seed()).rejects.toBeInstanceOf(ConflictError);
  });
});

describe("fixtures", () => {
  it("round-trip users (with password hashes), recipients, messages, mailings with members and posts with images", async () => {
    const source = await build();
    const seeded = await source.services.demo.seed();
    const dump = await source.services.demo.dump();
    const json = JSON.parse(JSON.stringify(dump));

    const target = await build();
    // On PostgreSQL both builds share one database: empty it for the target.
    await target.database.truncateAll();
    const counts = await target.services.demo.load(json);
    expect(counts).toEqual({
      users: dump.users.length,
      recipients: dump.recipients.length,
      messages: dump.messages.length,
      mailings: dump.mailings.length,
      posts: dump.posts.length,
    });
    const again = await target.services.demo.dump();
    const strip = (f: typeof dump) => ({
      users: f.users.map(({ ref: _, ...u }) => u),
      recipients: f.recipients.map(({ ref: _, owner: __, ...r }) => r),
      messages: f.messages.map(({ ref: _, owner: __, ...m }) => m),
      mailings: f.mailings.map(({ ref: _, owner: __, message: ___, recipients, ...m }) => ({
        ...m,
        members: recipients.length,
      })),
      posts: f.posts,
    });
    expect(strip(again)).toEqual(strip(dump));

    // The loaded accounts log in with their old passwords.
    const user = seeded.accounts[2]!;
    const client = new Client(target.app);
    expect((await client.post("/login", { email: user.email, password: user.password })).statusCode).toBe(
      303,
    );
  });

  it("reports every conflict and loads nothing", async () => {
    const { services, database } = await build();
    await services.demo.seed();
    const dump = await services.demo.dump();
    // Keep the clashing admin and one clashing post; add a new user that would otherwise load fine.
    const fixtures = {
      ...dump,
      users: [dump.users[0]!, { ...dump.users[2]!, ref: 999, email: "new@example.com" }],
      recipients: [],
      messages: [],
      mailings: [],
      posts: [dump.posts[0]!, { ...dump.posts[1]!, slug: "a-new-post" }],
    };
    const before = await database.db.selectFrom("users").select("id").execute();
    const error = await services.demo.load(fixtures).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    const message = (error as Error).message;
    expect(message).toContain("Nothing was loaded: 2 conflict(s)");
    expect(message).toContain("user admin@demo.postpilot.example already exists");
    expect(message).toContain("post /blog/welcome-to-postpilot already exists");
    expect(await database.db.selectFrom("users").select("id").execute()).toHaveLength(before.length);
    expect(
      await database.db.selectFrom("posts").select("id").where("slug", "=", "a-new-post").execute(),
    ).toHaveLength(0);
  });

  it("refuses a file that is not a fixtures file", async () => {
    const { services } = await build();
    await expect(services.demo.load({ hello: "world" })).rejects.toThrow(/correct/i);
  });
});

describe("seed-demo with images on disk", () => {
  it("writes the images under the uploads folder it is given", async () => {
    const { database } = await build();
    const dir = mkdtempSync(path.join(tmpdir(), "postpilot-uploads-"));
    const services = createServices(database, { uploadsDir: dir });
    await services.demo.seed();
    const app = await buildApp({ services, sessionSecret: "test-secret-".repeat(4) });
    const post = await database.db.selectFrom("posts").select("image_path").executeTakeFirstOrThrow();
    expect((await app.inject({ method: "GET", url: `/blog/images/${post.image_path}` })).statusCode).toBe(
      200,
    );
    expect(path.join(dir, post.image_path!)).toContain(dir);
    await app.close();
  });
});
