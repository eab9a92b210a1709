/** Sending windows: the pure maths, the form's checks, and a worker that waits for the window to open. */
import { DateTime } from "luxon";
import { afterEach, describe, expect, it } from "vitest";
import { describeWindow, nextOpening, parseSendWindow } from "../../src/delivery/window.js";
import { MailingsRepository } from "../../src/mailings/mailings.repository.js";
import { mailingSchema } from "../../src/mailings/mailings.schemas.js";
import { testDatabase } from "../helpers/db.js";
import { seedMailing } from "../helpers/fixtures.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, idFromLocation, setupAdmin } from "../helpers/web.js";
import { eventually, fastConfig, finishedRun, makeScheduler, makeWorker, smtpMailer } from "./support.js";

const weekdays = { days: [1, 2, 3, 4, 5], start: "09:00", end: "18:00" };
const berlin = (iso: string) => DateTime.fromISO(iso, { zone: "Europe/Berlin" }).toJSDate();

describe("the sending window", () => {
  it("is open inside, and names the next opening outside (weekends, evenings, DST)", () => {
    // Wednesday 2 Dec 2026.
    expect(nextOpening(weekdays, "Europe/Berlin", berlin("2026-12-02T10:00"))).toBeNull();
    expect(nextOpening(weekdays, "Europe/Berlin", berlin("2026-12-02T08:59"))).toEqual(
      berlin("2026-12-02T09:00"),
    );
    expect(nextOpening(weekdays, "Europe/Berlin", berlin("2026-12-02T18:00"))).toEqual(
      berlin("2026-12-03T09:00"),
    );
    // Friday evening → Monday 09:00.
    expect(nextOpening(weekdays, "Europe/Berlin", berlin("2026-12-04T19:30"))).toEqual(
      berlin("2026-12-07T09:00"),
    );
    // Across the spring DST change (Sunday 29 March 2026): Monday 09:00 is still 09:00 local, now UTC+2.
    const monday = nextOpening(weekdays, "Europe/Berlin", berlin("2026-03-28T12:00"));
    expect(monday?.toISOString()).toBe("2026-03-30T07:00:00.000Z");
    // The zone matters: 10:00 in Berlin is 04:00 in New York, before its window.
    expect(nextOpening(weekdays, "America/New_York", berlin("2026-12-02T10:00"))).toEqual(
      DateTime.fromISO("2026-12-02T09:00", { zone: "America/New_York" }).toJSDate(),
    );
  });

  it("reads and describes stored windows; a broken one is no window", () => {
    expect(describeWindow(weekdays)).toBe("Mon–Fri 09:00–18:00");
    expect(describeWindow({ days: [1, 3], start: "08:00", end: "12:00" })).toBe("Mon, Wed 08:00–12:00");
    expect(describeWindow({ days: [1, 2, 3, 4, 5, 6, 7], start: "07:00", end: "22:00" })).toBe(
      "Every day 07:00–22:00",
    );
    expect(describeWindow({ days: [6, 7, 1], start: "10:00", end: "11:00" })).toBe(
      "Mon, Sat, Sun 10:00–11:00",
    );
    expect(parseSendWindow(JSON.stringify(weekdays))).toEqual(weekdays);
    expect(parseSendWindow('{"days":[],"start":"09:00","end":"18:00"}')).toBeNull();
    expect(parseSendWindow('{"days":[1],"start":"18:00","end":"09:00"}')).toBeNull();
    expect(parseSendWindow("not json")).toBeNull();
    expect(parseSendWindow(null)).toBeNull();
  });

  const base = {
    name: "Windowed",
    message_id: "1",
    first_send_at: "2099-01-01T09:00",
    end_at: "2099-02-01T09:00",
    periodicity: "weekly",
    time_zone: "Europe/Berlin",
  };

  it("is checked on the form: days, both times, end after start; none at all means any time", () => {
    const ok = mailingSchema.safeParse({
      ...base,
      window_days: ["1", "5"],
      window_start: "09:00",
      window_end: "17:30",
    });
    expect(ok.success && ok.data.send_window).toBe('{"days":[1,5],"start":"09:00","end":"17:30"}');
    const one = mailingSchema.safeParse({
      ...base,
      window_days: "3",
      window_start: "09:00",
      window_end: "10:00",
    });
    expect(one.success && one.data.send_window).toBe('{"days":[3],"start":"09:00","end":"10:00"}');
    const none = mailingSchema.safeParse({ ...base, window_start: "", window_end: "" });
    expect(none.success && none.data.send_window).toBeNull();

    const errors = (input: object) => {
      const r = mailingSchema.safeParse({ ...base, ...input });
      return r.success ? {} : Object.fromEntries(r.error.issues.map((i) => [i.path.join("."), i.message]));
    };
    expect(errors({ window_start: "09:00", window_end: "18:00" })).toEqual({
      window_days: "Choose the days sending may happen.",
    });
    expect(errors({ window_days: ["1"], window_start: "18:00", window_end: "09:00" })).toEqual({
      window_end: "Sending ends must be after it starts.",
    });
    expect(errors({ window_days: ["1"], window_start: "9 am", window_end: "18:00" })).toEqual({
      window_start: "Sending starts must be a time such as 09:00.",
    });
    expect(errors({ window_days: ["8"], window_start: "09:00", window_end: "18:00" })).toHaveProperty(
      "window_days.0",
    );
  });
});

