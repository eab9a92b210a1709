/**
 * Languages of the UI (issue 16). One file per language (en.ts, ru.ts) holds its keyed texts, the
 * translations of the English messages that services, schemas and flashes produce, and its field labels.
 * Keys are nested by feature ("nav.dashboard", "accounts.login.title"); plurals use i18next's suffixes,
 * chosen by Intl.PluralRules ("count_one", "count_few", "count_many", "count_other").
 * To add a language: copy ru.ts, translate it, and list it in LANGUAGES below.
 */
import i18next, { type Resource, type TOptions } from "i18next";
import { en } from "./en.js";
import { ru } from "./ru.js";

export interface Language {
  /** The BCP 47 primary subtag: "en", "ru". */
  code: string;
  /** The language's own name, for the profile's select. */
  name: string;
  /** The keyed texts, nested by feature. */
  texts: Resource[string];
  /**
   * The English texts that are not keyed (messages of services and schemas, shared with the API and the
   * CLI, which stay English), with "{{name}}" for the parts that vary, and their translations.
   */
  messages: Record<string, string>;
  /** Field labels as the English schemas name them ("Email", "Time zone") and their translations. */
  labels: Record<string, string>;
}

export const LANGUAGES: readonly Language[] = [en, ru];
export type Locale = string;
export const DEFAULT_LOCALE: Locale = "en";
export const LOCALES: readonly Locale[] = LANGUAGES.map((l) => l.code);

export type Translate = (key: string, options?: TOptions) => string;

const engine = i18next.createInstance();
void engine.init({
  initAsync: false,
  resources: Object.fromEntries(LANGUAGES.map((l) => [l.code, { translation: l.texts }])),
  lng: DEFAULT_LOCALE,
  fallbackLng: DEFAULT_LOCALE,
  supportedLngs: [...LOCALES],
  // Preact escapes what it renders; emails and the terminal are plain text.
  interpolation: { escapeValue: false },
  returnNull: false,
});

const translators = new Map<Locale, Translate>();

/** The `t` of a language (English for anything unknown). */
export function translator(locale: Locale | null | undefined): Translate {
  const code = isLocale(locale) ? locale : DEFAULT_LOCALE;
  let t = translators.get(code);
  if (!t) {
    const fixed = engine.getFixedT(code);
    // Texts never change (the resources are fixed at start): each is looked up once, so a page of a
    // hundred labels does not run i18next's resolution a hundred times a request.
    const plain = new Map<string, string>();
    // With options (plurals, names) the text depends on them too: looked up by key and values, as long as
    // the table is small (names vary without end; past the bound they are translated each time).
    t = (key, options) => {
      const id = options ? `${key}\u0000${JSON.stringify(options)}` : key;
      let text = plain.get(id);
      if (text === undefined) {
        text = String(fixed(key, options ?? {}));
        if (plain.size < 10_000) plain.set(id, text);
      }
      return text;
    };
    translators.set(code, t);
  }
  return t;
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && LOCALES.includes(value);
}

/**
 * The language to speak: the profile's, else the best of Accept-Language ("ru-RU,ru;q=0.9,en;q=0.8"),
 * else English.
 */
export function chooseLocale(profile: string | null | undefined, acceptLanguage: string | undefined): Locale {
  if (isLocale(profile)) return profile;
  return fromAcceptLanguage(acceptLanguage) ?? DEFAULT_LOCALE;
}

export function fromAcceptLanguage(header: string | undefined): Locale | null {
  if (!header || header.length > 1000) return null;
  const ranges = header
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim().toLowerCase(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((r) => r.tag !== "" && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const range of ranges) {
    const primary = range.tag.split("-")[0];
    if (isLocale(primary)) return primary;
  }
  return null;
}

/** The language of a POSIX locale (LC_ALL, then LC_MESSAGES, then LANG: "ru_RU.UTF-8" is Russian). */
export function fromPosixEnv(env: NodeJS.ProcessEnv): Locale {
  const value = env.LC_ALL || env.LC_MESSAGES || env.LANG || "";
  const primary = value.toLowerCase().split(/[_.@-]/)[0];
  return isLocale(primary) ? primary : DEFAULT_LOCALE;
}

const languageOf = (locale: Locale) => LANGUAGES.find((l) => l.code === locale) ?? en;

type Pattern = { regex: RegExp; names: string[]; to: string };

/**
 * Parts that are always numbers: "{{line}}" matches digits only, so "Line {{line}}: {{problem}}" leaves
 * "Line 2, column 5: …" to the template that names the column.
 */
const NUMERIC_PARTS = new Set(["line", "column"]);
const patterns = new Map<Locale, Pattern[]>();

function compiled(language: Language): Pattern[] {
  let list = patterns.get(language.code);
  if (!list) {
    list = Object.entries(language.messages)
      .filter(([from]) => from.includes("{{"))
      .map(([from, to]) => {
        const names: string[] = [];
        const source = from
          .split(/(\{\{\w+\}\})/)
          .map((piece) => {
            const name = /^\{\{(\w+)\}\}$/.exec(piece)?.[1];
            if (name) {
              names.push(name);
              return NUMERIC_PARTS.has(name) ? "(\\d+)" : "(.+?)";
            }
            return piece.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          })
          .join("");
        return { regex: new RegExp(`^${source}$`, "s"), names, to };
      });
    patterns.set(language.code, list);
  }
  return list;
}

/**
 * An English message (a validation error, a flash, a service's refusal) in the given language: an exact
 * translation, else the first template that matches, with its parts put back ("{{label}}" translated
 * as a field label, "{{problem}}" as a message of its own). A message with no translation stays English.
 */
export function translateMessage(locale: Locale, text: string): string {
  const language = languageOf(locale);
  if (language.code === DEFAULT_LOCALE) return text;
  const exact = language.messages[text];
  if (exact !== undefined) return exact;
  // A field's message as the CLI prints it ("email: Email is required."): the field name stays.
  const field = /^([a-z][a-z0-9_]*): (.+)$/s.exec(text);
  if (field) return `${field[1]}: ${translateMessage(locale, field[2] ?? "")}`;
  for (const pattern of compiled(language)) {
    const match = pattern.regex.exec(text);
    if (!match) continue;
    const values = new Map(pattern.names.map((name, i) => [name, match[i + 1] ?? ""]));
    return pattern.to.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
      const value = values.get(name) ?? "";
      if (name === "label") return translateLabel(locale, value);
      return name === "problem" ? translateMessage(locale, value) : value;
    });
  }
  return text;
}

export function translateLabel(locale: Locale, label: string): string {
  return languageOf(locale).labels[label] ?? label;
}

/** Every field error of a form, in the language. */
export function translateErrors(locale: Locale, errors: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, translateMessage(locale, v)]));
}

/** One formatter per language, built once (building one costs more than formatting with it). */
const numberFormats = new Map<Locale, Intl.NumberFormat>();

/** A number as the language writes it: 1,754 / 1 754. */
export function formatNumber(locale: Locale, n: number): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale);
    numberFormats.set(locale, format);
  }
  return format.format(n);
}

/** The languages for a select: code and own name. */
export function languageOptions(): { value: string; label: string }[] {
  return LANGUAGES.map((l) => ({ value: l.code, label: l.name }));
}

/** For the key test: every key of a language, with plural suffixes left as they are. */
export function keysOf(texts: object, prefix = ""): string[] {
  return Object.entries(texts).flatMap(([key, value]) =>
    value && typeof value === "object" ? keysOf(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}
