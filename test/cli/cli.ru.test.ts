import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../../src/db/database.js";
import { englishLeft } from "../helpers/russian.js";
import { compileCli } from "../server/support.js";

const RU = "ru_RU.UTF-8";
const EN = "en_US.UTF-8";
const ADMIN = "admin@demo.postpilot.example";

describe("the compiled CLI with LANG=ru_RU.UTF-8 speaks Russian; in English it is unchanged", () => {
  let dir: string;
  let cli: string;
  let csv: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "postpilot-cli-ru-"));
    cli = compileCli(path.resolve(import.meta.dirname, "../../dist/test-cli-ru"));
    csv = path.join(dir, "recipients.csv");
    writeFileSync(csv, "email,full name\nnew@shop.example,New\nbad,Bad\nnew@shop.example,Twice\n");
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(lang: string, data: string, ...args: string[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: path.join(dir, data), LOG_LEVEL: "silent" };
    delete env.DATABASE_URL;
    delete env.LC_ALL;
    delete env.LC_MESSAGES;
    env.LANG = lang;
    return spawnSync(process.execPath, [cli, ...args], { env, encoding: "utf8", cwd: dir });
  }
  const sqlite = (data: string) => path.join(dir, data, "postpilot.sqlite");

  /** Puts one home page counter wrong, so `recount` has something to put right. */
  async function spoilCounter(data: string) {
    const database = Database.sqlite(sqlite(data));
    await database.db
      .updateTable("counters")
      .set({ value: 999 })
      .where("owner_id", "=", 0)
      .where("name", "=", "mailings")
      .execute();
    await database.close();
  }

  it("seed-demo, import-recipients, recount and send print Russian, with no English but the data", async () => {
    const demo = run(RU, "ru", "seed-demo");
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(
      /^Демонстрационные данные созданы:\n {2}Пользователей: \d+\n {2}Получателей: \d+\n/,
    );
    expect(demo.stdout).toMatch(/^ {2}Записей блога: \d+$/m);
    expect(demo.stdout).toContain("Для входа (пароли случайные; сохраните их или смените на /profile):");
    // The account lines are data (role, address, a random password).
    const words = demo.stdout
      .split("\n")
      .filter((line) => !line.includes("@"))
      .join("\n");
    expect(englishLeft(words, ["profile"])).toEqual([]);

    const imported = run(RU, "ru", "import-recipients", "--owner", ADMIN, csv);
    expect(imported.status).toBe(1); // a row was invalid
    expect(imported.stderr).toBe(`База данных: ${sqlite("ru")}\n`);
    expect(imported.stdout).toBe(
      [
        "Импорт завершён. Прочитано строк: 3; добавлено: 1, обновлено: 0, пропущено: 1, с ошибками: 1.",
        "  строка 3: bad: Введите правильный адрес эл. почты, например name@example.com.",
        "  строка 4: new@shop.example: Тот же адрес, что в строке 2.",
        "",
      ].join("\n"),
    );

    await spoilCounter("ru");
    const recounted = run(RU, "ru", "recount");
    expect(recounted.status).toBe(0);
    const [heading, row, summary] = recounted.stdout.trim().split("\n");
    // The table is as `recount` always writes it: its columns and cells are names of data.
    expect(heading).toMatch(/^owner\s+counter\s+was\s+now$/);
    expect(row).toMatch(/^all users\s+mailings\s+999\s+\d+$/);
    expect(summary).toBe("Пересчитано: изменено счётчиков: 1.");
    expect(run(RU, "ru", "recount").stdout).toBe("Все счётчики были точны: ничего не изменено.\n");

    const sent = run(RU, "ru", "send", "1");
    expect(sent.status).toBe(0);
    const lines = sent.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^Запуск \d+ рассылки 1: получателей: \d+\.$/);
    // Not a terminal: one progress line per change, each in Russian.
    expect(lines.slice(1, -1).length).toBeGreaterThan(0);
    for (const line of lines.slice(1, -1))
      expect(line).toMatch(
        /^\[[#-]{30}\] \d+\/\d+ {2}отправлено \d+ {2}с ошибкой \d+ {2}заблокировано \d+ {2}в очереди \d+$/,
      );
    expect(lines.at(-1)).toMatch(/^Итог: Отправлен\. Отправлено: \d+, с ошибкой: 0, заблокировано: \d+\.$/);
    expect(englishLeft(sent.stdout)).toEqual([]);
  }, 120_000);

  it("commander's errors in Russian: an unknown option, a missing argument or option, an unknown command", () => {
    const cases: [string[], string][] = [
      [
        ["mailings", "--ownr", "x"],
        "ошибка: неизвестный параметр «--ownr»\n(Возможно, имелось в виду --owner?)\n",
      ],
      [["import-recipients", "--owner", ADMIN], "ошибка: не указан обязательный аргумент «file»\n"],
      [["import-recipients", csv], "ошибка: не указан обязательный параметр «--owner <email>»\n"],
      [["mailngs"], "ошибка: неизвестная команда «mailngs»\n(Возможно, имелось в виду mailings?)\n"],
      [["mailings", "extra"], "ошибка: слишком много аргументов для «mailings»: ожидается 0, получено 1.\n"],
    ];
    for (const [args, error] of cases) {
      const result = run(RU, "ru", ...args);
      expect(result.status, args.join(" ")).toBe(1);
      // The error, then the command's help (in Russian, its option names and placeholders as they are).
      expect(result.stderr.startsWith(`${error}\n`), result.stderr).toBe(true);
      expect(result.stderr).toMatch(/Использование: postpilot/);
      expect(result.stdout).toBe("");
    }
  }, 60_000);

  it("the same commands in English print what they always did", async () => {
    const demo = run(EN, "en", "seed-demo");
    expect(demo.stdout).toMatch(/^Demo data created:\n {2}\d+ users\n {2}\d+ recipients\n/);
    expect(demo.stdout).toContain(
      "Log in with (passwords are random; keep them or change them on /profile):",
    );

    const imported = run(EN, "en", "import-recipients", "--owner", ADMIN, csv);
    expect(imported.stderr).toBe(`Database: ${sqlite("en")}\n`);
    expect(imported.stdout).toBe(
      [
        "Imported. 3 rows read: 1 added, 0 updated, 1 skipped, 1 invalid.",
        "  line 3: bad: Enter a valid email address, like name@example.com.",
        "  line 4: new@shop.example: Same email as line 2.",
        "",
      ].join("\n"),
    );

    await spoilCounter("en");
    expect(run(EN, "en", "recount").stdout.trim().split("\n").at(-1)).toBe("Recounted: 1 counter changed.");

    const sent = run(EN, "en", "send", "1");
    expect(sent.stdout).toMatch(/^Run \d+ of mailing 1: \d+ recipients\.\n/);
    expect(sent.stdout).toMatch(
      /^\[#{30}\] (\d+)\/\1 {2}sent \d+ {2}failed 0 {2}suppressed \d+ {2}pending 0$/m,
    );
    expect(sent.stdout).toMatch(/\nFinished: Sent\. Sent \d+, failed 0, suppressed \d+\.\n$/);

    const unknown = run(EN, "en", "mailings", "--ownr", "x");
    expect(
      unknown.stderr.startsWith("error: unknown option '--ownr'\n(Did you mean --owner?)\n\nUsage:"),
    ).toBe(true);
    expect(run(EN, "en", "import-recipients", csv).stderr).toMatch(
      /^error: required option '--owner <email>' not specified\n/,
    );
  }, 120_000);
});
