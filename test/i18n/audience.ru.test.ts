import type { FastifyInstance } from "fastify";
import { describe, expect, it } from "vitest";
import { createMailing, createMessage } from "../helpers/fixtures.js";
import { englishLeft, KEY, RU, visibleText } from "../helpers/russian.js";
import { build, Client, idFromLocation, PASSWORD, registerUser, setupAdmin } from "../helpers/web.js";

/** A signed-in user (not staff) whose browser asks for Russian, and the same user asking for English. */
async function users(app: FastifyInstance): Promise<{ ru: Client; en: Client }> {
  await setupAdmin(app);
  await registerUser(app, "olga@example.com", "Ольга");
  const ru = new Client(app, RU);
  const en = new Client(app);
  for (const c of [ru, en]) {
    const res = await c.post("/login", { email: "olga@example.com", password: PASSWORD }, { from: "/login" });
    expect(res.statusCode).toBe(303);
  }
  return { ru, en };
}

/** The page is Russian: no English word beyond the given proper names, and no key leaked. */
function expectRussian(body: string, where: string, names: readonly string[] = []) {
  expect(body, where).toContain('<html lang="ru">');
  expect(englishLeft(body, [...names, "HTML", "UTC"]), where).toEqual([]);
  // Addresses ("name@example.com" in a hint), domains and code ("{{ recipient.fields.key }}") look like keys.
  const text = visibleText(body.replace(/<code>[\s\S]*?<\/code>/g, " "))
    .replace(/\S+@\S+/g, " ")
    .replace(/\b[a-z.]+\.(?:com|test)\b/g, " "); // domains in hints and values
  expect(text.match(KEY), where).toBeNull();
}