describe("a run outside its mailing's sending window", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it("waits for the opening without sending; a changed window lets it go at once, each recipient once", async () => {
    const database = await testDatabase();
    cleanup.push(() => database.close());
    const smtp = await TestSmtpServer.start();
    cleanup.push(() => smtp.close());
    const { recipients, mailing } = await seedMailing(database.db, { recipients: 30 });
    // Open only on the weekday three days from now: closed today, whatever the time.
    const later = DateTime.utc().plus({ days: 3 });
    const window = { days: [later.weekday], start: "09:00", end: "10:00" };
    await database.db
      .updateTable("mailings")
      .set({ send_window: JSON.stringify(window), time_zone: "UTC" })
      .where("id", "=", mailing.id)
      .execute();
    const opening = nextOpening(window, "UTC", new Date())!.toISOString();
    const [runId] = (await makeScheduler(database).tick()).created;

    const config = fastConfig();
    const mailer = smtpMailer(smtp.url, config);
    const worker = makeWorker(database, mailer, config);
    cleanup.push(async () => {
      await worker.stop();
      await mailer.close();
    });
    worker.start();
    // The worker claimed, saw the window closed, and put every delivery back due at the opening.
    await eventually(async () => {
      const rows = await database.db
        .selectFrom("deliveries")
        .select(["status", "next_attempt_at"])
        .where("run_id", "=", runId!)
        .execute();
      return rows.length === 30 && rows.every((r) => r.status === "pending" && r.next_attempt_at === opening);
    });
    expect(smtp.received).toHaveLength(0);

    await database.db
      .updateTable("mailings")
      .set({ send_window: null })
      .where("id", "=", mailing.id)
      .execute();
    await new MailingsRepository(database.db).bringHeldForward(mailing.id, new Date().toISOString());
    worker.wake();
    const run = await finishedRun(database, runId!, 30_000);
    expect(run).toMatchObject({ status: "success", sent_count: 30 });
    const counts = smtp.counts();
    for (const r of recipients) expect(counts.get(r.email)).toBe(1);
  });
});

describe("the sending window on the web", () => {
  it("is set on the form, shown on the mailing page and beside each planned send outside it", async () => {
    const { app } = await build();
    const admin = await setupAdmin(app);
    const message = idFromLocation(
      await admin.post("/messages/new", { subject: "S", body: "B" }, { from: "/messages/new" }),
    );
    // Saturday 3 January 2099, 08:00 in Berlin: outside Mon–Fri 09:00–18:00.
    const fields = {
      name: "Windowed",
      message_id: String(message),
      first_send_at: "2099-01-03T08:00",
      end_at: "2099-03-01T09:00",
      periodicity: "weekly",
      time_zone: "Europe/Berlin",
      recipient_mode: "all",
    };
    const bad = await admin.post(
      "/mailings/new",
      { ...fields, window_start: "18:00", window_end: "09:00" },
      { from: "/mailings/new" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Choose the days sending may happen.");
    expect(bad.body).toContain("Sending ends must be after it starts.");
    expect(bad.body).toContain('value="Windowed"');

    const created = await admin.post(
      "/mailings/new",
      { ...fields, window_days: ["1", "2", "3", "4", "5"], window_start: "09:00", window_end: "18:00" },
      { from: "/mailings/new" },
    );
    const page = await admin.get(`/mailings/${idFromLocation(created)}`);
    expect(page.body).toContain("Mon–Fri 09:00–18:00");
    expect(page.body).toContain("Sends only Mon–Fri 09:00–18:00 (Europe/Berlin).");
    expect(page.body).toContain("outside the sending window: sending starts 5 Jan 2099, 09:00");
    const edit = await admin.get(`/mailings/${idFromLocation(created)}/edit`);
    expect(edit.body).toMatch(/id="f-window_days-1"[^>]*checked/);
    expect(edit.body).not.toMatch(/id="f-window_days-6"[^>]*checked/);
  });
});
