/** Input schemas for layouts, shared by the layout pages, the API and the CLI. */
import { z } from "zod";
import { LIMITS, singleLine } from "../shared/fields.js";

export const LAYOUT_LIMITS = { html: 100_000, text: 20_000 } as const;

/** Where the message goes: `{{ content }}` (spaces and whitespace control optional), as compile.ts places it. */
export const CONTENT_TAG = /\{\{-?\s*content\s*(\|\s*raw\s*)?-?\}\}/;

const frame = (label: string, max: number) =>
  z
    .string({ error: `${label} is required.` })
    .max(max, `${label} must be at most ${max.toLocaleString("en-US")} characters.`)
    .refine((v) => v.trim() !== "", `${label} is required.`)
    .refine((v) => !v.includes("\u0000"), `${label} contains a character that is not allowed.`)
    .refine((v) => CONTENT_TAG.test(v), `${label} must contain {{ content }} where the message goes.`);

/** Form checkboxes send "on"; the API sends a boolean. */
const checkbox = z.preprocess((v) => v === true || v === "on" || v === "true" || v === "1", z.boolean());

export const layoutSchema = z.object({
  name: singleLine("Name", LIMITS.name),
  html: frame("HTML", LAYOUT_LIMITS.html),
  // An empty text frame is the message's text alone.
  text: z.preprocess(
    (v) =>
      v === undefined || v === null || (typeof v === "string" && v.trim() === "") ? "{{ content }}" : v,
    frame("Text", LAYOUT_LIMITS.text),
  ),
});

/** A new layout may be shared with everyone (admins only); whether it is shared never changes after. */
export const newLayoutSchema = layoutSchema.extend({ shared: checkbox.optional().default(false) });

export type LayoutInput = z.output<typeof layoutSchema>;
