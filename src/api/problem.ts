/**
 * API errors as application/problem+json (RFC 9457): domain errors map to 401/403/404/409/422, rate limits
 * to 429 with Retry-After, and a 5xx never shows its message. HTML pages keep their own handler.
 */
import { STATUS_CODES } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from "../shared/errors.js";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  errors?: { field: string; message: string }[];
  existing_id?: number;
}

export function sendProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  detail: string,
  extra: Partial<Problem> = {},
): FastifyReply {
  const problem: Problem = {
    type: "about:blank",
    title: STATUS_CODES[status] ?? "Error",
    status,
    detail,
    instance: req.url.split("?")[0] ?? req.url,
    ...extra,
  };
  return reply.code(status).type("application/problem+json; charset=utf-8").send(problem);
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) => sendProblem(req, reply, 404, "There is no such API endpoint."));

  app.setErrorHandler((error: Error & { statusCode?: number }, req, reply) => {
    if (error instanceof ValidationError) {
      const errors = Object.entries(error.fieldErrors).map(([field, message]) => ({ field, message }));
      return sendProblem(req, reply, 422, error.message, { errors });
    }
    if (error instanceof ConflictError) {
      // (A cast: every ConflictError field is optional, so instanceof does not narrow an Error to it.)
      const { existingId } = error as ConflictError;
      return sendProblem(
        req,
        reply,
        409,
        error.message,
        existingId === undefined ? {} : { existing_id: existingId },
      );
    }
    if (error instanceof NotFoundError)
      return sendProblem(req, reply, 404, "Not found, or it belongs to someone else.");
    if (error instanceof UnauthorizedError) {
      reply.header("www-authenticate", 'Bearer realm="PostPilot API"');
      return sendProblem(req, reply, 401, error.message);
    }
    if (error instanceof ForbiddenError) return sendProblem(req, reply, 403, error.message);
    const status = error.statusCode ?? 500;
    if (status === 429) {
      reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
      return sendProblem(req, reply, 429, "Too many requests with this token. Wait and try again.");
    }
    if (status >= 400 && status < 500) return sendProblem(req, reply, status, error.message);
    req.log.error({ err: error }, "API request failed");
    return sendProblem(req, reply, 500, "Something went wrong. The error was logged.");
  });
}
