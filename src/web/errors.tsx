/** Maps errors to pages: domain errors to their statuses, anything unexpected to a plain 500 page. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  TooManyAttemptsError,
  UnauthorizedError,
  ValidationError,
} from "../shared/errors.js";
import { sendPage, viewContext } from "./context.js";
import { renderPage } from "./layout.js";

function errorPage(req: FastifyRequest, reply: FastifyReply, status: number, title: string, text: string) {
  let ctx: ReturnType<typeof viewContext>;
  try {
    ctx = viewContext(req, reply);
  } catch {
    ctx = { user: null, csrfToken: "", flashes: [], path: "/", notices: [] };
  }
  const body = (
    <div class="py-5 text-center">
      <p class="display-4 text-body-secondary">{status}</p>
      <h1 class="h3">{title}</h1>
      <p class="text-body-secondary">{text}</p>
      <a class="btn btn-primary" href="/">
        Go to the dashboard
      </a>
    </div>
  );
  return sendPage(reply, renderPage(ctx, title, body), status);
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) =>
    errorPage(req, reply, 404, "Page not found", "There is nothing here, or it belongs to someone else."),
  );

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof DomainError) {
      if (error instanceof NotFoundError) {
        return errorPage(
          req,
          reply,
          404,
          "Page not found",
          "There is nothing here, or it belongs to someone else.",
        );
      }
      if (error instanceof UnauthorizedError)
        return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
      if (error instanceof ForbiddenError) return errorPage(req, reply, 403, "Not allowed", error.message);
      if (error instanceof ConflictError)
        return errorPage(req, reply, 409, "That cannot be done", error.message);
      if (error instanceof ValidationError) return errorPage(req, reply, 422, "Invalid input", error.message);
      if (error instanceof TooManyAttemptsError) {
        reply.header("retry-after", String(error.retryAfterSeconds));
        return errorPage(req, reply, 429, "Too many attempts", "Please wait a little and try again.");
      }
    }
    const status = error.statusCode ?? 500;
    if (error.code?.startsWith("FST_CSRF")) {
      return errorPage(req, reply, 403, "The form expired", "Go back, reload the page and try again.");
    }
    if (status === 429) {
      reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
      return errorPage(req, reply, 429, "Too many attempts", "Please wait a minute and try again.");
    }
    if (status >= 400 && status < 500) {
      return errorPage(req, reply, status, "Bad request", "The request could not be understood.");
    }
    req.log.error({ err: error }, "request failed");
    return errorPage(req, reply, 500, "Something went wrong", "The error was logged. Please try again.");
  });
}
