/** /api/v1/recipients: the same service and schemas as the recipient pages. */
import { Readable } from "node:stream";
import type { Services } from "../container.js";
import { RECIPIENT_SORTS } from "../recipients/recipients.schemas.js";
import { ownerWrite } from "./owner-writes.js";
import { type ApiRouter, patched } from "./router.js";
import {
  bulkResultOut,
  cursorListOf,
  cursorListQueryFor,
  exportQuery,
  ownerFilter,
  recipientListOut,
  recipientOut,
  scopeQuery,
} from "./schemas.js";

export function recipientsApi(
  api: ApiRouter,
  { recipients, recipientBulk, recipientExport, admin }: Services,
): void {
  const tag = "Recipients";
  api.route({
    method: "GET",
    path: "/recipients",
    tag,
    summary: "List recipients (search by email or name), by cursor",
    description:
      "Newest first; follow `next_cursor` (as `cursor`) until it is null. Rows added meanwhile are not repeated and push nothing out. `page` and `sort` still give offset pages, and so does `scope=all` (managers and admins: every user's recipients).",
    query: cursorListQueryFor(RECIPIENT_SORTS).extend(ownerFilter).extend(scopeQuery.shape),
    status: 200,
    response: recipientListOut,
    problems: [403, 404, 422],
    handler: async ({ user, query }) => {
      const reader = await admin.readerFor(user, query.owner_id);
      return cursorListOf(
        query,
        () => recipients.list(reader, query),
        (q) => recipients.listByCursor(reader, q),
      );
    },
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
      "A JSON array of recipients, or CSV with Content-Type text/csv (header: email, name, comment as in the CSV import; index 0 is the first line after the header). Each row is checked like POST /recipients; a row whose email you already have changes only the fields it sends. `results` says for each row (by its index) whether it was created, updated, unchanged or invalid (with its errors); invalid rows are skipped. Rows are applied in transactions of 1,000. The call counts as one request against the token's rate limit, whatever its size. With an `Idempotency-Key` header, a retry within 24 hours returns the first response (header `Idempotent-Replayed: true`) without applying it again; the same key with another body is a 422, and a call while the key's first call is still running is a 409 (retry for the replay).",
    body: "RecipientBulkInput",
    status: 200,
    response: bulkResultOut,
    problems: [409, 413, 422],
    idempotent: true,
    csv: true,
    bodyLimit: 16 * 1024 * 1024,
    handler: ({ user, body }) => recipientBulk.upsert(user, body),
  });
  api.route({
    method: "GET",
    path: "/recipients/export",
    tag,
    summary: "Export your recipients, streamed as JSON lines or CSV",
    description:
      "JSON lines (one recipient object a line, with `fields`: its custom field values) unless `format=csv` or `Accept: text/csv` asks for the CSV of the web export (formula-safe, the import reads it back). Streamed a page at a time, oldest first: any size. `q` narrows it like the list's search.",
    query: exportQuery,
    status: 200,
    produces: {
      "application/x-ndjson":
        "One JSON object per line: id, email, full_name, comment, created_at, updated_at, fields.",
      "text/csv":
        "A header line (email, full_name, comment, then custom field keys), then one recipient per line.",
    },
    problems: [422],
    handler: async ({ user, query, accept }) => {
      const csv = query.format === "csv" || (query.format === undefined && /\btext\/csv\b/.test(accept));
      const filter = { q: query.q ?? "" };
      return csv
        ? {
            type: "text/csv; charset=utf-8",
            filename: "recipients.csv",
            stream: Readable.from(recipientExport.csv(user, { filter })),
          }
        : {
            type: "application/x-ndjson; charset=utf-8",
            filename: "recipients.ndjson",
            stream: Readable.from(recipientExport.ndjson(user, { filter })),
          };
    },
  });
  api.route({
    method: "GET",
    path: "/recipients/:id",
    tag,
    summary: "Get a recipient",
    description:
      "Managers and admins may read anyone's recipient, as on the web (read-only: changing or deleting another user's is a 403).",
    status: 200,
    response: recipientOut,
    problems: [404],
    handler: ({ user, id }) => recipients.view(user, id),
  });
  api.route({
    method: "PATCH",
    path: "/recipients/:id",
    tag,
    summary: "Change a recipient (only the fields sent)",
    body: "RecipientPatch",
    status: 200,
    response: recipientOut,
    problems: [403, 404, 409, 422],
    handler: ({ user, id, body }) =>
      ownerWrite(
        user,
        "recipient",
        () => recipients.view(user, id),
        async () => {
          const { email, full_name, comment } = await recipients.get(user, id);
          return recipients.update(user, id, patched({ email, full_name, comment }, body));
        },
      ),
  });
  api.route({
    method: "DELETE",
    path: "/recipients/:id",
    tag,
    summary: "Delete a recipient (it leaves every mailing; past deliveries keep the address)",
    status: 204,
    problems: [403, 404],
    handler: ({ user, id }) =>
      ownerWrite(
        user,
        "recipient",
        () => recipients.view(user, id),
        () => recipients.delete(user, id),
      ),
  });
}
