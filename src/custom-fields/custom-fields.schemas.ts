/** Input schemas for custom fields, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { singleLine } from "../shared/fields.js";
import { FIELD_TYPES } from "./field-values.js";

/** Keys a recipient already has (and "fields" itself): a custom field cannot shadow them in templates. */
const RESERVED = new Set([
  "email",
  "full_name",
  "name",
  "comment",
  "id",
  "fields",
  "created_at",
  "updated_at",
]);
export const MAX_FIELDS = 50;

export const customFieldSchema = z.object({
  key: z
    .string({ error: "Key is required." })
    .trim()
    .min(1, "Key is required.")
    .max(40, "Key must be at most 40 characters.")
    .regex(
      /^[a-z][a-z0-9_]*$/,
      "Key: lower-case letters, digits and _, starting with a letter (like plan or signup_date).",
    )
    .refine((v) => !RESERVED.has(v), "This key is already a recipient's own field: choose another."),
  label: singleLine("Label", 100),
  type: z.enum(FIELD_TYPES, { error: "Choose text, number, date or yes / no." }),
});

export type CustomFieldInput = z.output<typeof customFieldSchema>;
