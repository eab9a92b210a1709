import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { Role } from "../../src/db/schema.js";
import {
  build,
  Client,
  type Form,
  idFromLocation,
  PASSWORD,
  registerUser,
  setupAdmin,
} from "../helpers/web.js";

async function setRole(database: Database, email: string, role: Role): Promise<number> {
  const row = await database.db
    .updateTable("users")
    .set({ role })
    .where("email_normalized", "=", email)
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A user with a recipient, a message and a mailing (first send far in the future). */
async function userWithMailing(client: Client) {
  const recipient = idFromLocation(
    await client.post(
      "/recipients/new",
      { email: "kept@example.com", full_name: "Kept" },
      { from: "/recipients/new" },
    ),
  );
  const message = idFromLocation(
    await client.post(
      "/messages/new",
      { subject: "Owner subject", body: "Owner body" },
      { from: "/messages/new" },
    ),
  );
  const mailing = idFromLocation(
    await client.post(
      "/mailings/new",
      {
        name: "Owner mailing",
        message_id: String(message),
        first_send_at: "2099-01-01T09:00",
        end_at: "2099-02-01T09:00",
        periodicity: "weekly",
        time_zone: "UTC",
        recipient_mode: "all",
      },
      { from: "/mailings/new" },
    ),
  );
  return { recipient, message, mailing };
}

async function snapshot(database: Database) {
  const db = database.db;
  return {
    recipients: await db.selectFrom("recipients").selectAll().orderBy("id").execute(),
    messages: await db.selectFrom("messages").selectAll().orderBy("id").execute(),
    mailings: await db.selectFrom("mailings").selectAll().orderBy("id").execute(),
    members: await db.selectFrom("mailing_recipients").selectAll().orderBy("recipient_id").execute(),
    runs: await db.selectFrom("runs").selectAll().orderBy("id").execute(),
  };
}

describe("managers", () => {
  it("see another user's mailing read-only, runs and reports, and the user list", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const owner = await registerUser(app, "owner@example.com");
    const ids = await userWithMailing(owner);
    const ownerId = await setRole(database, "owner@example.com", "user");
    const manager = await registerUser(app, "manager@example.com");
    await setRole(database, "manager@example.com", "manager");

    const page = await manager.get(`/mailings/${ids.mailing}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Owner mailing");
    expect(page.body).toContain("read-only");
    expect(page.body).not.toContain(`/mailings/${ids.mailing}/edit`);
    expect(page.body).not.toContain(`/mailings/${ids.mailing}/send"`);
    expect(page.body).toContain(`/mailings/${ids.mailing}/disable`);

    const users = await manager.get("/admin/users");
    expect(users.statusCode).toBe(200);
    expect(users.body).toContain("owner@example.com");
    const userPage = await manager.get(`/admin/users/${ownerId}`);
    expect(userPage.body).toContain("Owner mailing");
    expect(userPage.body).toContain("kept@example.com");
    // Managers do not manage users.
    expect(userPage.body).not.toContain(`/admin/users/${ownerId}/edit`);
    expect((await manager.get("/admin/users/new")).statusCode).toBe(404);
    expect((await manager.get("/admin/audit")).statusCode).toBe(404);

    const reports = await manager.get(`/reports?user=${ownerId}`);
    expect(reports.statusCode).toBe(200);
    expect(reports.body).toContain("of owner@example.com's mailings");
    expect((await manager.get("/reports?user=all")).body).toContain("of all users' mailings");
    // A plain user asking for someone else's reports gets their own.
    expect((await owner.get("/reports?user=all")).body).toContain("of your mailings");
  });

  it("cannot create, edit, delete or send other people's recipients, messages or mailings", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const owner = await registerUser(app, "owner@example.com");
    const ids = await userWithMailing(owner);
    const manager = await registerUser(app, "manager@example.com");
    await setRole(database, "manager@example.com", "manager");
    const before = await snapshot(database);

    const attempts: [string, Form][] = [
      [`/recipients/${ids.recipient}/edit`, { email: "stolen@example.com", full_name: "", comment: "" }],
      [`/recipients/${ids.recipient}/delete`, {}],
      [`/messages/${ids.message}/edit`, { subject: "Stolen", body: "Stolen" }],
      [`/messages/${ids.message}/delete`, {}],
      [
        `/mailings/${ids.mailing}/edit`,
        {
          name: "Stolen",
          message_id: String(ids.message),
          first_send_at: "2099-01-01T09:00",
          end_at: "2099-02-01T09:00",
          periodicity: "daily",
          time_zone: "UTC",
        },
      ],
      [`/mailings/${ids.mailing}/delete`, {}],
      [`/mailings/${ids.mailing}/send`, {}],
      [`/mailings/${ids.mailing}/recipients`, { action: "remove_matching", q: "" }],
    ];
    for (const [url, form] of attempts) {
      const res = await manager.post(url, form, { from: "/" });
      expect(res.statusCode, url).toBe(404);
    }
    for (const url of [
      `/recipients/${ids.recipient}/edit`,
      `/messages/${ids.message}/edit`,
      `/mailings/${ids.mailing}/edit`,
    ]) {
      expect((await manager.get(url)).statusCode, url).toBe(404);
    }
    expect(await snapshot(database)).toEqual(before);
  });

  it("block a user: logged out at once, cannot log in, cannot send, recorded in the audit log", async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const owner = await registerUser(app, "owner@example.com");
    const ids = await userWithMailing(owner);
    const ownerId = await setRole(database, "owner@example.com", "user");
    const manager = await registerUser(app, "manager@example.com");
    const managerId = await setRole(database, "manager@example.com", "manager");

    expect((await owner.get("/")).statusCode).toBe(200);
    const blocked = await manager.post(`/admin/users/${ownerId}/block`, {}, { from: "/" });
    expect(blocked.statusCode).toBe(303);
    // The owner's next page view is the login page.
    const next = await owner.get("/mailings");
    expect(next.statusCode).toBe(303);
    expect(next.headers.location).toContain("/login");
    const login = await new Client(app).post("/login", { email: "owner@example.com", password: PASSWORD });
    expect(login.statusCode).toBe(422);
    expect(login.body).toContain("blocked");
    // Sending their mailing is refused, also from the command line (which acts for nobody in particular).
    await expect(services.delivery.sendNow(null, ids.mailing, "cli")).rejects.toThrow("owner is blocked");
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);

    // Managers cannot block admins, managers, or themselves.
    const adminId = (
      await database.db.selectFrom("users").select("id").where("role", "=", "admin").executeTakeFirstOrThrow()
    ).id;
    for (const target of [adminId, managerId]) {
      const res = await manager.post(`/admin/users/${target}/block`, {}, { from: "/" });
      expect(res.statusCode).toBe(303);
      const row = await database.db
        .selectFrom("users")
        .select("blocked_at")
        .where("id", "=", target)
        .executeTakeFirstOrThrow();
      expect(row.blocked_at).toBeNull();
    }

    expect((await manager.post(`/admin/users/${ownerId}/unblock`, {}, { from: "/" })).statusCode).toBe(303);
    expect(
      (await new Client(app).post("/login", { email: "owner@example.com", password: PASSWORD })).statusCode,
    ).toBe(303);

    const audit = await admin.get("/admin/audit");
    expect(audit.body).toContain("Blocked user");
    expect(audit.body).toContain("Unblocked user");
    expect(audit.body).toContain("manager@example.com");
    const filtered = await admin.get("/admin/audit?action=unblock");
    expect(filtered.body).toContain("Unblocked user");
    expect(filtered.body).not.toContain("<td>Blocked user</td>");
  });

  it("disable and enable any mailing: a disabled mailing does not send and says so", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const owner = await registerUser(app, "owner@example.com");
    const ids = await userWithMailing(owner);
    const manager = await registerUser(app, "manager@example.com");
    await setRole(database, "manager@example.com", "manager");

    const res = await manager.post(`/mailings/${ids.mailing}/disable`, {}, { from: "/" });
    expect(res.statusCode).toBe(303);
    const page = await owner.get(`/mailings/${ids.mailing}`);
    expect(page.body).toContain("disabled by a manager");
    expect(page.body).not.toContain(`href="/mailings/${ids.mailing}/send"`);
    const send = await owner.post(`/mailings/${ids.mailing}/send`, {}, { from: "/" });
    expect(send.headers.location).toBe(`/mailings/${ids.mailing}`);
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);

    expect((await manager.post(`/mailings/${ids.mailing}/enable`, {}, { from: "/" })).statusCode).toBe(303);
    const row = await database.db
      .selectFrom("mailings")
      .selectAll()
      .where("id", "=", ids.mailing)
      .executeTakeFirstOrThrow();
    expect(row.disabled_at).toBeNull();
    expect(row.next_run_at).toBe("2099-01-01T09:00:00.000Z");
    const audit = await admin.get("/admin/audit?action=disable_mailing");
    expect(audit.body).toContain("Owner mailing");
    // A plain user cannot disable anything.
    expect((await owner.post(`/mailings/${ids.mailing}/disable`, {}, { from: "/" })).statusCode).toBe(404);
  });
});

