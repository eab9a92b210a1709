/**
 * The layout pages' views: list, form with a sandboxed preview, detail, delete. The user's HTML is only
 * ever shown as text here, or inside `<iframe sandbox>` pointing at a route served with
 * `Content-Security-Policy: sandbox` (layouts.pages.tsx).
 */
import type { Layout, User } from "../db/schema.js";
import { formatNumber, translateMessage } from "../i18n/index.js";
import { LIMITS } from "../shared/fields.js";
import { isAdmin } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import {
  ActionsHeader,
  ConfirmForm,
  CsrfField,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  RowActions,
  TextArea,
} from "../web/components.js";
import type { ViewContext } from "../web/context.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import type { LayoutPreview } from "./layout-preview.js";
import { LAYOUT_LIMITS } from "./layouts.schemas.js";
import { canEdit, isShared } from "./layouts.service.js";

/** The iframe a form's Preview button posts into. */
export const PREVIEW_FRAME = "layout-preview";

export function KindBadge({ layout }: { layout: Layout }) {
  const { t } = useI18n();
  if (layout.builtin)
    return <span class="badge text-bg-primary align-self-center">{t("layouts.builtin")}</span>;
  if (isShared(layout))
    return <span class="badge text-bg-info align-self-center">{t("layouts.shared")}</span>;
  return <span class="badge text-bg-light border align-self-center">{t("layouts.yours")}</span>;
}

export function listPage(ctx: ViewContext, layouts: Layout[], user: User) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("layouts.title"),
    <>
      <PageHeader title={t("layouts.title")}>
        <a class="btn btn-primary" href="/layouts/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("layouts.new")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        {t("layouts.introBefore")}
        <code>{"{{ content }}"}</code>
        {t("layouts.introAfter")}
        {isAdmin(user) ? t("layouts.introAdmin") : t("layouts.introUser")}
      </p>
      <div class="table-responsive bg-body rounded-3 border mb-3">
        <table class="table table-hover mb-0">
          <thead>
            <tr>
              <th scope="col">{t("layouts.name")}</th>
              <th scope="col">{t("layouts.kind")}</th>
              <th scope="col" class="d-none d-sm-table-cell">
                {t("layouts.updated")}
              </th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {layouts.map((l) => (
              <tr>
                <td class="text-truncate-cell">
                  <a href={`/layouts/${l.id}`}>{l.name}</a>
                </td>
                <td>
                  <KindBadge layout={l} />
                </td>
                <td class="text-nowrap d-none d-sm-table-cell">
                  {formatInZone(l.updated_at, user.time_zone, { locale: ctx.locale })}
                </td>
                {canEdit(user, l) ? <RowActions base={`/layouts/${l.id}`} label={l.name} /> : <td />}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>,
  );
}

function PreviewFrame({ src }: { src: string }) {
  const { t } = useI18n();
  return (
    <div class="card">
      <div class="card-header d-flex justify-content-between align-items-center">
        <span>{t("layouts.previewSample")}</span>
        <span class="small text-body-secondary">{t("layouts.noScripts")}</span>
      </div>
      <iframe
        name={PREVIEW_FRAME}
        title={t("layouts.previewTitle")}
        class="layout-preview"
        sandbox=""
        referrerpolicy="no-referrer"
        src={src}
      />
    </div>
  );
}

export function formPage(ctx: ViewContext, form: FormState, layout?: Layout) {
  const { t } = ctx;
  const title = layout ? t("layouts.editName", { name: layout.name }) : t("layouts.new");
  const action = layout ? `/layouts/${layout.id}/edit` : "/layouts/new";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title}>{layout && <KindBadge layout={layout} />}</PageHeader>
      <div class="row g-4">
        <div class="col-xl-6">
          <div class="card">
            <div class="card-body">
              <FormAlert form={form} />
              <form method="post" action={action} class="layout-form" data-live-preview novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field form={form} name="name" label={t("layouts.name")} required maxLength={LIMITS.name} />
                {!layout && isAdmin(ctx.user) && (
                  <div class="form-check mb-3">
                    <input
                      class="form-check-input"
                      type="checkbox"
                      name="shared"
                      id="f-shared"
                      checked={form.values.shared === "on"}
                    />
                    <label class="form-check-label" for="f-shared">
                      {t("layouts.sharedCheck")}
                    </label>
                  </div>
                )}
                <TextArea
                  form={form}
                  name="html"
                  label={t("layouts.html")}
                  required
                  rows={16}
                  maxLength={LAYOUT_LIMITS.html}
                  help={
                    <>
                      {t("layouts.htmlHelpBefore")}
                      <code>{"{{ content }}"}</code>
                      {t("layouts.htmlHelpAfter")} <code>{"{{ unsubscribe_url }}"}</code>,{" "}
                      <code>{"{{ sender.postal_address }}"}</code>,{" "}
                      <code>{"{{ recipient.first_name }}"}</code>, <code>{"{{ subject }}"}</code>…
                    </>
                  }
                />
                <TextArea
                  form={form}
                  name="text"
                  label={t("layouts.text")}
                  rows={6}
                  maxLength={LAYOUT_LIMITS.text}
                  help={
                    <>
                      {t("layouts.textHelpBefore")}
                      <code>{"{{ content }}"}</code>
                      {t("layouts.textHelpAfter")}
                    </>
                  }
                />
                <div class="d-flex gap-2 flex-wrap">
                  <button type="submit" class="btn btn-primary">
                    {layout ? t("layouts.save") : t("layouts.create")}
                  </button>
                  <button
                    type="submit"
                    class="btn btn-outline-secondary"
                    formaction="/layouts/preview"
                    formtarget={PREVIEW_FRAME}
                    formnovalidate
                    data-preview-button
                  >
                    <i class="bi bi-eye" aria-hidden="true" /> {t("layouts.preview")}
                  </button>
                  <a class="btn btn-outline-secondary" href={layout ? `/layouts/${layout.id}` : "/layouts"}>
                    {t("layouts.cancel")}
                  </a>
                </div>
              </form>
            </div>
          </div>
        </div>
        <div class="col-xl-6">
          <PreviewFrame src={layout ? `/layouts/${layout.id}/preview` : "/layouts/preview"} />
        </div>
      </div>
    </>,
  );
}