describe("audience pages in Russian", () => {
  it("recipients: empty list, list with data, form, validation error, detail, delete, flashes", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);

    const empty = await ru.get("/recipients");
    expectRussian(empty.body, "empty recipients");
    expect(empty.body).toContain("Получателей пока нет");

    const bad = await ru.post(
      "/recipients/new",
      { email: "not an address", full_name: "Ольга" },
      { from: "/recipients/new" },
    );
    expect(bad.statusCode).toBe(422);
    expectRussian(bad.body, "recipient form with an error");
    expect(bad.body).toContain("Введите правильный адрес эл. почты");
    expectRussian((await ru.get("/recipients/new")).body, "new recipient");

    const created = await ru.post(
      "/recipients/new",
      { email: "ivan@example.com", full_name: "Иван Петров", comment: "Друг" },
      { from: "/recipients/new" },
    );
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    const detail = await ru.get(`/recipients/${id}`);
    expectRussian(detail.body, "recipient detail");
    expect(detail.body).toContain("Получатель ivan@example.com добавлен.");
    expect(detail.body).toContain("Пока ни в одной рассылке.");
    await ru.post(
      "/suppressions/new",
      { email: "ivan@example.com", reason: "manual" },
      { from: "/suppressions/new" },
    );
    const suppressed = await ru.get(`/recipients/${id}`);
    expectRussian(suppressed.body, "suppressed recipient");
    expect(suppressed.body).toContain("Добавлен вручную");
    expect(suppressed.body).toContain("источник: веб-интерфейс. Рассылки на этот адрес не отправляются.");
    expect((await en.get(`/recipients/${id}`)).body).toContain(
      ", from the web. Mailings do not send to this address.",
    );

    const list = await ru.get("/recipients");
    expectRussian(list.body, "recipients list");
    expect(list.body).toContain("Поиск по адресу или имени");
    expect(list.body).toContain("Все (1)");
    expectRussian((await ru.get("/recipients?q=nobody")).body, "no match", ["nobody"]);
    expectRussian((await ru.get(`/recipients/${id}/edit`)).body, "edit recipient");
    const del = await ru.get(`/recipients/${id}/delete`);
    expectRussian(del.body, "delete recipient");
    expect(del.body).toContain("Удалить ivan@example.com?");

    const bulk = await ru.post(
      "/recipients/bulk",
      { action: "delete", scope: "ticked", ids: String(id) },
      { from: "/recipients" },
    );
    expectRussian(bulk.body, "bulk confirm");
    expect(bulk.body).toContain("Удалить 1 получателя?");

    // English is unchanged.
    const enList = await en.get("/recipients");
    expect(enList.body).toContain("Search by email or name");
    expect(enList.body).toContain("New recipient");
    expect((await en.get(`/recipients/${id}/delete`)).body).toContain(
      "This recipient will be deleted permanently.",
    );
  });

  it("recipient import: form, result with an invalid row and with a plural summary", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);
    expectRussian((await ru.get("/recipients/import")).body, "import form", [
      "email",
      "full",
      "comment",
      "UTF-",
    ]);

    const form = await ru.get("/recipients/import");
    const key = /name="key" value="([^"]+)"/.exec(form.body)?.[1] ?? "";
    const none = await ru.post("/recipients/import", { key }, { from: "/recipients/import" });
    expect(none.statusCode).toBe(422);
    expectRussian(none.body, "import without a file", ["email", "full", "comment", "UTF-"]);
    expect(none.body).toContain("Выберите файл CSV для импорта.");

    const csv = "email,full name\na1@example.com,Анна\na2@example.com,Борис\na3@example.com,Вера\nbad,Глеб\n";
    const done = await ru.postMultipart(
      "/recipients/import",
      { key },
      [{ field: "file", filename: "People.CSV", content: Buffer.from(csv), type: "text/csv" }],
      { from: "/recipients/import" },
    );
    expect(done.statusCode).toBe(303);
    const result = await ru.get(String(done.headers.location));
    expectRussian(result.body, "import result", ["People", "bad"]);
    expect(result.body).toContain("Импорт завершён: добавлено 3 получателя, обновлено 0 получателей");
    expect(result.body).toContain("1 строка с ошибкой");
    expect(result.body).toContain("Введите правильный адрес эл. почты"); // the invalid row's problem
    const enResult = await en.get(String(done.headers.location));
    expect(enResult.body).toContain("The import is complete: 3 added, 0 updated, 0 skipped, 1 invalid.");
  });

  it("lists: empty, form with an error, detail with the signup snippet, delete", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);
    const empty = await ru.get("/lists");
    expectRussian(empty.body, "empty lists");
    expect(empty.body).toContain("Списков пока нет");

    const bad = await ru.post("/lists/new", { name: "" }, { from: "/lists/new" });
    expect(bad.statusCode).toBe(422);
    expectRussian(bad.body, "list form with an error");
    expect(bad.body).toContain("Поле «Имя» обязательно.");

    const created = await ru.post(
      "/lists/new",
      { name: "Клиенты", signup_enabled: "on", signup_ask_name: "on" },
      { from: "/lists/new" },
    );
    expect(created.statusCode).toBe(303);
    const id = idFromLocation(created);
    const detail = await ru.get(`/lists/${id}`);
    expect(detail.body).toContain("Список «Клиенты» создан.");
    expect(detail.body).toContain("Встройте форму на свой сайт");
    const snippetWords = [
      "form",
      "method",
      "post",
      "action",
      "http",
      "localhost",
      "subscribe",
      "label",
      "input",
      "type",
      "email",
      "name",
      "required",
      "text",
      "website",
      "value",
      "style",
      "display",
      "none",
      "tabindex",
      "autocomplete",
      "off",
      "button",
      "submit",
    ];
    const slug = /\/subscribe\/([\w-]+)/.exec(detail.body)?.[1] ?? "";
    expectRussian(detail.body, "list detail", [...snippetWords, ...slug.split(/[^A-Za-z]+/)]);

    const index = await ru.get("/lists");
    expectRussian(index.body, "lists");
    expect(index.body).toContain("Форма подписки");
    expectRussian((await ru.get(`/lists/${id}/edit`)).body, "edit list");
    const del = await ru.get(`/lists/${id}/delete`);
    expectRussian(del.body, "delete list");
    expect(del.body).toContain("его 0 получателей останутся");

    expect((await en.get("/lists")).body).toContain("New list");
    expect((await en.get(`/lists/${id}/delete`)).body).toContain("its 0 recipients stay, in no list.");
  });

  it("suppressions: empty, add with an error, list, import summary, remove", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);
    const empty = await ru.get("/suppressions");
    expectRussian(empty.body, "empty suppressions");
    expect(empty.body).toContain("Заблокированных адресов нет");

    const bad = await ru.post(
      "/suppressions/new",
      { email: "nope", reason: "manual" },
      { from: "/suppressions/new" },
    );
    expect(bad.statusCode).toBe(422);
    expectRussian(bad.body, "suppression form with an error");
    const added = await ru.post(
      "/suppressions/new",
      { email: "spam@example.com", reason: "complaint" },
      { from: "/suppressions/new" },
    );
    expect(added.statusCode).toBe(303);
    const list = await ru.get("/suppressions");
    expectRussian(list.body, "suppressions");
    expect(list.body).toContain("Адрес spam@example.com заблокирован.");
    expect(list.body).toContain("Жалоба");
    expectRussian((await ru.get("/suppressions?reason=hard_bounce")).body, "no hard bounces");

    expectRussian((await ru.get("/suppressions/import")).body, "suppression import", [
      "email",
      "reason",
      "unsubscribed",
      "hard",
      "bounce",
      "soft",
      "complaint",
      "manual",
      "comment",
    ]);
    const imported = await ru.post(
      "/suppressions/import",
      { csv: "email,reason\na@example.com,manual\nb@example.com,manual\nspam@example.com,manual\n" },
      { from: "/suppressions/import" },
    );
    expect(imported.body).toContain("Прочитано: 3 строки; добавлено 2 адреса, 1 адрес уже был заблокирован");

    const id = /\/suppressions\/(\d+)\/delete/.exec(list.body)?.[1];
    const del = await ru.get(`/suppressions/${id}/delete`);
    expectRussian(del.body, "remove suppression");
    expect(del.body).toContain("Причина блокировки: Жалоба");
    expect((await en.get(`/suppressions/${id}/delete`)).body).toContain(
      "Reason it was suppressed: Complaint (web).",
    );
  });

  it("custom fields: empty, an error, the list, their inputs on the recipient form, delete", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);
    const empty = await ru.get("/fields");
    expectRussian(empty.body, "empty fields", ["recipient", "fields", "key", "plan", "signup", "date"]);
    expect(empty.body).toContain("Дополнительных полей пока нет");

    const bad = await ru.post(
      "/fields",
      { label: "Тариф", key: "Bad Key", type: "text" },
      { from: "/fields" },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Ключ: строчные латинские буквы");
    for (const [label, key, type] of [
      ["Тариф", "plan", "text"],
      ["Клиент", "vip", "yes_no"],
      ["Баллы", "points", "number"],
    ]) {
      const res = await ru.post("/fields", { label, key, type } as Record<string, string>, {
        from: "/fields",
      });
      expect(res.statusCode).toBe(303);
    }
    const list = await ru.get("/fields");
    expectRussian(list.body, "fields", [
      "recipient",
      "fields",
      "key",
      "plan",
      "signup",
      "date",
      "vip",
      "points",
    ]);
    expect(list.body).toContain("Поле «Баллы» добавлено.");
    expect(list.body).toContain("Да / нет");

    const form = await ru.get("/recipients/new");
    expectRussian(form.body, "recipient form with fields");
    expect(form.body).toContain("Не задано");
    const wrong = await ru.post(
      "/recipients/new",
      { email: "ivan@example.com", field_points: "many" },
      { from: "/recipients/new" },
    );
    expect(wrong.statusCode).toBe(422);
    expect(wrong.body).toContain("Поле «Баллы» должно быть числом, например 42 или 3.5.");

    const id = /\/fields\/(\d+)\/delete/.exec(list.body)?.[1];
    const del = await ru.get(`/fields/${id}/delete`);
    expectRussian(del.body, "delete field", ["plan", "vip", "points"]);
    expect(del.body).toContain("Удалить поле «");
    expect((await en.get("/fields")).body).toContain("Lower-case letters, digits and _");
  });

  it("a mailing's audience: no lists yet, a choice that is refused, saved, with plurals", async () => {
    const { app, database } = await build();
    const { ru, en } = await users(app);
    const olga = await database.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "olga@example.com")
      .executeTakeFirstOrThrow();
    const message = await createMessage(database.db, olga.id);
    const m = await createMailing(database.db, { ownerId: olga.id, messageId: message.id, name: "Новости" });
    const url = `/mailings/${m.id}/audience`;
    const empty = await ru.get(url);
    expectRussian(empty.body, "audience without lists");
    expect(empty.body).toContain("Списков пока нет:");

    for (const email of ["a@example.com", "b@example.com"]) {
      await ru.post("/recipients/new", { email }, { from: "/recipients/new" });
    }
    const list = await ru.post("/lists/new", { name: "Клиенты" }, { from: "/lists/new" });
    const listId = String(idFromLocation(list));
    const refused = await ru.post(url, { lists: listId, exclude_lists: listId }, { from: url });
    expect(refused.statusCode).toBe(422);
    expectRussian(refused.body, "audience with an error");
    expect(refused.body).toContain("Список нельзя одновременно включить и исключить.");

    const saved = await ru.post(url, { all: "on" }, { from: url });
    expect(saved.statusCode).toBe(303);
    const page = await ru.get(url);
    expectRussian(page.body, "audience");
    expect(page.body).toContain("Получатели рассылки сохранены.");
    expect(page.body).toMatch(/Сейчас около <strong>2<\/strong> получателей/);
    expect(page.body).toContain("Всем моим получателям (сейчас 2)");
    expect((await en.get(url)).body).toMatch(/About <strong>2<\/strong> recipients now/);
  });

  it("segments: empty, a condition that is refused, detail with a plural count and a sample, delete", async () => {
    const { app } = await build();
    const { ru, en } = await users(app);
    const empty = await ru.get("/segments");
    expectRussian(empty.body, "empty segments");
    expect(empty.body).toContain("Сегментов пока нет");
    expectRussian((await ru.get("/segments/new")).body, "new segment", ["example", "mail"]);

    await ru.post("/fields", { label: "Возраст", key: "age", type: "number" }, { from: "/fields" });
    for (const email of ["ann@a.test", "bob@a.test"]) {
      await ru.post("/recipients/new", { email, field_age: "30" }, { from: "/recipients/new" });
    }
    const rows = {
      name: "Взрослые",
      match: "all",
      c0_what: "email",
      c0_op: "ends_with_domain",
      c0_value: "a.test",
    };
    const bad = await ru.post(
      "/segments/new",
      { ...rows, c1_what: "field:age", c1_op: "gt", c1_value: "много" },
      { from: "/segments/new" },
    );
    expect(bad.statusCode).toBe(422);
    expectRussian(bad.body, "segment form with an error", ["example", "mail", "age", "test"]);
    expect(bad.body).toContain("Поле «Значение» должно быть числом, например 42 или 3.5.");

    const saved = await ru.post(
      "/segments/new",
      { ...rows, c1_what: "field:age", c1_op: "gt", c1_value: "18" },
      { from: "/segments/new" },
    );
    expect(saved.statusCode).toBe(303);
    const id = idFromLocation(saved);
    const detail = await ru.get(`/segments/${id}`);
    expectRussian(detail.body, "segment detail", ["test"]);
    expect(detail.body).toContain("Сегмент «Взрослые» сохранён.");
    expect(detail.body).toContain("<strong>2</strong> получателя подходят сейчас.");
    expect(detail.body).toContain("Получатели, для которых выполняются все условия:");
    const list = await ru.get("/segments");
    expectRussian(list.body, "segments");
    expect(list.body).toContain("2 условия, все должны выполняться");
    expectRussian((await ru.get(`/segments/${id}/edit`)).body, "edit segment", ["example", "mail", "test"]);
    const del = await ru.get(`/segments/${id}/delete`);
    expectRussian(del.body, "delete segment");
    expect(del.body).toContain("Удалить сегмент «Взрослые»?");
    expect((await en.get(`/segments/${id}`)).body).toContain("<strong>2</strong> recipients match now.");
    expect((await en.get("/segments")).body).toContain("2 conditions, match all");
  });
});
