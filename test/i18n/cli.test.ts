import { tmpdir } from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { describe, expect, it, vi } from "vitest";
import { countLines } from "../../src/cli/demo.js";
import { helpInLanguage } from "../../src/cli/help-language.js";
import { cliLocale, fillIn, inLanguage } from "../../src/cli/i18n.js";
import { progressLine as importProgressLine, openInput, summaryLines } from "../../src/cli/recipients.js";
import { runLine } from "../../src/cli/runs.js";
import { progressWriter, progressLine as sendProgressLine } from "../../src/cli/send.js";
import { outcomeText } from "../../src/delivery/delivery.views.js";
import { translateMessage, translator } from "../../src/i18n/index.js";
import type { ImportSummary } from "../../src/recipients/import/import.service.js";
import { englishLeft } from "../helpers/russian.js";

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
      "Демонстрационные данные созданы:\n  12 recipients",
    );
    // A table row or an unknown message passes unchanged; English stays English.
    expect(inLanguage("ru", "id  name  status")).toBe("id  name  status");
    expect(inLanguage("en", "The database is up to date.")).toBe("The database is up to date.");
  });
});

describe("what the commands print, in Russian (src/cli/*.ts)", () => {
  const progress = { pending: 5, sending: 2, sent: 1_754, failed: 3, suppressed: 1, cancelled: 0 };
  const summary: ImportSummary = {
    rows: 1_754,
    added: 1_750,
    updated: 0,
    skipped: 1,
    invalid: 3,
    problems: [
      { line: 3, email: "", reason: "Email is required." },
      { line: 9, email: "ann@example.com", reason: "Same email as line 2." },
    ],
    error: null,
    bytesRead: 100,
  };

  it("send's progress line redraws in place in Russian (carriage return, then clear the line)", () => {
    const out: string[] = [];
    const show = progressWriter(true, (text) => out.push(text));
    show(inLanguage("ru", sendProgressLine({ ...progress, total: 1_765, done: false })));
    show(
      inLanguage("ru", sendProgressLine({ ...progress, pending: 0, sending: 0, total: 1_758, done: true })),
    );
    expect(out).toEqual([
      `\r\u001b[K[${"#".repeat(30)}] 1758/1765  отправлено 1754  с ошибкой 3  заблокировано 1  в очереди 7`,
      `\r\u001b[K[${"#".repeat(30)}] 1758/1758  отправлено 1754  с ошибкой 3  заблокировано 1  в очереди 0`,
    ]);
    for (const text of out) expect(englishLeft(text)).toEqual([]);
  });

  it("send's and runs' summaries name the run's outcome in words", () => {
    const run = {
      outcome: "partly_failed" as const,
      outcome_label: "Partly failed (3)",
      progress: { ...progress, total: 1_765, done: false },
    };
    const outcome = outcomeText(translator("ru"), run, "ru");
    const finished = "Finished: {{outcome}}. Sent {{sent}}, failed {{failed}}, suppressed {{suppressed}}.";
    expect(fillIn("ru", finished, { outcome, sent: 1754, failed: 3, suppressed: 1 })).toBe(
      "Итог: С ошибками (3). Отправлено: 1754, с ошибкой: 3, заблокировано: 1.",
    );
    const paused = { id: 4, mailing_name: "Spring news", ...run };
    expect(runLine(paused, "ru")).toBe(
      "Запуск 4 рассылки «Spring news»: С ошибками (3) (отправлено: 1754, ещё не отправлено: 7, отменено: 0).",
    );
    expect(runLine({ ...paused, outcome: "cancelled", outcome_label: "Cancelled (0 not sent)" }, "ru")).toBe(
      "Запуск 4 рассылки «Spring news»: Отменён (не отправлено: 0) (отправлено: 1754, ещё не отправлено: 7, отменено: 0).",
    );
    expect(runLine(paused, "en")).toBe(
      'Run 4 of "Spring news": Partly failed (3) (1754 sent, 7 not yet sent, 0 cancelled).',
    );
    expect(fillIn("en", finished, { outcome: run.outcome_label, sent: 1754, failed: 3, suppressed: 1 })).toBe(
      "Finished: Partly failed (3). Sent 1754, failed 3, suppressed 1.",
    );
    // English words the outcome as the run's label does.
    expect(outcomeText(translator("en"), run, "en")).toBe(run.outcome_label);
  });

  it("import's progress and summary: Russian words, figures as Russian writes them, reasons translated", () => {
    expect(inLanguage("ru", importProgressLine(summary, "ru"))).toBe(
      "Прочитано строк: 1\u00a0754; добавлено: 1\u00a0750, обновлено: 0, пропущено: 1, с ошибками: 3",
    );
    expect(summaryLines(summary, "ru").map((line) => inLanguage("ru", line))).toEqual([
      "Импорт завершён. Прочитано строк: 1\u00a0754; добавлено: 1\u00a0750, обновлено: 0, пропущено: 1, с ошибками: 3.",
      "  строка 3: (нет адреса): Поле «Адрес эл. почты» обязательно.",
      "  строка 9: ann@example.com: Тот же адрес, что в строке 2.",
      "  … и ещё 2.",
    ]);
    // English is as it was, with the figures as English writes them.
    expect(summaryLines(summary)).toEqual([
      "Imported. 1,754 rows read: 1,750 added, 0 updated, 1 skipped, 3 invalid.",
      "  line 3: (no email): Email is required.",
      "  line 9: ann@example.com: Same email as line 2.",
      "  … and 2 more.",
    ]);
    expect(inLanguage("en", importProgressLine(summary))).toBe(
      "1,754 rows read: 1,750 added, 0 updated, 1 skipped, 3 invalid",
    );
  });

  it("a file import-recipients cannot read: why, in Russian (a general template would match it first)", async () => {
    const file = path.join(tmpdir(), "postpilot-no-such-dir", "r.csv");
    vi.stubEnv("LC_ALL", "");
    vi.stubEnv("LC_MESSAGES", "");
    try {
      vi.stubEnv("LANG", "ru_RU.UTF-8");
      await expect(openInput(file)).rejects.toThrow(
        `Не удаётся прочитать ${file}: нет такого файла. Ничего не импортировано.`,
      );
      vi.stubEnv("LANG", "en_US.UTF-8");
      await expect(openInput(file)).rejects.toThrow(
        `Cannot read ${file}: no such file. Nothing was imported.`,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("seed-demo's counts read “Label: N”", () => {
    const counts = {
      users: 4,
      recipients: 96,
      messages: 12,
      mailings: 12,
      runs: 16,
      deliveries: 352,
      posts: 4,
    };
    expect(countLines(counts, "en")).toEqual(Object.entries(counts).map(([what, n]) => `  ${n} ${what}`));
    const printed = countLines(counts, "ru").map((line) => inLanguage("ru", line));
    expect(printed).toEqual([
      "  Пользователей: 4",
      "  Получателей: 96",
      "  Писем: 12",
      "  Рассылок: 12",
      "  Запусков: 16",
      "  Отправок: 352",
      "  Записей блога: 4",
    ]);
  });
});

describe("commander's own texts in the terminal's language (src/cli/help-language.ts)", () => {
  function program(locale: string) {
    const out: string[] = [];
    const err: string[] = [];
    const cmd = new Command("demo")
      .exitOverride()
      .configureOutput({ writeOut: (s) => out.push(s), writeErr: (s) => err.push(s) })
      .addOption(new Option("--colour <colour>", "the colour").choices(["red", "blue"]).default("red"))
      .requiredOption("--owner <email>", "the user whose list this is")
      .argument("<file>", "the CSV file (UTF-8, comma or semicolon separated), or - for standard input")
      .argument("[copy]", "where to write the CSV, or - for standard output", "-")
      .action(() => {});
    helpInLanguage(cmd, locale);
    const parse = (...args: string[]) => {
      out.length = 0;
      err.length = 0;
      expect(() => cmd.parse(args, { from: "user" })).toThrow();
      return { out: out.join(""), err: err.join("") };
    };
    return { parse };
  }

  it("an unknown option, a bad choice, a missing argument or option: the error in Russian", () => {
    const { parse } = program("ru");
    expect(parse("--owner", "a@example.com", "--ownr", "x", "a.csv").err).toBe(
      "ошибка: неизвестный параметр «--ownr»\n(Возможно, имелось в виду --owner?)\n",
    );
    expect(parse("--owner", "a@example.com", "--colour", "green", "a.csv").err).toBe(
      "ошибка: недопустимое значение «green» параметра «--colour <colour>». Допустимые значения: red, blue.\n",
    );
    expect(parse("--owner", "a@example.com").err).toBe("ошибка: не указан обязательный аргумент «file»\n");
    expect(parse("a.csv").err).toBe("ошибка: не указан обязательный параметр «--owner <email>»\n");
    expect(parse("--owner", "a@example.com", "a.csv", "b.csv", "c.csv").err).toBe(
      "ошибка: слишком много аргументов: ожидается 2, получено 3.\n",
    );
  });

  it("--help names choices and defaults in Russian", () => {
    const help = program("ru").parse("--help").out.replace(/\s+/g, " ");
    expect(help).toContain('(варианты: "red", "blue", по умолчанию: "red")');
    expect(help).toContain('для стандартного вывода (по умолчанию: "-")');
    expect(help).not.toMatch(/choices|default/);
  });

  it("English is unchanged", () => {
    const { parse } = program("en");
    expect(parse("--owner", "a@example.com", "--ownr", "x", "a.csv").err).toBe(
      "error: unknown option '--ownr'\n(Did you mean --owner?)\n",
    );
    expect(parse("--owner", "a@example.com", "--colour", "green", "a.csv").err).toBe(
      "error: option '--colour <colour>' argument 'green' is invalid. Allowed choices are red, blue.\n",
    );
    expect(parse("a.csv").err).toBe("error: required option '--owner <email>' not specified\n");
    const help = parse("--help").out.replace(/\s+/g, " ");
    expect(help).toContain('(choices: "red", "blue", default: "red")');
    expect(help).toContain('(default: "-")');
  });
});

describe("every notice and error line of src/cli/*.ts has its Russian", () => {
  // Sample lines as the commands print them, with Cyrillic or figures for the parts that vary.
  const lines = [
    "No PostPilot database at ф. Set DATA_DIR to the folder that holds postpilot.sqlite, or DATABASE_URL to the PostgreSQL database, or pass --create to make a new empty one (`postpilot migrate` creates one too).",
    "Database: ф",
    "Invalid configuration:",
    "PORT: must be a port number (0-65535)",
    "TRUST_PROXY: must be true or false",
    "BOUNCE_HARD_LIMIT: must be a whole number of at least 1",
    "DELIVERY_RETENTION_DAYS: must be a whole number of days, at least 1 (unset: keep everything)",
    "DKIM_DOMAIN: must be a domain name such as example.com",
    "DKIM_SELECTOR: must be set when DKIM_DOMAIN is",
    "Password (at least 8 characters): ",
    '"ф" is not a mailing id (see `postpilot mailings`).',
    "No mailings.",
    "The database is up to date.",
    "Admin ann@example.com created.",
    "Run 3 of mailing 2: 5 recipients.",
    "Finished: Отправлен. Sent 5, failed 0, suppressed 0.",
    "[##########--------------------] 3/10  sent 3  failed 0  suppressed 0  pending 7",
    "Give the run's number.",
    "Give the message's number.",
    "Test queued to ann@example.com; it is sent by the running service or worker.",
    "Imported. 3 rows read: 2 added, 0 updated, 1 skipped, 0 invalid.",
    "Stopped before the end. 3 rows read: 2 added, 0 updated, 1 skipped, 0 invalid.",
    "Stopped: ф",
    "… and 3 more.",
    "Exported 3 recipients to ф.",
    "There is no user with the email ann@example.com.",
    "No lists.",
    "No users.",
    "ann@example.com is blocked.",
    "ann@example.com is unblocked.",
    "No webhook endpoints.",
    "Endpoint 3 added. Signing secret (shown once): 123",
    "Endpoint 3 removed.",
    "Endpoint 3 enabled.",
    "Endpoint 3 disabled.",
    "No tokens.",
    'Token 3 "ф" for ann@example.com.',
    "Copy it now: it is not shown again.",
    "Token 3 revoked.",
    "No suppressed addresses.",
    "Suppressed ann@example.com.",
    "Choose one of ф.",
    "ann@example.com is not suppressed for bob@example.com.",
    "Removed ann@example.com from the suppression list.",
    "No senders: every mailing sends as ann@example.com (SMTP_FROM).",
    "Sender 3 added: ф.",
    "Sender 3 deleted: ф.",
    '"ф" is not a sender id (see `postpilot senders list`).',
    "Demo data created:",
    "Log in with (passwords are random; keep them or change them on /profile):",
    "Wrote ф: 1 users, 2 recipients, 3 messages, 4 mailings, 5 posts.",
    "It holds password hashes: keep it private.",
    "Cannot read ф: ф",
    "Loaded 1 users, 2 recipients, 3 messages, 4 mailings, 5 posts.",
    "The database is not empty (ф): seed-demo only fills an empty database. Point DATA_DIR or DATABASE_URL at a new one, or use load-fixtures to add data.",
    "Nothing was loaded: 2 conflict(s):\n  - user ann@example.com already exists\n  - post /blog/ф appears more than once in the file",
    "DATABASE_URL is set: back up PostgreSQL with pg_dump instead.",
    "Backed up ф to ф (3 pages).",
    "ф exists already: choose a new file name.",
    "There is no database at ф.",
    "The URL must start with postgres:// or postgresql://.",
    "Copied. Set DATABASE_URL to this database and restart PostPilot.",
    "Every counter was exact: nothing changed.",
    "Recounted: 2 counters changed.",
    "Set DELIVERY_RETENTION_DAYS or pass --days <n>.",
    "--days must be a whole number of days, at least 1.",
    "Pruned 2 runs finished more than 30 days ago: 3 deliveries and 4 tries removed.",
    "No message on standard input.",
    "The message cannot be read: ф",
    "BOUNCE_IMAP_URL is not set: there is no bounce mailbox to poll.",
    "The poll failed: ф",
    "No messages in Ящик.",
    "Not handled (left in the mailbox): ф",
    "Unsubscribe by email: unsubscribed (ф).",
    "Unsubscribe by email: already unsubscribed.",
    "Unsubscribe by email: unknown token, nothing changed.",
    "A bounce naming nobody.",
    "Wrote a 2048-bit RSA key to ф (mode 0600).",
    "Publish this DNS TXT record:",
    "Then set (DKIM_PRIVATE_KEY_FILE is the default and may be left out):",
    "ф already exists. Pass --force to replace it (then publish the new DNS record too).",
    "--domain: must be a domain name such as example.com",
    "--selector: must be letters, digits and hyphens, such as mail2026",
  ];
  // Names of commands, options, variables and files, which stay as they are.
  const names = [
    "DATA",
    "DIR",
    "DATABASE",
    "URL",
    "postpilot",
    "sqlite",
    "PostgreSQL",
    "create",
    "migrate",
    "mailings",
    "SMTP",
    "FROM",
    "senders",
    "list",
    "seed-demo",
    "load-fixtures",
    "pg_dump",
    "pg",
    "dump",
    "postgres",
    "postgresql",
    "DELIVERY",
    "RETENTION",
    "DAYS",
    "days",
    "BOUNCE",
    "IMAP",
    "RSA",
    "DNS",
    "TXT",
    "DKIM",
    "PRIVATE",
    "PORT",
    "TRUST",
    "PROXY",
    "true",
    "false",
    "HARD",
    "LIMIT",
    "SELECTOR",
    "DOMAIN",
    "KEY",
    "FILE",
    "force",
    "domain",
    "selector",
    "profile",
    "blog",
    "mail",
  ];

  it("leaves alone texts that only end or start like a CLI line (a relay's reply, shown on the run page)", () => {
    for (const reply of ["too many recipients", "Message rejected: spam", "line 5: syntax error: bad"])
      expect(translateMessage("ru", reply)).toBe(reply);
  });

  it.each(lines)("%s", (line) => {
    const russian = inLanguage("ru", line);
    expect(russian).not.toBe(line);
    expect(englishLeft(russian, names)).toEqual([]);
    expect(inLanguage("en", line)).toBe(line);
  });
});
