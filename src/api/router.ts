/**
 * Declares API routes and remembers them, so the OpenAPI document lists exactly the routes that exist.
 * Each route parses its id and query, calls one service method and shapes the result with its response
 * schema (which also drops columns the API does not show, such as owner ids).
 */
import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import type { User } from "../db/schema.js";
import { NotFoundError, UnauthorizedError, ValidationError } from "../shared/errors.js";
import { id as idSchema } from "../shared/fields.js";
import { parseInput } from "../shared/validation.js";
import { IdempotencyKeys, requestHash } from "./idempotency.js";

/** Requests per token and minute; a bulk call (up to 10,000 recipients) counts as one. */
export const API_RATE_LIMIT = 300;

export type Method = "GET" | "POST" | "PATCH" | "DELETE";

export interface Operation {
  method: Method;
  /** Under /api/v1, with ":id" for the one path parameter. */
  path: string;
  summary: string;
  tag: string;
  description?: string;
  query?: z.ZodObject;
  /** The request body's component name (see openapi.ts). */
  body?: string;
  status: 200 | 201 | 202 | 204;
  /** Absent for 204. */
  response?: z.ZodType;
  /** Problem statuses this route can answer besides 401, 429 and 500. */
  problems: number[];
  /** Authenticated otherwise than by a user's API token (the bounce webhook's own token). */
  security?: "bounceWebhook";
  /** Takes an Idempotency-Key header: a retried call returns the first response (see idempotency.ts). */
  idempotent?: boolean;
  /** Also takes text/csv (the CSV import's columns) as the request body. */
  csv?: boolean;
  /** Bytes of request body accepted, when more than Fastify's 1 MiB. */
  bodyLimit?: number;
  /** A streamed answer instead of JSON: its content types with what each holds (the handler gives a Stream). */
  produces?: Record<string, string>;
}

/** A streamed answer (an export): sent as it is read, never built in memory. */
export interface ApiStream {
  type: string;
  stream: Readable;
  filename: string;
}

export interface HandlerInput<Q> {
  user: User;
  /** The request's Accept header ("" when absent). */
  accept: string;
  id: number;
  query: Q;
  body: unknown;
}

export class ApiRouter {
  constructor(
    private readonly app: FastifyInstance,
    readonly operations: Operation[],
    private readonly idempotencyKeys?: IdempotencyKeys,
  ) {}

  route<Q extends z.ZodObject = z.ZodObject>(
    op: Omit<Operation, "query"> & {
      query?: Q;
      handler: (input: HandlerInput<z.output<Q>>) => Promise<unknown>;
    },
  ): void {
    const { handler, ...operation } = op;
    this.operations.push(operation);
    this.app.route<{ Params: { id?: string } }>({
      method: op.method,
      url: op.path,
      ...(op.bodyLimit ? { bodyLimit: op.bodyLimit } : {}),
      handler: async (req, reply) => {
        if (!req.apiUser) throw new UnauthorizedError();
        let id = 0;
        if (op.path.includes(":id")) {
          const parsed = idSchema.safeParse(req.params.id);
          if (!parsed.success) throw new NotFoundError();
          id = parsed.data;
        }
        const query = (op.query ? parseInput(op.query, req.query ?? {}) : {}) as z.output<Q>;
        const user = req.apiUser;
        const key =
          op.idempotent && this.idempotencyKeys
            ? IdempotencyKeys.parse(req.headers["idempotency-key"])
            : undefined;
        const hash = key === undefined ? "" : requestHash(op.method, req.url, req.body);
        if (key !== undefined) {
          const claim = await this.idempotencyKeys!.claim(user.id, key, hash);
          if (claim !== "claimed") {
            reply
              .code(claim.status)
              .header("cache-control", "no-store")
              .header("idempotent-replayed", "true");
            return claim.body === undefined ? reply.send() : reply.send(claim.body);
          }
        }
        let body: unknown;
        try {
          const result = await handler({ user, id, query, body: req.body, accept: req.headers.accept ?? "" });
          if (op.produces) {
            const out = result as ApiStream;
            return reply
              .code(op.status)
              .header("cache-control", "no-store")
              .header("content-disposition", `attachment; filename="${out.filename}"`)
              .type(out.type)
              .send(out.stream);
          }
          body = op.response ? op.response.parse(result) : undefined;
        } catch (error) {
          if (key !== undefined) await this.idempotencyKeys!.release(user.id, key);
          throw error;
        }
        if (key !== undefined)
          await this.idempotencyKeys!.complete(user.id, key, { status: op.status, body });
        reply.code(op.status).header("cache-control", "no-store");
        return body === undefined ? reply.send() : reply.send(body);
      },
    });
  }
}

/** PATCH: the stored fields with the body's on top, for a service's update that takes the whole object. */
export function patched(stored: Record<string, unknown>, body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ValidationError({ _form: "Send a JSON object with the fields to change." });
  }
  return { ...stored, ...body };
}
