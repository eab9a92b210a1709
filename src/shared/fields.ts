/**
 * Field schemas shared by every feature's input schemas. Limits are part of the contract: forms, API and
 * CLI reject longer input with the same message.
 */
import { z } from "zod";
import { PAGE_SIZE } from "./pagination.js";
import { CURRENT_ZONE_NAMES, currentZoneName } from "./time.js";

export const LIMITS = {
  email: 254,
  name: 200,
  comment: 2000,
  subject: 200,
  body: 100_000,
  search: 200,
  password: { min: 8, max: 200 },
} as const;

/**
 * Characters no single-line field may hold: C0 controls (with tab, CR, LF), DEL, C1 controls, the line and
 * paragraph separators, and the bidirectional marks, embeddings, overrides and isolates (which make text
 * read differently from what it is, in a page, a mail header or a terminal). The one definition; the CLI's
 * tables escape the same set (`escapeControls`).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROLS = new RegExp(CONTROL.source, "g");

export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/** For a terminal: each control character as a visible \u{…} escape, so nothing printed can drive it. */
export function escapeControls(value: string): string {
  return value.replace(CONTROLS, escaped).replace(new RegExp(LONE_SURROGATE.source, "g"), escaped);
}
const escaped = (c: string) => `\\u{${c.charCodeAt(0).toString(16)}}`;

// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Well-formed UTF-16: a lone surrogate would be stored as invalid UTF-8 (SQLite) or refused (PostgreSQL). */
export const wellFormed = (v: string) => !LONE_SURROGATE.test(v);

// HTML forms send "" for an empty field; treat absent and "" alike. PostgreSQL text cannot hold NUL, so
// it is refused here rather than failing the insert with a 500.
const text = (label: string, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .max(max, `${label} must be at most ${max} characters.`)
    .refine(
      (v) => !v.includes("\u0000") && wellFormed(v),
      `${label} contains a character that is not allowed.`,
    );

export const requiredText = (label: string, max: number) => text(label, max).min(1, `${label} is required.`);

export const optionalText = (label: string, max: number) =>
  z.preprocess((v) => (v === undefined || v === null ? "" : v), text(label, max));

const oneLine = (v: string) => !/[\r\n\u2028\u2029]/.test(v);
const notOneLine = (label: string) => ({ error: `${label} must be a single line.`, abort: true });
const noControls = (label: string) =>
  [
    (v: string) => !hasControlCharacter(v),
    `${label} contains a control or text-direction character (such as a tab), which is not allowed.`,
  ] as const;

/**
 * One line: line breaks are rejected (they would break mail headers), and so is every other control or
 * text-direction character (CONTROL).
 */
export const singleLine = (label: string, max: number) =>
  requiredText(label, max)
    .refine(oneLine, notOneLine(label))
    .refine(...noControls(label));

/** An optional single line (a recipient's name can end up in a To header). */
export const optionalSingleLine = (label: string, max: number) =>
  z.preprocess(
    (v) => (v === undefined || v === null ? "" : v),
    text(label, max)
      .refine(oneLine, notOneLine(label))
      .refine(...noControls(label)),
  );

/** Free text kept exactly as typed (a plain-text body's leading indentation matters); must not be blank. */
export const bodyText = (label: string, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .max(max, `${label} must be at most ${max} characters.`)
    .refine((v) => v.trim() !== "", `${label} is required.`)
    .refine(
      (v) => !v.includes("\u0000") && wellFormed(v),
      `${label} contains a character that is not allowed.`,
    );

// A practical address check: one @, no spaces or control characters, a dot in the domain.
const EMAIL = /^[^\s@<>()[\],;:"\\]+@[^\s@<>()[\],;:"\\]+\.[^\s@<>()[\],;:"\\]+$/;

export const email = (label = "Email") =>
  requiredText(label, LIMITS.email).refine(
    (v) => EMAIL.test(v) && !hasControlCharacter(v),
    "Enter a valid email address, like name@example.com.",
  );

export const password = (label = "Password") =>
  z
    .string({ error: `${label} is required.` })
    .min(LIMITS.password.min, `${label} must be at least ${LIMITS.password.min} characters.`)
    .max(LIMITS.password.max, `${label} must be at most ${LIMITS.password.max} characters.`);

/** A time zone, stored in its canonical spelling ("europe/berlin" is Europe/Berlin). */
export const timeZone = (label = "Time zone") =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .refine(isTimeZone, `${label} must be a time zone such as Europe/Berlin.`)
    .transform(canonicalTimeZone);

/** The zone's canonical name as the time-zone database spells it now (its case; Europe/Kyiv, not Kiev), for a valid zone. */
export function canonicalTimeZone(value: string): string {
  const current = Object.values(CURRENT_ZONE_NAMES).find((z) => z.toLowerCase() === value.toLowerCase());
  if (current) return current;
  const resolved = new Intl.DateTimeFormat("en-US", { timeZone: value }).resolvedOptions().timeZone;
  if (resolved.toLowerCase() === value.toLowerCase()) return currentZoneName(resolved);
  // An alias resolved to another name (Node may map Etc/UTC to UTC): keep what was meant, in its case.
  return currentZoneName(
    Intl.supportedValuesOf("timeZone").find((z) => z.toLowerCase() === value.toLowerCase()) ?? resolved,
  );
}

export function isTimeZone(value: string): boolean {
  if (!value || value.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export function timeZones(): string[] {
  const zones = Intl.supportedValuesOf("timeZone");
  return zones.includes("UTC") ? zones : ["UTC", ...zones];
}

/** A positive integer id from a URL or form; anything else is "not found", not a 500. */
const NOT_AN_ID = "Choose one from the list.";
export const id = z.coerce
  .number({ error: NOT_AN_ID })
  .int(NOT_AN_ID)
  .positive(NOT_AN_ID)
  .max(2_147_483_647, NOT_AN_ID);

/** How many rows a list page may ask for (the API's `limit`; pages show PAGE_SIZE). */
export const MAX_PAGE_SIZE = 100;

/** A page number from a query string: anything that is not one is page 1. */
export const pageNumber = z.coerce.number().int().min(1).max(1_000_000).catch(1);

/** List queries: search text, page, page size, sort column and direction. */
export function listQuery<S extends readonly [string, ...string[]]>(sorts: S, defaultSort: S[number]) {
  return z.object({
    q: optionalText("Search", LIMITS.search).catch(""),
    page: pageNumber,
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).catch(PAGE_SIZE),
    sort: z.enum(sorts).catch(defaultSort),
    dir: z.enum(["asc", "desc"]).catch(defaultSort === "created_at" ? "desc" : "asc"),
  });
}

export type ListQuery<S extends string = string> = {
  q: string;
  page: number;
  limit: number;
  sort: S;
  dir: "asc" | "desc";
};

export function normalizeEmail(value: string): string {
  return value.trim().toLowerCase();
}
