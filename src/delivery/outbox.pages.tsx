/** The admin's view of the local outbox: where mail goes when no SMTP server is set. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { NotFoundError } from "../shared/errors.js";
import { pageNumber } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { countOf } from "../shared/plural.js";
import { formatInZone } from "../shared/time.js";
import { ConfirmForm, DefinitionList, EmptyState, PageHeader, Pager } from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { OutboxListItem } from "./delivery.service.js";

/** "Delete older than": every message (0), or those stored more than 1, 7 or 30 days ago. */
const AGES = [
  { days: 0, label: "every message" },
  { days: 1, label: "older than a day" },
  { days: 7, label: "older than a week" },
  { days: 30, label: "older than 30 days" },
];
const ageOf = (value: unknown) => AGES.find((a) => String(a.days) === String(value)) ?? AGES[0]!;

function outboxPage(ctx: ViewContext, page: Page<OutboxListItem>, zone: string, q: string) {
  return renderPage(
    ctx,
    "Outbox",
    <>
      <PageHeader title="Local outbox" />
      <p class="text-body-secondary">
        No mail server is set (<code>SMTP_URL</code>), so PostPilot keeps every message here instead of
        sending it. Nothing leaves this machine.
      </p>
      <div class="d-flex flex-wrap gap-2 justify-content-between mb-3">
        <form method="get" action="/admin/outbox" class="d-flex gap-2" role="search">
          <input
            type="search"
            name="q"
            value={q}
            maxLength={200}
            class="form-control"
            placeholder="Recipient or subject"
            aria-label="Search the outbox by recipient or subject"
          />
          <button type="submit" class="btn btn-outline-primary">
            Search
          </button>
        </form>
        <form method="get" action="/admin/outbox/delete" class="d-flex gap-2">
          <select name="older_than" class="form-select" aria-label="Which messages to delete">
            {AGES.map((a) => (
              <option value={String(a.days)}>{a.label}</option>
            ))}
          </select>
          <button type="submit" class="btn btn-outline-danger text-nowrap">
            <i class="bi bi-trash" aria-hidden="true" /> Delete…
          </button>
        </form>
      </div>
      {page.total === 0 ? (
        <EmptyState icon="bi-inbox" title={q ? "No message matches" : "The outbox is empty"} />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-hover mb-0">
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
                <th scope="col">Stored</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((m) => (
                <tr>
                  <td>{m.to_address}</td>
                  <td class="text-truncate-cell">
                    <a href={`/admin/outbox/${m.id}`}>{m.subject}</a>
                  </td>
                  <td class="text-nowrap">{formatInZone(m.created_at, zone)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} path="/admin/outbox" params={{ q }} />
    </>,
  );
}

function outboxMessagePage(
  ctx: ViewContext,
  m: Awaited<ReturnType<Services["delivery"]["getOutboxMessage"]>>,
  zone: string,
) {
  return renderPage(
    ctx,
    m.subject,
    <>
      <PageHeader title={m.subject}>
        <a class="btn btn-outline-secondary" href="/admin/outbox">
          <i class="bi bi-arrow-left" aria-hidden="true" /> Outbox
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList
            items={[
              ["From", m.from_address],
              ["To", m.to_address],
              ["Subject", m.subject],
              ["Stored", formatInZone(m.created_at, zone)],
              [
                "Delivery",
                m.run_id ? (
                  <a href={`/runs/${m.run_id}`}>
                    Delivery #{m.delivery_id} in run #{m.run_id}
                  </a>
                ) : (
                  `#${m.delivery_id} (its run was deleted)`
                ),
              ],
            ]}
          />
        </div>
      </div>
      <h2 class="h6">The message as it would be sent</h2>
      <pre class="bg-body border rounded-3 p-3 small pre-wrap">{m.raw}</pre>
    </>,
  );
}

function deleteOutboxPage(ctx: ViewContext, age: (typeof AGES)[number], count: number) {
  return renderPage(
    ctx,
    "Delete from the outbox",
    <>
      <PageHeader title={`Delete ${age.label} from the outbox?`} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/admin/outbox/delete?older_than=${age.days}`}
        cancelHref="/admin/outbox"
        button={`Delete ${countOf(count, "message")}`}
      >
        <p class="mb-0">
          {countOf(count, "stored message")} will be deleted. The deliveries and runs keep their record; only
          the copies kept here go. This cannot be undone.
        </p>
      </ConfirmForm>
    </>,
  );
}

export function outboxRoutes(app: FastifyInstance, services: Services): void {
  const { delivery } = services;
  const requireAdmin = (req: Parameters<typeof requireUser>[0]) => {
    const user = requireUser(req);
    if (user.role !== "admin") throw new NotFoundError();
    return user;
  };

  app.get("/admin/outbox", async (req, reply) => {
    const user = requireAdmin(req);
    const query = (req.query ?? {}) as { page?: string; q?: unknown };
    const q = typeof query.q === "string" ? query.q.trim().slice(0, 200) : "";
    const page = await delivery.listOutbox(user, pageNumber.parse(query.page), q);
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
    return sendPage(reply, outboxMessagePage(viewContext(req, reply), message, user.time_zone));
  });
}
