/**
 * The admin's outbox routes: the local outbox, where mail goes when no SMTP server is set. A message's HTML
 * is served alone with `Content-Security-Policy: sandbox` for the message page's `<iframe sandbox>`, never
 * inline; attachments download as attachments (views in outbox.views.tsx).
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Services } from "../container.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { countOf } from "../shared/plural.js";
import { idParam, redirectWith, requireUser, sendPage, viewContext } from "../web/context.js";
import { attachmentDisposition, type OutboxView, outboxView } from "./outbox.view.js";
import {
  AGES,
  deleteOutboxPage,
  type OutboxAge,
  type OutboxMailing,
  outboxMessagePage,
  outboxPage,
  type StoredMessage,
} from "./outbox.views.js";

/**
 * The HTML part, for the message page's iframe: no scripts, plugins, forms or same-origin access, nothing
 * loaded but inline styles and images; framed only by PostPilot's own pages.
 */
export const OUTBOX_HTML_CSP =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'";
/** A download: nothing in it runs even if a browser opened it in place. */
const DOWNLOAD_CSP = "sandbox; default-src 'none'";

const MAX_AGE_DAYS = 3650;
const AGE_ERROR = "Choose which messages to delete: every message (0), or those older than 1 to 3650 days.";

/** ?older_than=: 0 (every message) or a number of days; anything else is refused, never taken as "all". */
function ageOf(value: unknown): OutboxAge {
  const known = AGES.find((a) => String(a.days) === String(value));
  if (known) return known;
  if (typeof value === "string" && /^\d{1,4}$/.test(value) && Number(value) <= MAX_AGE_DAYS)
    return { days: Number(value), key: null };
  throw new ValidationError({ older_than: AGE_ERROR }, AGE_ERROR);
}

/**
 * The decoded view, or null when postal-mime cannot read the source (the page then shows it raw). Parsed
 * per request: a stored message is one copy of a message (body at most 100,000 characters, sent as text
 * and HTML: ~340 KB raw), which postal-mime reads in ~12 ms.
 */
async function viewOf(raw: string): Promise<OutboxView | null> {
  try {
    return await outboxView(raw);
  } catch {
    return null;
  }
}

const ATTACHMENT_INDEX = /^\d{1,4}$/;
/** A type a browser may be told; anything else downloads as bytes. */
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

function sendSandboxed(reply: FastifyReply, csp: string) {
  return reply
    .header("content-security-policy", csp)
    .header("cache-control", "private, no-store")
    .header("x-content-type-options", "nosniff");
}

export function outboxRoutes(app: FastifyInstance, services: Services): void {
  const { delivery } = services;
  const requireAdmin = (req: Parameters<typeof requireUser>[0]) => {
    const user = requireUser(req);
    if (user.role !== "admin") throw new NotFoundError();
    return user;
  };
  /** The run's mailing, when the run is still there. */
  const mailingOf = async (
    user: ReturnType<typeof requireAdmin>,
    m: StoredMessage,
  ): Promise<OutboxMailing> => {
    if (m.run_id === null) return null;
    try {
      const run = await delivery.getRun(user, m.run_id);
      return { id: run.mailing_id, name: run.mailing_name };
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };

  app.get("/admin/outbox", async (req, reply) => {
    const user = requireAdmin(req);
    const query = (req.query ?? {}) as { after?: unknown; before?: unknown; q?: unknown };
    const q = typeof query.q === "string" ? query.q.trim().slice(0, 200) : "";
    const page = await delivery.listOutbox(user, query, q);
    return sendPage(reply, outboxPage(viewContext(req, reply), page, user.time_zone, q));
  });

  // Deleting asks first, with how many would go; the POST carries the form's CSRF token.
  app.get("/admin/outbox/delete", async (req, reply) => {
    const user = requireAdmin(req);
    const age = ageOf((req.query as { older_than?: unknown }).older_than);
    const count = await delivery.countOutboxOlder(user, age.days);
    return sendPage(reply, deleteOutboxPage(viewContext(req, reply), age, count));
  });

  app.post("/admin/outbox/delete", async (req, reply) => {
    const user = requireAdmin(req);
    const age = ageOf((req.query as { older_than?: unknown }).older_than);
    const deleted = await delivery.clearOutbox(user, age.days);
    return redirectWith(reply, "/admin/outbox", "success", `Deleted ${countOf(deleted, "message")}.`);
  });

  app.get("/admin/outbox/:id", async (req, reply) => {
    const user = requireAdmin(req);
    const message = await delivery.getOutboxMessage(user, idParam(req.params));
    const [view, mailing] = await Promise.all([viewOf(message.raw), mailingOf(user, message)]);
    return sendPage(
      reply,
      outboxMessagePage(viewContext(req, reply), message, view, mailing, user.time_zone),
    );
  });

  // The HTML part alone, only ever shown in the message page's <iframe sandbox>; never inline in a page.
  app.get("/admin/outbox/:id/html", async (req, reply) => {
    const user = requireAdmin(req);
    const message = await delivery.getOutboxMessage(user, idParam(req.params));
    const html = (await viewOf(message.raw))?.html;
    sendSandboxed(reply, OUTBOX_HTML_CSP).header("x-frame-options", "SAMEORIGIN");
    if (html == null)
      return reply.code(404).type("text/plain; charset=utf-8").send("This message has no HTML part.");
    return reply.type("text/html; charset=utf-8").send(html);
  });

  app.get("/admin/outbox/:id/attachments/:n", async (req, reply) => {
    const user = requireAdmin(req);
    const message = await delivery.getOutboxMessage(user, idParam(req.params));
    const n = (req.params as { n?: string }).n ?? "";
    const attachment = ATTACHMENT_INDEX.test(n)
      ? (await viewOf(message.raw))?.attachments[Number(n)]
      : undefined;
    if (!attachment) throw new NotFoundError("Attachment not found");
    return sendSandboxed(reply, DOWNLOAD_CSP)
      .type(MIME_TYPE.test(attachment.mimeType) ? attachment.mimeType : "application/octet-stream")
      .header("content-disposition", attachmentDisposition(attachment.safeName))
      .send(Buffer.from(attachment.content));
  });
}
