/** Managers' and admins' "All users" scope on Mailings, Recipients and the home figures, read-only for others' rows. */
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

async function addRecipient(client: Client, email: string): Promise<number> {
  const res = await client.post("/recipients/new", { email }, { from: "/recipients/new" });
  expect(res.statusCode).toBe(303);
  return idFromLocation(res);
}

async function addMailing(client: Client, name: string): Promise<number> {
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
      // A one-off needs no End.
      periodicity: "once",
      time_zone: "UTC",
      recipient_mode: "all",
    },
    { from: "/mailings/new" },
  );
  return idFromLocation(res);
}

async function makeManager(database: Database, email: string): Promise<void> {
  await database.db
    .updateTable("users")
    .set({ role: "manager" })
    .where("email_normalized", "=", email)
    .execute();
}

const stat = (html: string, name: string) =>
  Number(new RegExp(`data-testid="stat-${name}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, ""));

async function world() {
  const t = await build();
  const admin = await setupAdmin(t.app);
  const ann = await registerUser(t.app, "ann@example.com");
  const bob = await registerUser(t.app, "bob@example.com");
  const manager = await registerUser(t.app, "max@example.com");
  await makeManager(t.database, "max@example.com");
  const annRecipient = await addRecipient(ann, "ann-friend@example.com");
  await addRecipient(bob, "bob-friend@example.com");
  await addRecipient(manager, "max-friend@example.com");
  const annMailing = await addMailing(ann, "Ann news");
  await addMailing(bob, "Bob news");
  const bobId = (
    await t.database.db
      .selectFrom("users")
      .select("id")
      .where("email_normalized", "=", "bob@example.com")
      .executeTakeFirstOrThrow()
  ).id;
  return { ...t, admin, ann, bob, manager, annRecipient, annMailing, bobId };
}

describe("staff scopes", () => {
  it("a manager's Mailings show only their own by default and every user's, with owners, under All users", async () => {
    const { manager, annMailing } = await world();
    const mine = (await manager.get("/mailings")).body;
    expect(mine).toContain("All users");
    expect(mine).toContain("No mailings yet");
    expect(mine).not.toContain("Ann news");

    const all = await manager.get("/mailings?scope=all");
    expect(all.statusCode).toBe(200);
    expect(all.body).toContain("Ann news");
    expect(all.body).toContain("Bob news");
    expect(all.body).toContain("ann@example.com");
    expect(all.body).toContain("bob@example.com");
    expect(all.body).toContain(`href="/mailings/${annMailing}"`);
    // Sorting and searching keep the scope.
    expect(all.body).toContain("scope=all");
    const searched = (await manager.get("/mailings?scope=all&q=bob")).body;
    expect(searched).toContain("Bob news");
    expect(searched).not.toContain("Ann news");
  });

  it("narrows All users to one owner", async () => {
    const { admin, bobId } = await world();
    const body = (await admin.get(`/mailings?scope=all&owner=${bobId}`)).body;
    expect(body).toContain("Bob news");
    expect(body).not.toContain("Ann news");
    expect(body).toContain('data-testid="owner-filter"');
  });

  it("a plain user asking for All users still sees only their own, with no toggle", async () => {
    const { ann } = await world();
    const body = (await ann.get("/mailings?scope=all")).body;
    expect(body).toContain("Ann news");
    expect(body).not.toContain("Bob news");
    expect(body).not.toContain("All users");
    const recipients = (await ann.get("/recipients?scope=all")).body;
    expect(recipients).toContain("ann-friend@example.com");
    expect(recipients).not.toContain("bob-friend@example.com");
  });

  it("shows every user's recipients to staff, read-only: no tick box, edit or delete on others' rows", async () => {
    const { manager, annRecipient } = await world();
    const body = (await manager.get("/recipients?scope=all")).body;
    expect(body).toContain("ann-friend@example.com");
    expect(body).toContain("bob-friend@example.com");
    expect(body).toContain("max-friend@example.com");
    expect(body).not.toContain(`href="/recipients/${annRecipient}/edit"`);
    expect(body).not.toContain(`href="/recipients/${annRecipient}/delete"`);
    expect(body).not.toContain(`value="${annRecipient}"`);
    expect(body).toContain("Read-only");
    // The service still refuses a write to another's recipient.
    const edit = await manager.get(`/recipients/${annRecipient}/edit`);
    expect(edit.statusCode).toBe(404);
  });

  it("home figures: a manager sees all users' by default and their own under Mine; a user only their own", async () => {
    const { manager, ann } = await world();
    const all = (await manager.get("/")).body;
    expect(all).toContain("Figures across all users.");
    expect(stat(all, "mailings")).toBe(2);
    expect(stat(all, "recipients")).toBe(3);
    const mine = (await manager.get("/?scope=mine")).body;
    expect(stat(mine, "mailings")).toBe(0);
    expect(stat(mine, "recipients")).toBe(1);
    const user = (await ann.get("/?scope=all")).body;
    expect(user).not.toContain("Figures across all users.");
    expect(stat(user, "mailings")).toBe(1);
  });
});
