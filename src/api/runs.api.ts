/** /api/v1/runs: one send of a mailing, its progress by status, its deliveries and their tries, and "retry failed". */
import type { Services } from "../container.js";
import type { ApiRouter } from "./router.js";
import { deliveriesQuery, deliveryListOut, listOf, runDetailsOut } from "./schemas.js";

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
    summary: "List a run's deliveries (one per recipient) with their tries, optionally by status",
    query: deliveriesQuery,
    status: 200,
    response: deliveryListOut,
    problems: [404, 422],
    handler: async ({ user, id, query }) =>
      listOf(
        await delivery.listDeliveries(user, id, {
          status: query.status,
          page: query.page,
          pageSize: query.limit,
        }),
      ),
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
