import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { User } from "../../src/db/schema.js";
import { LIMITS } from "../../src/shared/fields.js";
import { build, type Client, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

async function userNamed(database: Database, email: string): Promise<User> {
  return database.db
    .selectFrom("users")
    .selectAll()
    .where("email_normalized", "=", email.toLowerCase())
    .executeTakeFirstOrThrow();
}

async function addRecipient(client: Client, form: Record<string, string>) {
  return client.post("/recipients/new", form, { from: "/recipients/new" });
}

/** The emails in the list table, in order. */
const listedEmails = (html: string) =>
  [...html.matchAll(/<a href="\/recipients\/\d+">([^<]*)<\/a>/g)].map((m) => m[1]);

describe("recipient pages", () => {
  it("creates, shows, lists, edits and deletes a recipient through the forms", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const created = await addRecipient(admin, {
      email: " Ann@Example.com ",
      full_name: "Ann Smith",
      comment: "Met at the fair",
    });
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    const detail = await admin.get(`/recipients/${id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toContain("Recipient Ann@Example.com added.");
    expect(detail.body).toContain("Ann Smith");
    expect(detail.body).toContain("Met at the fair");
    expect(detail.body).toContain("Not in any mailing yet.");
    expect((await admin.get("/recipients")).body).toContain("Ann@Example.com");

    const edit = await admin.get(`/recipients/${id}/edit`);
    expect(edit.body).toContain('value="Ann@Example.com"');
    const saved = await admin.post(
      `/recipients/${id}/edit`,
      { email: "ann@example.org", full_name: "Ann Jones", comment: "" },
      { from: `/recipients/${id}/edit` },
    );
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/recipients/${id}`);
    const after = await admin.get(`/recipients/${id}`);
    expect(after.body).toContain("ann@example.org");
    expect(after.body).toContain("Ann Jones");
    expect(after.body).not.toContain("Met at the fair");

    const confirm = await admin.get(`/recipients/${id}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain("They are not in any mailing.");
    const deleted = await admin.post(`/recipients/${id}/delete`, {}, { from: `/recipients/${id}/delete` });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe("/recipients");
    expect((await admin.get(`/recipients/${id}`)).statusCode).toBe(404);
    expect((await admin.get("/recipients")).body).toContain("No recipients yet");
  });

  it("names the mailings a recipient is in on the detail and delete pages", async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    const r = await services.recipients.create(user, { email: "bo@example.com" });
    const m = await services.messages.create(user, { subject: "Hi", body: "Hello" });
    for (const name of ["Autumn news", "Winter news"]) {
      await services.mailings.create(user, {
        name,
        message_id: String(m.id),
        first_send_at: "2099-01-01T09:00",
        end_at: "2099-02-01T09:00",
        periodicity: "once",
        time_zone: "UTC",
        recipient_mode: "all",
      });
    }
    expect((await admin.get(`/recipients/${r.id}`)).body).toMatch(
      /Autumn news<\/a>, <a href="\/mailings\/\d+">Winter news/,
    );
    const confirm = await admin.get(`/recipients/${r.id}/delete`);
    expect(confirm.body).toContain("these 2 mailings");
    expect(confirm.body).toContain("Autumn news, Winter news");
  });

  it("lists 25 per page, sorted by name, email or date in both directions", async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    // Names run against emails so each sort gives a different order; dates follow creation order.
    for (let i = 0; i < 30; i++) {
      const n = String(i).padStart(2, "0");
      await services.recipients.create(user, {
        email: `r${n}@example.com`,
        full_name: `Name ${String(29 - i).padStart(2, "0")}`,
      });
    }
    const first = await admin.get("/recipients");
    expect(listedEmails(first.body)).toHaveLength(25);
    expect(first.body).toContain("30 matching");
    const second = await admin.get(linkOf(first.body, "Next page"));
    expect(listedEmails(second.body)).toHaveLength(5);
    expect(new Set([...listedEmails(first.body), ...listedEmails(second.body)]).size).toBe(30);
    expect(linkOf(second.body, "Next page")).toBe("#");
    // Previous from the second page is the first page again.
    const back = await admin.get(linkOf(second.body, "Previous page"));
    expect(listedEmails(back.body)).toEqual(listedEmails(first.body));
    expect(linkOf(back.body, "Previous page")).toBe("#");
    // The cursor keeps the sort: by name, page two follows page one without a gap.
    const byName = await admin.get("/recipients?sort=full_name&dir=asc");
    const byNameNext = await admin.get(linkOf(byName.body, "Next page"));
    expect([...listedEmails(byName.body), ...listedEmails(byNameNext.body)]).toEqual(
      Array.from({ length: 30 }, (_, i) => `r${String(29 - i).padStart(2, "0")}@example.com`),
    );
    // A search pages too, and counts what it matches.
    const search = await admin.get("/recipients?q=r1");
    expect(search.body).toContain("10 matching");
    expect(listedEmails(search.body)).toHaveLength(10);

    const byEmailAsc = listedEmails((await admin.get("/recipients?sort=email&dir=asc")).body);
    expect(byEmailAsc[0]).toBe("r00@example.com");
    expect(byEmailAsc[24]).toBe("r24@example.com");
    expect(listedEmails((await admin.get("/recipients?sort=email&dir=desc")).body)[0]).toBe(
      "r29@example.com",
    );
    expect(listedEmails((await admin.get("/recipients?sort=full_name&dir=asc")).body)[0]).toBe(
      "r29@example.com",
    );
    expect(listedEmails((await admin.get("/recipients?sort=full_name&dir=desc")).body)[0]).toBe(
      "r00@example.com",
    );
    const newest = listedEmails((await admin.get("/recipients?sort=created_at&dir=desc")).body);
    const oldest = listedEmails((await admin.get("/recipients?sort=created_at&dir=asc")).body);
    expect(newest[0]).toBe("r29@example.com");
    expect(oldest[0]).toBe("r00@example.com");
    // Unknown sort columns and pages fall back instead of failing.
    expect((await admin.get("/recipients?sort=password&dir=up&page=x")).statusCode).toBe(200);
    expect(listedEmails((await admin.get("/recipients?page=99")).body)).toHaveLength(0);
    // A cursor that is not ours starts the list over.
    expect(listedEmails((await admin.get("/recipients?after=not-a-cursor")).body)).toHaveLength(25);
  });

  it("searches email and name, taking % and _ literally", async () => {
    const { app, database, services } = await build();
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    await services.recipients.create(user, { email: "ann@example.com", full_name: "Ann 50% off" });
    await services.recipients.create(user, { email: "bob_smith@example.com", full_name: "Bob" });
    await services.recipients.create(user, { email: "bobXsmith@example.com", full_name: "Carl" });
    await services.recipients.create(user, { email: "dora@other.org", full_name: "Dora ANNA" });

    const search = async (q: string) =>
      listedEmails((await admin.get(`/recipients?q=${encodeURIComponent(q)}&sort=email&dir=asc`)).body);
    expect(await search("ANN")).toEqual(["ann@example.com", "dora@other.org"]);
    expect(await search("other.org")).toEqual(["dora@other.org"]);
    expect(await search("%")).toEqual(["ann@example.com"]);
    expect(await search("bob_")).toEqual(["bob_smith@example.com"]);
    expect(await search("_")).toEqual(["bob_smith@example.com"]);
    expect(await search("nobody")).toEqual([]);
    expect((await admin.get("/recipients?q=nobody")).body).toContain("No recipients match your search");
  });

  it("refuses a duplicate email (any case, any spaces) with a 409 form error linking to the existing recipient", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const first = idFromLocation(await addRecipient(admin, { email: "Ann@Example.com" }));
    const dup = await addRecipient(admin, {
      email: "  ann@EXAMPLE.com ",
      full_name: "Second Ann",
      comment: "typed comment",
    });
    expect(dup.statusCode).toBe(409);
    expect(dup.body).toContain("You already have a recipient with this email.");
    expect(dup.body).toContain(`<a href="/recipients/${first}">Open Ann@Example.com</a>`);
    expect(dup.body).toContain('value="Second Ann"');
    expect(dup.body).toContain("typed comment");
    expect(dup.body).toContain('value="  ann@EXAMPLE.com "');
    expect(listedEmails((await admin.get("/recipients")).body)).toEqual(["Ann@Example.com"]);

    // On edit too, but a recipient may change the case of its own email.
    const other = idFromLocation(await addRecipient(admin, { email: "bob@example.com" }));
    const clash = await admin.post(
      `/recipients/${other}/edit`,
      { email: "ANN@example.com", full_name: "Bob", comment: "" },
      { from: `/recipients/${other}/edit` },
    );
    expect(clash.statusCode).toBe(409);
    expect(clash.body).toContain(`href="/recipients/${first}"`);
    expect((await admin.get(`/recipients/${other}`)).body).toContain("bob@example.com");
    const recased = await admin.post(
      `/recipients/${first}/edit`,
      { email: "ANN@example.com", full_name: "", comment: "" },
      { from: `/recipients/${first}/edit` },
    );
    expect(recased.statusCode).toBe(303);
  });

  it("leaves uniqueness to the database index, not only to a check before insert", async () => {
    const { app, database, services } = await build();
    await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    await services.recipients.create(user, { email: "ann@example.com" });
    await expect(
      database.db
        .insertInto("recipients")
        .values({
          owner_id: user.id,
          email: "ANN@example.com",
          email_normalized: "ann@example.com",
          full_name: "",
          comment: "",
          created_at: "2027-01-01T00:00:00Z",
          updated_at: "2027-01-01T00:00:00Z",
        })
        .execute(),
    ).rejects.toThrow();
    // Two requests racing past any check still end in one row and a conflict, not a 500.
    const results = await Promise.allSettled([
      services.recipients.create(user, { email: "race@example.com" }),
      services.recipients.create(user, { email: "RACE@example.com" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(rejected.reason.constructor.name).toBe("ConflictError");
  });

  it("lets two users keep the same email", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const user = await registerUser(app, "user@example.com");
    expect((await addRecipient(admin, { email: "shared@example.com" })).statusCode).toBe(303);
    expect((await addRecipient(user, { email: "SHARED@example.com" })).statusCode).toBe(303);
    expect((await user.get("/recipients")).body).toContain("SHARED@example.com");
    expect((await user.get("/recipients")).body).not.toContain("shared@example.com");
  });
});

const XSS = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`;
const XSS_ESCAPED = "&lt;script>alert(1)&lt;/script>";

describe("recipient pages with bad input", () => {
  it("shows a field error and keeps the other fields for an invalid email, a missing email and over-long fields", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const cases: [Record<string, string>, string, string][] = [
      [{ email: "not-an-email", full_name: "Kept Name" }, "Enter a valid email address", 'value="Kept Name"'],
      [{ email: "", full_name: "Kept Name", comment: "kept comment" }, "Email is required.", "kept comment"],
      [{ full_name: "Kept Name" }, "Email is required.", 'value="Kept Name"'],
      [
        { email: `${"a".repeat(LIMITS.email)}@example.com`, full_name: "Kept Name" },
        `Email must be at most ${LIMITS.email} characters.`,
        'value="Kept Name"',
      ],
      [
        { email: "a@example.com", full_name: "n".repeat(LIMITS.name + 1) },
        `Full name must be at most ${LIMITS.name} characters.`,
        'value="a@example.com"',
      ],
      [
        { email: "a@example.com", comment: "c".repeat(LIMITS.comment + 1) },
        `Comment must be at most ${LIMITS.comment} characters.`,
        'value="a@example.com"',
      ],
      [
        { email: ["a@example.com", "b@example.com"] as unknown as string },
        "Email is required.",
        "a@example.com",
      ],
      [
        { email: "a\u0000@example.com", full_name: "Kept Name" },
        "Email contains a character that is not allowed.",
        'value="Kept Name"',
      ],
      [
        { email: "a@example.com", full_name: "nul\u0000", comment: "x\u0000" },
        "Full name contains a character that is not allowed.",
        "Comment contains a character that is not allowed.",
      ],
    ];
    for (const [form, error, kept] of cases) {
      const res = await addRecipient(admin, form);
      expect(res.statusCode, error).toBe(422);
      expect(res.body).toContain(error);
      expect(res.body).toContain(kept);
      expect(res.body).toContain('aria-invalid="true"');
    }
    const id = idFromLocation(await addRecipient(admin, { email: "ok@example.com", full_name: "Okay" }));
    const bad = await admin.post(
      `/recipients/${id}/edit`,
      { email: "broken", full_name: "New name" },
      { from: `/recipients/${id}/edit` },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('value="New name"');
    expect((await admin.get(`/recipients/${id}`)).body).toContain("Okay");
    expect(listedEmails((await admin.get("/recipients")).body)).toEqual(["ok@example.com"]);
    expect((await admin.get("/recipients?q=%00")).statusCode).toBe(200);
  });

  it("renders an XSS payload in every field as text on the list, detail, edit and error pages", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    // The email check refuses < > and quotes, so the stored address carries only ' and &.
    const email = "o'neil&co@example.com";
    const res = await addRecipient(admin, { email, full_name: XSS, comment: XSS });
    expect(res.statusCode).toBe(303);
    const id = idFromLocation(res);
    const pages = [
      await admin.get("/recipients"),
      await admin.get(`/recipients/${id}`),
      await admin.get(`/recipients/${id}/edit`),
      await admin.get(`/recipients/${id}/delete`),
      await admin.get(`/recipients?q=${encodeURIComponent(XSS)}`),
      await addRecipient(admin, { email: XSS, full_name: XSS, comment: XSS }),
      await addRecipient(admin, { email: `${XSS}@example.com`, full_name: XSS }),
    ];
    for (const page of pages) {
      expect(page.statusCode).toBeLessThan(500);
      expect(page.body).not.toContain("<script>alert(1)");
      expect(page.body).not.toContain("<img src=x");
    }
    expect(pages[1]!.body).toContain(XSS_ESCAPED);
    expect(pages[2]!.body).toContain(XSS_ESCAPED);
    expect(pages[0]!.body).toContain("o'neil&amp;co@example.com");
    expect(pages[5]!.body).toContain(XSS_ESCAPED);
    expect(pages[6]!.statusCode).toBe(422);
    expect(pages[6]!.body).toContain(XSS_ESCAPED);
  });
});

/** The href of the pager link with this aria-label (entities decoded). */
function linkOf(body: string, label: string): string {
  const m = new RegExp(`href="([^"]*)" aria-label="${label}"`).exec(body);
  if (!m?.[1]) throw new Error(`no ${label} link`);
  return m[1].replaceAll("&amp;", "&");
}
