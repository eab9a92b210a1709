/**
 * Bearer-token authentication for the JSON API. Cookies are never read here, so CSRF does not apply to
 * requests this hook lets through (web/app.ts skips its CSRF check for them).
 */
import type { FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { UnauthorizedError } from "../shared/errors.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The user whose API token authenticated this request (API routes only). */
    apiUser: User | null;
    apiTokenId: number | null;
  }
}

const BEARER = /^Bearer +([\x21-\x7e]+)$/i;

export function bearerAuth(services: Services) {
  return async (req: FastifyRequest): Promise<void> => {
    const header = req.headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    const found = token ? await services.tokens.authenticate(token) : null;
    if (!found) {
      throw new UnauthorizedError(
        header
          ? "The API token is not valid: it is malformed, revoked, or its user is blocked."
          : "Send a personal API token as Authorization: Bearer <token> (create one on your profile page).",
      );
    }
    req.apiUser = found.user;
    req.apiTokenId = found.tokenId;
  };
}

/** Whether the request was authenticated by an API token (then cookies played no part). */
export function isBearerApiRequest(req: FastifyRequest): boolean {
  return req.url.startsWith("/api/") && Boolean(req.apiUser);
}
