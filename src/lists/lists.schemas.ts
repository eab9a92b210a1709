/** Input schemas for lists and list membership, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { email, id, LIMITS, listQuery, optionalText, singleLine } from "../shared/fields.js";

export const LIST_LIMITS = { description: 1000, redirectUrl: 500, members: 10_000 } as const;

const flag = z.preprocess(
  (v) => v === true || v === "on" || v === "1" || v === "true" || v === 1,
  z.boolean(),
);

const redirectUrl = z.preprocess(
  (v) => (v === undefined || v === null ? "" : v),
  z
    .string()
    .trim()
    .max(LIST_LIMITS.redirectUrl, `The address must be at most ${LIST_LIMITS.redirectUrl} characters.`)
    .refine((v) => v === "" || /^https?:\/\/[^\s<>"]+$/i.test(v), "Enter an address starting with https://."),
);

export const listSchema = z.object({
  name: singleLine("Name", LIMITS.name),
  description: optionalText("Description", LIST_LIMITS.description),
  signup_enabled: flag.optional().default(false),
  signup_ask_name: flag.optional().default(false),
  /** Custom field keys the signup form asks for (checkboxes, or an array in the API). */
  signup_fields: z
    .preprocess(
      (v) => (v === undefined || v === "" ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.string().max(64)).max(50),
    )
    .optional()
    .default([]),
  signup_redirect_url: redirectUrl.optional().default(""),
});

export const LIST_SORTS = ["name", "created_at"] as const;
export const listListQuery = listQuery(LIST_SORTS, "name");

/** Members to add or remove by id or by address (the API); addresses not among the owner's recipients are reported. */
export const membersChangeSchema = z
  .object({
    ids: z.array(id).max(LIST_LIMITS.members).optional().default([]),
    emails: z.array(email()).max(LIST_LIMITS.members).optional().default([]),
  })
  .refine((v) => v.ids.length + v.emails.length > 0, { message: "Give ids or emails.", path: ["ids"] });

export type ListInput = z.output<typeof listSchema>;
export type ListListQuery = z.output<typeof listListQuery>;
export type MembersChange = z.output<typeof membersChangeSchema>;
