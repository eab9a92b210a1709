/**
 * The one way HTML form posts are handled: run the service call; on a ValidationError or a ConflictError
 * re-render the same form with the user's input and the messages, with status 422 / 409.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { type Translate, translateErrors, translateMessage, translator } from "../i18n/index.js";
import { ConflictError, TooManyAttemptsError, ValidationError } from "../shared/errors.js";
import type { FormState, FormValues } from "./components.js";
import { requestLocale, sendPage } from "./context.js";

const SECRET_FIELDS = /password/;

/** The posted fields as strings (repeated fields joined), leaving out passwords and the CSRF token. */
export function formValues(body: unknown): FormValues {
  const values: FormValues = {};
  if (!body || typeof body !== "object") return values;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (key === "_csrf" || SECRET_FIELDS.test(key)) continue;
    if (typeof value === "string") values[key] = value;
    else if (Array.isArray(value)) values[key] = value.filter((v) => typeof v === "string").join(",");
  }
  return values;
}

/** The posted body as a plain object of strings and string arrays (never undefined). */
export function formBody(req: FastifyRequest): Record<string, unknown> {
  return req.body && typeof req.body === "object" ? (req.body as Record<string, unknown>) : {};
}

export async function handleForm(
  req: FastifyRequest,
  reply: FastifyReply,
  action: () => Promise<FastifyReply>,
  rerender: (form: FormState) => string | Promise<string>,
): Promise<FastifyReply> {
  try {
    return await action();
  } catch (error) {
    const values = formValues(req.body);
    const locale = requestLocale(req);
    if (error instanceof ValidationError) {
      return sendPage(
        reply,
        await rerender({ values, errors: translateErrors(locale, error.fieldErrors) }),
        422,
      );
    }
    if (error instanceof TooManyAttemptsError) {
      reply.header("retry-after", String(error.retryAfterSeconds));
      const t = translator(locale);
      const errors = { _form: t("errors.wait", { wait: waitText(t, error.retryAfterSeconds) }) };
      return sendPage(reply, await rerender({ values, errors }), 429);
    }
    if (error instanceof ConflictError) {
      const errors = { [error.field ?? "_form"]: translateMessage(locale, error.message) };
      return sendPage(reply, await rerender({ values, errors, conflictLink: error.link }), 409);
    }
    throw error;
  }
}

function waitText(t: Translate, seconds: number): string {
  if (seconds < 60) return t("errors.seconds", { count: seconds });
  return t("errors.minutes", { count: Math.ceil(seconds / 60) });
}
