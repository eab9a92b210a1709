/** Message pages: list (search, sort, pages), detail, create, edit, delete with confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Message } from "../db/schema.js";
import { type Locale, type Translate, translateMessage, translator } from "../i18n/index.js";
import { ConflictError, DomainError, NotFoundError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import { templateProblem } from "../templates/liquid.js";
import {
  ActionsHeader,
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  RowActions,
  SearchableList,
  Select,
  SortHeader,
  TextArea,
  withQuery,
} from "../web/components.js";
import {
  idParam,
  redirectWith,
  requestLocale,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { MAX_TEST_ADDRESSES, MESSAGE_FORMATS } from "./messages.schemas.js";

type ListResult = Awaited<ReturnType<Services["messages"]["list"]>>;
type MailingRef = { id: number; name: string };
type LayoutChoice = { id: number; name: string; shared: boolean };

/** What a user can write in a template, shown under the body. */
function VariablesHelp({ t }: { t: Translate }) {
  return (
    <details class="form-text">
      <summary>{t("messages.vars.summary")}</summary>
      <p class="mb-1 mt-2">
        <code>{"{{ recipient.first_name }}"}</code>, <code>{"{{ recipient.full_name }}"}</code>,{" "}
        <code>{"{{ recipient.email }}"}</code>, <code>{"{{ recipient.comment }}"}</code>,{" "}
        <code>{"{{ recipient.fields.city }}"}</code> {t("messages.vars.customFields")},{" "}
        <code>{"{{ mailing.name }}"}</code>, <code>{"{{ sender.name }}"}</code>,{" "}
        <code>{"{{ unsubscribe_url }}"}</code>, <code>{"{{ view_in_browser_url }}"}</code>,{" "}
        <code>{'{{ now | date: "%d %B %Y" }}'}</code>.
      </p>
      <p class="mb-0">
        {t("messages.vars.fallbacks")}
        <code>{'{{ recipient.first_name | default: "there" }}'}</code>
        {t("messages.vars.conditions")} <code>{"{% if recipient.comment != blank %}…{% endif %}"}</code>
        {t("messages.vars.escaped")}
        <code>{"{{ unsubscribe_url }}"}</code>
        {t("messages.vars.unsubscribe")}
      </p>
    </details>
  );
}

function MailingLinks({ mailings }: { mailings: MailingRef[] }) {
  return (
    <ul class="mb-0">
      {mailings.map((m) => (
        <li>
          <a href={`/mailings/${m.id}`}>{m.name}</a>
        </li>
      ))}
    </ul>
  );
}

function listPage(ctx: ViewContext, result: ListResult, zone: string) {
  const { query } = result;
  const t = ctx.t;
  return renderPage(
    ctx,
    t("messages.title"),
    <>
      <PageHeader title={t("messages.title")}>
        <a class="btn btn-primary" href="/messages/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("messages.new")}
        </a>
      </PageHeader>
      <SearchableList
        path="/messages"
        query={query}
        page={result}
        searchLabel={t("messages.search")}
        noMatch={t("messages.noMatch")}
        empty={
          <EmptyState icon="bi-envelope-paper" title={t("messages.emptyTitle")}>
            {t("messages.emptyText")} <a href="/messages/new">{t("messages.emptyLink")}</a>.
          </EmptyState>
        }
        head={
          <>
            <SortHeader label={t("messages.subject")} column="subject" path="/messages" query={query} />
            <SortHeader
              label={t("messages.created")}
              column="created_at"
              path="/messages"
              query={query}
              class="d-none d-sm-table-cell"
            />
            <ActionsHeader />
          </>
        }
      >
        {result.items.map((m) => (
          <tr>
            <td class="text-truncate-cell" data-label={t("messages.subject")}>
              <a href={`/messages/${m.id}`}>{m.subject}</a>
            </td>
            <td class="text-nowrap d-none d-sm-table-cell">
              {formatInZone(m.created_at, zone, { locale: ctx.locale })}
            </td>
            <RowActions base={`/messages/${m.id}`} label={m.subject} />
          </tr>
        ))}
      </SearchableList>
    </>,
  );
}

