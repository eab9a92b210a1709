/**
 * Input schemas for mailings, shared by the HTML forms, the API and the CLI. Times are entered as wall-clock
 * time in the mailing's time zone ("2026-12-01T09:00") or as an instant with an offset; they are stored in UTC.
 */
import { DateTime } from "luxon";
import { z } from "zod";
import type { Periodicity } from "../db/schema.js";
import { id, LIMITS, listQuery, optionalText, pageNumber, singleLine, timeZone } from "../shared/fields.js";
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
    end_at: timeField("End"),
    periodicity: z.enum(PERIODICITIES, { error: "Choose how often to send." }),
    time_zone: timeZone(),
  })
  .transform((v, ctx) => {
    const firstSendAt = parseTime(v.first_send_at, v.time_zone);
    const endAt = parseTime(v.end_at, v.time_zone);
    if (!firstSendAt || !endAt || v.message_id === null) return z.NEVER;
    if (endAt.getTime() <= firstSendAt.getTime()) {
      ctx.addIssue({ code: "custom", path: ["end_at"], message: "End must be after the first send." });
      return z.NEVER;
    }
    return {
      name: v.name,
      message_id: v.message_id,
      sender_id: v.sender_id,
      first_send_at: firstSendAt.toISOString(),
      end_at: endAt.toISOString(),
      periodicity: v.periodicity,
      time_zone: v.time_zone,
    };
  });

/** Which recipients a new mailing starts with; individual changes are made on its recipients page. */
export const initialRecipientsSchema = z.object({
  recipient_mode: z.enum(RECIPIENT_MODES).catch("all"),
  recipient_q: optionalText("Search", LIMITS.search),
});

export const MAILING_SORTS = ["name", "first_send_at", "status", "created_at"] as const;
export const mailingListQuery = listQuery(MAILING_SORTS, "created_at");

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
