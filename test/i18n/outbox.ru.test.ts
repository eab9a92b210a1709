/** The outbox pages in Russian: list, empty list, search, message page, delete confirmations and flash. */
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import { SAMPLE } from "../delivery/outbox.fixtures.js";
import { englishLeft, KEY, RU, visibleText } from "../helpers/russian.js";
import { build, Client, PASSWORD, setupAdmin } from "../helpers/web.js";

/** The Latin words of a stored message's source: its content, not the page's. */
const wordsOf = (raw: string) => raw.match(/[A-Za-z][A-Za-z'-]+/g) ?? [];

async function store(database: Database, raw: string, subject: string, daysAgo = 0) {
  const row = await database.db
    .insertInto("outbox_messages")
    .values({
      delivery_id: null,
      from_address: "ann@example.com",
      to_address: "bob@example.com",
      subject,
      raw,
      created_at: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return row.id;
}

async function russianAdmin(app: Parameters<typeof setupAdmin>[0]) {
  await setupAdmin(app);
  const ru = new Client(app, RU);
  const res = await ru.post("/login", { email: "admin@example.com", password: PASSWORD }, { from: "/login" });
  expect(res.statusCode).toBe(303);
  return ru;
}

/** No English left apart from the admin's name ("Admin"), the zone code (UTC) and the data shown; no key leaked. */
const russianOnly = (body: string, allowed: readonly string[] = []) => {
  expect(englishLeft(body, ["Admin", "UTC", ...allowed])).toEqual([]);
  // Addresses and URLs ("admin@example.com", "https://x.example/u") look like keys; they are data.
  expect(
    visibleText(body)
      .replace(/\S+@\S+|https?:\/\/\S+/g, " ")
      .match(KEY),
  ).toBeNull();
};

describe("outbox pages in Russian", () => {
  it("empty list, list, search and the message page have no English and no key left", async () => {
    const { app, database } = await build();
    const ru = await russianAdmin(app);
    const empty = await ru.get("/admin/outbox");
    expect(empty.body).toContain("Исходящих писем нет");
    expect(empty.body).toContain("Локальные исходящие");
    russianOnly(empty.body, ["SMTP_URL"]);

    const id = await store(database, SAMPLE, "Café news");
    const list = await ru.get("/admin/outbox");
    expect(list.body).toContain('data-label="Тема"');
    expect(list.body).toContain('placeholder="Получатель или тема"');
    russianOnly(list.body, ["SMTP_URL", "Caf", "news"]);
    const none = await ru.get("/admin/outbox?q=zzz");
    expect(none.body).toContain("Подходящих писем нет");
    russianOnly(none.body, ["SMTP_URL", "zzz"]);

    const page = await ru.get(`/admin/outbox/${id}`);
    expect(page.statusCode).toBe(200);
    for (const text of ["От кого", "Кому", "Копия", "Дата", "Вложения (1)", "Исходник", "Скачать", "14 Б"])
      expect(page.body, text).toContain(text);
    expect(page.body).toContain("Нет (письмо учётной записи или удалённая доставка)");
    // The Date header in the month's Russian name.
    expect(page.body).toContain("24 нояб. 2026, 13:05:09 UTC");
    russianOnly(page.body, ["SMTP_URL", ...wordsOf(SAMPLE), "Caf", "Dan", "Bob", "HTML", "HTML-"]);

    // English stays as it was.
    const en = await (async () => {
      const admin = new Client(app);
      await admin.post("/login", { email: "admin@example.com", password: PASSWORD }, { from: "/login" });
      return admin;
    })();
    const english = await en.get(`/admin/outbox/${id}`);
    expect(english.body).toContain("Attachments (1)");
    expect(english.body).toContain("None (an account email, or its delivery was deleted)");
    expect((await en.get("/admin/outbox")).body).toContain("Local outbox");
  });

  it("delete confirmations count in Russian plurals, and the flash is Russian", async () => {
    const { app, database } = await build();
    const ru = await russianAdmin(app);
    const one = await ru.get("/admin/outbox/delete?older_than=0");
    expect(one.body).toContain("Удалить все письма из исходящих?");
    expect(one.body).toContain("Будет удалено 0 сохранённых писем.");
    russianOnly(one.body);
    await store(database, SAMPLE, "a", 2);
    expect((await ru.get("/admin/outbox/delete?older_than=1")).body).toContain("Удалить 1 письмо");
    await store(database, SAMPLE, "b", 2);
    const few = await ru.get("/admin/outbox/delete?older_than=1");
    expect(few.body).toContain("Удалить из исходящих письма старше суток?");
    expect(few.body).toContain("Будут удалены 2 сохранённых письма.");
    expect(few.body).toContain("Удалить 2 письма");
    russianOnly(few.body);
    for (let i = 0; i < 3; i++) await store(database, SAMPLE, `c${i}`, 40);
    const many = await ru.get("/admin/outbox/delete?older_than=0");
    expect(many.body).toContain("Удалить 5 писем");
    expect((await ru.get("/admin/outbox/delete?older_than=30")).body).toContain("Удалить 3 письма");
    expect((await ru.get("/admin/outbox/delete?older_than=21")).body).toContain(
      "Удалить из исходящих письма старше 21 дня?",
    );
    const custom = await ru.get("/admin/outbox/delete?older_than=5");
    expect(custom.body).toContain("Удалить из исходящих письма старше 5 дней?");
    russianOnly(custom.body);
    const bad = await ru.get("/admin/outbox/delete?older_than=abc");
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Выберите, какие письма удалить");
    russianOnly(bad.body);
    const done = await ru.post("/admin/outbox/delete?older_than=30", {}, { from: "/admin/outbox/delete" });
    const after = await ru.get(done.headers.location as string);
    expect(after.body).toContain("Удалено писем: 3.");
    russianOnly(after.body, ["SMTP_URL"]);
    // English: the same page and plural.
    const admin = new Client(app);
    await admin.post("/login", { email: "admin@example.com", password: PASSWORD }, { from: "/login" });
    expect((await admin.get("/admin/outbox/delete?older_than=0")).body).toContain(
      "2 stored messages will be deleted",
    );
  });
});
