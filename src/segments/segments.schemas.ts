/**
 * A segment's definition: conditions on a recipient's email, name and comment, lists, custom fields and
 * history, combined with all / any. Shared by the segment form, the API and the mailing audience. Stored as
 * JSON in segments.definition and compiled to SQL by segment.sql.ts.
 */
import { z } from "zod";
import { id, LIMITS, singleLine } from "../shared/fields.js";

export const TEXT_COLUMNS = ["email", "full_name", "comment"] as const;
export const TEXT_OPS = ["contains", "is", "ends_with_domain"] as const;
export const FIELD_OPS = ["eq", "ne", "lt", "gt", "set"] as const;
export const MAX_CONDITIONS = 20;

const value = z
  .string({ error: "Enter a value." })
  .trim()
  .max(LIMITS.search, `A value must be at most ${LIMITS.search} characters.`)
  .refine((v) => !v.includes("\u0000"), "A value contains a character that is not allowed.");

export const conditionSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("text"),
    column: z.enum(TEXT_COLUMNS, { error: "Choose email, name or comment." }),
    op: z.enum(TEXT_OPS, { error: "Choose contains, is or ends with domain." }),
    value: value.min(1, "Enter the text to match."),
  }),
  z.object({
    kind: z.literal("list"),
    op: z.enum(["in", "not_in"], { error: "Choose in or not in." }),
    list_id: id,
  }),
  z.object({
    kind: z.literal("field"),
    key: z.string().max(64),
    op: z.enum(FIELD_OPS, { error: "Choose =, ≠, <, > or is set." }),
    value: value.optional().default(""),
  }),
  z.object({
    kind: z.literal("received"),
    mailing_id: id,
  }),
  z.object({ kind: z.literal("bounced") }),
  z.object({
    kind: z.literal("quiet"),
    days: z.coerce
      .number({ error: "Enter a number of days." })
      .int("Enter a whole number of days.")
      .min(1, "Enter at least 1 day.")
      .max(3650, "Enter at most 3650 days."),
  }),
]);

export const definitionSchema = z.object({
  match: z.enum(["all", "any"]).catch("all"),
  conditions: z
    .array(conditionSchema)
    .min(1, "Add at least one condition.")
    .max(MAX_CONDITIONS, `A segment has at most ${MAX_CONDITIONS} conditions.`),
});

export const segmentSchema = z.object({
  name: singleLine("Name", LIMITS.name),
  definition: definitionSchema,
});

export type Condition = z.output<typeof conditionSchema>;
export type SegmentDefinition = z.output<typeof definitionSchema>;
