/**
 * The edit form of a webhook endpoint (/webhooks/:id/edit): its URL (checked by the SSRF guard again),
 * description and events. Enabling and disabling stay buttons on the endpoint's page; the secret is kept.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { CsrfField, Field, FormAlert, type FormState, PageHeader } from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { WEBHOOK_EVENT_TYPES } from "./webhooks.schemas.js";
import type { EndpointView } from "./webhooks.service.js";

function editPage(ctx: ViewContext, endpoint: EndpointView, form: FormState) {
  const chosen = new Set((form.values.events ?? "").split(",").filter(Boolean));
  const { t } = ctx;
  return renderPage(
    ctx,
    t("webhooks.editTitle"),
    <>
      <PageHeader title={t("webhooks.editTitle")} />
      <FormAlert form={form} />
      <form
        method="post"
        action={`/webhooks/${endpoint.id}/edit`}
        novalidate
        class="bg-body rounded-3 border p-3"
      >
        <CsrfField token={ctx.csrfToken} />
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
        <button type="submit" class="btn btn-primary me-2">
          {t("webhooks.save")}
        </button>
        <a class="btn btn-outline-secondary" href={`/webhooks/${endpoint.id}`}>
          {t("webhooks.cancel")}
        </a>
      </form>
    </>,
  );
}

/** Checkboxes post "events" once per ticked box: a string, an array, or nothing (then none is chosen). */
function editInput(body: Record<string, unknown>) {
  const events = body.events === undefined ? [] : Array.isArray(body.events) ? body.events : [body.events];
  return { url: body.url, description: body.description ?? "", events };
}

export function webhookEditRoutes(app: FastifyInstance, { webhooks }: Services): void {
  app.get("/webhooks/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const { endpoint } = await webhooks.get(user, idParam(req.params));
    const values = {
      url: endpoint.url,
      description: endpoint.description,
      events: endpoint.events.join(","),
    };
    return sendPage(reply, editPage(viewContext(req, reply), endpoint, { values, errors: {} }));
  });

  app.post("/webhooks/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const { endpoint } = await webhooks.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await webhooks.update(user, endpoint.id, editInput(formBody(req)));
        return redirectWith(reply, `/webhooks/${endpoint.id}`, "success", "Endpoint saved.");
      },
      (form) => editPage(viewContext(req, reply), endpoint, form),
    );
  });
}
