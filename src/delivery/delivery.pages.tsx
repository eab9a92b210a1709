/**
 * Sending pages: "send now" with confirmation, a run with every delivery, its tries and the server's
 * replies, "retry failed", and live progress (JSON polled by app.js). The views are in delivery.views.tsx;
 * reports and the outbox have their own files.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { DeliveryStatus } from "../db/schema.js";
import { translator } from "../i18n/index.js";
import { ConflictError, ForbiddenError } from "../shared/errors.js";
import { pageNumber } from "../shared/fields.js";
import { countOf } from "../shared/plural.js";
import { idParam, redirectWith, requestLocale, requireUser, sendPage, viewContext } from "../web/context.js";
import { LIVE_ROWS_MAX } from "./delivery.service.js";
import { cancelRunPage, liveJson, runPage, sendConfirmPage } from "./delivery.views.js";

const runQuery = (query: unknown) => {
  const q = (query ?? {}) as { status?: string; page?: string; after?: unknown; before?: unknown };
  const statuses: DeliveryStatus[] = ["pending", "sending", "sent", "failed", "suppressed", "cancelled"];
  const status: DeliveryStatus | "" = statuses.find((s) => s === q.status) ?? "";
  const page = pageNumber.parse(q.page);
  const after = typeof q.after === "string" ? q.after : undefined;
  const before = typeof q.before === "string" ? q.before : undefined;
  return { status, page, after, before };
};

/** "?ids=3,4,5": the delivery ids a run page shows; anything that is not a positive id is left out. */
const liveIds = (query: unknown): number[] => {
  const raw = (query ?? {}) as { ids?: unknown };
  if (typeof raw.ids !== "string") return [];
  return raw.ids
    .split(",", LIVE_ROWS_MAX)
    .map(Number)
    .filter((id) => Number.isSafeInteger(id) && id > 0);
};

export function deliveryRoutes(app: FastifyInstance, services: Services): void {
  const { delivery, mailings } = services;

  app.get("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idParam(req.params));
    const recent = await delivery.recentRun(user, mailing.id);
    return sendPage(reply, sendConfirmPage(viewContext(req, reply), mailing, recent));
  });

  app.post("/mailings/:id/send", async (req, reply) => {
    const user = requireUser(req);
    const mailing = await mailings.get(user, idParam(req.params));
    try {
      const run = await delivery.sendNow(user, mailing.id, "web");
      return redirectWith(
        reply,
        `/runs/${run.id}`,
        "success",
        // Under `serve` the engine fills the run a chunk at a time: it has no deliveries yet.
        run.preparing === "audience"
          ? run.expected_count === null
            ? "Sending started: the recipients are being added."
            : `Sending to about ${countOf(run.expected_count, "recipient")} started.`
          : `Sending to ${countOf(run.total_count, "recipient")} started.`,
      );
    } catch (error) {
      if (error instanceof ConflictError || error instanceof ForbiddenError) {
        return redirectWith(reply, `/mailings/${mailing.id}`, "danger", error.message);
      }
      throw error;
    }
  });

  app.get("/runs/:id", async (req, reply) => {
    const user = requireUser(req);
    const run = await delivery.getRun(user, idParam(req.params));
    const query = runQuery(req.query);
    const deliveries = await delivery.listDeliveries(user, run.id, {
      status: query.status === "" ? undefined : query.status,
      page: query.page,
      after: query.after,
      before: query.before,
    });
    const minutes = await delivery.perMinute(user, run.id);
    return sendPage(
      reply,
      runPage(viewContext(req, reply), run, deliveries, query.status, user.time_zone, minutes),
    );
  });

  // Polled by app.js while the run sends: its counts, and with ?ids=1,2,3 the rows shown on the page.
  // Not logged at info (it comes every few seconds), only its warnings.
  app.get("/runs/:id/progress", { logLevel: "warn" }, async (req, reply) => {
    const user = requireUser(req);
    const live = await delivery.live(user, idParam(req.params), liveIds(req.query));
    const locale = requestLocale(req);
    const json = liveJson(live, user.time_zone, translator(locale), locale);
    return reply.header("cache-control", "no-store").send(json);
  });

  const controls = {
    pause: { run: delivery.pause.bind(delivery), done: "Paused: no new delivery starts until you resume." },
    resume: { run: delivery.resume.bind(delivery), done: "Resumed where it stopped." },
    cancel: { run: delivery.cancel.bind(delivery), done: "Cancelled: what was not sent will not be." },
  } as const;
  for (const [action, control] of Object.entries(controls)) {
    app.post(`/runs/:id/${action}`, async (req, reply) => {
      const user = requireUser(req);
      const runId = idParam(req.params);
      try {
        await control.run(user, runId);
        return redirectWith(reply, `/runs/${runId}`, "success", control.done);
      } catch (error) {
        if (error instanceof ConflictError || error instanceof ForbiddenError) {
          return redirectWith(reply, `/runs/${runId}`, "danger", error.message);
        }
        throw error;
      }
    });
  }

  app.get("/runs/:id/cancel", async (req, reply) => {
    const user = requireUser(req);
    const run = await delivery.getRun(user, idParam(req.params));
    if (run.status !== "sending" || run.cancelled_at)
      return redirectWith(reply, `/runs/${run.id}`, "info", "This run is not sending.");
    return sendPage(reply, cancelRunPage(viewContext(req, reply), run));
  });

  app.post("/runs/:id/retry-failed", async (req, reply) => {
    const user = requireUser(req);
    const runId = idParam(req.params);
    try {
      const run = await delivery.retryFailed(user, runId);
      return redirectWith(
        reply,
        `/runs/${run.id}`,
        "success",
        "The failed deliveries are being sent again now.",
      );
    } catch (error) {
      if (error instanceof ConflictError || error instanceof ForbiddenError) {
        return redirectWith(reply, `/runs/${runId}`, "danger", error.message);
      }
      throw error;
    }
  });
}
