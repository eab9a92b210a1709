/** /api/v1/recipients: the same service and schemas as the recipient pages. */
import type { Services } from "../container.js";
import { RECIPIENT_SORTS } from "../recipients/recipients.schemas.js";
import { type ApiRouter, patched } from "./router.js";
import {
  bulkResultOut,
  listOf,
  listQueryFor,
  recipientListOut,
  recipientOut,
  scopeQuery,
} from "./schemas.js";

export function recipientsApi(api: ApiRouter, { recipients, recipientBulk }: Services): void {
  const tag = "Recipients";
  api.route({
    method: "GET",
    path: "/recipients",
    tag,
    summary: "List recipients (search by email or name)",
    query: listQueryFor(RECIPIENT_SORTS).extend(scopeQuery.shape),
    status: 200,
    response: recipientListOut,
    problems: [422],
    handler: async ({ user, query }) => listOf(await recipients.list(user, query)),
  });
  api.route({
    method: "POST",
    path: "/recipients",
    tag,
    summary: "Add a recipient",
    description: "The email is unique per user, ignoring case and spaces: a duplicate is a 409 naming it.",
    body: "RecipientInput",
    status: 201,
    response: recipientOut,
    problems: [409, 422],
    handler: ({ user, body }) => recipients.create(user, body),
  });
  api.route({
    method: "POST",
    path: "/recipients/bulk",
    tag,
    summary: "Create or update up to 10,000 recipients by email",
    description:
      "A JSON array of recipients, or CSV with Content-Type text/csv (header: email, name, comment as in the CSV import; index 0 is the first line after the header). Each row is checked like POST /recipients; a row whose email you already have changes only the fields it sends. `results` says for each row (by its index) whether it was created, updated, unchanged or invalid (with its errors); invalid rows are skipped. Rows are applied in transactions of 1,000. With an `Idempotency-Key` header, a retry within 24 hours returns the first response (header `Idempotent-Replayed: true`) without applying it again; the same key with another body is a 422.",
    body: "RecipientBulkInput",
    status: 200,
    response: bulkResultOut,
    problems: [413, 422],
    idempotent: true,
    csv: true,
    bodyLimit: 16 * 1024 * 1024,
    handler: ({ user, body }) => recipientBulk.upsert(user, body),
  });
  api.route({
    method: "GET",
    path: "/recipients/:id",
    tag,
    summary: "Get a recipient",
    status: 200,
    response: recipientOut,
    problems: [404],
    handler: ({ user, id }) => recipients.get(user, id),
  });
  api.route({
    method: "PATCH",
    path: "/recipients/:id",
    tag,
    summary: "Change a recipient (only the fields sent)",
    body: "RecipientPatch",
    status: 200,
    response: recipientOut,
    problems: [404, 409, 422],
    handler: async ({ user, id, body }) => {
      const { email, full_name, comment } = await recipients.get(user, id);
      return recipients.update(user, id, patched({ email, full_name, comment }, body));
    },
  });
  api.route({
    method: "DELETE",
    path: "/recipients/:id",
    tag,
    summary: "Delete a recipient (it leaves every mailing; past deliveries keep the address)",
    status: 204,
    problems: [404],
    handler: ({ user, id }) => recipients.delete(user, id),
  });
}
