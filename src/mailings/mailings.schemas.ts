/**
 * Input schemas for mailings, shared by the HTML forms, the API and the CLI. Times are entered as wall-clock
 * time in the mailing's time zone ("2026-12-01T09:00") or as an instant with an offset; they are stored in UTC.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import type { Periodicity } from "../db/schema.js";
import { parseSendWindow } from "../delivery/window.js";
import {
  email,
  id,
  LIMITS,
  listQuery,
  optionalText,
  pageNumber,
  singleLine,
  timeZone,
} from "../shared/fields.js";
import { cursorFields } from "../shared/pagination.js";
import { scopeFields } from "../shared/scope.js";
import { fromLocalInput } from "../shared/time.js";

export const PERIODICITIES = ["once", "daily", "weekly", "monthly"] as const satisfies readonly Periodicity[];
export const PERIODICITY_LABELS: Record<Periodicity, string> = {
  once: "Once",
  daily: "Daily",
  weekly: "Weekly",
  monthly: "Monthly",
};

/** Offsets in use on Earth run from -12:00 to +14:00; anything past ±14:00 is a typo, not a place. */
const MAX_OFFSET_MINUTES = 14 * 60;
/** Stored times are compared as text, which holds only for four-digit years after 1970. */
const FIRST = Date.UTC(1970, 0, 1);
const LAST = Date.UTC(10_000, 0, 1) - 1;

/** Parses a form or API time in a zone; null when it is not a date and time (or out of bounds). */
export function parseTime(value: string, zone: string): Date | null {
  const date = /[zZ]|[+-]\d{2}:?\d{2}$/.test(value) ? parseInstant(value) : fromLocalInput(value, zone);
  return date && date.getTime() >= FIRST && date.getTime() <= LAST ? date : null;
}

function parseInstant(value: string): Date | null {
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(value);
  if (offset && (Number(offset[3]) >= 60 || Number(offset[2]) * 60 + Number(offset[3]) > MAX_OFFSET_MINUTES))
    return null;
  const dt = DateTime.fromISO(value, { setZone: true });
  return dt.isValid ? dt.toUTC().toJSDate() : null;
}

// A time parses on its own (in UTC) so a malformed one is reported with the other fields' errors; the
// zone-aware conversion and "end after first send" run once every field is valid.
const timeField = (label: string) =>
  z
    .string({ error: `${label} is required.` })
    .trim()
    .min(1, `${label} is required.`)
    .max(40, `${label} is not a date and time.`)
    .refine((v) => v === "" || parseTime(v, "UTC") !== null, `${label} is not a date and time.`);

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/** A window time: "" (none) or HH:MM. */
const windowTime = (label: string) =>
  z
    .string()
    .trim()
    .default("")
    .refine((v) => v === "" || HHMM.test(v), `${label} must be a time such as 09:00.`);

/** The sending window's days: ISO weekdays (a form sends one value or several; the API an array). */
const windowDays = z.preprocess(
  (v) => (v === undefined || v === null || v === "" ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.coerce.number({ error: "Choose days of the week." }).int().min(1).max(7), {
    error: "Choose days of the week.",
  }),
);

/** A one-off without an End may still be sent for a day after its first send (after downtime, say). */
const ONE_OFF_END_MS = 86_400_000;

export const RECIPIENT_MODES = ["all", "matching", "none"] as const;

