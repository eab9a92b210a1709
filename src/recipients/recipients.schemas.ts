/** Input schemas for recipients, shared by the HTML forms, the API and the CLI. */

import { z } from "zod";
import { email, id, LIMITS, listQuery, optionalSingleLine, optionalText } from "../shared/fields.js";
import { cursorFields } from "../shared/pagination.js";
import { scopeFields } from "../shared/scope.js";

export const recipientSchema = z.object({
  email: email(),
  full_name: optionalSingleLine("Full name", LIMITS.name),
  comment: optionalText("Comment", LIMITS.comment),
});

export const RECIPIENT_SORTS = ["full_name", "email", "created_at"] as const;
/** The list page's query: search, sort, page, and optionally one of the owner's lists. */
export const recipientListQuery = listQuery(RECIPIENT_SORTS, "created_at").extend({
  list: id.optional().catch(undefined),
  ...scopeFields,
  ...cursorFields,
});

/** Which recipients a bulk action or an export covers: a search and, optionally, a list. */
export interface RecipientFilter {
  q: string;
  list?: number | undefined;
}

export const BULK_ACTIONS = ["add_to_list", "remove_from_list", "delete", "export"] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** A bulk action on the recipients page: on the ticked rows, or on every row matching the filter. */
export const bulkSchema = z
  .object({
    action: z.enum(BULK_ACTIONS, { error: "Choose what to do." }),
    scope: z.enum(["ticked", "matching"]).catch("ticked"),
    ids: z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(id).max(10_000)),
    target_list: z.preprocess((v) => (v === "" ? undefined : v), id.optional()),
    q: optionalText("Search", LIMITS.search),
    list: z.preprocess((v) => (v === "" ? undefined : v), id.optional()),
  })
  .superRefine((v, ctx) => {
    if ((v.action === "add_to_list" || v.action === "remove_from_list") && v.target_list === undefined) {
      ctx.addIssue({ code: "custom", path: ["target_list"], message: "Choose a list." });
    }
    if (v.scope === "ticked" && v.ids.length === 0) {
      ctx.addIssue({ code: "custom", path: ["ids"], message: "Tick at least one recipient first." });
    }
  });
export type BulkInput = z.output<typeof bulkSchema>;

export type RecipientInput = z.output<typeof recipientSchema>;
export type RecipientListQuery = z.output<typeof recipientListQuery>;
