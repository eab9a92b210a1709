import { describe, expect, it } from "vitest";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { createMessage, createRecipients } from "../helpers/fixtures.js";
import { signIn } from "../helpers/sign-in.js";
import { build, type Client, idFromLocation, setupAdmin } from "../helpers/web.js";

const SENDER = {
  from_name: "Ada's Bakery",
  from_email: "news@bakery.example",
  reply_to: "hello@bakery.example",
  postal_address: "1 Flour Lane\n  Springfield  ",
};

async function senderId(admin: Client, form: Record<string, string> = SENDER): Promise<number> {
  const res = await admin.post("/admin/senders/new", form, { from: "/admin/senders/new" });
  expect(res.statusCode, res.body.slice(0, 300)).toBe(303);
  const list = await admin.get("/admin/senders");
  const ids = [...list.body.matchAll(/\/admin\/senders\/(\d+)\/edit/g)].map((m) => Number(m[1]));
  return Math.max(...ids);
}

const mailingForm = (message: number, sender: string) => ({
  name: "Autumn",
  message_id: String(message),
  sender_id: sender,
  first_send_at: "2099-01-01T09:00",
  end_at: "2099-02-01T09:00",
  periodicity: "once",
  time_zone: "UTC",
  recipient_mode: "all",
});

describe("sender pages", () => {
  it("lets an admin create, edit and delete senders, each change audited", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = await senderId(admin);
    const row = await database.db
      .selectFrom("senders")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      from_name: "Ada's Bakery",
      from_email: "news@bakery.example",
      reply_to: "hello@bakery.example",
      postal_address: "1 Flour Lane\nSpringfield",
    });

    const edited = await admin.post(
      `/admin/senders/${id}/edit`,
      { ...SENDER, from_name: "Ada's Bakery Ltd", reply_to: "" },
      { from: `/admin/senders/${id}/edit` },
    );
    expect(edited.statusCode).toBe(303);
    const after = await database.db
      .selectFrom("senders")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(after.from_name).toBe("Ada's Bakery Ltd");
    expect(after.reply_to).toBeNull();

    const deleted = await admin.post(
      `/admin/senders/${id}/delete`,
      {},
      { from: `/admin/senders/${id}/delete` },
    );
    expect(deleted.statusCode).toBe(303);
    expect(await database.db.selectFrom("senders").selectAll().execute()).toEqual([]);

    const audit = await database.db.selectFrom("audit_log").selectAll().orderBy("id").execute();
    expect(audit.map((a) => [a.action, a.target_type, a.target_id, a.actor_email])).toEqual([
      ["create_sender", "sender", id, "admin@example.com"],
      ["update_sender", "sender", id, "admin@example.com"],
      ["delete_sender", "sender", id, "admin@example.com"],
    ]);
    expect(audit[1]!.details).toContain("from_name");
    expect(audit[1]!.details).toContain("reply_to");
    const log = await admin.get("/admin/audit");
    expect(log.body).toContain("Created sender");
    expect(log.body).toContain("Deleted sender");
  });

  it("refuses bad input with field messages, keeping what was typed", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const res = await admin.post(
      "/admin/senders/new",
      { from_name: "Two\r\nlines", from_email: "not-an-email", reply_to: "nope", postal_address: " " },
      { from: "/admin/senders/new" },
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("From name must be a single line.");
    expect(res.body).toContain("Enter a valid email address");
    expect(res.body).toContain("Reply-To: enter a valid email address");
    expect(res.body).toContain("Postal address is required");
    expect(res.body).toContain('value="not-an-email"');
    expect(await database.db.selectFrom("senders").selectAll().execute()).toEqual([]);
  });

  it("is admins only: users and managers get a 404 and change nothing", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = await senderId(admin);
    for (const role of ["user", "manager"] as const) {
      const other = await signIn(app, database, `${role}@example.com`, role);
      for (const url of [
        "/admin/senders",
        "/admin/senders/new",
        `/admin/senders/${id}/edit`,
        `/admin/senders/${id}/delete`,
      ]) {
        expect((await other.get(url)).statusCode, `${role} GET ${url}`).toBe(404);
      }
      for (const url of ["/admin/senders/new", `/admin/senders/${id}/edit`, `/admin/senders/${id}/delete`]) {
        const res = await other.post(url, { ...SENDER, from_name: "Stolen" }, { from: "/mailings" });
        expect(res.statusCode, `${role} POST ${url}`).toBe(404);
      }
    }
    const rows = await database.db.selectFrom("senders").selectAll().execute();
    expect(rows.map((r) => r.from_name)).toEqual(["Ada's Bakery"]);
    expect((await database.db.selectFrom("audit_log").select("action").execute()).length).toBe(1);
  });

  it("lets every user pick a sender for a mailing, shows it, refuses one that does not exist, and keeps it in use", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const id = await senderId(admin);
    const user = await signIn(app, database, "uma@example.com");
    const form = await user.get("/mailings/new");
    expect(form.body).toContain("Default (PostPilot &lt;postpilot@localhost>)");
    expect(form.body).toContain("Ada's Bakery &lt;news@bakery.example>");

    const owner = await database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "uma@example.com")
      .executeTakeFirstOrThrow();
    const message = await createMessage(database.db, owner.id);
    await createRecipients(database.db, owner.id, ["r@example.com"]);

    const missing = await user.post("/mailings/new", mailingForm(message.id, "999999"), {
      from: "/mailings/new",
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain("Choose one of the senders in the list.");
    expect(missing.body).toContain('value="Autumn"');

    const created = await user.post("/mailings/new", mailingForm(message.id, String(id)), {
      from: "/mailings/new",
    });
    const mailingId = idFromLocation(created);
    const page = await user.get(`/mailings/${mailingId}`);
    expect(page.body).toContain("Ada's Bakery &lt;news@bakery.example>");
    const edit = await user.get(`/mailings/${mailingId}/edit`);
    expect(edit.body).toMatch(new RegExp(`<option value="${id}" selected`));

    // A run keeps the sender as it was when the run was made.
    const run = await new KyselyRunsStore(database).createRun({
      mailingId,
      trigger: "web",
      actorUserId: owner.id,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    if (!("run" in run)) throw new Error(`no run: ${run.skipped}`);
    expect(run.run).toMatchObject({
      from_header: '"Ada\'s Bakery" <news@bakery.example>',
      reply_to: "hello@bakery.example",
      postal_address: "1 Flour Lane\nSpringfield",
    });

    // In use: the admin cannot delete it, and is told how many mailings send as it.
    const refused = await admin.post(
      `/admin/senders/${id}/delete`,
      {},
      { from: `/admin/senders/${id}/delete` },
    );
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain("a mailing sends as it");
    expect(await database.db.selectFrom("senders").selectAll().execute()).toHaveLength(1);

    // Back to the default: the mailing no longer holds the sender, which can then go.
    const back = await user.post(`/mailings/${mailingId}/edit`, mailingForm(message.id, ""), {
      from: `/mailings/${mailingId}/edit`,
    });
    expect(back.statusCode).toBe(303);
    expect((await user.get(`/mailings/${mailingId}`)).body).toContain("Default (PostPilot");
    expect(
      (await admin.post(`/admin/senders/${id}/delete`, {}, { from: `/admin/senders/${id}/delete` }))
        .statusCode,
    ).toBe(303);
  });

  it("escapes a sender's name on every page that shows it", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const evil = "<script>alert(1)</script>";
    const id = await senderId(admin, { ...SENDER, from_name: evil, postal_address: `${evil}\nStreet` });
    const adminRow = await database.db.selectFrom("users").select("id").executeTakeFirstOrThrow();
    const message = await createMessage(database.db, adminRow.id);
    const mailing = idFromLocation(
      await admin.post("/mailings/new", mailingForm(message.id, String(id)), { from: "/mailings/new" }),
    );
    for (const url of [
      "/admin/senders",
      `/admin/senders/${id}/edit`,
      `/admin/senders/${id}/delete`,
      "/mailings/new",
      `/mailings/${mailing}`,
      `/mailings/${mailing}/edit`,
      "/admin/audit",
    ]) {
      const res = await admin.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body.includes("<script>alert"), url).toBe(false);
      expect(res.body.includes("&lt;script>alert(1)&lt;/script>"), url).toBe(true);
    }
  });
});
