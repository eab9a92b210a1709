/**
 * The admins' sender pages: the list, new, edit, delete (refused while mailings send as the sender).
 * Others get a 404, like every admin page.
 */

import type { FastifyInstance, FastifyRequest } from "fastify";
import { actor, staffOf } from "../admin/admin.pages.js";
import type { Services } from "../container.js";
import type { Sender } from "../db/schema.js";
import { translateMessage } from "../i18n/index.js";
import { ConflictError, NotFoundError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { isAdmin } from "../shared/roles.js";
import {
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  RowActions,
  TextArea,
} from "../web/components.js";
import { idParam, redirectWith, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { SENDER_LIMITS } from "./senders.schemas.js";
import { senderLabel } from "./senders.service.js";

function adminOf(req: FastifyRequest) {
  const viewer = staffOf(req);
  if (!isAdmin(viewer)) throw new NotFoundError();
  return viewer;
}

function listPage(ctx: ViewContext, senders: Sender[], defaultFrom: string) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("senders.title"),
    <>
      <PageHeader title={t("senders.title")}>
        <a class="btn btn-primary" href="/admin/senders/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("senders.new")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        {t("senders.introBefore")}
        <code>{defaultFrom}</code> (SMTP_FROM).
      </p>
      {senders.length === 0 ? (
        <EmptyState icon="bi-person-badge" title={t("senders.emptyTitle")}>
          {t("senders.emptyText")} <a href="/admin/senders/new">{t("senders.new")}</a>.
        </EmptyState>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table mb-0">
            <thead>
              <tr>
                <th scope="col">{t("senders.from")}</th>
                <th scope="col" class="d-none d-md-table-cell">
                  {t("senders.replyTo")}
                </th>
                <th scope="col" class="d-none d-lg-table-cell">
                  {t("senders.postal")}
                </th>
                <th scope="col" class="text-end">
                  <span class="visually-hidden">{t("senders.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {senders.map((s) => (
                <tr>
                  <td>
                    <a href={`/admin/senders/${s.id}/edit`}>{s.from_name}</a>
                    <div class="small text-body-secondary">{s.from_email}</div>
                  </td>
                  <td class="d-none d-md-table-cell">{s.reply_to ?? "—"}</td>
                  <td class="d-none d-lg-table-cell pre-wrap small">{s.postal_address}</td>
                  <RowActions base={`/admin/senders/${s.id}`} label={senderLabel(s)} />
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>,
  );
}

function formPage(ctx: ViewContext, form: FormState, sender?: Sender) {
  const { t } = ctx;
  const title = sender ? t("senders.editName", { name: sender.from_name }) : t("senders.new");
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form
            method="post"
            action={sender ? `/admin/senders/${sender.id}/edit` : "/admin/senders/new"}
            novalidate
          >
            <CsrfField token={ctx.csrfToken} />
            <div class="row">
              <div class="col-md-6">
                <Field
                  form={form}
                  name="from_name"
                  label={t("senders.fromName")}
                  required
                  maxLength={LIMITS.name}
                  help={t("senders.fromNameHelp")}
                />
              </div>
              <div class="col-md-6">
                <Field
                  form={form}
                  name="from_email"
                  label={t("senders.fromEmail")}
                  type="email"
                  required
                  maxLength={LIMITS.email}
                  help={t("senders.fromEmailHelp")}
                />
              </div>
            </div>
            <Field
              form={form}
              name="reply_to"
              label={t("senders.replyTo")}
              type="email"
              maxLength={LIMITS.email}
              help={t("senders.replyToHelp")}
            />
            <TextArea
              form={form}
              name="postal_address"
              label={t("senders.postal")}
              required
              rows={4}
              maxLength={SENDER_LIMITS.postalAddress}
              help={t("senders.postalHelp", { max: SENDER_LIMITS.postalLines })}
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {sender ? t("senders.save") : t("senders.create")}
              </button>
              <a class="btn btn-outline-secondary" href="/admin/senders">
                {t("senders.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function deletePage(ctx: ViewContext, sender: Sender, using: number, error?: string) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("senders.deleteTitle"),
    <>
      <PageHeader title={t("senders.deleteHeading", { name: senderLabel(sender) })} />
      {error && (
        <div class="alert alert-danger" role="alert">
          {translateMessage(ctx.locale, error)}
        </div>
      )}
      {using > 0 ? (
        <div class="card border-warning">
          <div class="card-body">
            <p class="mb-0">{t("senders.inUse", { count: using })}</p>
            <a class="btn btn-outline-secondary mt-3" href="/admin/senders">
              {t("senders.back")}
            </a>
          </div>
        </div>
      ) : (
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/admin/senders/${sender.id}/delete`}
          cancelHref="/admin/senders"
          button={t("senders.deleteSubmit")}
        >
          <p class="mb-0">{t("senders.deleteText")}</p>
        </ConfirmForm>
      )}
    </>,
  );
}

const valuesOf = (s: Sender): FormState => ({
  values: {
    from_name: s.from_name,
    from_email: s.from_email,
    reply_to: s.reply_to ?? "",
    postal_address: s.postal_address,
  },
  errors: {},
});

export function senderRoutes(app: FastifyInstance, { senders }: Services): void {
  app.get("/admin/senders", async (req, reply) => {
    const viewer = adminOf(req);
    const list = await senders.list(viewer);
    return sendPage(reply, listPage(viewContext(req, reply), list, senders.defaultFrom));
  });

  app.get("/admin/senders/new", async (req, reply) => {
    adminOf(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm));
  });

  app.post("/admin/senders/new", async (req, reply) => {
    const viewer = adminOf(req);
    return handleForm(
      req,
      reply,
      async () => {
        const s = await senders.create(actor(viewer), formBody(req));
        return redirectWith(reply, "/admin/senders", "success", `Sender ${senderLabel(s)} created.`);
      },
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  app.get("/admin/senders/:id/edit", async (req, reply) => {
    const viewer = adminOf(req);
    const s = await senders.get(viewer, idParam(req.params));
    return sendPage(reply, formPage(viewContext(req, reply), valuesOf(s), s));
  });

  app.post("/admin/senders/:id/edit", async (req, reply) => {
    const viewer = adminOf(req);
    const s = await senders.get(viewer, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        const saved = await senders.update(actor(viewer), s.id, formBody(req));
        return redirectWith(reply, "/admin/senders", "success", `Sender ${senderLabel(saved)} saved.`);
      },
      (form) => formPage(viewContext(req, reply), form, s),
    );
  });

  app.get("/admin/senders/:id/delete", async (req, reply) => {
    const viewer = adminOf(req);
    const s = await senders.get(viewer, idParam(req.params));
    const using = await senders.mailingsUsing(s.id);
    return sendPage(reply, deletePage(viewContext(req, reply), s, using));
  });

  app.post("/admin/senders/:id/delete", async (req, reply) => {
    const viewer = adminOf(req);
    const s = await senders.get(viewer, idParam(req.params));
    try {
      await senders.delete(actor(viewer), s.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const using = await senders.mailingsUsing(s.id);
      return sendPage(reply, deletePage(viewContext(req, reply), s, using, error.message), 409);
    }
    return redirectWith(reply, "/admin/senders", "success", `Sender ${senderLabel(s)} deleted.`);
  });
}
