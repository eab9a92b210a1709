import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { MailingStatus, User } from "../../src/db/schema.js";
import { LIMITS } from "../../src/shared/fields.js";
import type { Clock } from "../../src/shared/time.js";
import { build, type Client, type Form, idFromLocation, registerUser, setupAdmin } from "../helpers/web.js";

const XSS = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`;
const XSS_ESCAPED = "&lt;script>alert(1)&lt;/script>";
const NOW = new Date("2026-12-01T10:00:00Z");
const clock: Clock = { now: () => NOW };

async function userNamed(database: Database, email: string): Promise<User> {
  return database.db
    .selectFrom("users")
    .selectAll()
    .where("email_normalized", "=", email.toLowerCase())
    .executeTakeFirstOrThrow();
}

async function addMessage(client: Client, subject = "Hello"): Promise<number> {
  const res = await client.post("/messages/new", { subject, body: "Body" }, { from: "/messages/new" });
  return idFromLocation(res);
}

const mailingForm = (messageId: number, overrides: Form = {}): Form => ({
  name: "Spring news",
  message_id: String(messageId),
  first_send_at: "2027-03-01T09:00",
  end_at: "2027-04-01T09:00",
  periodicity: "weekly",
  time_zone: "Europe/Berlin",
  recipient_mode: "all",
  ...overrides,
});

async function postMailing(client: Client, form: Form) {
  return client.post("/mailings/new", form, { from: "/mailings/new" });
}

async function mailingRow(database: Database, id: number) {
  return database.db.selectFrom("mailings").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
}

async function memberCount(database: Database, mailingId: number): Promise<number> {
  const row = await database.db
    .selectFrom("mailing_recipients")
    .where("mailing_id", "=", mailingId)
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function tableCount(
  database: Database,
  table: "mailings" | "messages" | "recipients",
): Promise<number> {
  const row = await database.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inserts recipients straight into the table (fast), returning their ids in order. */
async function seedRecipients(database: Database, owner: User, emails: string[]): Promise<number[]> {
  const rows = await database.db
    .insertInto("recipients")
    .values(
      emails.map((email, i) => ({
        owner_id: owner.id,
        email,
        email_normalized: email.toLowerCase(),
        full_name: `Person ${i}`,
        comment: "",
        created_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
      })),
    )
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

/** The error shown under one form field. */
const fieldError = (html: string, field: string) =>
  new RegExp(`id="f-${field}-error" class="invalid-feedback">([^<]*)`).exec(html)?.[1];

describe("mailing pages", () => {
  it("pages the mailings list by cursor, keeping the sort and search, with N matching", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const owner = await userNamed(database, "admin@example.com");
    await database.db
      .insertInto("mailings")
      .values(
        Array.from({ length: 30 }, (_, i) => ({
          owner_id: owner.id,
          name: `M${String(i).padStart(2, "0")}${i % 2 === 0 ? " even" : ""}`,
          message_id: messageId,
          first_send_at: "2027-03-01T08:00:00.000Z",
          end_at: "2027-04-01T08:00:00.000Z",
          periodicity: "once" as const,
          time_zone: "UTC",
          status: "created" as const,
          next_run_at: null,
          created_at: NOW.toISOString(),
          updated_at: NOW.toISOString(),
        })),
      )
      .execute();
    const names = (html: string) => [...html.matchAll(/>(M\d\d(?: even)?)</g)].map((m) => m[1]);
    const next = (html: string) =>
      /href="([^"]*)" aria-label="Next page"/.exec(html)?.[1]?.replaceAll("&amp;", "&") ?? "";
    const first = await admin.get("/mailings?sort=name&dir=asc");
    expect(first.body).toContain("30 matching");
    const second = await admin.get(next(first.body));
    expect([...names(first.body), ...names(second.body)]).toEqual(
      Array.from({ length: 30 }, (_, i) => `M${String(i).padStart(2, "0")}${i % 2 === 0 ? " even" : ""}`),
    );
    expect(next(second.body)).toBe("#");
    // Every mailing has the same created_at (the default sort): the id breaks the tie, no row lost or repeated.
    const newest = await admin.get("/mailings");
    const older = await admin.get(next(newest.body));
    expect(new Set([...names(newest.body), ...names(older.body)]).size).toBe(30);
    const searched = await admin.get("/mailings?q=even");
    // One page: all 15 matches, no pager.
    expect(names(searched.body)).toHaveLength(15);
    expect(searched.body).not.toContain('aria-label="Next page"');
  });

  it("stores times entered in the mailing's zone as UTC and shows them back in that zone", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const winter = await postMailing(admin, mailingForm(messageId));
    expect(winter.statusCode).toBe(303);
    const id = idFromLocation(winter);
    const row = await mailingRow(database, id);
    expect(row.first_send_at).toBe("2027-03-01T08:00:00.000Z");
    expect(row.end_at).toBe("2027-04-01T07:00:00.000Z");
    expect(row.time_zone).toBe("Europe/Berlin");
    expect(row.status).toBe("created");
    expect(row.next_run_at).toBe("2027-03-01T08:00:00.000Z");

    const detail = await admin.get(`/mailings/${id}`);
    expect(detail.body).toContain("Mailing “Spring news” created.");
    expect(detail.body).toContain("1 Mar 2027, 09:00 (Europe/Berlin)");
    const edit = await admin.get(`/mailings/${id}/edit`);
    expect(edit.body).toMatch(/name="first_send_at"[^>]*value="2027-03-01T09:00"/);
    expect(edit.body).toContain('value="2027-04-01T09:00"');
    expect(edit.body).toMatch(/<option value="Europe\/Berlin" selected/);

    const summer = await postMailing(
      admin,
      mailingForm(messageId, { first_send_at: "2027-07-01T09:00", end_at: "2027-08-01T09:00" }),
    );
    const summerRow = await mailingRow(database, idFromLocation(summer));
    expect(summerRow.first_send_at).toBe("2027-07-01T07:00:00.000Z");
    expect((await admin.get(`/mailings/${summerRow.id}/edit`)).body).toContain('value="2027-07-01T09:00"');

    const saved = await admin.post(
      `/mailings/${id}/edit`,
      mailingForm(messageId, { name: "Renamed", time_zone: "America/New_York" }),
      { from: `/mailings/${id}/edit` },
    );
    expect(saved.statusCode).toBe(303);
    const changed = await mailingRow(database, id);
    expect(changed.name).toBe("Renamed");
    expect(changed.first_send_at).toBe("2027-03-01T14:00:00.000Z");
  });

  it("starts a new mailing with all, matching or no recipients", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    await seedRecipients(database, user, ["a@example.com", "b@example.com", "c@example.org"]);
    const messageId = await addMessage(admin);

    // "All my recipients" is live: nobody is picked, and the audience grows with the recipients.
    const all = idFromLocation(await postMailing(admin, mailingForm(messageId, { recipient_mode: "all" })));
    expect(await memberCount(database, all)).toBe(0);
    expect((await admin.get(`/mailings/${all}`)).body).toMatch(/about 3 now/);
    await seedRecipients(database, user, ["later@example.net"]);
    expect((await admin.get(`/mailings/${all}`)).body).toMatch(/about 4 now/);
    const matching = idFromLocation(
      await postMailing(
        admin,
        mailingForm(messageId, { recipient_mode: "matching", recipient_q: "EXAMPLE.com" }),
      ),
    );
    expect(await memberCount(database, matching)).toBe(2);
    const none = idFromLocation(await postMailing(admin, mailingForm(messageId, { recipient_mode: "none" })));
    expect(await memberCount(database, none)).toBe(0);
    expect((await admin.get(`/mailings/${none}`)).body).toContain("This mailing has no recipients");

    const empty = await postMailing(
      admin,
      mailingForm(messageId, { recipient_mode: "matching", recipient_q: "" }),
    );
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain("Enter the text recipients must match.");
    expect(empty.body).toMatch(/value="matching" checked/);
    expect(await tableCount(database, "mailings")).toBe(3);
  });

  it("refuses another user's message as a field error and creates nothing", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const other = await registerUser(app, "other@example.com");
    const othersMessage = await addMessage(other, "Not yours");
    await addMessage(admin, "Mine");
    const res = await postMailing(admin, mailingForm(othersMessage));
    expect(res.statusCode).toBe(422);
    expect(fieldError(res.body, "message_id")).toBe("Choose one of your messages.");
    expect(res.body).toContain('value="Spring news"');
    expect(res.body).not.toContain("Not yours");
    expect(await tableCount(database, "mailings")).toBe(0);

    // Nor can an edit switch a mailing to it.
    const mine = idFromLocation(await postMailing(admin, mailingForm(await addMessage(admin, "Also mine"))));
    const before = await mailingRow(database, mine);
    const edit = await admin.post(`/mailings/${mine}/edit`, mailingForm(othersMessage), {
      from: `/mailings/${mine}/edit`,
    });
    expect(edit.statusCode).toBe(422);
    expect(await mailingRow(database, mine)).toEqual(before);
  });

  it("puts an end before, at or after the first send, or in the past, on the end field", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const cases: [Form, string][] = [
      [{ end_at: "2027-03-01T08:00" }, "End must be after the first send."],
      [{ end_at: "2027-03-01T09:00" }, "End must be after the first send."],
      [
        { first_send_at: "2026-01-01T09:00", end_at: "2026-02-01T09:00" },
        "End is in the past: the mailing would never send.",
      ],
    ];
    for (const [overrides, error] of cases) {
      const res = await postMailing(admin, mailingForm(messageId, { name: "Kept name", ...overrides }));
      expect(res.statusCode).toBe(422);
      expect(fieldError(res.body, "end_at")).toBe(error);
      expect(res.body).toContain('value="Kept name"');
      expect(res.body).toContain(`value="${overrides.end_at}"`);
    }
    expect(await tableCount(database, "mailings")).toBe(0);
  });

  it("shows Created, Running and Completed badges on the list, detail and dashboard", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const ids: Record<MailingStatus, number> = { created: 0, running: 0, completed: 0 };
    for (const status of ["created", "running", "completed"] as const) {
      ids[status] = idFromLocation(await postMailing(admin, mailingForm(messageId, { name: `M ${status}` })));
      await database.db.updateTable("mailings").set({ status }).where("id", "=", ids[status]).execute();
    }
    const badge = (label: string) => new RegExp(`<span class="badge [^"]*"><i[^>]*></i> ${label}</span>`);
    const list = (await admin.get("/mailings")).body;
    const home = (await admin.get("/")).body;
    for (const label of ["Created", "Running", "Completed"]) {
      expect(list).toMatch(badge(label));
      expect(home).toMatch(badge(label));
    }
    expect((await admin.get(`/mailings/${ids.running}`)).body).toMatch(badge("Running"));
    expect((await admin.get(`/mailings/${ids.completed}`)).body).toContain("None: the mailing is completed.");
    const byStatus = (await admin.get("/mailings?sort=status&dir=asc")).body;
    expect(byStatus.indexOf("M completed")).toBeLessThan(byStatus.indexOf("M created"));
    expect(byStatus.indexOf("M created")).toBeLessThan(byStatus.indexOf("M running"));
  });

  it("lists the next planned sends of a future mailing in its zone", async () => {
    const { app } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const id = idFromLocation(
      await postMailing(
        admin,
        mailingForm(messageId, { periodicity: "daily", first_send_at: "2027-03-27T09:00" }),
      ),
    );
    const page = (await admin.get(`/mailings/${id}`)).body;
    const planned = [...page.matchAll(/<time datetime="([^"]+)">([^<]+)<\/time>/g)];
    expect(planned.map((m) => m[2])).toEqual([
      "27 Mar 2027, 09:00 (Europe/Berlin)",
      "28 Mar 2027, 09:00 (Europe/Berlin)",
      "29 Mar 2027, 09:00 (Europe/Berlin)",
      "30 Mar 2027, 09:00 (Europe/Berlin)",
      "31 Mar 2027, 09:00 (Europe/Berlin)",
    ]);
    // Across the change to summer time the local time stays, so the UTC instant moves.
    expect(planned[0]![1]).toBe("2027-03-27T08:00:00.000Z");
    expect(planned[1]![1]).toBe("2027-03-28T07:00:00.000Z");
  });

  it("shows an End on a repeating mailing's page and none on a one-off's", async () => {
    const { app } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const terms = async (form: Form) => {
      const id = idFromLocation(await postMailing(admin, mailingForm(messageId, form)));
      const page = (await admin.get(`/mailings/${id}`)).body;
      return [...page.matchAll(/<dt class="col-sm-3">([^<]+)<\/dt>/g)].map((m) => m[1]);
    };
    expect(await terms({ periodicity: "weekly" })).toContain("End");
    const once = await terms({ name: "One-off", periodicity: "once", end_at: "" });
    expect(once).toContain("First send");
    expect(once).not.toContain("End");
  });

  it("keeps the message and recipients when a mailing is deleted", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    await seedRecipients(database, user, ["a@example.com", "b@example.com"]);
    const messageId = await addMessage(admin);
    const id = idFromLocation(await postMailing(admin, mailingForm(messageId)));
    const confirm = await admin.get(`/mailings/${id}/delete`);
    expect(confirm.body).toContain("Its message and recipients are kept.");
    const deleted = await admin.post(`/mailings/${id}/delete`, {}, { from: `/mailings/${id}/delete` });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe("/mailings");
    expect((await admin.get(`/mailings/${id}`)).statusCode).toBe(404);
    expect(await tableCount(database, "mailings")).toBe(0);
    expect(await tableCount(database, "messages")).toBe(1);
    expect(await tableCount(database, "recipients")).toBe(2);
    expect(await memberCount(database, id)).toBe(0);
    expect((await admin.get("/mailings")).body).toContain("No mailings yet");
  });

  it("drops a deleted recipient from its mailings, which still render", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    const [gone] = await seedRecipients(database, user, ["gone@example.com", "stays@example.com"]);
    const id = idFromLocation(
      await postMailing(
        admin,
        mailingForm(await addMessage(admin), { recipient_mode: "matching", recipient_q: "example.com" }),
      ),
    );
    expect(await memberCount(database, id)).toBe(2);
    const confirm = await admin.get(`/recipients/${gone}/delete`);
    expect(confirm.body).toContain("They will be removed from this mailing");
    await admin.post(`/recipients/${gone}/delete`, {}, { from: `/recipients/${gone}/delete` });
    expect(await memberCount(database, id)).toBe(1);
    const detail = await admin.get(`/mailings/${id}`);
    expect(detail.statusCode).toBe(200);
    expect(detail.body).toMatch(/about 1 now/);
    const members = await admin.get(`/mailings/${id}/recipients?show=in`);
    expect(members.statusCode).toBe(200);
    expect(members.body).toContain("stays@example.com");
    expect(members.body).not.toContain("gone@example.com");
  });
  it("keeps send records when a recipient is deleted and drops them with the mailing", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    const [recipient] = await seedRecipients(database, user, ["sent@example.com"]);
    const id = idFromLocation(await postMailing(admin, mailingForm(await addMessage(admin))));
    const at = NOW.toISOString();
    const run = await database.db
      .insertInto("runs")
      .values({
        mailing_id: id,
        trigger: "web",
        actor_user_id: user.id,
        status: "success",
        scheduled_for: at,
        subject: "Hello",
        body: "Body",
        total_count: 1,
        sent_count: 1,
        failed_count: 0,
        response: null,
        started_at: at,
        finished_at: at,
        created_at: at,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await database.db
      .insertInto("deliveries")
      .values({
        run_id: run.id,
        recipient_id: recipient!,
        email: "sent@example.com",
        status: "sent",
        tries: 1,
        next_attempt_at: at,
        lease_owner: null,
        lease_expires_at: null,
        last_code: 250,
        last_enhanced: null,
        last_text: "OK",
        message_id: null,
        created_at: at,
        sent_at: at,
        updated_at: at,
      })
      .execute();

    const gone = await admin.post(`/recipients/${recipient}/delete`, {}, { from: "/recipients" });
    expect(gone.statusCode).toBe(303);
    const kept = await database.db.selectFrom("deliveries").selectAll().executeTakeFirstOrThrow();
    expect(kept.email).toBe("sent@example.com");
    expect(kept.recipient_id).toBeNull();
    expect((await admin.get(`/mailings/${id}`)).statusCode).toBe(200);

    expect((await admin.post(`/mailings/${id}/delete`, {}, { from: "/mailings" })).statusCode).toBe(303);
    expect(await database.db.selectFrom("runs").selectAll().execute()).toEqual([]);
    expect(await database.db.selectFrom("deliveries").selectAll().execute()).toEqual([]);
  });

  it("sorts the list by every column in both directions", async () => {
    const { app } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    for (const [name, first] of [
      ["beta", "2027-03-02T09:00"],
      ["Alpha", "2027-03-03T09:00"],
      ["gamma", "2027-03-01T09:00"],
    ] as const) {
      await postMailing(admin, mailingForm(messageId, { name, first_send_at: first }));
    }
    const names = async (query: string) => {
      const res = await admin.get(`/mailings?${query}`);
      expect(res.statusCode, query).toBe(200);
      return [...res.body.matchAll(/<a href="\/mailings\/\d+">([^<]+)<\/a>/g)].map((m) => m[1]);
    };
    expect(await names("sort=name&dir=asc")).toEqual(["Alpha", "beta", "gamma"]);
    expect(await names("sort=name&dir=desc")).toEqual(["gamma", "beta", "Alpha"]);
    expect(await names("sort=first_send_at&dir=asc")).toEqual(["gamma", "beta", "Alpha"]);
    expect(await names("sort=first_send_at&dir=desc")).toEqual(["Alpha", "beta", "gamma"]);
    expect(await names("sort=created_at&dir=asc")).toEqual(["beta", "Alpha", "gamma"]);
    expect(await names("sort=created_at&dir=desc")).toEqual(["gamma", "Alpha", "beta"]);
    expect(await names("sort=status&dir=desc")).toHaveLength(3);
    expect(await names("q=ALP")).toEqual(["Alpha"]);
    expect(await names("q=hello")).toHaveLength(3);
  });
});

