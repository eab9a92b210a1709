import { describe, expect, it } from "vitest";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

async function addRecipients(client: Client, emails: string[]) {
  for (const email of emails) {
    const res = await client.post("/recipients/new", { email }, { from: "/recipients/new" });
    expect(res.statusCode).toBe(303);
  }
}

async function addMailings(client: Client, names: string[]): Promise<number[]> {
  const message = await client.post(
    "/messages/new",
    { subject: "Hi", body: "Hello" },
    { from: "/messages/new" },
  );
  const ids: number[] = [];
  for (const name of names) {
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
    ids.push(idFromLocation(res));
  }
  return ids;
}

const stat = (html: string, name: string) =>
  Number(new RegExp(`data-testid="stat-${name}">([\\d,]+)<`).exec(html)?.[1]?.replace(/,/g, ""));

describe("dashboard", () => {
  it("says what to do next when there is nothing yet", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const user = await registerUser(app, "new@example.com");
    const home = (await user.get("/")).body;
    expect(stat(home, "mailings")).toBe(0);
    expect(stat(home, "active")).toBe(0);
    expect(stat(home, "recipients")).toBe(0);
    expect(home).toContain("No mailings yet");
    expect(home).toContain('<a href="/mailings/new">create a mailing</a>');
  });

  it("counts a user's own mailings, active (running) mailings and recipients, and lists the latest five", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const user = await registerUser(app, "ann@example.com");
    const other = await registerUser(app, "bob@example.com");
    await addRecipients(user, ["a@example.com", "B@example.com", "c@example.com"]);
    await addRecipients(other, ["a@example.com", "z@example.com"]);
    const ids = await addMailings(user, ["M1", "M2", "M3", "M4", "M5", "M6"]);
    await addMailings(other, ["Other's mailing"]);
    await database.db
      .updateTable("mailings")
      .set({ status: "running" })
      .where("id", "in", ids.slice(0, 2))
      .execute();
    await database.db
      .updateTable("mailings")
      .set({ status: "completed" })
      .where("id", "=", ids[2]!)
      .execute();

    const home = (await user.get("/")).body;
    expect(stat(home, "mailings")).toBe(6);
    expect(stat(home, "active")).toBe(2);
    expect(stat(home, "recipients")).toBe(3);
    expect(home).not.toContain("Figures across all users.");
    const listed = [...home.matchAll(/<span class="fw-semibold">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(listed).toEqual(["M6", "M5", "M4", "M3", "M2"]);
    expect(home).toContain("· 3 recipients");
    expect(home).not.toContain("Other&#39;s mailing");
    expect(home).not.toContain("Other's mailing");

    const otherHome = (await other.get("/")).body;
    expect(stat(otherHome, "mailings")).toBe(1);
    expect(stat(otherHome, "recipients")).toBe(2);
  });

  it("counts across all users for an admin, one address kept by two users (in any case) once", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const ann = await registerUser(app, "ann@example.com");
    const bob = await registerUser(app, "bob@example.com");
    await addRecipients(admin, ["admin-only@example.com"]);
    await addRecipients(ann, ["shared@example.com", "ann-only@example.com"]);
    await addRecipients(bob, [" SHARED@Example.com", "bob-only@example.com"]);
    const annMailings = await addMailings(ann, ["Ann 1", "Ann 2"]);
    await addMailings(bob, ["Bob 1"]);
    await database.db
      .updateTable("mailings")
      .set({ status: "running" })
      .where("id", "=", annMailings[0]!)
      .execute();

    const home = (await admin.get("/")).body;
    expect(home).toContain("Figures across all users.");
    expect(stat(home, "mailings")).toBe(3);
    expect(stat(home, "active")).toBe(1);
    expect(stat(home, "recipients")).toBe(4);
    // The latest mailings stay the admin's own.
    expect(home).toContain("No mailings yet");
    // A user's own figures do not span other users.
    expect(stat((await bob.get("/")).body, "recipients")).toBe(2);
  });
});
