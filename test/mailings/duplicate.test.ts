/** "Duplicate" opens the new-mailing form filled in from the mailing; saving it makes a second mailing. */
import { describe, expect, it } from "vitest";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

async function weeklyMailing(client: Client): Promise<{ mailing: number; message: number }> {
  const message = idFromLocation(
    await client.post("/messages/new", { subject: "Weekly hi", body: "Hello" }, { from: "/messages/new" }),
  );
  const res = await client.post(
    "/mailings/new",
    {
      name: "Weekly news",
      message_id: String(message),
      first_send_at: "2099-01-01T09:00",
      end_at: "2099-06-01T09:00",
      periodicity: "weekly",
      time_zone: "Europe/Berlin",
      window_days: ["1", "2"],
      window_start: "08:00",
      window_end: "17:00",
      recipient_mode: "none",
    },
    { from: "/mailings/new" },
  );
  return { mailing: idFromLocation(res), message };
}

describe("duplicate a mailing", () => {
  it("fills the new-mailing form from the mailing, and saving makes a new one", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const { mailing, message } = await weeklyMailing(admin);
    expect((await admin.get(`/mailings/${mailing}`)).body).toContain(`href="/mailings/${mailing}/duplicate"`);

    const form = await admin.get(`/mailings/${mailing}/duplicate`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('action="/mailings/new"');
    expect(form.body).toContain('value="Copy of Weekly news"');
    expect(form.body).toMatch(new RegExp(`<option value="${message}" selected`));
    expect(form.body).toMatch(/<option value="weekly" selected/);
    expect(form.body).toMatch(/<option value="Europe\/Berlin" selected/);
    expect(form.body).toContain('value="08:00"');

    const saved = await admin.post(
      "/mailings/new",
      {
        name: "Copy of Weekly news",
        message_id: String(message),
        first_send_at: "2099-02-01T09:00",
        end_at: "2099-07-01T09:00",
        periodicity: "weekly",
        time_zone: "Europe/Berlin",
        recipient_mode: "none",
      },
      { from: `/mailings/${mailing}/duplicate` },
    );
    expect(saved.statusCode).toBe(303);
    const rows = await database.db.selectFrom("mailings").select("name").orderBy("id").execute();
    expect(rows.map((r) => r.name)).toEqual(["Weekly news", "Copy of Weekly news"]);
  });

  it("is not offered on another user's mailing", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const ann = await registerUser(app, "ann@example.com");
    const bob = await registerUser(app, "bob@example.com");
    const { mailing } = await weeklyMailing(ann);
    expect((await bob.get(`/mailings/${mailing}/duplicate`)).statusCode).toBe(404);
  });
});
