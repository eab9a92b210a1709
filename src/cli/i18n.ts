/**
 * The CLI's language: LC_ALL, LC_MESSAGES, then LANG (ru_RU.UTF-8 is Russian), else English. The commands
 * print English; speakInLanguage() makes console.log and console.error print each text in the terminal's
 * language when src/i18n has a translation of it (its `messages`), and as it is otherwise. Data printed
 * in tables and JSON has no translation, so it passes unchanged.
 */
import { fromPosixEnv, type Locale, translateMessage } from "../i18n/index.js";

export function cliLocale(env: NodeJS.ProcessEnv = process.env): Locale {
  return fromPosixEnv(env);
}

/** One printed text in the language: line by line, so a multi-line message translates each line. */
export function inLanguage(locale: Locale, text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const indent = /^\s*/.exec(line)?.[0] ?? "";
      return indent + translateMessage(locale, line.slice(indent.length));
    })
    .join("\n");
}

/**
 * A line whose parts are put in the language before it is built: its English template ("Run {{run}} of
 * …") is looked up as it is in `messages`, then filled in. For a line that holds a translated part (whose
 * words could shift where a template's parts are matched), or one that a more general template earlier in
 * `messages` would match first.
 */
export function fillIn(locale: Locale, template: string, values: Record<string, string | number>): string {
  return translateMessage(locale, template).replace(/\{\{(\w+)\}\}/g, (_, name: string) =>
    String(values[name] ?? ""),
  );
}

export function speakInLanguage(locale: Locale): void {
  if (locale === "en") return;
  for (const name of ["log", "error"] as const) {
    const original = console[name].bind(console);
    console[name] = (...args: unknown[]) =>
      original(...args.map((a) => (typeof a === "string" ? inLanguage(locale, a) : a)));
  }
}
