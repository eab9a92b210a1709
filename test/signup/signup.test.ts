import { describe, expect, it } from "vitest";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { createMailing, createMessage } from "../helpers/fixtures.js";
import { build, Client, idFromLocation, setupAdmin } from "../helpers/web.js";

async function withForm() {
  const t = await build();
  const admin = await setupAdmin(t.app);
  const user = await t.database.db.selectFrom("users").selectAll().executeTakeFirstOrThrow();
  await t.services.fields.create(user, { label: "Company size", key: "size", type: "number" });
  const created = await admin.post(
    "/lists/new",
    {
      name: "Newsletter",
      description: "Monthly news",
      signup_enabled: "on",
      signup_ask_name: "on",
      signup_fields: "size",
    },
    { from: "/lists/new" },
  );
  const listId = idFromLocation(created);
  const list = await t.database.db
    .selectFrom("lists")
    .selectAll()
    .where("id", "=", listId)
    .executeTakeFirstOrThrow();
  return { ...t, admin, user, list, path: `/subscribe/${list.slug}` };
}

/** A visitor from another site: no cookies, no CSRF token. */
async function postForm(
  t: Awaited<ReturnType<typeof withForm>>,
  form: Record<string, string>,
  ip = "203.0.113.7",
) {
  return t.app.inject({
    method: "POST",
    url: t.path,
    remoteAddress: ip,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams(form).toString(),
  });
}

const mails = (t: Awaited<ReturnType<typeof withForm>>) =>
  t.database.db.selectFrom("account_emails").selectAll().where("user_id", "is", null).orderBy("id").execute();

describe("signup forms with double opt-in", () => {
  it("form → confirmation email queued → link → confirmed, with the consent recorded; nobody is mailed before", async () => {
    const t = await withForm();
    const page = await t.app.inject({ method: "GET", url: t.path });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain("Subscribe to Newsletter");
    expect(page.body).toContain("Company size");

    const res = await postForm(t, {
      email: "Ann@Example.com",
      full_name: "Ann",
      field_size: "12",
      website: "",
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Check your inbox");
    const [mail] = await mails(t);
    expect(mail).toMatchObject({
      to_address: "Ann@Example.com",
      subject: "Confirm your subscription to Newsletter",
      status: "pending",
    });
    const link = /http:\/\/[^/\s]+(\/subscribe\/[^\s]+\/confirm\?token=[\w-]+)/.exec(mail!.body)![1]!;

    // Not a recipient yet: a mailing to everyone has nobody to send to.
    expect(await t.database.db.selectFrom("recipients").selectAll().execute()).toEqual([]);
    const message = await createMessage(t.database.db, t.user.id);
    const mailing = await createMailing(t.database.db, { ownerId: t.user.id, messageId: message.id });
    await t.services.audiences.set(t.user, mailing.id, { all: "on" });
    const store = new KyselyRunsStore(t.database);
    const early = await store.createRun({
      mailingId: mailing.id,
      trigger: "web",
      actorUserId: null,
      scheduledFor: new Date().toISOString(),
      now: new Date(),
    });
    expect(early).toEqual({ skipped: "empty" });

    // A GET (a mail scanner opening the link) confirms nothing.
    const visitor = new Client(t.app);
    const confirmPage = await visitor.get(link);
    expect(confirmPage.body).toContain("Confirm my subscription");
    expect(await t.database.db.selectFrom("list_members").selectAll().execute()).toEqual([]);
    const token = new URL(link, "http://x").searchParams.get("token")!;
    const done = await visitor.post(link.split("?")[0]!, { token }, { from: link });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain("your subscription to Newsletter is confirmed");
    const recipient = await t.database.db.selectFrom("recipients").selectAll().executeTakeFirstOrThrow();
    expect(recipient).toMatchObject({ email: "Ann@Example.com", full_name: "Ann", owner_id: t.user.id });
    expect((await t.services.fields.valuesFor(t.user, [recipient.id])).get(recipient.id)).toEqual({
      size: 12,
    });
    const members = await t.database.db.selectFrom("list_members").selectAll().execute();
    expect(members).toMatchObject([{ list_id: t.list.id, recipient_id: recipient.id }]);
    const consent = await t.database.db.selectFrom("signups").selectAll().executeTakeFirstOrThrow();
    expect(consent).toMatchObject({ ip: "203.0.113.7", confirm_ip: "127.0.0.1", recipient_id: recipient.id });
    expect(consent.confirmed_at).not.toBeNull();
    // The home page counts the new recipient at once.
    expect((await t.admin.get("/")).body).toMatch(/data-testid="stat-recipients">1</);

    // Confirming again is harmless; a forged token is refused.
    expect((await visitor.post(link.split("?")[0]!, { token }, { from: "/login" })).statusCode).toBe(200);
    expect((await visitor.get(`${t.path}/confirm?token=${"x".repeat(43)}`)).statusCode).toBe(410);
    const later = await store.createRun({
      mailingId: mailing.id,
      trigger: "web",
      actorUserId: null,
      scheduledFor: new Date(Date.now() + 1000).toISOString(),
      now: new Date(),
    });
    expect("run" in later && later.run.total_count).toBe(1);
  });

  it("refuses bad input with clear messages, keeping what was typed", async () => {
    const t = await withForm();
    const res = await postForm(t, { email: "not-an-email", full_name: "Bob <b>", field_size: "lots" });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Enter a valid email address, like name@example.com.");
    expect(res.body).toContain("Company size must be a number, like 42 or 3.5.");
    expect(res.body).toContain('value="not-an-email"');
    expect(res.body).toContain('value="Bob &lt;b>"');
    expect(await mails(t)).toEqual([]);
  });

  it("gives the same answer for a known, a subscribed and a new address; a honeypot sends nothing; per-IP limit", async () => {
    const t = await withForm();
    await t.services.recipients.create(t.user, { email: "known@example.com" });
    const answers = [];
    for (const email of ["known@example.com", "new@example.com"])
      answers.push((await postForm(t, { email })).body);
    expect(answers[0]).toBe(answers[1]);
    const bot = await postForm(t, { email: "bot@example.com", website: "http://spam.example" });
    expect(bot.statusCode).toBe(200);
    expect(bot.body).toContain("Check your inbox");
    expect((await mails(t)).map((m) => m.to_address)).toEqual(["known@example.com", "new@example.com"]);
    // Per address: at most 3 emails an hour, then the same answer and no mail.
    for (let i = 0; i < 3; i++) await postForm(t, { email: "new@example.com" }, "198.51.100.1");
    expect((await mails(t)).filter((m) => m.to_address === "new@example.com")).toHaveLength(3);
    // Per IP: the 11th post in 10 minutes is refused.
    const statuses = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await postForm(t, { email: `p${i}@example.com` }, "192.0.2.9")).statusCode);
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it("has no form for a list without signup, and links from another list do not work", async () => {
    const t = await withForm();
    const other = await t.services.lists.create(t.user, { name: "Private" });
    expect((await t.app.inject({ method: "GET", url: `/subscribe/${other.slug}` })).statusCode).toBe(404);
    expect(
      (await t.app.inject({ method: "POST", url: `/subscribe/${other.slug}`, payload: { email: "a@b.co" } }))
        .statusCode,
    ).toBe(404);
    expect((await t.app.inject({ method: "GET", url: "/subscribe/nope" })).statusCode).toBe(404);
  });
});