export const mailingSchema = z
  .object({
    name: singleLine("Name", LIMITS.name),
    message_id: z
      .preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable())
      .refine((v) => v !== null, "Choose a message."),
    // Absent or "": the default From (SMTP_FROM). MailingsService checks that a chosen sender exists.
    sender_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()),
    first_send_at: timeField("First send"),
    // A one-off has no End to choose (the form hides the field, whose value is then ignored): it may be
    // sent for a day after its first send.
    end_at: z
      .string()
      .trim()
      .max(40, "End is not a date and time.")
      .refine((v) => v === "" || parseTime(v, "UTC") !== null, "End is not a date and time.")
      .optional()
      .default(""),
    periodicity: z.enum(PERIODICITIES, { error: "Choose how often to send." }),
    time_zone: timeZone(),
    window_days: windowDays,
    window_start: windowTime("Sending starts"),
    window_end: windowTime("Sending ends"),
  })
  .transform((v, ctx) => {
    const firstSendAt = parseTime(v.first_send_at, v.time_zone);
    if (v.end_at === "" && v.periodicity !== "once") {
      ctx.addIssue({ code: "custom", path: ["end_at"], message: "End is required for a repeating mailing." });
      return z.NEVER;
    }
    const endAt =
      v.periodicity === "once"
        ? firstSendAt && new Date(firstSendAt.getTime() + ONE_OFF_END_MS)
        : parseTime(v.end_at, v.time_zone);
    if (!firstSendAt || !endAt || v.message_id === null) return z.NEVER;
    if (endAt.getTime() <= firstSendAt.getTime()) {
      ctx.addIssue({ code: "custom", path: ["end_at"], message: "End must be after the first send." });
      return z.NEVER;
    }
    const days = [...new Set(v.window_days)].sort((a, b) => a - b);
    const anyWindow = days.length > 0 || v.window_start !== "" || v.window_end !== "";
    if (anyWindow) {
      if (days.length === 0)
        ctx.addIssue({
          code: "custom",
          path: ["window_days"],
          message: "Choose the days sending may happen.",
        });
      if (v.window_start === "")
        ctx.addIssue({ code: "custom", path: ["window_start"], message: "Sending starts is required." });
      if (v.window_end === "")
        ctx.addIssue({ code: "custom", path: ["window_end"], message: "Sending ends is required." });
      else if (v.window_start !== "" && v.window_end <= v.window_start)
        ctx.addIssue({
          code: "custom",
          path: ["window_end"],
          message: "Sending ends must be after it starts.",
        });
      if (days.length === 0 || v.window_start === "" || v.window_end <= v.window_start) return z.NEVER;
    }
    return {
      name: v.name,
      message_id: v.message_id,
      sender_id: v.sender_id,
      first_send_at: firstSendAt.toISOString(),
      end_at: endAt.toISOString(),
      periodicity: v.periodicity,
      time_zone: v.time_zone,
      send_window: anyWindow ? JSON.stringify({ days, start: v.window_start, end: v.window_end }) : null,
    };
  });

/** Which recipients a new mailing starts with; individual changes are made on its recipients page. */
export const initialRecipientsSchema = z.object({
  recipient_mode: z.enum(RECIPIENT_MODES).catch("all"),
  recipient_q: optionalText("Search", LIMITS.search),
});

/**
 * The API's other start: exactly these recipients, picked individually, by id and/or address (at most
 * 10,000 together). Absent on the web form, which picks on the mailing's recipients page.
 */
export const initialPickedSchema = z.object({
  recipient_ids: z.array(id).max(10_000).optional(),
  recipient_emails: z.array(email()).max(10_000).optional(),
});

export const MAILING_SORTS = ["name", "first_send_at", "status", "created_at"] as const;
/** The list page's query; staff may ask for every user's mailings (scope "all", optionally one owner). */
export const mailingListQuery = listQuery(MAILING_SORTS, "created_at")
  .extend(scopeFields)
  .extend(cursorFields);

/** The recipients page of a mailing: search, page, and which to show. */
export const memberQuery = z.object({
  q: optionalText("Search", LIMITS.search).catch(""),
  page: pageNumber,
  show: z.enum(["all", "in", "out"]).catch("all"),
});

/** A change to a mailing's recipients: checked ids, or everything matching a search. */
export const memberChangeSchema = z.object({
  action: z.enum(["add", "remove", "add_matching", "remove_matching"], { error: "Choose what to do." }),
  ids: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(id).max(10_000)),
  q: optionalText("Search", LIMITS.search),
});

export type MailingInput = z.output<typeof mailingSchema>;
export type MailingListQuery = z.output<typeof mailingListQuery>;
export type MemberQuery = z.output<typeof memberQuery>;

/** A stored sending window as the form's and the API's fields (none: no days, empty times). */
export function windowFields(stored: string | null): {
  window_days: number[];
  window_start: string;
  window_end: string;
} {
  const w = parseSendWindow(stored);
  return w
    ? { window_days: w.days, window_start: w.start, window_end: w.end }
    : { window_days: [], window_start: "", window_end: "" };
}
