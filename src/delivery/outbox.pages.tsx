/** The admin's view of the local outbox: where mail goes when no SMTP server is set. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { NotFoundError } from "../shared/errors.js";
import { pageNumber } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { formatInZone } from "../shared/time.js";
import { DefinitionList, EmptyState, PageHeader, Pager } from "../web/components.js";
import { idParam, requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { OutboxListItem } from "./delivery.service.js";

function outboxPage(ctx: ViewContext, page: Page<OutboxListItem>, zone: string) {
  return renderPage(
    ctx,
    "Outbox",
    <>
      <PageHeader title="Local outbox" />
      <p class="text-body-secondary">
        No mail server is set (<code>SMTP_URL</code>), so PostPilot keeps every message here instead of
        sending it. Nothing leaves this machine.
      </p>
      {page.total === 0 ? (
        <EmptyState icon="bi-inbox" title="The outbox is empty" />
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
      <Pager page={page} path="/admin/outbox" params={{}} />
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
            ]}
          />
        </div>
      </div>
      <h2 class="h6">The message as it would be sent</h2>
      <pre class="bg-body border rounded-3 p-3 small pre-wrap">{m.raw}</pre>
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
    const page = await delivery.listOutbox(user, pageNumber.parse((req.query as { page?: string }).page));
    return sendPage(reply, outboxPage(viewContext(req, reply), page, user.time_zone));
  });

  app.get("/admin/outbox/:id", async (req, reply) => {
    const user = requireAdmin(req);
    const message = await delivery.getOutboxMessage(user, idParam(req.params));
    return sendPage(reply, outboxMessagePage(viewContext(req, reply), message, user.time_zone));
  });
}
