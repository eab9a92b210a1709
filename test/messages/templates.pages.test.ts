import { describe, expect, it } from "vitest";
import { AccountMailSender } from "../../src/accounts/account-mail.sender.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import { TEST_LIMIT } from "../../src/messages/messages.service.js";
import { buildApi } from "../api/support.js";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";

describe("message templates on the form, the API, previews and test sends", () => {
  it("refuses a template mistake at save with line and column, keeping what was typed", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const res = await admin.post(
      "/messages/new",
      {
        subject: "Hi {{ recipient.first_name }}",
        body: "Hello\n{{ recipient.nmae }}",
        format: "markdown",
        layout_id: "",
      },
      { from: "/messages/new" },
    );
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain("Line 2, column 4: unknown variable: recipient.nmae");
    expect(res.body).toContain("Hello\n{{ recipient.nmae }}");
    expect(res.body).toMatch(/<option value="markdown" selected/);
    const unclosed = await admin.post(
      "/messages/new",
      { subject: "{% if x %}", body: "ok", format: "text", layout_id: "" },
      { from: "/messages/new" },
    );
    expect(unclosed.statusCode).toBe(422);
    expect(unclosed.body).toContain("Line 1, column 1: tag {% if x %} not closed");
  });

  it("shows a preview whose HTML is served sandboxed, for a chosen recipient", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const layout = await database.db.selectFrom("layouts").select("id").executeTakeFirstOrThrow();
    const created = await admin.post(
      "/messages/new",
      {
        subject: "Hello {{ recipient.first_name }}",
        body: "**Dear** {{ recipient.full_name }} <script>alert(1)</script>",
        format: "markdown",
        layout_id: String(layout.id),
      },
      { from: "/messages/new" },
    );
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    await admin.post(
      "/recipients/new",
      { email: "olga@example.com", full_name: "Olga <b>Ivanova</b>", comment: "" },
      { from: "/recipients/new" },
    );
    const recipient = await database.db.selectFrom("recipients").select("id").executeTakeFirstOrThrow();
    const page = await admin.get(`/messages/${id}?recipient_id=${recipient.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<iframe[^>]*\ssandbox[\s>=]/);
    expect(page.body).toContain("Hello Olga");
    // "Show" beside the recipient picker stays one word (squeezed, it broke into "Sho / w").
    expect(page.body).toContain(
      'class="btn btn-sm btn-outline-secondary text-nowrap flex-shrink-0" type="submit">Show',
    );
    expect(page.body).not.toContain("<script>alert(1)");
    const frame = await admin.get(`/messages/${id}/preview.html?recipient_id=${recipient.id}`);
    expect(frame.headers["content-security-policy"]).toMatch(/^sandbox; default-src 'none'/);
    expect(frame.body).toContain("<strong>Dear</strong> Olga &lt;b&gt;Ivanova&lt;/b&gt;");
  });

  it("API: 422 with line and column, preview for a recipient, test send queued with [Test] and rate-limited", async () => {
    const { api, database, services } = await buildApi();
    const bad = await api.call("POST", "/messages", { subject: "S", body: "{{ x | nope }}", format: "html" });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().errors).toEqual([{ field: "body", message: "Line 1, column 1: unknown filter: nope" }]);
    const unknownField = await api.call("POST", "/messages", {
      subject: "S",
      body: "{{ recipient.fields.city }}",
    });
    expect(unknownField.json().errors).toEqual([
      { field: "body", message: "Line 1, column 4: unknown variable: recipient.fields.city" },
    ]);
    await services.fields.create(api.user, { key: "city", label: "City", type: "text" });
    expect(
      (await api.call("POST", "/messages", { subject: "S", body: "{{ recipient.fields.city }}" })).statusCode,
    ).toBe(201);
    const message = (
      await api.call("POST", "/messages", {
        subject: "Hi {{ recipient.first_name }}",
        body: "<p>Hello {{ recipient.full_name }}</p>",
        format: "html",
      })
    ).json();
    expect(message).toMatchObject({ format: "html", layout_id: null });
    const r = (
      await api.call("POST", "/recipients", { email: "ivan@example.com", full_name: "Иван Петров" })
    ).json();
    const preview = await api.call("POST", `/messages/${message.id}/preview`, { recipient_id: r.id });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toMatchObject({ subject: "Hi Иван", rendered_for: "ivan@example.com" });
    expect(preview.json().html).toContain("<p>Hello Иван Петров</p>");
    expect(preview.json().text).toContain("Hello Иван Петров");
    // As a mailing with a sender identity sends it: its From and its postal address in the layout's footer.
    const now = new Date().toISOString();
    const identity = await database.db
      .insertInto("senders")
      .values({
        from_name: "Shop News",
        from_email: "news@shop.example",
        reply_to: null,
        postal_address: "5 Market Square, Riga",
        created_at: now,
        updated_at: now,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const layout = await database.db.selectFrom("layouts").select("id").executeTakeFirstOrThrow();
    await api.call("PATCH", `/messages/${message.id}`, { layout_id: layout.id });
    const asSender = await api.call("POST", `/messages/${message.id}/preview`, { sender_id: identity.id });
    expect(asSender.json().from).toBe('"Shop News" <news@shop.example>');
    expect(asSender.json().text).toContain("5 Market Square, Riga");
    expect(asSender.json().text).toContain("on Shop News's list");
    expect((await api.call("POST", `/messages/${message.id}/preview`, { sender_id: 999 })).statusCode).toBe(
      404,
    );

    const tooMany = await api.call("POST", `/messages/${message.id}/test`, {
      to: ["a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test", "f@x.test"],
    });
    expect(tooMany.statusCode).toBe(422);
    const test = await api.call("POST", `/messages/${message.id}/test`, {
      to: "qa@example.com, boss@example.com",
      recipient_id: r.id,
    });
    expect(test.statusCode).toBe(202);
    expect(test.json()).toEqual({ to: ["qa@example.com", "boss@example.com"] });
    const queued = await database.db
      .selectFrom("account_emails")
      .selectAll()
      .where("kind", "=", "test")
      .execute();
    expect(queued.map((q) => q.subject)).toEqual(["[Test] Hi Иван", "[Test] Hi Иван"]);

    // Sent by the account-mail loop through the mailer, as multipart; no run is created.
    const sender = new AccountMailSender({
      db: database.db,
      mailer: new OutboxMailer(database.db),
      from: "PostPilot <pp@example.com>",
      policy: { baseMs: 1000, maxTries: 3, maxAgeMs: 60_000 },
    });
    expect(await sender.runOnce()).toBe(2);
    const outbox = await database.db.selectFrom("outbox_messages").selectAll().execute();
    expect(outbox).toHaveLength(2);
    expect(outbox[0]!.raw).toContain("multipart/alternative");
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);

    for (let sent = 2; sent + 5 <= TEST_LIMIT; sent += 5) {
      const ok = await api.call("POST", `/messages/${message.id}/test`, {
        to: ["a@x.test", "b@x.test", "c@x.test", "d@x.test", "e@x.test"],
      });
      expect(ok.statusCode).toBe(202);
    }
    const limited = await api.call("POST", `/messages/${message.id}/test`, {
      to: ["z@x.test", "y@x.test", "w@x.test", "v@x.test"],
    });
    expect(limited.statusCode).toBe(409);
    expect(limited.json().detail).toContain(`${TEST_LIMIT} test emails an hour`);
  });
});
