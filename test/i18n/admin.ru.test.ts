/** The admin area in Russian: users, audit log, relays, login throttles, blog (admin and public). */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { helpTexts } from "../../src/cli/help-language.js";
import { inLanguage } from "../../src/cli/i18n.js";
import { buildCli } from "../../src/cli/program.js";
import { relayOf } from "../../src/delivery/smtp.mailer.js";
import { translateMessage, translator } from "../../src/i18n/index.js";
import { englishLeft, KEY, RU, visibleText } from "../helpers/russian.js";
import { signIn } from "../helpers/sign-in.js";
import { TestSmtpServer } from "../helpers/smtp.js";
import { build, Client, PASSWORD, type TestApp } from "../helpers/web.js";
import { compileCli } from "../server/support.js";

/** Codes and names that stay Latin on these pages. */
const KEPT = [
  "UTC",
  "Markdown",
  "HTML",
  "JPEG",
  "PNG",
  "WebP",
  "EHLO",
  "STARTTLS",
  "TLS",
  "SMTP_URL",
  "RELAYS",
  "AUTH",
  "alt",
  "blog",
  "spring-news",
  "https",
  "bold",
  "italic",
  "links",
  "headings",
  "lists",
];

function expectRussian(page: { statusCode: number; body: string }, url: string, also: string[] = []) {
  expect(page.statusCode, url).toBe(200);
  expect(page.body, url).toContain('<html lang="ru">');
  expect(englishLeft(page.body, [...KEPT, ...also]), url).toEqual([]);
  // Addresses ("name@example.com" in a hint) look like keys; they are not.
  expect(
    visibleText(page.body)
      .replace(/\S+@\S+|https?:\/\/\S+/g, " ")
      .match(KEY),
    url,
  ).toBeNull();
}

/** The first admin, set up in Russian and speaking Russian (Accept-Language) from then on. */
async function russianAdmin(t: TestApp): Promise<Client> {
  const admin = new Client(t.app, RU);
  const res = await admin.post(
    "/setup",
    { name: "Анна", email: "admin@example.com", password: PASSWORD },
    { from: "/setup" },
  );
  expect(res.statusCode).toBe(303);
  return admin;
}