export function detailPage(
  ctx: ViewContext,
  layout: Layout,
  user: User,
  preview: LayoutPreview,
  usage: { count: number; own: { id: number; subject: string }[] },
) {
  const { t } = ctx;
  const editable = canEdit(user, layout);
  return renderPage(
    ctx,
    layout.name,
    <>
      <PageHeader title={layout.name}>
        <KindBadge layout={layout} />
        {editable && (
          <a class="btn btn-outline-primary" href={`/layouts/${layout.id}/edit`}>
            <i class="bi bi-pencil" aria-hidden="true" /> {t("layouts.edit")}
          </a>
        )}
        {editable && !layout.builtin && (
          <a class="btn btn-outline-danger" href={`/layouts/${layout.id}/delete`}>
            <i class="bi bi-trash" aria-hidden="true" /> {t("layouts.delete")}
          </a>
        )}
      </PageHeader>
      {!editable && <p class="text-body-secondary">{t("layouts.readOnly")}</p>}
      <div class="row g-4">
        <div class="col-xl-7">
          <PreviewFrame src={`/layouts/${layout.id}/preview`} />
        </div>
        <div class="col-xl-5">
          <div class="card mb-3">
            <div class="card-header">{t("layouts.textPart")}</div>
            <div class="card-body">
              {preview.text === null ? (
                <ul class="text-danger mb-0">
                  {preview.problems.map((p) => (
                    <li>{translateMessage(ctx.locale, p)}</li>
                  ))}
                </ul>
              ) : (
                <pre class="pre-wrap mb-0 small">{preview.text}</pre>
              )}
            </div>
          </div>
          <h2 class="h6">{t("layouts.usedBy")}</h2>
          <p class="text-body-secondary">
            {usage.count === 0
              ? t("layouts.unused")
              : `${t("layouts.messages", { count: usage.count, n: formatNumber(ctx.locale, usage.count) })}${
                  usage.own.length > 0 ? t("layouts.yoursList") : ""
                }`}
          </p>
          {usage.own.length > 0 && (
            <ul>
              {usage.own.map((m) => (
                <li>
                  <a href={`/messages/${m.id}`}>{m.subject}</a>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <p class="mt-3">
        <a href="/layouts">
          <i class="bi bi-arrow-left" aria-hidden="true" /> {t("layouts.all")}
        </a>
      </p>
    </>,
  );
}

export function deletePage(ctx: ViewContext, layout: Layout, using: number, error?: string) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("layouts.deleteTitle"),
    <>
      <PageHeader title={t("layouts.deleteHeading", { name: layout.name })} />
      {error && (
        <div class="alert alert-danger" role="alert">
          {translateMessage(ctx.locale, error)}
        </div>
      )}
      {layout.builtin || using > 0 ? (
        <div class="card border-warning">
          <div class="card-body">
            <p class="mb-0">
              {layout.builtin
                ? t("layouts.builtinKept")
                : t("layouts.inUse", { count: using, n: formatNumber(ctx.locale, using) })}
            </p>
            <a class="btn btn-outline-secondary mt-3" href={`/layouts/${layout.id}`}>
              {t("layouts.back")}
            </a>
          </div>
        </div>
      ) : (
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/layouts/${layout.id}/delete`}
          cancelHref={`/layouts/${layout.id}`}
          button={t("layouts.deleteSubmit")}
        >
          <p class="mb-0">{t("layouts.deleteText")}</p>
        </ConfirmForm>
      )}
    </>,
  );
}