function formPage(ctx: ViewContext, form: FormState, layouts: LayoutChoice[], message?: Message) {
  const t = ctx.t;
  const title = t(message ? "messages.edit" : "messages.new");
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={message ? `/messages/${message.id}/edit` : "/messages/new"} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="subject"
              label={t("messages.subject")}
              required
              maxLength={LIMITS.subject}
              help={
                <>
                  {t("messages.subjectHelpBefore")}
                  <code>{"{{ recipient.first_name }}"}</code>.
                </>
              }
            />
            <div class="row">
              <div class="col-sm-6">
                <Select
                  form={form}
                  name="format"
                  label={t("messages.format")}
                  options={MESSAGE_FORMATS.map((f) => ({ value: f, label: t(`messages.formats.${f}`) }))}
                  help={t("messages.formatHelp")}
                />
              </div>
              <div class="col-sm-6">
                <Select
                  form={form}
                  name="layout_id"
                  label={t("messages.layout")}
                  options={[
                    { value: "", label: t("messages.none") },
                    ...layouts.map((l) => ({
                      value: String(l.id),
                      label: l.shared ? t("messages.shared", { name: l.name }) : l.name,
                    })),
                  ]}
                  help={
                    <>
                      {t("messages.layoutHelp")} <a href="/layouts">{t("nav.layouts")}</a>
                    </>
                  }
                />
              </div>
            </div>
            <TextArea
              form={form}
              name="body"
              label={t("messages.body")}
              required
              maxLength={LIMITS.body}
              rows={14}
              help={<VariablesHelp t={t} />}
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {t(message ? "messages.save" : "messages.create")}
              </button>
              <a class="btn btn-outline-secondary" href={message ? `/messages/${message.id}` : "/messages"}>
                {t("messages.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

type Preview = Awaited<ReturnType<Services["messages"]["preview"]>>;
type RecipientChoice = { id: number; email: string; full_name: string };

interface DetailView {
  message: Message;
  mailings: MailingRef[];
  layoutName: string | null;
  preview: Preview | null;
  previewError: string | null;
  recipients: RecipientChoice[];
  recipientId: number | null;
  /** Previewed as a mailing with this sender identity sends it; null: SMTP_FROM. */
  senderId: number | null;
  phone: boolean;
  testForm: FormState;
}

function PreviewPane({ t, v }: { t: Translate; v: DetailView }) {
  const m = v.message;
  const src = withQuery(`/messages/${m.id}/preview.html`, {
    recipient_id: v.recipientId ?? undefined,
    sender_id: v.senderId ?? undefined,
  });
  const here = (phone: boolean) =>
    withQuery(`/messages/${m.id}`, {
      recipient_id: v.recipientId ?? undefined,
      sender_id: v.senderId ?? undefined,
      width: phone ? "phone" : undefined,
    });
  return (
    <section class="card mb-3" aria-labelledby="preview-title">
      <div class="card-header d-flex flex-wrap gap-2 align-items-center">
        <h2 id="preview-title" class="h6 mb-0 me-auto">
          {t("messages.preview.title")}
        </h2>
        <form method="get" action={`/messages/${m.id}`} class="d-flex gap-2 align-items-center">
          <label class="visually-hidden" for="preview-recipient">
            {t("messages.preview.renderFor")}
          </label>
          <select id="preview-recipient" name="recipient_id" class="form-select form-select-sm">
            <option value="">{t("messages.preview.sample")}</option>
            {v.recipients.map((r) => (
              <option value={String(r.id)} selected={r.id === v.recipientId}>
                {r.full_name ? `${r.full_name} <${r.email}>` : r.email}
              </option>
            ))}
          </select>
          {v.phone && <input type="hidden" name="width" value="phone" />}
          {v.senderId !== null && <input type="hidden" name="sender_id" value={String(v.senderId)} />}
          {/* The select takes the room; "Show" stays one word (squeezed, it broke into "Sho / w"). */}
          <button class="btn btn-sm btn-outline-secondary text-nowrap flex-shrink-0" type="submit">
            {t("messages.preview.show")}
          </button>
        </form>
        <div class="btn-group btn-group-sm" role="group" aria-label={t("messages.preview.width")}>
          <a
            class={`btn btn-outline-secondary${v.phone ? "" : " active"}`}
            href={here(false)}
            aria-current={v.phone ? undefined : "true"}
          >
            <i class="bi bi-display" aria-hidden="true" /> {t("messages.preview.desktop")}
          </a>
          <a
            class={`btn btn-outline-secondary${v.phone ? " active" : ""}`}
            href={here(true)}
            aria-current={v.phone ? "true" : undefined}
          >
            <i class="bi bi-phone" aria-hidden="true" /> {t("messages.preview.phone")}
          </a>
        </div>
      </div>
      <div class="card-body">
        {v.previewError ? (
          <div class="alert alert-warning mb-0" role="alert">
            {v.previewError}
          </div>
        ) : (
          v.preview && (
            <>
              <dl class="row mb-3 small">
                <dt class="col-sm-2">{t("messages.preview.from")}</dt>
                <dd class="col-sm-10 text-break">{v.preview.from}</dd>
                <dt class="col-sm-2">{t("messages.preview.subject")}</dt>
                <dd class="col-sm-10 text-break" data-testid="preview-subject">
                  {v.preview.subject}
                </dd>
                <dt class="col-sm-2">{t("messages.preview.valuesOf")}</dt>
                <dd class="col-sm-10 text-break">
                  {v.preview.renderedFor === "sample values"
                    ? t("messages.preview.sample").toLowerCase()
                    : v.preview.renderedFor}
                </dd>
              </dl>
              <div class="row g-3">
                {v.preview.html !== null && (
                  <div class={v.phone ? "col-auto" : "col-lg-7"}>
                    <h3 class="h6">HTML</h3>
                    <iframe
                      title={t("messages.preview.htmlPart")}
                      class={`preview-frame border rounded${v.phone ? " phone" : ""}`}
                      sandbox=""
                      src={src}
                    />
                  </div>
                )}
                <div class={v.preview.html !== null && !v.phone ? "col-lg-5" : "col"}>
                  <h3 class="h6">
                    {t(v.preview.html !== null ? "messages.preview.textPart" : "messages.preview.text")}
                  </h3>
                  <pre
                    class="border rounded p-2 bg-body-tertiary pre-wrap small mb-0"
                    data-testid="preview-text"
                  >
                    {v.preview.text}
                  </pre>
                </div>
              </div>
            </>
          )
        )}
      </div>
    </section>
  );
}

function TestSendForm({ ctx, v }: { ctx: ViewContext; v: DetailView }) {
  const t = ctx.t;
  return (
    <section class="card mb-3" aria-labelledby="test-title">
      <div class="card-body">
        <h2 id="test-title" class="h6">
          {t("messages.test.title")}
        </h2>
        <FormAlert form={v.testForm} />
        <form method="post" action={`/messages/${v.message.id}/test`} novalidate>
          <CsrfField token={ctx.csrfToken} />
          <input
            type="hidden"
            name="recipient_id"
            value={v.recipientId === null ? "" : String(v.recipientId)}
          />
          <input type="hidden" name="sender_id" value={v.senderId === null ? "" : String(v.senderId)} />
          <Field
            form={v.testForm}
            name="to"
            label={t("messages.test.to")}
            help={t("messages.test.help", { email: ctx.user?.email ?? "", max: MAX_TEST_ADDRESSES })}
          />
          <button class="btn btn-outline-primary" type="submit">
            <i class="bi bi-send" aria-hidden="true" /> {t("messages.test.submit")}
          </button>
        </form>
      </div>
    </section>
  );
}

function detailPage(ctx: ViewContext, v: DetailView, zone: string) {
  const m = v.message;
  const t = ctx.t;
  const when = (value: string) => formatInZone(value, zone, { locale: ctx.locale });
  return renderPage(
    ctx,
    m.subject,
    <>
      <PageHeader title={m.subject}>
        <a class="btn btn-outline-primary" href={`/messages/${m.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> {t("messages.detail.edit")}
        </a>
        <a class="btn btn-outline-danger" href={`/messages/${m.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> {t("messages.detail.delete")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        {t("messages.detail.meta", {
          created: when(m.created_at),
          updated: when(m.updated_at),
          format: t(`messages.formats.${m.format}`),
          layout: v.layoutName ?? t("messages.detail.none"),
        })}
      </p>
      <PreviewPane t={t} v={v} />
      <TestSendForm ctx={ctx} v={v} />
      <details class="card mb-3">
        <summary class="card-header">{t("messages.detail.source")}</summary>
        <div class="card-body pre-wrap font-monospace small">{m.body}</div>
      </details>
      <h2 class="h5">{t("messages.detail.usedBy")}</h2>
      {v.mailings.length === 0 ? (
        <p class="text-body-secondary">{t("messages.detail.unused")}</p>
      ) : (
        <MailingLinks mailings={v.mailings} />
      )}
      <p class="mt-3">
        <a href="/messages">
          <i class="bi bi-arrow-left" aria-hidden="true" /> {t("messages.detail.all")}
        </a>
      </p>
    </>,
  );
}

function deletePage(ctx: ViewContext, m: Message, mailings: MailingRef[], error?: string) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("messages.delete.title"),
    <>
      <PageHeader title={t("messages.delete.heading", { name: m.subject })} />
      {error && (
        <div class="alert alert-danger" role="alert">
          {translateMessage(ctx.locale, error)}
        </div>
      )}
      {mailings.length > 0 ? (
        <div class="card border-warning">
          <div class="card-body">
            <p>{t("messages.delete.inUse")}</p>
            <MailingLinks mailings={mailings} />
            <a class="btn btn-outline-secondary mt-3" href={`/messages/${m.id}`}>
              {t("messages.delete.back")}
            </a>
          </div>
        </div>
      ) : (
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/messages/${m.id}/delete`}
          cancelHref={`/messages/${m.id}`}
          button={t("messages.delete.submit")}
        >
          <p class="mb-0">{t("messages.delete.text")}</p>
        </ConfirmForm>
      )}
    </>,
  );
}

export function messageRoutes(app: FastifyInstance, services: Services): void {
  const { messages } = services;

  app.get("/messages", async (req, reply) => {
    const user = requireUser(req);
    const result = await messages.list(user, req.query);
    return sendPage(reply, listPage(viewContext(req, reply), result, user.time_zone));
  });

  app.get("/messages/new", async (req, reply) => {
    const user = requireUser(req);
    const layouts = await messages.layoutChoices(user);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm, layouts));
  });

  app.post("/messages/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const m = await messages.create(user, formBody(req));
        return redirectWith(reply, `/messages/${m.id}`, "success", "Message created.");
      },
      async (form) => formPage(viewContext(req, reply), form, await messages.layoutChoices(user)),
    );
  });

  async function detailView(
    user: Parameters<typeof messages.get>[0],
    id: number,
    query: unknown,
    testForm: FormState,
    locale: Locale,
  ): Promise<DetailView> {
    const t = translator(locale);
    const m = await messages.get(user, id);
    const q = (query ?? {}) as { recipient_id?: string; sender_id?: string; width?: string };
    const idOf = (v: string | undefined) => (/^[1-9][0-9]{0,9}$/.test(v ?? "") ? Number(v) : null);
    const recipientId = idOf(q.recipient_id);
    const senderId = idOf(q.sender_id);
    let preview: Preview | null = null;
    let previewError: string | null = null;
    try {
      preview = await messages.preview(user, m.id, { recipient_id: recipientId, sender_id: senderId });
    } catch (error) {
      if (error instanceof NotFoundError) previewError = t("messages.preview.notYours");
      else if (error instanceof DomainError) previewError = translateMessage(locale, error.message);
      else
        previewError = t("messages.preview.broken", {
          problem: translateMessage(locale, templateProblem(error).message),
        });
    }
    const layouts = await messages.layoutChoices(user);
    return {
      message: m,
      mailings: await messages.mailingsUsing(user, m.id),
      layoutName: layouts.find((l) => l.id === m.layout_id)?.name ?? null,
      preview,
      previewError,
      recipients: await messages.previewRecipients(user),
      recipientId: preview ? recipientId : null,
      senderId: preview ? senderId : null,
      phone: q.width === "phone",
      testForm,
    };
  }

  app.get("/messages/:id", async (req, reply) => {
    const user = requireUser(req);
    const view = await detailView(user, idParam(req.params), req.query, emptyForm, requestLocale(req));
    return sendPage(reply, detailPage(viewContext(req, reply), view, user.time_zone));
  });

  // The HTML part alone, for the preview's sandboxed iframe: no scripts, no plugins, no same-origin access,
  // nothing loaded but inline styles and images; the author's HTML never runs in PostPilot's pages.
  app.get("/messages/:id/preview.html", async (req, reply) => {
    const user = requireUser(req);
    const q = (req.query ?? {}) as { recipient_id?: string; sender_id?: string };
    const preview = await messages.preview(user, idParam(req.params), {
      recipient_id: q.recipient_id ?? "",
      sender_id: q.sender_id ?? "",
    });
    return reply
      .type("text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header(
        "content-security-policy",
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'",
      )
      .header("x-frame-options", "SAMEORIGIN")
      .send(preview.html ?? "");
  });

  app.post("/messages/:id/test", async (req, reply) => {
    const user = requireUser(req);
    const id = idParam(req.params);
    return handleForm(
      req,
      reply,
      async () => {
        const { to } = await messages.sendTest(user, id, formBody(req));
        return redirectWith(reply, `/messages/${id}`, "success", `Test queued to ${to.join(", ")}.`);
      },
      async (form) =>
        detailPage(
          viewContext(req, reply),
          await detailView(user, id, formBody(req), form, requestLocale(req)),
          user.time_zone,
        ),
    );
  });

  app.get("/messages/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    const values = {
      subject: m.subject,
      body: m.body,
      format: m.format,
      layout_id: m.layout_id === null ? "" : String(m.layout_id),
    };
    const layouts = await messages.layoutChoices(user);
    return sendPage(reply, formPage(viewContext(req, reply), { values, errors: {} }, layouts, m));
  });

  app.post("/messages/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await messages.update(user, m.id, formBody(req));
        return redirectWith(reply, `/messages/${m.id}`, "success", "Message saved.");
      },
      async (form) => formPage(viewContext(req, reply), form, await messages.layoutChoices(user), m),
    );
  });

  app.get("/messages/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    const mailings = await messages.mailingsUsing(user, m.id);
    return sendPage(reply, deletePage(viewContext(req, reply), m, mailings));
  });

  app.post("/messages/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    try {
      await messages.delete(user, m.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const mailings = await messages.mailingsUsing(user, m.id);
      return sendPage(reply, deletePage(viewContext(req, reply), m, mailings, error.message), 409);
    }
    return redirectWith(reply, "/messages", "success", "Message deleted.");
  });
}
