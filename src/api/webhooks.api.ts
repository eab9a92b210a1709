/**
 * /api/v1/webhook-endpoints (not /webhooks: /webhooks/bounces is the incoming bounce webhook): the token's user's webhook endpoints (admins: everyone's), as on the Webhooks pages.
 * The secret is in the create response only. The events' payloads are described under `webhooks` in the
 * OpenAPI document (openapi.ts).
 */
import type { Services } from "../container.js";
import { parseInput } from "../shared/validation.js";
import { resendWebhookSchema } from "../webhooks/webhooks.schemas.js";
import type { ApiRouter } from "./router.js";
import {
  cursorAnswerOf,
  cursorPagingQuery,
  webhookAttemptListOut,
  webhookCreatedOut,
  webhookEndpointDetailsOut,
  webhookEndpointListOut,
  webhookEndpointOut,
  webhookEventOut,
} from "./schemas.js";

export function webhooksApi(api: ApiRouter, { webhooks }: Services): void {
  const tag = "Webhooks";
  api.route({
    method: "GET",
    path: "/webhook-endpoints",
    tag,
    summary: "List your webhook endpoints (admins: everyone's), by cursor",
    description: "Newest first; follow `next_cursor` (as `cursor`) until it is null.",
    query: cursorPagingQuery.omit({ page: true }),
    status: 200,
    response: webhookEndpointListOut,
    problems: [422],
    handler: ({ user, query }) => cursorAnswerOf(query, (q) => webhooks.listByCursor(user, q)),
  });
  api.route({
    method: "GET",
    path: "/webhook-endpoints/:id/attempts",
    tag,
    summary: "List an endpoint's requests (status code, response excerpt), newest first, by cursor",
    description:
      "Follow `next_cursor` (as `cursor`) until it is null; requests made meanwhile are not repeated.",
    query: cursorPagingQuery.omit({ page: true }),
    status: 200,
    response: webhookAttemptListOut,
    problems: [404, 422],
    handler: ({ user, id, query }) => cursorAnswerOf(query, (q) => webhooks.attemptsByCursor(user, id, q)),
  });
  api.route({
    method: "POST",
    path: "/webhook-endpoints",
    tag,
    summary: "Register a webhook endpoint",
    description:
      "The response carries the endpoint's signing secret, the only time it is shown. URLs that resolve to private or loopback addresses are refused (422) unless the operator set WEBHOOK_ALLOW_PRIVATE=true. `all_users` (admins only) gets every user's events.",
    body: "WebhookInput",
    status: 201,
    response: webhookCreatedOut,
    problems: [403, 422],
    handler: ({ user, body }) => webhooks.create(user, body),
  });
  api.route({
    method: "GET",
    path: "/webhook-endpoints/:id",
    tag,
    summary: "Get a webhook endpoint with its latest events and requests",
    status: 200,
    response: webhookEndpointDetailsOut,
    problems: [404],
    handler: ({ user, id }) => webhooks.get(user, id),
  });
  api.route({
    method: "PATCH",
    path: "/webhook-endpoints/:id",
    tag,
    summary: "Change a webhook endpoint: URL, description, events, enabled (only the fields sent)",
    description:
      "A new URL is checked like a new endpoint's (422 for private or loopback addresses unless WEBHOOK_ALLOW_PRIVATE=true). `enabled: true` re-enables an endpoint that was disabled automatically after 3 days of failures and starts its retries afresh; `enabled: false` stops sending (events are still queued). The secret stays the same.",
    body: "WebhookPatch",
    status: 200,
    response: webhookEndpointOut,
    problems: [404, 422],
    handler: ({ user, id, body }) => webhooks.update(user, id, body),
  });
  api.route({
    method: "DELETE",
    path: "/webhook-endpoints/:id",
    tag,
    summary: "Delete a webhook endpoint (and its queued events)",
    status: 204,
    problems: [404],
    handler: async ({ user, id }) => {
      await webhooks.remove(user, id);
    },
  });
  api.route({
    method: "POST",
    path: "/webhook-endpoints/:id/resend",
    tag,
    summary: "Send one of the endpoint's events again",
    description: "Queued again with the same id and body, after what is already queued.",
    body: "WebhookResendInput",
    status: 202,
    response: webhookEventOut,
    problems: [404, 422],
    handler: ({ user, id, body }) =>
      webhooks.resend(user, id, parseInput(resendWebhookSchema, body).event_id),
  });
}
