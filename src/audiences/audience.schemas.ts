/**
 * A mailing's audience as the audience editor, the API and the CLI give it: everyone, lists and segments to
 * include, lists and segments to exclude. The individually picked recipients are kept apart
 * (mailing_recipients, changed on the mailing's recipients page or through the API's members).
 */
import { z } from "zod";
import { id } from "../shared/fields.js";

const ids = z
  .preprocess((v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]), z.array(id).max(100))
  .transform((v) => [...new Set(v)]);
const flag = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

export const audienceSchema = z.object({
  all: flag.optional().default(false),
  lists: ids.optional().default([]),
  segments: ids.optional().default([]),
  exclude_lists: ids.optional().default([]),
  exclude_segments: ids.optional().default([]),
});

export type AudienceInput = z.output<typeof audienceSchema>;

export const NO_AUDIENCE: AudienceInput = {
  all: false,
  lists: [],
  segments: [],
  exclude_lists: [],
  exclude_segments: [],
};
