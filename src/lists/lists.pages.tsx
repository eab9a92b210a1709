/** List pages: the owner's lists (with member counts), one list with its signup form, create, edit, delete. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { List } from "../db/schema.js";
import { formatNumber } from "../i18n/index.js";
import type { Actor } from "../shared/actor.js";
import { LIMITS } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import {
  ActionsHeader,
  ConfirmForm,
  CsrfField,
  DefinitionList,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  RowActions,
  SearchableList,
  SortHeader,
  TextArea,
  withQuery,
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
import type { ListRow } from "./lists.repository.js";
import { LIST_LIMITS } from "./lists.schemas.js";

type ListResult = Awaited<ReturnType<Services["lists"]["list"]>>;

function indexPage(ctx: ViewContext, result: ListResult) {
  const { query } = result;
  const t = ctx.t;
  return renderPage(
    ctx,
    t("nav.lists"),
    <>
      <PageHeader title={t("nav.lists")}>
        <a class="btn btn-outline-secondary" href="/segments">
          <i class="bi bi-funnel" aria-hidden="true" /> {t("lists.segments")}
        </a>
        <a class="btn btn-outline-secondary" href="/fields">
          <i class="bi bi-input-cursor-text" aria-hidden="true" /> {t("recipients.list.customFields")}
        </a>
        <a class="btn btn-primary" href="/lists/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("lists.new")}
        </a>
      </PageHeader>
      <SearchableList
        path="/lists"
        query={query}
        page={result}
        searchLabel={t("lists.search")}
        noMatch={t("lists.noMatch")}
        empty={
          <EmptyState icon="bi-collection" title={t("lists.none")}>
            {t("lists.noneText")} <a href="/lists/new">{t("lists.createFirst")}</a>.
          </EmptyState>
        }
        head={
          <>
            <SortHeader label={t("recipients.name")} column="name" path="/lists" query={query} />
            <th scope="col" class="text-end">
              {t("nav.recipients")}
            </th>
            <th scope="col" class="d-none d-md-table-cell">
              {t("lists.signupForm")}
            </th>
            <ActionsHeader />
          </>
        }
      >
        {result.items.map((l) => (
          <tr>
            <td>
              <a href={`/lists/${l.id}`}>{l.name}</a>
              {l.description && <div class="small text-body-secondary text-truncate">{l.description}</div>}
            </td>
            <td class="text-end">
              <a href={withQuery("/recipients", { list: l.id })}>
                {formatNumber(ctx.locale, l.member_count)}
              </a>
            </td>
            <td class="d-none d-md-table-cell">{l.signup_enabled ? t("lists.on") : t("lists.off")}</td>
            <RowActions base={`/lists/${l.id}`} label={l.name} />
          </tr>
        ))}
      </SearchableList>
    </>,
  );
}

function Check({ form, name, label, help }: { form: FormState; name: string; label: string; help?: string }) {
  const id = `f-${name}`;
  return (
    <div class="form-check mb-2">
      <input
        class="form-check-input"
        type="checkbox"
        name={name}
        id={id}
        value="on"
        checked={form.values[name] === "on"}
      />
      <label class="form-check-label" for={id}>
        {label}
      </label>
      {help && <div class="form-text mt-0">{help}</div>}
    </div>
  );
}

function formPage(ctx: ViewContext, form: FormState, fields: { key: string; label: string }[], list?: List) {
  const t = ctx.t;
  const title = list ? t("lists.edit", { name: list.name }) : t("lists.new");
  const chosen = new Set((form.values.signup_fields ?? "").split(","));
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={list ? `/lists/${list.id}/edit` : "/lists/new"} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field form={form} name="name" label={t("recipients.name")} required maxLength={LIMITS.name} />
            <TextArea
              form={form}
              name="description"
              label={t("lists.description")}
              maxLength={LIST_LIMITS.description}
              rows={2}
              help={t("lists.descriptionHelp")}
            />
            <fieldset class="mb-3">
              <legend class="form-label fs-6">{t("lists.signupForm")}</legend>
              <Check
                form={form}
                name="signup_enabled"
                label={t("lists.signupEnabled")}
                help={t("lists.signupEnabledHelp")}
              />
              <Check form={form} name="signup_ask_name" label={t("lists.askName")} />
              {fields.length > 0 && (
                <div class="mb-2">
                  <div class="form-text mb-1">{t("lists.alsoAsk")}</div>
                  {fields.map((f) => (
                    <div class="form-check form-check-inline">
                      <input
                        class="form-check-input"
                        type="checkbox"
                        name="signup_fields"
                        id={`f-sf-${f.key}`}
                        value={f.key}
                        checked={chosen.has(f.key)}
                      />
                      <label class="form-check-label" for={`f-sf-${f.key}`}>
                        {f.label}
                      </label>
                    </div>
                  ))}
                </div>
              )}
              <Field
                form={form}
                name="signup_redirect_url"
                label={t("lists.redirect")}
                type="url"
                maxLength={LIST_LIMITS.redirectUrl}
                help={t("lists.redirectHelp")}
              />
            </fieldset>
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {list ? t("recipients.form.save") : t("lists.create")}
              </button>
              <a class="btn btn-outline-secondary" href={list ? `/lists/${list.id}` : "/lists"}>
                {t("common.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function detailPage(ctx: ViewContext, l: ListRow, zone: string, origin: string) {
  const t = ctx.t;
  const formUrl = `${origin}/subscribe/${l.slug}`;
  const snippet = `<form method="post" action="${formUrl}">
  <label>${t("lists.snippet.email")} <input type="email" name="email" required></label>
  <!-- ${t("lists.snippet.hidden")} -->
  <input type="text" name="website" value="" style="display:none" tabindex="-1" autocomplete="off">
  <button type="submit">${t("lists.snippet.submit")}</button>
</form>`;
  return renderPage(
    ctx,
    l.name,
    <>
      <PageHeader title={l.name}>
        <a class="btn btn-outline-primary" href={withQuery("/recipients", { list: l.id })}>
          <i class="bi bi-people" aria-hidden="true" /> {t("nav.recipients")}
        </a>
        <a class="btn btn-outline-primary" href={`/lists/${l.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> {t("recipients.detail.edit")}
        </a>
        <a class="btn btn-outline-danger" href={`/lists/${l.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> {t("recipients.detail.delete")}
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList
            items={[
              [t("lists.description"), l.description || "—"],
              [
                t("nav.recipients"),
                <a href={withQuery("/recipients", { list: l.id })}>
                  {formatNumber(ctx.locale, l.member_count)}
                </a>,
              ],
              [
                t("lists.signupForm"),
                l.signup_enabled ? <a href={`/subscribe/${l.slug}`}>{formUrl}</a> : t("lists.signupOff"),
              ],
              [t("lists.created"), formatInZone(l.created_at, zone, { locale: ctx.locale })],
            ]}
          />
        </div>
      </div>
      {l.signup_enabled === 1 && (
        <div class="card mb-3">
          <div class="card-body">
            <h2 class="h6">{t("lists.embed")}</h2>
            <p class="small text-body-secondary">{t("lists.embedText")}</p>
            <label class="visually-hidden" for="snippet">
              {t("lists.snippetLabel")}
            </label>
            <textarea id="snippet" class="form-control font-monospace small" rows={6} readOnly>
              {snippet}
            </textarea>
          </div>
        </div>
      )}
      <a href="/lists">
        <i class="bi bi-arrow-left" aria-hidden="true" /> {t("lists.all")}
      </a>
    </>,
  );
}

function deletePage(ctx: ViewContext, l: ListRow, mailings: { id: number; name: string }[]) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("lists.delete.title", { name: l.name }),
    <>
      <PageHeader title={t("lists.delete.heading", { name: l.name })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/lists/${l.id}/delete`}
        cancelHref={`/lists/${l.id}`}
        button={t("lists.delete.submit")}
      >
        <p class="mb-2">
          {t("lists.delete.text", { count: l.member_count, n: formatNumber(ctx.locale, l.member_count) })}
        </p>
        {mailings.length > 0 && (
          <p class="mb-0">
            {t("lists.delete.mailings", {
              count: mailings.length,
              names: mailings.map((m) => m.name).join(", "),
            })}
          </p>
        )}
      </ConfirmForm>
    </>,
  );
}

const listForm = (l: List): FormState => ({
  values: {
    name: l.name,
    description: l.description,
    signup_enabled: l.signup_enabled ? "on" : "",
    signup_ask_name: l.signup_ask_name ? "on" : "",
    signup_fields: (JSON.parse(l.signup_fields) as string[]).join(","),
    signup_redirect_url: l.signup_redirect_url ?? "",
  },
  errors: {},
});

export function listRoutes(app: FastifyInstance, services: Services): void {
  const { lists } = services;
  // The custom fields a signup form can ask for.
  const fieldsOf = (user: Actor) => services.fields.all(user);

  app.get("/lists", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, indexPage(viewContext(req, reply), await lists.list(user, req.query)));
  });

  app.get("/lists/new", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm, await fieldsOf(user)));
  });

  app.post("/lists/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const l = await lists.create(user, formBody(req));
        return redirectWith(reply, `/lists/${l.id}`, "success", `List “${l.name}” created.`);
      },
      async (form) => formPage(viewContext(req, reply), form, await fieldsOf(user)),
    );
  });

  app.get("/lists/:id", async (req, reply) => {
    const user = requireUser(req);
    const l = await lists.get(user, idParam(req.params));
    const origin = services.signups.base();
    return sendPage(reply, detailPage(viewContext(req, reply), l, user.time_zone, origin));
  });

  app.get("/lists/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const l = await lists.get(user, idParam(req.params));
    return sendPage(reply, formPage(viewContext(req, reply), listForm(l), await fieldsOf(user), l));
  });

  app.post("/lists/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const l = await lists.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        const updated = await lists.update(user, l.id, formBody(req));
        return redirectWith(reply, `/lists/${l.id}`, "success", `List “${updated.name}” saved.`);
      },
      async (form) => formPage(viewContext(req, reply), form, await fieldsOf(user), l),
    );
  });

  app.get("/lists/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const l = await lists.get(user, idParam(req.params));
    const mailings = await lists.mailingsUsing(user, l.id);
    return sendPage(reply, deletePage(viewContext(req, reply), l, mailings));
  });

  app.post("/lists/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const l = await lists.get(user, idParam(req.params));
    await lists.delete(user, l.id);
    return redirectWith(reply, "/lists", "success", `List “${l.name}” deleted.`);
  });
}
