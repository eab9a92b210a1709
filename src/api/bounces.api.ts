/**
 * POST /api/v1/webhooks/bounces: bounces and complaints from a relay or a mail provider, as generic JSON,
 * into the same BounceService as `postpilot process-bounce`. Authenticated with BOUNCE_WEBHOOK_TOKEN (not
 * a user's API token), so it lives in a scope of its own; rate limited per client address before the
 * token is checked.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Operation } from "./router.js";
import { bounceOutcomeOut } from "./schemas.js";

export const BOUNCE_WEBHOOK_RATE_LIMIT = 300;
/** The full route, for web/app.ts's CSRF exemption (no cookies are read here). */
export const BOUNCE_WEBHOOK_ROUTE = "/api/v1/webhooks/bounces";

export async function bounceWebhookApi(
  scope: FastifyInstance,
  operations: Operation[],
  { bounces }: Services,
): Promise<void> {
  scope.addHook(
    "onRequest",
    scope.rateLimit({
      max: BOUNCE_WEBHOOK_RATE_LIMIT,
      timeWindow: "1 minute",
      keyGenerator: (req) => `bounce-webhook-${req.ip}`,
    }),
  );
  const operation: Operation = {
    method: "POST",
    path: "/webhooks/bounces",
    tag: "Webhooks",
    summary: "Report a bounce or complaint (generic JSON); authenticated with BOUNCE_WEBHOOK_TOKEN",
    description:
      "`Authorization: Bearer <BOUNCE_WEBHOOK_TOKEN>` (404 while the token is not configured). Matched to the delivery by `delivery_id`, or by the address when only one user mailed it recently. A complaint suppresses the address at once; a hard bounce after BOUNCE_HARD_LIMIT, soft ones after BOUNCE_SOFT_LIMIT runs in a row.",
    body: "BounceWebhookInput",
    status: 200,
    response: bounceOutcomeOut,
    problems: [404, 422],
    security: "bounceWebhook",
  };
  operations.push(operation);
  scope.post(operation.path, async (req, reply) => {
    bounces.authenticateWebhook(req.headers.authorization);
    const { deliveryId, ...outcome } = await bounces.processWebhook(req.body);
    return reply
      .header("cache-control", "no-store")
      .send(bounceOutcomeOut.parse({ ...outcome, delivery_id: deliveryId }));
  });
}
