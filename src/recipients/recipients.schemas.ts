/** Input schemas for recipients, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { email, LIMITS, listQuery, optionalSingleLine, optionalText } from "../shared/fields.js";

export const recipientSchema = z.object({
  email: email(),
  full_name: optionalSingleLine("Full name", LIMITS.name),
  comment: optionalText("Comment", LIMITS.comment),
});

export const RECIPIENT_SORTS = ["full_name", "email", "created_at"] as const;
export const recipientListQuery = listQuery(RECIPIENT_SORTS, "created_at");

export type RecipientInput = z.output<typeof recipientSchema>;
export type RecipientListQuery = z.output<typeof recipientListQuery>;