describe("admins", () => {
  it("pages the audit log by cursor, newest first, with the action filter kept", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const at = "2026-12-01T10:00:00.000Z"; // one instant for all: the id orders them
    await database.db
      .insertInto("audit_log")
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          actor_id: null,
          actor_email: "ops@example.com",
          action: i % 3 === 0 ? ("unblock" as const) : ("block" as const),
          target_type: "user" as const,
          target_id: i,
          target_label: `target${String(i).padStart(2, "0")}@example.com`,
          details: "",
          created_at: at,
        })),
      )
      .execute();
    const labels = (html: string) => [...html.matchAll(/target(\d\d)@example\.com/g)].map((m) => m[1]);
    const next = (html: string) =>
      /href="([^"]*)" aria-label="Next page"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const first = await admin.get("/admin/audit");
    expect(first.body).toContain("30 matching");
    const second = await admin.get(next(first.body));
    const all = [...new Set([...labels(first.body), ...labels(second.body)])];
    expect(all).toEqual(Array.from({ length: 30 }, (_, i) => String(29 - i).padStart(2, "0")));
    const unblocks = await admin.get("/admin/audit?action=unblock");
    expect(new Set(labels(unblocks.body)).size).toBe(10);
  });

  it("create, edit (role change logs the user out) and delete users; the last admin stays", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const created = await admin.post(
      "/admin/users/new",
      { email: "new@example.com", name: "New", password: PASSWORD, role: "manager" },
      { from: "/admin/users/new" },
    );
    expect(created.statusCode).toBe(303);
    const newId = idFromLocation(created);
    const dup = await admin.post(
      "/admin/users/new",
      { email: "NEW@example.com", name: "x", password: PASSWORD, role: "user" },
      { from: "/admin/users/new" },
    );
    expect(dup.statusCode).toBe(422);
    expect(dup.body).toContain("already exists");

    const newUser = new Client(app);
    expect((await newUser.post("/login", { email: "new@example.com", password: PASSWORD })).statusCode).toBe(
      303,
    );
    expect((await newUser.get("/admin/users")).statusCode).toBe(200);

    const edited = await admin.post(
      `/admin/users/${newId}/edit`,
      { name: "Renamed", time_zone: "Europe/Paris", role: "user" },
      { from: `/admin/users/${newId}` },
    );
    expect(edited.statusCode).toBe(303);
    // The role change ended their session: the next page is the login page.
    expect((await newUser.get("/")).headers.location).toContain("/login");

    const adminId = (
      await database.db.selectFrom("users").select("id").where("role", "=", "admin").executeTakeFirstOrThrow()
    ).id;
    const demote = await admin.post(
      `/admin/users/${adminId}/edit`,
      { name: "Admin", time_zone: "UTC", role: "user" },
      { from: `/admin/users/${adminId}` },
    );
    expect(demote.statusCode).toBe(422);
    expect(demote.body).toContain("last admin");

    expect((await admin.get(`/admin/users/${newId}/delete`)).statusCode).toBe(200);
    expect((await admin.post(`/admin/users/${newId}/delete`, {}, { from: "/" })).statusCode).toBe(303);
    expect(
      await database.db.selectFrom("users").select("id").where("id", "=", newId).executeTakeFirst(),
    ).toBeUndefined();
    expect((await admin.post(`/admin/users/${adminId}/delete`, {}, { from: "/" })).headers.location).toBe(
      `/admin/users/${adminId}`,
    );

    const audit = await admin.get("/admin/audit");
    for (const label of ["Created user", "Changed role", "Deleted user"]) expect(audit.body).toContain(label);
    expect(audit.body).toContain("manager → user");
  });

  it("hides every staff page from plain users", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const user = await registerUser(app, "plain@example.com");
    for (const url of [
      "/admin/users",
      "/admin/users/1",
      "/admin/users/new",
      "/admin/audit",
      "/admin/users/1/delete",
    ]) {
      expect((await user.get(url)).statusCode, url).toBe(404);
    }
    for (const url of [
      "/admin/users/1/block",
      "/admin/users/1/unblock",
      "/admin/users/1/edit",
      "/admin/users/1/delete",
      "/admin/users/new",
    ]) {
      expect(
        (await user.post(url, { role: "user", name: "x", time_zone: "UTC" }, { from: "/" })).statusCode,
        url,
      ).toBe(404);
    }
  });
});