describe("mailing recipients page", () => {
  async function setup() {
    const t = await build({ clock });
    const admin = await setupAdmin(t.app);
    const user = await userNamed(t.database, "admin@example.com");
    const emails = Array.from({ length: 300 }, (_, i) =>
      i < 200 ? `user${i}@alpha.example` : `user${i}@beta.example`,
    );
    const ids = await seedRecipients(t.database, user, emails);
    const mailingId = idFromLocation(
      await postMailing(admin, mailingForm(await addMessage(admin), { recipient_mode: "none" })),
    );
    const path = `/mailings/${mailingId}/recipients`;
    const change = (form: Form, query = "") => admin.post(`${path}${query}`, form, { from: path });
    return { ...t, admin, user, ids, mailingId, path, change };
  }

  it("adds and removes ticked recipients, and all matching a search, with the counts to match", async () => {
    const { admin, database, ids, mailingId, path, change } = await setup();
    const page = await admin.get(path);
    expect(page.body).toContain("<strong>0 recipients</strong> are individually picked");
    expect(page.body).toContain("Add all 300");
    expect([...page.body.matchAll(/name="ids"/g)]).toHaveLength(25);

    const added = await change({ action: "add", ids: ids.slice(0, 3).map(String) }, "?show=all&page=1");
    expect(added.statusCode).toBe(303);
    expect(added.headers.location).toBe(`${path}?show=all&page=1`);
    expect((await admin.get(added.headers.location as string)).body).toContain("3 recipients added.");
    expect(await memberCount(database, mailingId)).toBe(3);

    expect((await change({ action: "add", ids: ids.slice(0, 3).map(String) })).statusCode).toBe(303);
    expect(await memberCount(database, mailingId)).toBe(3);

    await change({ action: "remove", ids: String(ids[0]) });
    expect(await memberCount(database, mailingId)).toBe(2);

    const searched = await admin.get(`${path}?q=BETA`);
    expect(searched.body).toContain("Add all 100 matching");
    expect(searched.body).toContain("100 in all");
    expect(searched.body).not.toContain("alpha.example");

    await change({ action: "add_matching", q: "beta" });
    expect(await memberCount(database, mailingId)).toBe(102);
    expect((await admin.get(`${path}?show=in`)).body).toContain("102 in all");
    expect((await admin.get(`${path}?show=out`)).body).toContain("198 in all");
    expect((await admin.get(`/mailings/${mailingId}`)).body).toContain("about 102 now");

    await change({ action: "remove_matching", q: "beta" });
    expect(await memberCount(database, mailingId)).toBe(2);

    await change({ action: "add_matching", q: "" });
    expect(await memberCount(database, mailingId)).toBe(300);
    await change({ action: "remove_matching", q: "user1" });
    // user1, user10–19, user100–199
    expect(await memberCount(database, mailingId)).toBe(300 - 111);
    await change({ action: "remove_matching", q: "" });
    expect(await memberCount(database, mailingId)).toBe(0);
  });

  it("takes % and _ in the search literally", async () => {
    const { admin, database, user, mailingId, path, change } = await setup();
    await seedRecipients(database, user, ["under_score@gamma.example", "100%@gamma.example"]);
    expect((await admin.get(`${path}?q=_`)).body).toContain("Add all 1 matching");
    await change({ action: "add_matching", q: "%" });
    expect(await memberCount(database, mailingId)).toBe(1);
  });

  it("ignores ticked ids that belong to another user", async () => {
    const { app, admin, database, ids, mailingId, change } = await setup();
    await registerUser(app, "other@example.com");
    const other = await userNamed(database, "other@example.com");
    const [foreign] = await seedRecipients(database, other, ["theirs@example.com"]);
    const refused = await change({ action: "add", ids: String(foreign) });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain("Tick at least one recipient first.");
    expect(await memberCount(database, mailingId)).toBe(0);

    await change({ action: "add", ids: [String(foreign), String(ids[0])] });
    const members = await database.db
      .selectFrom("mailing_recipients")
      .select("recipient_id")
      .where("mailing_id", "=", mailingId)
      .execute();
    expect(members.map((m) => m.recipient_id)).toEqual([ids[0]]);
    // Nor does "add all matching" reach another user's recipients.
    await change({ action: "add_matching", q: "theirs" });
    expect(await memberCount(database, mailingId)).toBe(1);
    expect((await admin.get(`/mailings/${mailingId}/recipients?q=theirs`)).body).toContain(
      "Nothing matches your search.",
    );
  });

  it("answers bad changes with a 422 on the same page, never a 500", async () => {
    const { database, mailingId, change } = await setup();
    for (const form of [
      {},
      { action: "explode" },
      { action: "add" },
      { action: "add", ids: "abc" },
      { action: "add", ids: "1.5" },
      { action: "add", ids: "99999999999" },
      { action: "add_matching", q: "q".repeat(LIMITS.search + 1) },
      { action: "add_matching", q: "\u0000" },
    ] as Form[]) {
      const res = await change(form);
      expect(res.statusCode, JSON.stringify(form)).toBe(422);
      expect(res.body).toContain("Recipients of Spring news");
    }
    expect(await memberCount(database, mailingId)).toBe(0);
  });
});

