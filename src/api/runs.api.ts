/** /api/v1/runs: one send of a mailing, its progress by status, its deliveries and their tries, and "retry failed". */
import { Readable } from "node:stream";
import type { Services } from "../container.js";
import { csvLine } from "../recipients/export.js";
import { ValidationError } from "../shared/errors.js";
import { PAGE_SIZE } from "../shared/pagination.js";
import type { ApiRouter } from "./router.js";
import { deliveriesQuery, deliveryListOut, exportFormatQuery, listOf, runDetailsOut } from "./schemas.js";

const DELIVERY_EXPORT_COLUMNS = [
  "id",
  "recipient_id",
  "email",
  "status",
  "tries",
  "last_code",
  "last_enhanced",
  "last_text",
  "sent_at",
  "bounce_type",
  "bounced_at",
] as const;
type ExportRow = Record<(typeof DELIVERY_EXPORT_COLUMNS)[number], string | number | null>;

async function* linesOf(pages: AsyncIterable<ExportRow[]>): AsyncGenerator<string> {
  for await (const page of pages) yield page.map((d) => `${JSON.stringify(d)}\n`).join("");
}

async function* csvOf(pages: AsyncIterable<ExportRow[]>): AsyncGenerator<string> {
  yield csvLine(DELIVERY_EXPORT_COLUMNS);
  for await (const page of pages) {
    yield page.map((d) => csvLine(DELIVERY_EXPORT_COLUMNS.map((c) => String(d[c] ?? "")))).join("");
  }
}

export function runsApi(api: ApiRouter, { delivery }: Services): void {
  const tag = "Runs";
  api.route({
    method: "GET",
    path: "/runs/:id",
    tag,
    summary: "Get a run with its deliveries counted by status",
    status: 200,
    response: runDetailsOut,
    problems: [404],
    handler: ({ user, id }) => delivery.getRun(user, id),
  });
  api.route({
    method: "GET",
    path: "/runs/:id/deliveries",
    tag,
    summary: "List a run's deliveries (one per recipient) with their tries, optionally by status, by cursor",
    description:
      "In id order; follow `next_cursor` (as `cursor`) until it is null. `page` still gives offset pages.",
    query: deliveriesQuery,
    status: 200,
    response: deliveryListOut,
    problems: [404, 422],
    handler: async ({ user, id, query }) => {
      if (query.page !== undefined) {
        if (query.cursor !== undefined) {
          throw new ValidationError({ cursor: "Send either cursor or page, not both." });
        }
        const page = await delivery.listDeliveries(user, id, {
          status: query.status,
          page: query.page,
          pageSize: query.limit,
        });
        return { ...listOf(page), next_cursor: null };
      }
      const limit = query.limit ?? PAGE_SIZE;
      const page = await delivery.listDeliveriesByCursor(user, id, {
        status: query.status,
        limit,
        cursor: query.cursor,
      });
      return {
        items: page.items,
        total: page.total,
        page: query.cursor === undefined ? 1 : null,
        limit,
        pages: Math.max(1, Math.ceil(page.total / limit)),
        next_cursor: page.nextCursor,
      };
    },
  });
  api.route({
    method: "GET",
    path: "/runs/:id/deliveries/export",
    tag,
    summary: "Export a run's deliveries, streamed as JSON lines or CSV",
    description:
      "One delivery a line in id order: JSON lines unless `format=csv` or `Accept: text/csv` (formula-safe cells). Streamed a page at a time: any run size. Managers and admins may export anyone's run, as they read it.",
    query: exportFormatQuery,
    status: 200,
    produces: {
      "application/x-ndjson":
        "One JSON object per line: id, recipient_id, email, status, tries, last_code, last_enhanced, last_text, sent_at, bounce_type, bounced_at.",
      "text/csv": `A header line (${DELIVERY_EXPORT_COLUMNS.join(", ")}), then one delivery per line.`,
    },
    problems: [404, 422],
    handler: async ({ user, id, query, accept }) => {
      const pages = await delivery.exportDeliveries(user, id);
      const csv = query.format === "csv" || (query.format === undefined && /\btext\/csv\b/.test(accept));
      return csv
        ? {
            type: "text/csv; charset=utf-8",
            filename: `run-${id}-deliveries.csv`,
            stream: Readable.from(csvOf(pages)),
          }
        : {
            type: "application/x-ndjson; charset=utf-8",
            filename: `run-${id}-deliveries.ndjson`,
            stream: Readable.from(linesOf(pages)),
          };
    },
  });
  api.route({
    method: "POST",
    path: "/runs/:id/retry-failed",
    tag,
    summary: "Send a run's failed deliveries again, now",
    description:
      "A finished run goes back to sending; a run still sending (others waiting for a retry, see next_retry_at) keeps sending. Earlier tries stay in each delivery's attempts. 409 when nothing failed, while another run of the mailing is sending, or when a manager disabled the mailing.",
    status: 202,
    response: runDetailsOut,
    problems: [403, 404, 409],
    handler: ({ user, id }) => delivery.retryFailed(user, id),
  });
  const controls = [
    [
      "pause",
      "Pause a sending run",
      "No new delivery starts; those being sent finish and are recorded. 409 when the run is not sending or already paused.",
    ],
    [
      "resume",
      "Resume a paused run",
      "It continues exactly where it stopped: no recipient gets the message twice. 409 when the run is not paused.",
    ],
    [
      "cancel",
      "Cancel a sending run",
      "Its deliveries not yet sent become cancelled (progress.cancelled), counted in reports; those being sent finish. 409 when the run is not sending.",
    ],
  ] as const;
  for (const [action, summary, description] of controls) {
    api.route({
      method: "POST",
      path: `/runs/:id/${action}`,
      tag,
      summary,
      description,
      status: 200,
      response: runDetailsOut,
      problems: [403, 404, 409],
      handler: ({ user, id }) => delivery[action](user, id),
    });
  }
}
