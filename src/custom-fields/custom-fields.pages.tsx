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
import { FIELD_TYPE_LABELS, FIELD_TYPES } from "./field-values.js";

function indexPage(ctx: ViewContext, fields: CustomField[], form: FormState) {
  return renderPage(
    ctx,
    "Custom fields",
    <>
      <PageHeader title="Custom fields">
        <a class="btn btn-outline-secondary" href="/recipients">
          <i class="bi bi-people" aria-hidden="true" /> Recipients
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        Your own fields on every recipient: on the recipient form, in CSV import and export (a column named
        like the key), in segments, and in messages as <code>{"{{ recipient.fields.key }}"}</code>.
      </p>
      <div class="row g-4">
        <div class="col-lg-7">
          {fields.length === 0 ? (
            <EmptyState icon="bi-input-cursor-text" title="No custom fields yet">
              Add one with the form.
            </EmptyState>
          ) : (
            <div class="table-responsive bg-body rounded-3 border">
              <table class="table mb-0">
                <thead>
                  <tr>
                    <th scope="col">Label</th>
                    <th scope="col">Key</th>
                    <th scope="col">Type</th>
                    <th scope="col" class="text-end">
                      <span class="visually-hidden">Actions</span>
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
                      <td>{FIELD_TYPE_LABELS[f.type]}</td>
                      <td class="text-end">
                        <a class="btn btn-sm btn-outline-danger" href={`/fields/${f.id}/delete`}>
                          <i class="bi bi-trash" aria-hidden="true" />
                          <span class="visually-hidden">Delete {f.label}</span>
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
              <h2 class="h6">New field</h2>
              <FormAlert form={form} />
              <form method="post" action="/fields" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field form={form} name="label" label="Label" required maxLength={100} />
                <Field
                  form={form}
                  name="key"
                  label="Key"
                  required
                  maxLength={40}
                  help="Lower-case letters, digits and _, like plan or signup_date. It cannot change later."
                />
                <Select
                  form={form}
                  name="type"
                  label="Type"
                  required
                  options={FIELD_TYPES.map((t) => ({ value: t, label: FIELD_TYPE_LABELS[t] }))}
                />
                <button type="submit" class="btn btn-primary">
                  Add field
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
    return sendPage(
      reply,
      renderPage(
        ctx,
        `Delete ${f.label}`,
        <>
          <PageHeader title={`Delete the field ${f.label}?`} />
          <ConfirmForm
            csrfToken={ctx.csrfToken}
            action={`/fields/${f.id}/delete`}
            cancelHref="/fields"
            button="Delete field"
          >
            <p class="mb-0">
              Every recipient's value of <code>{f.key}</code> is deleted with it; segment conditions on it
              will match nobody.
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
