import { describe, expect, it } from "vitest";
import { cliLocale, inLanguage } from "../../src/cli/i18n.js";

describe("the CLI in the terminal's language", () => {
  it("LANG=ru_RU.UTF-8 is Russian; LC_ALL wins; anything else is English", () => {
    expect(cliLocale({ LANG: "ru_RU.UTF-8" })).toBe("ru");
    expect(cliLocale({ LC_ALL: "en_US.UTF-8", LANG: "ru_RU.UTF-8" })).toBe("en");
    expect(cliLocale({})).toBe("en");
  });

  it("prints the common messages in Russian, line by line, keeping data and indentation", () => {
    expect(inLanguage("ru", "The database is up to date.")).toBe("База данных в актуальном состоянии.");
    expect(inLanguage("ru", "Admin ann@example.com created.")).toBe("Администратор ann@example.com создан.");
    expect(inLanguage("ru", "email: Enter a valid email address, like name@example.com.")).toBe(
      "email: Введите правильный адрес эл. почты, например name@example.com.",
    );
    expect(inLanguage("ru", "password: Password must be at least 8 characters.")).toBe(
      "password: Поле «Пароль»: не менее 8 символов.",
    );
    expect(inLanguage("ru", "Demo data created:\n  12 recipients")).toBe(
      "Демонстрационные данные созданы:\n  Получателей: 12",
    );
    // A table row or an unknown message passes unchanged; English stays English.
    expect(inLanguage("ru", "id  name  status")).toBe("id  name  status");
    expect(inLanguage("en", "The database is up to date.")).toBe("The database is up to date.");
  });
});
