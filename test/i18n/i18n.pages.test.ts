import { describe, expect, it } from "vitest";
import { englishLeft, KEY, RU, visibleText } from "../helpers/russian.js";
import { build, Client, PASSWORD, setupAdmin } from "../helpers/web.js";

describe("pages in Russian (Accept-Language: ru)", () => {
  it("setup, login, register, check-email and 404 pages have no English and no key left; html lang is ru", async () => {
    const { app } = await build();
    const anon = new Client(app, RU);
    const setup = await anon.get("/setup");
    expect(setup.statusCode).toBe(200);
    expect(setup.body).toContain('<html lang="ru">');
    expect(setup.body).toContain("Создать администратора");
    expect(setup.headers["content-language"]).toBe("ru");
    expect(englishLeft(setup.body)).toEqual([]);

    const admin = new Client(app, RU);
    const created = await admin.post(
      "/setup",
      { name: "Анна", email: "admin@example.com", password: PASSWORD },
      { from: "/setup" },
    );
    expect(created.statusCode).toBe(303);
    const home = await admin.get(created.headers.location as string);
    expect(home.body).toContain("Добро пожаловать! Учётная запись администратора готова.");
    expect(home.body).toContain(">Получатели<".replace(">", "> ").replace("<", "")); // nav item

    for (const url of [
      "/login",
      "/register",
      "/forgot",
      "/confirm/resend",
      "/reset?token=bad",
      "/no-such-page",
    ]) {
      const page = await new Client(app, RU).get(url);
      expect(page.body, url).toContain('<html lang="ru">');
      expect(englishLeft(page.body), url).toEqual([]);
      expect(visibleText(page.body).match(KEY), url).toBeNull();
    }
    const registered = await new Client(app, RU).post(
      "/register",
      { email: "ann@example.com", password: PASSWORD },
      { from: "/register" },
    );
    expect(registered.body).toContain("Проверьте почту");
    expect(englishLeft(registered.body)).toEqual([]);
  });

  it("validation messages are Russian and keep the user's input; English stays as it was", async () => {
    const { app } = await build();
    await setupAdmin(app);
    const ru = await new Client(app, RU).post(
      "/register",
      { name: "Анна", email: "not an address", password: "short" },
      { from: "/register" },
    );
    expect(ru.statusCode).toBe(422);
    expect(ru.body).toContain("Введите правильный адрес эл. почты");
    expect(ru.body).toContain("Поле «Пароль»: не менее 8 символов.");
    expect(ru.body).toContain('value="Анна"');
    expect(englishLeft(ru.body)).toEqual([]);

    const en = await new Client(app).post(
      "/register",
      { email: "not an address", password: "short" },
      { from: "/register" },
    );
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain("Enter a valid email address, like name@example.com.");
    expect(en.body).toContain("Password must be at least 8 characters.");
  });

  it("the profile's language wins over Accept-Language, and the confirmation email follows it", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    const saved = await admin.post(
      "/profile",
      { name: "Admin", time_zone: "Europe/Moscow", locale: "ru" },
      { from: "/profile" },
    );
    expect(saved.statusCode).toBe(303);
    const profile = await admin.get("/profile");
    expect(profile.body).toContain('<html lang="ru">');
    expect(profile.body).toContain("Профиль сохранён.");
    expect(profile.body).toContain("Ваш профиль");
    expect(profile.body).toMatch(/<option value="ru" selected/);
    const security = await admin.get("/profile/security");
    expect(security.body).toContain("Двухфакторный вход");
    // The session's browser is whatever its user agent says (lightMyRequest, here).
    expect(englishLeft(security.body).filter((w) => w !== "lightMyRequest" && w !== "Admin")).toEqual([]);
    const bad = await admin.post("/profile", { time_zone: "UTC", locale: "xx" }, { from: "/profile" });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Выберите язык из списка.");

    // Back to "as the browser asks": an English browser gets English.
    await admin.post("/profile", { name: "Admin", time_zone: "UTC", locale: "" }, { from: "/profile" });
    const user = await database.db.selectFrom("users").select("locale").executeTakeFirstOrThrow();
    expect(user.locale).toBeNull();
    expect((await admin.get("/profile")).body).toContain('<html lang="en">');
  });

  it("a Russian user's confirmation email is in Russian", async () => {
    const { app, database } = await build();
    await setupAdmin(app);
    const ann = new Client(app);
    await ann.post("/register", { email: "ann@example.com", password: PASSWORD }, { from: "/register" });
    await database.db
      .updateTable("users")
      .set({ locale: "ru" })
      .where("email", "=", "ann@example.com")
      .execute();
    await ann.post("/confirm/resend", { email: "ann@example.com" }, { from: "/confirm/resend" });
    const mails = await database.db
      .selectFrom("account_emails")
      .select(["subject", "body"])
      .orderBy("id")
      .execute();
    expect(mails[0]?.subject).toBe("Confirm your email address for PostPilot");
    expect(mails.at(-1)?.subject).toBe("Подтвердите адрес эл. почты для PostPilot");
  });

  it("the public signup form, its answers and an unsubscribe link speak the visitor's language", async () => {
    const { app, database } = await build();
    const admin = await setupAdmin(app);
    await admin.post(
      "/lists/new",
      { name: "Newsletter", signup_enabled: "on", signup_ask_name: "on" },
      { from: "/lists/new" },
    );
    const list = await database.db.selectFrom("lists").select("slug").executeTakeFirstOrThrow();
    const visitor = new Client(app, RU);
    const form = await visitor.get(`/subscribe/${list.slug}`);
    expect(form.body).toContain("Подписка на «Newsletter»");
    expect(englishLeft(form.body).filter((w) => w !== "Newsletter")).toEqual([]);
    const bad = await visitor.post(
      `/subscribe/${list.slug}`,
      { email: "nope", full_name: "Иван" },
      { csrf: false },
    );
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain("Введите правильный адрес эл. почты");
    expect(bad.body).toContain('value="Иван"');
    const sent = await visitor.post(
      `/subscribe/${list.slug}`,
      { email: "ivan@example.com" },
      { csrf: false },
    );
    expect(sent.body).toContain("Проверьте почту");
    expect(englishLeft(sent.body)).toEqual([]);

    const unsubscribe = await visitor.get("/u/not-a-token");
    expect(unsubscribe.statusCode).toBe(404);
    expect(unsubscribe.body).toContain("Эта ссылка для отписки недействительна");
    expect(englishLeft(unsubscribe.body)).toEqual([]);
  });
});
