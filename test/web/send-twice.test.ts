/** "Send now" within a minute of a run of the same mailing warns before a second copy goes out. */
import { describe, expect, it } from "vitest";
import type { Clock } from "../../src/shared/time.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";

async function mailingWithRecipient(client: Client): Promise<number> {
  await client.post("/recipients/new", { email: "r@example.com" }, { from: "/recipients/new" });
  const message = await client.post(
    "/messages/new",
    { subject: "Hi", body: "Hello" },
    { from: "/messages/new" },
  );
  const res = await client.post(
    "/mailings/new",
    {
      name: "Twice",
      message_id: String(idFromLocation(message)),
      first_send_at: "2099-01-01T09:00",
      periodicity: "once",
      time_zone: "UTC",
      recipient_mode: "all",
    },
    { from: "/mailings/new" },
  );
  return idFromLocation(res);
}

describe("Send now twice", () => {
  it("warns on the confirmation page for a minute after a run started, then no more", async () => {
    let now = new Date("2026-12-02T10:00:00Z").getTime();
    const clock: Clock = { now: () => new Date(now) };
    const { app } = await build({ clock });
    const admin = await setupAdmin(app);
    const mailing = await mailingWithRecipient(admin);

    expect((await admin.get(`/mailings/${mailing}/send`)).body).not.toContain('data-testid="recent-run"');
    const sent = await admin.post(`/mailings/${mailing}/send`, {}, { from: `/mailings/${mailing}/send` });
    expect(sent.statusCode).toBe(303);
    const run = idFromLocation(sent);

    now += 30_000;
    const again = (await admin.get(`/mailings/${mailing}/send`)).body;
    expect(again).toContain('data-testid="recent-run"');
    expect(again).toContain(`href="/runs/${run}"`);

    now += 31_000;
    expect((await admin.get(`/mailings/${mailing}/send`)).body).not.toContain('data-testid="recent-run"');
  });
});
