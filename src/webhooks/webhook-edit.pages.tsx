/**
 * The edit form of a webhook endpoint (/webhooks/:id/edit): its URL (checked by the SSRF guard again),
 * description and events. Enabling and disabling stay buttons on the endpoint's page; the secret is kept.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { CsrfField, FormAlert, type FormState, PageHeader } from "../web/components.js";
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
import { EndpointFields, endpointInput } from "./webhooks.pages.js";
import type { EndpointView } from "./webhooks.service.js";

function editPage(ctx: ViewContext, endpoint: EndpointView, form: FormState) {
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
        <EndpointFields form={form} t={t} />
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
        await webhooks.update(user, endpoint.id, endpointInput(formBody(req)));
        return redirectWith(reply, `/webhooks/${endpoint.id}`, "success", "Endpoint saved.");
      },
      (form) => editPage(viewContext(req, reply), endpoint, form),
    );
  });
}
