/**
 * The rate limits of the account forms (login has its own throttle: login-throttle.service.ts): per IP address (route config, checked before the body is read) and per account (a preHandler keyed on the normalized email in the body, so spreading guesses over many
 * addresses does not help an attacker against one account). Both answer 429 "Too many attempts".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { normalizeEmail } from "../shared/fields.js";

export const PER_ACCOUNT = {
  register: { max: 5, timeWindow: "1 hour" },
  reset: { max: 5, timeWindow: "1 hour" },
  resend: { max: 5, timeWindow: "1 hour" },
} as const;

/** The account a form post is about: its normalized email, or the IP when the form has none. */
export function accountKey(req: FastifyRequest): string {
  const body = req.body as { email?: unknown } | undefined;
  const email = typeof body?.email === "string" ? normalizeEmail(body.email).slice(0, 320) : "";
  return email ? `account:${email}` : `ip:${req.ip}`;
}

/**
 * A preHandler that limits posts about one account, whichever addresses they come from. It uses
 * createRateLimit because the plugin runs only one of its own hooks per request (the per-IP one).
 */
export function perAccountLimit(app: FastifyInstance, kind: keyof typeof PER_ACCOUNT) {
  const check = app.createRateLimit({ ...PER_ACCOUNT[kind], keyGenerator: accountKey });
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = await check(req);
    if (result.isAllowed || !result.isExceeded) return;
    reply.header("retry-after", String(result.ttlInSeconds));
    throw Object.assign(new Error("Too many attempts for this account"), { statusCode: 429 });
  };
}