describe("mailing pages with bad input", () => {
  it("shows a field error for each bad field and keeps what was typed", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const messageId = await addMessage(admin);
    const cases: [Form, string, string][] = [
      [{ name: "" }, "name", "Name is required."],
      [{ name: "n".repeat(LIMITS.name + 1) }, "name", `Name must be at most ${LIMITS.name} characters.`],
      [{ name: "Two\nlines" }, "name", "Name must be a single line."],
      [{ name: "nul\u0000" }, "name", "Name contains a character that is not allowed."],
      [{ message_id: "" }, "message_id", "Choose a message."],
      [{ message_id: "abc" }, "message_id", "Choose one from the list."],
      [{ message_id: "99999999999" }, "message_id", "Choose one from the list."],
      [{ periodicity: "hourly" }, "periodicity", "Choose how often to send."],
      [{ time_zone: "Mars/Olympus" }, "time_zone", "Time zone must be a time zone such as Europe/Berlin."],
      [{ first_send_at: "tomorrow" }, "first_send_at", "First send is not a date and time."],
      [{ first_send_at: "" }, "first_send_at", "First send is required."],
      [{ end_at: "2027-02-30T09:00" }, "end_at", "End is not a date and time."],
      [{ recipient_mode: "matching", recipient_q: "q".repeat(LIMITS.search + 1) }, "recipient_q", ""],
    ];
    for (const [overrides, field, error] of cases) {
      const res = await postMailing(admin, mailingForm(messageId, { name: "Kept name", ...overrides }));
      expect(res.statusCode, JSON.stringify(overrides)).toBe(422);
      if (field === "recipient_q") expect(res.body).toContain("Search must be at most");
      else expect(fieldError(res.body, field), JSON.stringify(overrides)).toContain(error);
      if (field !== "name") expect(res.body).toContain('value="Kept name"');
    }
    expect(await tableCount(database, "mailings")).toBe(0);
  });

  it("renders an XSS payload in the name, the message subject and recipient names as text", async () => {
    const { app, database } = await build({ clock });
    const admin = await setupAdmin(app);
    const user = await userNamed(database, "admin@example.com");
    await database.db
      .insertInto("recipients")
      .values({
        owner_id: user.id,
        email: "x@example.com",
        email_normalized: "x@example.com",
        full_name: XSS,
        comment: XSS,
        created_at: NOW.toISOString(),
        updated_at: NOW.toISOString(),
      })
      .execute();
    const messageId = await addMessage(admin, XSS);
    const created = await postMailing(admin, mailingForm(messageId, { name: XSS }));
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    const pages = [
      await admin.get("/mailings"),
      await admin.get(`/mailings/${id}`),
      await admin.get(`/mailings/${id}/edit`),
      await admin.get(`/mailings/${id}/delete`),
      await admin.get(`/mailings/${id}/recipients`),
      await admin.get(`/mailings/${id}/recipients?q=${encodeURIComponent(XSS)}`),
      await admin.get(`/mailings?q=${encodeURIComponent(XSS)}`),
      await admin.get("/"),
      await admin.get(`/messages/${messageId}`),
      await postMailing(admin, mailingForm(messageId, { name: XSS, end_at: "" })),
      await postMailing(admin, mailingForm(messageId, { name: XSS, time_zone: XSS, first_send_at: XSS })),
      await postMailing(
        admin,
        mailingForm(messageId, { recipient_mode: "matching", recipient_q: "", name: `${XSS}\n` }),
      ),
    ];
    for (const [i, page] of pages.entries()) {
      expect(page.statusCode, String(i)).toBeLessThan(500);
      expect(page.body, String(i)).not.toContain("<script>alert(1)");
      expect(page.body, String(i)).not.toContain("<img src=x");
      expect(page.body, String(i)).toContain(XSS_ESCAPED);
    }
  });
});
