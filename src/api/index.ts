/**
 * The JSON API under /api/v1 (bearer tokens, per-token rate limit, problem+json errors) and its OpenAPI
 * document and docs page. Registered by web/app.ts with the prefix /api, in its own encapsulated scope.
 */
import type {} from "@fastify/rate-limit";
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { accountApi } from "./account.api.js";
import { audiencesApi } from "./audiences.api.js";
import { bearerAuth } from "./auth.js";
import { bounceWebhookApi } from "./bounces.api.js";
import { layoutsApi } from "./layouts.api.js";
import { mailingsApi } from "./mailings.api.js";
import { messagesApi } from "./messages.api.js";
import { docsRoutes } from "./openapi.js";
import { registerProblemHandlers } from "./problem.js";
import { recipientsApi } from "./recipients.api.js";
import { reportsApi } from "./reports.api.js";
import { API_RATE_LIMIT, ApiRouter, type Operation } from "./router.js";
import { runsApi } from "./runs.api.js";
import { sendersApi } from "./senders.api.js";
import { staffApi } from "./staff.api.js";
import { suppressionsApi } from "./suppressions.api.js";
import { webhooksApi } from "./webhooks.api.js";

export const API_VERSION = "1.0.0";

export { API_RATE_LIMIT } from "./router.js";

/**
 * RateLimit-Limit / -Remaining / -Reset (draft-ietf-httpapi-ratelimit-headers) on every answer, Retry-After
 * on a 429. The plugin's enableDraftSpec is read only where it is registered (web/app.ts, for the whole app,
 * whose form limits keep X-RateLimit-*); a limiter's own options override its header labels, so the API's
 * limiter names them here (not in the plugin's types, hence the cast).
 */
const DRAFT = ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] as const;
const DRAFT_HEADERS = {
  labels: {
    rateLimit: DRAFT[0],
    rateRemaining: DRAFT[1],
    rateReset: DRAFT[2],
    retryAfter: "retry-after",
  },
  addHeaders: Object.fromEntries([...DRAFT, "retry-after"].map((h) => [h, true])),
  addHeadersOnExceeding: Object.fromEntries(DRAFT.map((h) => [h, true])),
} as object;

export async function apiPlugin(app: FastifyInstance, services: Services): Promise<void> {
  registerProblemHandlers(app);
  const operations: Operation[] = [];
  await app.register(
    async (v1) => {
      v1.decorateRequest("apiUser", null);
      v1.decorateRequest("apiTokenId", null);
      // CSV bodies (POST /recipients/bulk) arrive as text; other routes answer them with a 422.
      v1.addContentTypeParser(
        "text/csv",
        { parseAs: "string", bodyLimit: 16 * 1024 * 1024 },
        (_req, body, done) => done(null, body),
      );
      v1.addHook("onRequest", bearerAuth(services));
      v1.addHook(
        "preHandler",
        v1.rateLimit({
          max: API_RATE_LIMIT,
          timeWindow: "1 minute",
          ...DRAFT_HEADERS,
          keyGenerator: (req) => `api-token-${req.apiTokenId}`,
        }),
      );
      const api = new ApiRouter(v1, operations, services.idempotencyKeys);
      recipientsApi(api, services);
      messagesApi(api, services);
      layoutsApi(api, services);
      sendersApi(api, services);
      mailingsApi(api, services);
      runsApi(api, services);
      suppressionsApi(api, services);
      audiencesApi(api, services);
      accountApi(api, services);
      reportsApi(api, services);
      staffApi(api, services);
      webhooksApi(api, services);
    },
    { prefix: "/v1" },
  );
  await app.register(async (scope) => bounceWebhookApi(scope, operations, services), { prefix: "/v1" });
  await docsRoutes(app, operations, API_VERSION);
}
