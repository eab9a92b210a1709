/** Maps errors to pages: domain errors to their statuses, anything unexpected to a plain 500 page. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { translateMessage } from "../i18n/index.js";
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  TooManyAttemptsError,
  UnauthorizedError,
  ValidationError,
} from "../shared/errors.js";
import { anonymousContext, sendPage, viewContext } from "./context.js";
import { renderPage } from "./layout.js";

/** `title` is a key; `text` a key too, or (`raw`) an English message to translate. */
function errorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  title: string,
  text: string,
  raw = false,
) {
  let ctx: ReturnType<typeof viewContext>;
  try {
    ctx = viewContext(req, reply);
  } catch {
    ctx = anonymousContext(req);
  }
  const t = ctx.t;
  const shown = raw ? translateMessage(ctx.locale, text) : t(text);
  const body = (
    <div class="py-5 text-center">
      <p class="display-4 text-body-secondary">{status}</p>
      <h1 class="h3">{t(title)}</h1>
      <p class="text-body-secondary">{shown}</p>
      <a class="btn btn-primary" href="/">
        {t("errors.home")}
      </a>
    </div>
  );
  return sendPage(reply, renderPage(ctx, t(title), body), status);
}

export function registerErrorHandlers(app: FastifyInstance): void {
  app.setNotFoundHandler((req, reply) =>
    errorPage(req, reply, 404, "errors.notFound", "errors.notFoundText"),
  );

  app.setErrorHandler((error: FastifyError, req, reply) => {
    if (error instanceof DomainError) {
      if (error instanceof NotFoundError) {
        return errorPage(req, reply, 404, "errors.notFound", "errors.notFoundText");
      }
      if (error instanceof UnauthorizedError)
        return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
      if (error instanceof ForbiddenError)
        return errorPage(req, reply, 403, "errors.forbidden", error.message, true);
      if (error instanceof ConflictError)
        return errorPage(req, reply, 409, "errors.conflict", error.message, true);
      if (error instanceof ValidationError)
        return errorPage(req, reply, 422, "errors.invalid", error.message, true);
      if (error instanceof TooManyAttemptsError) {
        reply.header("retry-after", String(error.retryAfterSeconds));
        return errorPage(req, reply, 429, "errors.tooMany", "errors.tooManyText");
      }
    }
    const status = error.statusCode ?? 500;
    if (error.code?.startsWith("FST_CSRF")) {
      return errorPage(req, reply, 403, "errors.expired", "errors.expiredText");
    }
    if (status === 429) {
      reply.header("retry-after", reply.getHeader("retry-after") ?? "60");
      return errorPage(req, reply, 429, "errors.tooMany", "errors.tooManyMinute");
    }
    if (status >= 400 && status < 500) {
      return errorPage(req, reply, status, "errors.badRequest", "errors.badRequestText");
    }
    req.log.error({ err: error }, "request failed");
    return errorPage(req, reply, 500, "errors.failed", "errors.failedText");
  });
}
