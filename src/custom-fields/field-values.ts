/**
 * What a custom field's value is, by type: the canonical text stored (and compared), the number of a number
 * field, and the value templates see. Pure: no I/O. An empty input means "no value".
 */
import type { CustomFieldType } from "../db/schema.js";

export const FIELD_TYPES = ["text", "number", "date", "yes_no"] as const satisfies readonly CustomFieldType[];
export const FIELD_TYPE_LABELS: Record<CustomFieldType, string> = {
  text: "Text",
  number: "Number",
  date: "Date",
  yes_no: "Yes / no",
};

export const FIELD_VALUE_MAX = 1000;

export type StoredValue = { text: string; number: number | null };
export type ParsedValue = { ok: true; value: StoredValue | null } | { ok: false; message: string };

const YES = new Set(["yes", "y", "true", "1", "on"]);
const NO = new Set(["no", "n", "false", "0", "off"]);

function isDate(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return (
    d.getUTCFullYear() === Number(m[1]) &&
    d.getUTCMonth() === Number(m[2]) - 1 &&
    d.getUTCDate() === Number(m[3])
  );
}

/** Parses one value typed in a form, a CSV cell, the API or a segment condition. */
export function parseFieldValue(type: CustomFieldType, label: string, raw: unknown): ParsedValue {
  if (raw === undefined || raw === null) return { ok: true, value: null };
  if (typeof raw === "boolean" && type === "yes_no")
    return { ok: true, value: { text: raw ? "yes" : "no", number: null } };
  if (typeof raw === "number" && type === "number" && Number.isFinite(raw)) {
    return { ok: true, value: { text: String(raw), number: raw } };
  }
  if (typeof raw !== "string")
    return { ok: false, message: `${label} is not a ${FIELD_TYPE_LABELS[type].toLowerCase()}.` };
  const text = raw.trim();
  if (text === "") return { ok: true, value: null };
  if (text.length > FIELD_VALUE_MAX)
    return { ok: false, message: `${label} must be at most ${FIELD_VALUE_MAX} characters.` };
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    return { ok: false, message: `${label} contains a character that is not allowed.` };
  }
  switch (type) {
    case "text":
      return { ok: true, value: { text, number: null } };
    case "number": {
      const n = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isFinite(n)) return { ok: false, message: `${label} must be a number, like 42 or 3.5.` };
      return { ok: true, value: { text: String(n), number: n } };
    }
    case "date":
      if (!isDate(text)) return { ok: false, message: `${label} must be a date, like 2026-12-31.` };
      return { ok: true, value: { text, number: null } };
    case "yes_no": {
      const lower = text.toLowerCase();
      if (YES.has(lower)) return { ok: true, value: { text: "yes", number: null } };
      if (NO.has(lower)) return { ok: true, value: { text: "no", number: null } };
      return { ok: false, message: `${label} must be yes or no.` };
    }
  }
}

/** The value templates and the API see: a number, true / false, or the text (dates as YYYY-MM-DD). */
export function publicValue(
  type: CustomFieldType,
  stored: { value_text: string; value_number: number | null },
) {
  if (type === "number") return stored.value_number ?? Number(stored.value_text);
  if (type === "yes_no") return stored.value_text === "yes";
  return stored.value_text;
}