describe("admin pages in Russian (Accept-Language: ru)", () => {
  const servers: TestSmtpServer[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it("users list, new user (and its validation error), user page, delete confirmation, flashes", async () => {
    const t = await build();
    const admin = await russianAdmin(t);
    const empty = await admin.get("/admin/users/new");
    expectRussian(empty, "/admin/users/new");
    expect(empty.body).toContain("Новый пользователь");
    expect(empty.body).toContain("Не менее 8 символов. Учётная запись подтверждается сразу.");

    const invalid = await admin.post(
      "/admin/users/new",
      { email: "not-an-email", name: "Борис", password: PASSWORD, role: "user" },
      { from: "/admin/users/new" },
    );
    expect(invalid.statusCode).toBe(422);
    expectRussian({ ...invalid, statusCode: 200 }, "POST /admin/users/new (invalid)");
    expect(invalid.body).toContain("Введите правильный адрес эл. почты");

    const created = await admin.post(
      "/admin/users/new",
      { email: "boris@example.com", name: "Борис", password: PASSWORD, role: "manager" },
      { from: "/admin/users/new" },
    );
    expect(created.statusCode).toBe(303);
    const userUrl = created.headers.location as string;
    const userPage = await admin.get(userUrl);
    expectRussian(userPage, userUrl);
    expect(userPage.body).toContain("Пользователь boris@example.com создан.");
    expect(userPage.body).toContain("менеджер");
    expect(userPage.body).toContain("Рассылок нет.");
    expect(userPage.body).toContain("Получателей нет.");

    await admin.post(`${userUrl}/block`, {}, { from: userUrl });
    const blocked = await admin.get(userUrl);
    expectRussian(blocked, `${userUrl} (blocked)`);
    expect(blocked.body).toContain("boris@example.com заблокирован, все его сеансы завершены.");
    expect(blocked.body).toMatch(/Заблокирован с \d+ [а-я]+\.? \d{4}/);

    const list = await admin.get("/admin/users");
    expectRussian(list, "/admin/users");
    expect(list.body).toContain("Журнал действий");
    expect(list.body).toContain("Заблокирована");

    const confirm = await admin.get(`${userUrl}/delete`);
    expectRussian(confirm, `${userUrl}/delete`);
    expect(confirm.body).toContain("Удалить boris@example.com?");
    const deleted = await admin.post(`${userUrl}/delete`, {}, { from: `${userUrl}/delete` });
    const after = await admin.get(deleted.headers.location as string);
    expect(after.body).toContain("boris@example.com и все его данные удалены.");

    // A service's refusal comes back translated too.
    const self = await admin.get("/admin/users");
    const selfId = /href="\/admin\/users\/(\d+)"/.exec(self.body)?.[1];
    const refused = await admin.post(`/admin/users/${selfId}/delete`, {}, { from: "/admin/users" });
    const refusedPage = await admin.get(refused.headers.location as string);
    expect(refusedPage.body).toContain("Свою учётную запись удаляйте на странице профиля.");

    // The same page in English keeps its English wording.
    const english = await new Client(t.app).get("/login");
    expect(english.body).toContain("Log in");
  });

  it("audit log (empty, with entries, filtered to nothing) and login throttles (empty and with data)", async () => {
    const t = await build();
    const admin = await russianAdmin(t);
    const emptyAudit = await admin.get("/admin/audit");
    expectRussian(emptyAudit, "/admin/audit");
    expect(emptyAudit.body).toContain("Ничего не записано");

    const emptyThrottles = await admin.get("/admin/throttles");
    expectRussian(emptyThrottles, "/admin/throttles");
    expect(emptyThrottles.body).toContain("Неудачных входов нет");

    const created = await admin.post(
      "/admin/users/new",
      { email: "vera@example.com", name: "Вера", password: PASSWORD, role: "user" },
      { from: "/admin/users/new" },
    );
    const userUrl = created.headers.location as string;
    await admin.post(`${userUrl}/block`, {}, { from: userUrl });
    const audit = await admin.get("/admin/audit");
    expectRussian(audit, "/admin/audit (entries)");
    expect(audit.body).toContain("Заблокирован пользователь");
    expect(audit.body).toContain("Создан пользователь");
    const filtered = await admin.get("/admin/audit?q=nobody");
    expectRussian(filtered, "/admin/audit?q=nobody", ["nobody"]);
    expect(filtered.body).toContain("Под условия отбора ничего не подходит.");

    for (let i = 0; i < 2; i++)
      await new Client(t.app).post("/login", { email: "admin@example.com", password: "not the password" });
    const throttles = await admin.get("/admin/throttles");
    expectRussian(throttles, "/admin/throttles (data)");
    expect(throttles.body).toContain("все адреса");
    const cleared = await admin.post(
      "/admin/throttles/clear",
      { account: "admin@example.com" },
      { from: "/admin/throttles" },
    );
    const afterClear = await admin.get(cleared.headers.location as string);
    expect(afterClear.body).toContain("Ограничения входа для admin@example.com сброшены.");

    // An admin whose browser asks for English sees the same pages in English, worded as before.
    const englishAdmin = await signIn(t.app, t.database, "eve@example.com", "admin");
    const englishAudit = await englishAdmin.get("/admin/audit");
    expect(englishAudit.body).toContain("Blocked user");
    expect(englishAudit.body).toContain("Audit log");
    const englishThrottles = await englishAdmin.get("/admin/throttles");
    expect(englishThrottles.body).toContain("Login throttles");
    const englishUsers = await englishAdmin.get("/admin/users");
    expect(englishUsers.body).toContain(">Blocked<");
    expect(englishUsers.body).toContain(">user<");
  });

  it("mail relays: none configured, and one relay with its connection test and a Russian plural", async () => {
    const none = await build();
    const admin = await russianAdmin(none);
    const page = await admin.get("/admin/relays");
    expectRussian(page, "/admin/relays (none)");
    expect(page.body).toContain("локальный ящик исходящих");

    const smtp = await TestSmtpServer.start();
    servers.push(smtp);
    smtp.requireAuth = true;
    const relay = relayOf({ url: smtp.authUrl(), timeoutMs: 5_000, name: "postpilot.test" });
    const one = await build({ relays: [{ ...relay, weight: 1 }] });
    const admin2 = await russianAdmin(one);
    const relays = await admin2.get("/admin/relays");
    const host = relay.address.split(/[^A-Za-z]+/).filter(Boolean);
    expectRussian(relays, "/admin/relays", host);
    expect(relays.body).toContain("Проверить соединение");
    expect(relays.body).toContain("0 обработчиков");
    const tested = await admin2.post("/admin/relays/test", {}, { from: "/admin/relays" });
    expectRussian(tested, "POST /admin/relays/test", [...host, ...visibleWords(tested.body, "<code>")]);
    expect(tested.body).toContain("принял соединение и вход");
    expect(smtp.received).toHaveLength(0);

    const t = translator("ru");
    expect(t("admin.relays.workers", { count: 1, n: "1" })).toBe("1 обработчик");
    expect(t("admin.relays.workers", { count: 3, n: "3" })).toBe("3 обработчика");
    expect(t("admin.relays.workers", { count: 5, n: "5" })).toBe("5 обработчиков");
    expect(translator("en")("admin.relays.workers", { count: 1, n: "1" })).toBe("1 worker");
  });

  it("blog admin (empty, new, invalid, edit, delete) and the public blog (empty, list, post) in Russian", async () => {
    const t = await build();
    const admin = await russianAdmin(t);
    const publicEmpty = await new Client(t.app, RU).get("/blog");
    expectRussian(publicEmpty, "/blog (empty)");
    expect(publicEmpty.body).toContain("Здесь появятся новости о PostPilot.");
    expect(String(publicEmpty.headers.vary)).toContain("Accept-Language");

    const emptyList = await admin.get("/admin/blog");
    expectRussian(emptyList, "/admin/blog (empty)");
    expect(emptyList.body).toContain("Напишите первую запись");
    const form = await admin.get("/admin/blog/new");
    expectRussian(form, "/admin/blog/new");
    expect(form.body).toContain("Описание изображения");

    // A multipart post carries no Accept-Language in the test client: the profile's language is used.
    await t.database.db.updateTable("users").set({ locale: "ru" }).execute();
    const invalid = await admin.postMultipart(
      "/admin/blog/new",
      { title: "", slug: "Bad Slug", body_markdown: "", published: "on" },
      [],
      { from: "/admin/blog/new" },
    );
    expect(invalid.statusCode).toBe(422);
    expectRussian({ ...invalid, statusCode: 200 }, "POST /admin/blog/new (invalid)");
    expect(invalid.body).toContain("Поле «Заголовок» обязательно.");
    expect(invalid.body).toContain("Используйте строчные латинские буквы");
    const notImage = await admin.postMultipart(
      "/admin/blog/new",
      { title: "Картинка", body_markdown: "Текст", published: "on" },
      [{ field: "image", filename: "a.png", content: Buffer.from("not an image"), type: "image/png" }],
      { from: "/admin/blog/new" },
    );
    expect(notImage.statusCode).toBe(422);
    expect(notImage.body).toContain("Этот файл — не изображение JPEG, PNG или WebP.");

    const created = await admin.postMultipart(
      "/admin/blog/new",
      { title: "Весенние новости", slug: "vesna", body_markdown: "Немного *текста*.", published: "on" },
      [],
      { from: "/admin/blog/new" },
    );
    expect(created.statusCode).toBe(303);
    const list = await admin.get("/admin/blog");
    expectRussian(list, "/admin/blog", ["vesna"]);
    expect(list.body).toContain("Запись «Весенние новости» создана.");
    expect(list.body).toMatch(/Опубликована \d+ [а-я]+\.? \d{4}/);
    const id = /\/admin\/blog\/(\d+)\/edit/.exec(list.body)?.[1];
    const edit = await admin.get(`/admin/blog/${id}/edit`);
    expectRussian(edit, "edit", ["vesna"]);
    expect(edit.body).toContain("Показывается как /blog/vesna.");
    const del = await admin.get(`/admin/blog/${id}/delete`);
    expectRussian(del, "delete", ["vesna"]);
    expect(del.body).toContain("вместе с изображением?");

    const publicList = await new Client(t.app, RU).get("/blog");
    expectRussian(publicList, "/blog", ["vesna"]);
    const post = await new Client(t.app, RU).get("/blog/vesna");
    expectRussian(post, "/blog/vesna", ["vesna"]);
    expect(post.body).toContain("Все записи");

    const english = await new Client(t.app).get("/blog/vesna");
    expect(english.body).toContain("All posts");
    const englishEmpty = await admin.get("/admin/blog");
    expect(englishEmpty.statusCode).toBe(200);
  });
});

describe("emails in the recipient's language", () => {
  const mailTo = (t: TestApp, to: string) =>
    t.database.db
      .selectFrom("account_emails")
      .select(["subject", "body"])
      .where("to_address", "=", to)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();

  it("registration keeps users.locale null, and its confirmation and later reset follow the request's language", async () => {
    const t = await build();
    await russianAdmin(t);
    const visitor = new Client(t.app, RU);
    const res = await visitor.post(
      "/register",
      { email: "gleb@example.com", password: PASSWORD, name: "Глеб" },
      { from: "/register" },
    );
    expect(res.statusCode).toBe(200);
    const user = await t.database.db
      .selectFrom("users")
      .select("locale")
      .where("email_normalized", "=", "gleb@example.com")
      .executeTakeFirstOrThrow();
    expect(user.locale).toBeNull();
    expect((await mailTo(t, "gleb@example.com")).subject).toBe("Подтвердите адрес эл. почты для PostPilot");

    await new Client(t.app, RU).post("/forgot", { email: "gleb@example.com" }, { from: "/forgot" });
    const reset = await mailTo(t, "gleb@example.com");
    expect(reset.subject).toBe("Сброс пароля PostPilot");
    expect(reset.body).toContain("/reset?token=");
    await new Client(t.app).post("/forgot", { email: "gleb@example.com" }, { from: "/forgot" });
    expect((await mailTo(t, "gleb@example.com")).subject).toBe("Reset your PostPilot password");

    // The account's own language wins over the request's.
    await t.database.db.updateTable("users").set({ locale: "en" }).execute();
    await new Client(t.app, RU).post("/forgot", { email: "gleb@example.com" }, { from: "/forgot" });
    expect((await mailTo(t, "gleb@example.com")).subject).toBe("Reset your PostPilot password");
  });

  it("the double opt-in email of a public signup form follows the visitor's Accept-Language", async () => {
    const t = await build();
    const admin = await russianAdmin(t);
    const created = await admin.post(
      "/lists/new",
      { name: "Новости", description: "", signup_enabled: "on" },
      { from: "/lists/new" },
    );
    expect(created.statusCode).toBe(303);
    const list = await t.database.db.selectFrom("lists").select("slug").executeTakeFirstOrThrow();
    const submit = (email: string, headers: Record<string, string>) =>
      t.app.inject({
        method: "POST",
        url: `/subscribe/${list.slug}`,
        remoteAddress: "203.0.113.7",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        // The form asks no name, so a browser sends no full_name (this was a 422 with no message shown).
        payload: new URLSearchParams({ email, website: "" }).toString(),
      });
    expect((await submit("lena@example.com", RU)).statusCode).toBe(200);
    const ru = await mailTo(t, "lena@example.com");
    expect(ru.subject).toBe("Подтвердите подписку на Новости");
    expect(ru.body).toContain("Чтобы подтвердить, откройте эту ссылку:");
    expect(ru.body).toMatch(/\/subscribe\/[^\s]+\/confirm\?token=/);
    expect((await submit("max@example.com", {})).statusCode).toBe(200);
    const en = await mailTo(t, "max@example.com");
    expect(en.subject).toBe("Confirm your subscription to Новости");
    expect(en.body).toContain('someone (we hope you) asked to subscribe this address to "Новости".');
  });
});

/** Words inside <code> (a relay's reply) stay as the relay sent them. */
function visibleWords(html: string, tag: string): string[] {
  return html
    .split(tag)
    .slice(1)
    .flatMap((part) => part.split("</code>")[0]?.match(/[A-Za-z][A-Za-z'-]+/g) ?? []);
}

describe("the CLI's --help under LANG=ru_RU.UTF-8", () => {
  it("every help text of every command has a Russian translation", () => {
    const missing = helpTexts(buildCli()).filter((text) => translateMessage("ru", text) === text);
    expect(missing).toEqual([]);
  });

  it("prints the admin commands' output in Russian, data unchanged, and English under other locales", () => {
    expect(inLanguage("ru", "Run 12 of mailing 3: 1,754 recipients.")).toBe(
      "Запуск 12 рассылки 3: получателей: 1,754.",
    );
    expect(inLanguage("ru", "Copy it now: it is not shown again.")).toBe(
      "Скопируйте его сейчас: больше он не покажется.",
    );
    expect(inLanguage("ru", 'Token 4 "Shop" for ann@example.com.')).toBe(
      "Токен 4 «Shop» для ann@example.com.",
    );
    expect(inLanguage("ru", "Endpoint 7 removed.")).toBe("Адрес 7 удалён.");
    expect(inLanguage("ru", "Database: /data/postpilot.sqlite")).toBe("База данных: /data/postpilot.sqlite");
    expect(inLanguage("en", "Endpoint 7 removed.")).toBe("Endpoint 7 removed.");
  });

  it("the compiled CLI prints its help in Russian under ru_RU, and in English otherwise", () => {
    const cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-admin-ru"));
    const help = (env: NodeJS.ProcessEnv, ...args: string[]) => {
      const clean: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "silent", ...env };
      if (!env.LC_ALL) delete clean.LC_ALL;
      delete clean.LC_MESSAGES;
      return spawnSync(process.execPath, [cli, ...args, "--help"], { env: clean, encoding: "utf8" });
    };
    const ru = help({ LANG: "ru_RU.UTF-8" });
    expect(ru.status).toBe(0);
    expect(ru.stdout).toContain("Использование: postpilot [параметры] [команда]");
    expect(ru.stdout).toContain("Команды:");
    expect(ru.stdout).toMatch(/serve \[параметры\]/);
    expect(ru.stdout).toContain("PostPilot: рассылки эл. почты на своём сервере");
    expect(ru.stdout).toContain("показать справку по команде");
    expect(ru.stdout).toContain("отправить рассылку сейчас");
    expect(ru.stdout).not.toContain("display help for command");

    const sub = help({ LANG: "ru_RU.UTF-8" }, "create-admin");
    expect(sub.stdout).toContain("адрес эл. почты администратора");
    expect(sub.stdout).toContain('(по умолчанию: "")');

    const en = help({ LANG: "en_US.UTF-8" });
    expect(en.stdout).toContain("Usage: postpilot [options] [command]");
    expect(en.stdout).toContain("PostPilot: self-hosted email mailings");
    expect(help({ LANG: "C" }, "create-admin").stdout).toContain('(default: "")');
  }, 120_000);
});
