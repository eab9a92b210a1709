import { describe, expect, it } from "vitest";
import {
  alreadyRegisteredEmail,
  confirmEmail,
  failedLoginsEmail,
  resetEmail,
} from "../../src/accounts/account-mail.texts.js";
import { en } from "../../src/i18n/en.js";
import {
  chooseLocale,
  formatNumber,
  fromAcceptLanguage,
  fromPosixEnv,
  keysOf,
  LANGUAGES,
  translateMessage,
  translator,
} from "../../src/i18n/index.js";
import { ru } from "../../src/i18n/ru.js";

const PLURAL = /_(zero|one|two|few|many|other)$/;
/** A language's keys with plural suffixes folded: "common.recipients_one" is "common.recipients". */
const baseKeys = (texts: object) => new Set(keysOf(texts).map((k) => k.replace(PLURAL, "")));

describe("languages", () => {
  it("every language has exactly the keys of English (plural forms folded)", () => {
    const english = [...baseKeys(en.texts)].sort();
    expect(english.length).toBeGreaterThan(50);
    for (const language of LANGUAGES) {
      const keys = [...baseKeys(language.texts)].sort();
      const missing = english.filter((k) => !keys.includes(k));
      const extra = keys.filter((k) => !english.includes(k));
      expect({ language: language.code, missing, extra }).toEqual({
        language: language.code,
        missing: [],
        extra: [],
      });
    }
  });

  it("every plural key has each form its language's Intl.PluralRules uses", () => {
    for (const language of LANGUAGES) {
      const keys = keysOf(language.texts);
      const forms = new Intl.PluralRules(language.code).resolvedOptions().pluralCategories;
      const plurals = new Set(keys.filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, "")));
      for (const base of plurals) {
        for (const form of forms)
          expect(keys, `${language.code} ${base}_${form}`).toContain(`${base}_${form}`);
      }
    }
  });

  it("no text is empty, and Russian texts keep English's {{placeholders}}", () => {
    const placeholders = (v: string) => [...v.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const flat = (texts: object) =>
      new Map(
        keysOf(texts).map((k) => [
          k,
          k
            .split(".")
            .reduce((o: unknown, p) => (o as Record<string, unknown>)[p], texts as unknown) as string,
        ]),
      );
    const english = flat(en.texts);
    for (const [key, value] of flat(ru.texts)) {
      expect(value.trim(), key).not.toBe("");
      if (PLURAL.test(key)) {
        // A plural form may leave out {{count}} ("a minute"), never another placeholder.
        const source = english.get(key.replace(PLURAL, "_other"))!;
        const others = (v: string) => placeholders(v).filter((p) => p !== "count");
        expect(others(value), key).toEqual(others(source));
      } else {
        expect(placeholders(value), key).toEqual(placeholders(english.get(key)!));
      }
    }
  });

  it("Russian plurals: 1 получатель, 2 получателя, 5 получателей, 21 получатель", () => {
    const t = translator("ru");
    expect([1, 2, 5, 11, 21, 22].map((count) => t("common.recipients", { count }))).toEqual([
      "1 получатель",
      "2 получателя",
      "5 получателей",
      "11 получателей",
      "21 получатель",
      "22 получателя",
    ]);
    expect(translator("en")("common.recipients", { count: 1 })).toBe("1 recipient");
    expect(translator("en")("common.recipients", { count: 2 })).toBe("2 recipients");
  });

  it("numbers by locale", () => {
    expect(formatNumber("en", 5007)).toBe("5,007");
    expect(formatNumber("ru", 5007)).toBe("5\u00a0007");
  });

  it("chooses the profile's language, else Accept-Language's best match, else English", () => {
    expect(chooseLocale("ru", "en")).toBe("ru");
    expect(chooseLocale(null, "ru-RU,ru;q=0.9,en;q=0.8")).toBe("ru");
    expect(chooseLocale(null, "de-DE,de;q=0.9,ru;q=0.5,en;q=0.4")).toBe("ru");
    expect(chooseLocale(null, "en;q=0.5, ru;q=0.8")).toBe("ru");
    expect(chooseLocale(null, "ru;q=0, en")).toBe("en");
    expect(chooseLocale(null, "fr, de")).toBe("en");
    expect(chooseLocale("xx", undefined)).toBe("en");
    expect(fromAcceptLanguage("*")).toBeNull();
  });

  it("the CLI's language comes from LC_ALL, LC_MESSAGES, then LANG", () => {
    expect(fromPosixEnv({ LANG: "ru_RU.UTF-8" })).toBe("ru");
    expect(fromPosixEnv({ LC_ALL: "C", LANG: "ru_RU.UTF-8" })).toBe("en");
    expect(fromPosixEnv({ LC_ALL: "ru_UA.UTF-8", LANG: "en_US.UTF-8" })).toBe("ru");
    expect(fromPosixEnv({})).toBe("en");
  });

  it("translates the English validation messages, labels included; unknown ones stay English", () => {
    expect(translateMessage("ru", "Email is required.")).toBe("Поле «Адрес эл. почты» обязательно.");
    expect(translateMessage("ru", "Name must be at most 100 characters.")).toBe(
      "Поле «Имя»: не более 100 символов.",
    );
    expect(translateMessage("ru", "Welcome back, Ann.")).toBe("С возвращением, Ann.");
    expect(translateMessage("ru", "Something new.")).toBe("Something new.");
    expect(translateMessage("en", "Email is required.")).toBe("Email is required.");
  });

  it("a position's line and column are numbers, and a {{problem}} is translated in its turn", () => {
    // "Line {{line}}: {{problem}}" (imports) comes first in ru.ts, but its {{line}} takes digits only.
    expect(translateMessage("ru", "Line 2, column 5: unknown variable: recipient.nmae")).toBe(
      "Строка 2, столбец 5: неизвестная переменная: recipient.nmae",
    );
    expect(translateMessage("ru", "HTML: Line 1, column 1: tag {% if x %} not closed")).toBe(
      "HTML: Строка 1, столбец 1: тег {% if x %} не закрыт",
    );
    expect(translateMessage("ru", "Line 3: The file is empty.")).toBe("Строка 3: Файл пуст.");
    expect(translateMessage("ru", "Line 3: something new")).toBe("Строка 3: something new");
    expect(translateMessage("en", "Line 2, column 5: unknown variable: x")).toBe(
      "Line 2, column 5: unknown variable: x",
    );
  });

  it("account emails are in the recipient's language; English is unchanged", () => {
    const link = "https://pp.example/confirm?token=abc";
    expect(confirmEmail(link).subject).toBe("Confirm your email address for PostPilot");
    expect(confirmEmail(link).body).toContain(
      "open this link within 24 hours:\n\nhttps://pp.example/confirm?token=abc\n",
    );
    const ruMail = confirmEmail(link, "ru");
    expect(ruMail.subject).toBe("Подтвердите адрес эл. почты для PostPilot");
    expect(ruMail.body).toContain(link);
    expect(resetEmail(link, "ru").subject).toBe("Сброс пароля PostPilot");
    expect(alreadyRegisteredEmail("L", "F", "ru").body).toContain("Чтобы войти:\nL");
    expect(failedLoginsEmail(5, "ru").body).toContain("5 раз пытался");
    expect(failedLoginsEmail(3, "ru").body).toContain("3 раза пытался");
    expect(failedLoginsEmail(5).body).toContain("wrong password 5 times in the last hour.");
  });
});
