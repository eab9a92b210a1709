/**
 * The Webhooks pages (/webhooks, under the user's menu): the list, the create form (the secret shown once,
 * on the page), and an endpoint's page with its latest requests and events, Resend, enable/disable, delete.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { User, WebhookAttempt, WebhookEvent } from "../db/schema.js";
import { type Translate, translateMessage } from "../i18n/index.js";
import { NotFoundError } from "../shared/errors.js";
import { id } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import {
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
} from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import { WEBHOOK_EVENT_TYPES } from "./webhooks.schemas.js";
import type { EndpointView } from "./webhooks.service.js";

function listPage(ctx: ViewContext, user: User, endpoints: EndpointView[]) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("webhooks.title"),
    <>
      <PageHeader title={t("webhooks.title")}>
        <a class="btn btn-primary" href="/webhooks/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("webhooks.new")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">{t("webhooks.intro")}</p>
      {endpoints.length === 0 ? (
        <EmptyState icon="bi-broadcast" title={t("webhooks.emptyTitle")}>
          <a href="/webhooks/new">{t("webhooks.emptyLink")}</a>
          {t("webhooks.emptyText")}
        </EmptyState>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0">
            <thead>
              <tr>
                <th scope="col">{t("webhooks.url")}</th>
                <th scope="col">{t("webhooks.events")}</th>
                <th scope="col">{t("webhooks.state")}</th>
                <th scope="col">{t("webhooks.created")}</th>
              </tr>
            </thead>
            <tbody>
              {endpoints.map((e) => (
                <tr>
                  <td class="text-break">
                    <a href={`/webhooks/${e.id}`}>{e.url}</a>
                    {e.description && <div class="small text-body-secondary">{e.description}</div>}
                  </td>
                  <td class="small">{e.events.join(", ")}</td>
                  <td>
                    <StateBadge endpoint={e} />
                  </td>
                  <td class="text-nowrap">
                    {formatInZone(e.created_at, user.time_zone, { locale: ctx.locale })}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>,
  );
}

function StateBadge({ endpoint }: { endpoint: EndpointView }) {
  const { t } = useI18n();
  if (!endpoint.enabled) return <span class="badge text-bg-secondary">{t("webhooks.disabled")}</span>;
  if (endpoint.failing_since) return <span class="badge text-bg-warning">{t("webhooks.failing")}</span>;
  return <span class="badge text-bg-success">{t("webhooks.enabled")}</span>;
}

/** The fields an endpoint is created and edited with: its URL, description and events. */
export function EndpointFields({ form, t }: { form: FormState; t: Translate }) {
  const chosen = new Set((form.values.events ?? "").split(",").filter(Boolean));
  return (
    <>
      <Field
        form={form}
        name="url"
        label={t("webhooks.url")}
        required
        maxLength={2000}
        help={t("webhooks.urlHelp")}
      />
      <Field form={form} name="description" label={t("webhooks.description")} maxLength={200} />
      <fieldset class="mb-3">
        <legend class="form-label fs-6">{t("webhooks.events")}</legend>
        {WEBHOOK_EVENT_TYPES.map((type) => (
          <div class="form-check">
            <input
              class="form-check-input"
              type="checkbox"
              name="events"
              value={type}
              id={`event-${type}`}
              checked={chosen.has(type)}
            />
            <label class="form-check-label" for={`event-${type}`}>
              <code>{type}</code>
            </label>
          </div>
        ))}
        {form.errors.events && <div class="text-danger small">{form.errors.events}</div>}
      </fieldset>
    </>
  );
}

function newPage(ctx: ViewContext, user: User, form: FormState) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("webhooks.newTitle"),
    <>
      <PageHeader title={t("webhooks.newTitle")} />
      <FormAlert form={form} />
      <form method="post" action="/webhooks" novalidate class="bg-body rounded-3 border p-3">
        <CsrfField token={ctx.csrfToken} />
        <EndpointFields form={form} t={t} />
        {user.role === "admin" && (
          <div class="form-check mb-3">
            <input
              class="form-check-input"
              type="checkbox"
              name="all_users"
              value="on"
              id="all_users"
              checked={form.values.all_users === "on"}
            />
            <label class="form-check-label" for="all_users">
              {t("webhooks.allUsersCheck")}
            </label>
          </div>
        )}
        <button type="submit" class="btn btn-primary">
          {t("webhooks.create")}
        </button>
      </form>
    </>,
  );
}

