/** Input schemas for suppressions, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { email, LIMITS, listQuery, optionalText } from "../shared/fields.js";

/** Reasons a person can enter; unsubscribed, hard bounces and complaints are recorded by what caused them. */
export const SUPPRESSION_REASONS = [
  "unsubscribed",
  "hard_bounce",
  "soft_bounce",
  "complaint",
  "manual",
] as const;

export const suppressionSchema = z.object({
  email: email(),
  reason: z.enum(SUPPRESSION_REASONS, { error: "Choose a reason." }).catch("manual"),
  comment: optionalText("Comment", LIMITS.comment),
});

export const suppressionListQuery = listQuery(["created_at"] as const, "created_at").extend({
  /** The page's reason filter; anything else shows every reason. */
  reason: z.enum(SUPPRESSION_REASONS).optional().catch(undefined),
});

export type SuppressionInput = z.output<typeof suppressionSchema>;
export type SuppressionListQuery = z.output<typeof suppressionListQuery>;
