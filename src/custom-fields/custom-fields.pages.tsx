/** Custom field pages: the owner's fields with a form to add one, and deleting one with a confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { CustomField } from "../db/schema.js";
import {
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  Select,
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
import { renderPage } from "../web/layout.js";
import { FIELD_TYPES } from "./field-values.js";

function indexPage(ctx: ViewContext, fields: CustomField[], form: FormState) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("recipients.list.customFields"),
    <>
      <PageHeader title={t("recipients.list.customFields")}>
        <a class="btn btn-outline-secondary" href="/recipients">
          <i class="bi bi-people" aria-hidden="true" /> {t("nav.recipients")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        {t("fields.intro")}
        <code>{"{{ recipient.fields.key }}"}</code>.
      </p>
      <div class="row g-4">
        <div class="col-lg-7">
          {fields.length === 0 ? (
            <EmptyState icon="bi-input-cursor-text" title={t("fields.none")}>
              {t("fields.noneText")}
            </EmptyState>
          ) : (
            <div class="table-responsive bg-body rounded-3 border">
              <table class="table mb-0">
                <thead>
                  <tr>
                    <th scope="col">{t("fields.label")}</th>
                    <th scope="col">{t("fields.key")}</th>
                    <th scope="col">{t("fields.type")}</th>
                    <th scope="col" class="text-end">
                      <span class="visually-hidden">{t("common.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {fields.map((f) => (
                    <tr>
                      <td>{f.label}</td>
                      <td>
                        <code>{f.key}</code>
                      </td>
                      <td>{t(`fields.types.${f.type}`)}</td>
                      <td class="text-end">
                        <a class="btn btn-sm btn-outline-danger" href={`/fields/${f.id}/delete`}>
                          <i class="bi bi-trash" aria-hidden="true" />
                          <span class="visually-hidden">{t("common.delete", { label: f.label })}</span>
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <div class="col-lg-5">
          <div class="card">
            <div class="card-body">
              <h2 class="h6">{t("fields.new")}</h2>
              <FormAlert form={form} />
              <form method="post" action="/fields" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field form={form} name="label" label={t("fields.label")} required maxLength={100} />
                <Field
                  form={form}
                  name="key"
                  label={t("fields.key")}
                  required
                  maxLength={40}
                  help={t("fields.keyHelp")}
                />
                <Select
                  form={form}
                  name="type"
                  label={t("fields.type")}
                  required
                  options={FIELD_TYPES.map((type) => ({ value: type, label: t(`fields.types.${type}`) }))}
                />
                <button type="submit" class="btn btn-primary">
                  {t("fields.add")}
                </button>
              </form>
            </div>
          </div>
        </div>
      </div>
    </>,
  );
}

export function customFieldRoutes(app: FastifyInstance, services: Services): void {
  const { fields } = services;

  app.get("/fields", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, indexPage(viewContext(req, reply), await fields.all(user), emptyForm));
  });

  app.post("/fields", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const f = await fields.create(user, formBody(req));
        return redirectWith(reply, "/fields", "success", `Field “${f.label}” added.`);
      },
      async (form) => indexPage(viewContext(req, reply), await fields.all(user), form),
    );
  });

  app.get("/fields/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const f = await fields.get(user, idParam(req.params));
    const ctx = viewContext(req, reply);
    const t = ctx.t;
    return sendPage(
      reply,
      renderPage(
        ctx,
        t("fields.delete.title", { label: f.label }),
        <>
          <PageHeader title={t("fields.delete.heading", { label: f.label })} />
          <ConfirmForm
            csrfToken={ctx.csrfToken}
            action={`/fields/${f.id}/delete`}
            cancelHref="/fields"
            button={t("fields.delete.submit")}
          >
            <p class="mb-0">
              {t("fields.delete.before")}
              <code>{f.key}</code>
              {t("fields.delete.after")}
            </p>
          </ConfirmForm>
        </>,
      ),
    );
  });

  app.post("/fields/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const f = await fields.delete(user, idParam(req.params));
    return redirectWith(reply, "/fields", "success", `Field “${f.label}” deleted.`);
  });
}