interface EndpointPageData {
  endpoint: EndpointView;
  events: WebhookEvent[];
  attempts: WebhookAttempt[];
  /** The secret, only right after creation. */
  secret?: string;
}

function endpointPage(ctx: ViewContext, user: User, d: EndpointPageData) {
  const { t } = ctx;
  const e = d.endpoint;
  const at = (iso: string) => formatInZone(iso, user.time_zone, { locale: ctx.locale });
  return renderPage(
    ctx,
    t("webhooks.endpoint"),
    <>
      <PageHeader title={t("webhooks.endpoint")}>
        <form method="post" action={`/webhooks/${e.id}/${e.enabled ? "disable" : "enable"}`}>
          <CsrfField token={ctx.csrfToken} />
          <button type="submit" class="btn btn-outline-secondary">
            <i class={`bi ${e.enabled ? "bi-pause-circle" : "bi-play-circle"}`} aria-hidden="true" />{" "}
            {e.enabled ? t("webhooks.disable") : t("webhooks.enable")}
          </button>
        </form>
        <a class="btn btn-outline-primary" href={`/webhooks/${e.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> {t("webhooks.edit")}
        </a>
        <a class="btn btn-outline-danger" href={`/webhooks/${e.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> {t("webhooks.delete")}
        </a>
      </PageHeader>
      {d.secret && (
        <div class="alert alert-success" role="status">
          <p class="mb-2">{t("webhooks.secret")}</p>
          <code class="user-select-all text-break" data-testid="webhook-secret">
            {d.secret}
          </code>
        </div>
      )}
      {e.disabled_reason && (
        <div class="alert alert-warning" role="alert">
          {translateMessage(ctx.locale, e.disabled_reason)} {t("webhooks.fixReceiver")}
        </div>
      )}
      {e.enabled && e.failing_since && (
        <div class="alert alert-warning" role="status">
          {t("webhooks.failingSince", {
            since: at(e.failing_since),
            next: e.next_attempt_at ? at(e.next_attempt_at) : t("webhooks.soon"),
          })}
        </div>
      )}
      <p class="text-break">
        <strong>{e.url}</strong> <StateBadge endpoint={e} />
        {e.all_users && <span class="badge text-bg-info ms-1">{t("webhooks.allUsers")}</span>}
      </p>
      <p class="small text-body-secondary">{t("webhooks.eventsList", { events: e.events.join(", ") })}</p>
      <h2 class="h5 mt-4">{t("webhooks.latestRequests")}</h2>
      {d.attempts.length === 0 ? (
        <p class="text-body-secondary">{t("webhooks.noRequests")}</p>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-sm mb-0">
            <thead>
              <tr>
                <th scope="col">{t("webhooks.time")}</th>
                <th scope="col">{t("webhooks.result")}</th>
                <th scope="col">{t("webhooks.events")}</th>
                <th scope="col">{t("webhooks.duration")}</th>
                <th scope="col">{t("webhooks.response")}</th>
              </tr>
            </thead>
            <tbody>
              {d.attempts.map((a) => (
                <tr>
                  <td class="text-nowrap">{at(a.attempted_at)}</td>
                  <td>
                    {a.status_code ?? "—"}{" "}
                    <span class="small text-body-secondary">{t(`webhooks.outcome.${a.outcome}`)}</span>
                  </td>
                  <td>{a.event_count}</td>
                  <td class="text-nowrap">{t("webhooks.ms", { ms: a.duration_ms })}</td>
                  <td class="small text-break">
                    <code>
                      {(a.error ? translateMessage(ctx.locale, a.error) : a.response_excerpt).slice(0, 300)}
                    </code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 class="h5 mt-4">{t("webhooks.latestEvents")}</h2>
      {d.events.length === 0 ? (
        <p class="text-body-secondary">{t("webhooks.noEvents")}</p>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-sm mb-0">
            <thead>
              <tr>
                <th scope="col">{t("webhooks.time")}</th>
                <th scope="col">{t("webhooks.type")}</th>
                <th scope="col">{t("webhooks.id")}</th>
                <th scope="col">{t("webhooks.state")}</th>
                <th scope="col">
                  <span class="visually-hidden">{t("webhooks.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.events.map((ev) => (
                <tr>
                  <td class="text-nowrap">{at(ev.created_at)}</td>
                  <td>
                    <code>{ev.type}</code>
                  </td>
                  <td class="small">
                    <code>{ev.uid}</code>
                  </td>
                  <td>
                    {t("webhooks.tries", { count: ev.tries, status: t(`webhooks.status.${ev.status}`) })}
                  </td>
                  <td class="text-end">
                    <form method="post" action={`/webhooks/${e.id}/resend`}>
                      <CsrfField token={ctx.csrfToken} />
                      <input type="hidden" name="event_id" value={String(ev.id)} />
                      <button type="submit" class="btn btn-sm btn-outline-primary">
                        {t("webhooks.resend")}
                        <span class="visually-hidden"> {ev.uid}</span>
                      </button>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>,
  );
}

/** Checkboxes post "events" once per ticked box: a string, an array, or nothing (then none is chosen). */
export function endpointInput(body: Record<string, unknown>) {
  const events = body.events === undefined ? [] : Array.isArray(body.events) ? body.events : [body.events];
  return { url: body.url, description: body.description ?? "", events };
}

function createInput(body: Record<string, unknown>, user: User) {
  return { ...endpointInput(body), all_users: user.role === "admin" && body.all_users === "on" };
}

export function webhookRoutes(app: FastifyInstance, { webhooks }: Services): void {
  const show = async (req: FastifyRequest, reply: FastifyReply, endpointId: number, secret?: string) => {
    const user = requireUser(req);
    const data = await webhooks.get(user, endpointId);
    return sendPage(
      reply,
      endpointPage(viewContext(req, reply), user, { ...data, ...(secret ? { secret } : {}) }),
    );
  };

  app.get("/webhooks", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, listPage(viewContext(req, reply), user, await webhooks.list(user)));
  });

  app.get("/webhooks/new", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, newPage(viewContext(req, reply), user, emptyForm));
  });

  app.post("/webhooks", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const created = await webhooks.create(user, createInput(formBody(req), user));
        // Rendered, not redirected: the secret must not travel in a cookie or a URL.
        return show(req, reply, created.endpoint.id, created.secret);
      },
      (form) => newPage(viewContext(req, reply), user, form),
    );
  });

  app.get("/webhooks/:id", async (req, reply) => show(req, reply, idParam(req.params)));

  for (const [action, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    app.post(`/webhooks/:id/${action}`, async (req, reply) => {
      const endpointId = idParam(req.params);
      await webhooks.setEnabled(requireUser(req), endpointId, enabled);
      return redirectWith(reply, `/webhooks/${endpointId}`, "success", `Endpoint ${action}d.`);
    });
  }

  app.post("/webhooks/:id/resend", async (req, reply) => {
    const endpointId = idParam(req.params);
    const eventId = id.safeParse(formBody(req).event_id);
    if (!eventId.success) throw new NotFoundError("No such event.");
    await webhooks.resend(requireUser(req), endpointId, eventId.data);
    return redirectWith(reply, `/webhooks/${endpointId}`, "success", "Event queued again.");
  });

  app.get("/webhooks/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const { endpoint } = await webhooks.get(user, idParam(req.params));
    const ctx = viewContext(req, reply);
    const { t } = ctx;
    return sendPage(
      reply,
      renderPage(
        ctx,
        t("webhooks.deleteTitle"),
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/webhooks/${endpoint.id}/delete`}
          cancelHref={`/webhooks/${endpoint.id}`}
          button={t("webhooks.deleteSubmit")}
        >
          <p class="mb-0">
            {t("webhooks.deleteBefore")}
            <strong class="text-break">{endpoint.url}</strong>
            {t("webhooks.deleteAfter")}
          </p>
        </ConfirmForm>,
      ),
    );
  });

  app.post("/webhooks/:id/delete", async (req, reply) => {
    await webhooks.remove(requireUser(req), idParam(req.params));
    return redirectWith(reply, "/webhooks", "success", "Endpoint deleted.");
  });
}
