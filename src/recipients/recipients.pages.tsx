/** Recipient pages: list (search, sort, pages), detail, create, edit, delete with confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { FieldValues } from "../custom-fields/custom-fields.service.js";
import { CustomFieldInputs, displayValue, fieldFormValues } from "../custom-fields/custom-fields.views.js";
import type { CustomField, Recipient, Suppression } from "../db/schema.js";
import { formatNumber } from "../i18n/index.js";
import { LIMITS } from "../shared/fields.js";
import { isStaff } from "../shared/roles.js";
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
  OwnerCell,
  PageHeader,
  Pager,
  RowActions,
  ScopeToggle,
  SortHeader,
  scopeParams,
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

type ListResult = Awaited<ReturnType<Services["recipients"]["list"]>>;
type ListOption = { id: number; name: string };

function listPage(ctx: ViewContext, result: ListResult, zone: string, lists: ListOption[]) {
  const { query, scope } = result;
  const all = scope === "all";
  const params = { q: query.q, list: query.list, sort: query.sort, dir: query.dir, ...scopeParams(query) };
  const filtered = query.q !== "" || query.list !== undefined;
  const ownerEmail = all && query.owner !== undefined ? result.items[0]?.owner_email : undefined;
  const inList = lists.find((l) => l.id === query.list);
  const t = ctx.t;
  return renderPage(
    ctx,
    t("nav.recipients"),
    <>
      <PageHeader title={inList ? t("recipients.list.inList", { list: inList.name }) : t("nav.recipients")}>
        <a class="btn btn-outline-secondary" href="/fields">
          <i class="bi bi-input-cursor-text" aria-hidden="true" /> {t("recipients.list.customFields")}
        </a>
        <a class="btn btn-outline-secondary" href="/recipients/import">
          <i class="bi bi-upload" aria-hidden="true" /> {t("recipients.list.import")}
        </a>
        <a class="btn btn-outline-secondary" href="/recipients/export.csv" download>
          <i class="bi bi-download" aria-hidden="true" /> {t("recipients.list.export")}
        </a>
        <a class="btn btn-primary" href="/recipients/new">
          <i class="bi bi-person-plus" aria-hidden="true" /> {t("recipients.list.new")}
        </a>
      </PageHeader>
      {isStaff(ctx.user) && (
        <ScopeToggle path="/recipients" scope={scope} owner={query.owner} ownerEmail={ownerEmail} />
      )}
      <form method="get" action="/recipients" class="row g-2 mb-3" role="search">
        <input type="hidden" name="sort" value={query.sort} />
        <input type="hidden" name="dir" value={query.dir} />
        {all && <input type="hidden" name="scope" value="all" />}
        {all && query.owner !== undefined && <input type="hidden" name="owner" value={String(query.owner)} />}
        <div class="col-12 col-md">
          <label class="visually-hidden" for="q">
            {t("recipients.list.search")}
          </label>
          <input
            id="q"
            type="search"
            name="q"
            class="form-control"
            placeholder={t("recipients.list.search")}
            value={query.q}
            maxLength={200}
          />
        </div>
        <div class={all ? "d-none" : "col-12 col-md-4"}>
          <label class="visually-hidden" for="list">
            {t("recipients.list.inListLabel")}
          </label>
          <select id="list" name="list" class="form-select">
            <option value="">{t("recipients.list.anyList")}</option>
            {lists.map((l) => (
              <option value={String(l.id)} selected={l.id === query.list}>
                {t("recipients.list.inOption", { list: l.name })}
              </option>
            ))}
          </select>
        </div>
        <div class="col-auto d-flex gap-2">
          <button type="submit" class="btn btn-outline-secondary">
            <i class="bi bi-search" aria-hidden="true" /> {t("recipients.list.filter")}
          </button>
          {filtered && (
            <a class="btn btn-link" href={withQuery("/recipients", scopeParams(query))}>
              {t("common.clear")}
            </a>
          )}
        </div>
      </form>
      {result.total === 0 && filtered ? (
        <EmptyState icon="bi-search" title={t("recipients.list.noMatch")}>
          {t("common.tryAnotherBefore")}
          <a href="/recipients">{t("common.showAll")}</a>.
        </EmptyState>
      ) : result.total === 0 ? (
        <EmptyState icon="bi-people" title={t("recipients.list.none")}>
          {t("recipients.list.noneText")} <a href="/recipients/new">{t("recipients.list.addFirst")}</a>
          {t("recipients.list.or")}
          <a href="/recipients/import">{t("recipients.list.importFile")}</a>.
        </EmptyState>
      ) : (
        <>
          {!all && <BulkBar ctx={ctx} query={query} total={result.total} lists={lists} />}
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table table-hover mb-0 table-cards" id="recipient-table">
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      class="form-check-input"
                      type="checkbox"
                      data-check-all="#recipient-table tbody"
                      aria-label={t("recipients.list.tickAll")}
                    />
                  </th>
                  <SortHeader
                    label={t("recipients.name")}
                    column="full_name"
                    path="/recipients"
                    query={query}
                  />
                  <SortHeader label={t("recipients.email")} column="email" path="/recipients" query={query} />
                  {all && <th scope="col">{t("recipients.owner")}</th>}
                  <SortHeader
                    label={t("recipients.added")}
                    column="created_at"
                    path="/recipients"
                    query={query}
                    class="d-none d-sm-table-cell"
                  />
                  <ActionsHeader />
                </tr>
              </thead>
              <tbody>
                {result.items.map((r) => {
                  const own = r.owner_id === ctx.user?.id;
                  return (
                    <tr>
                      <td class="card-select">
                        {own && (
                          <input
                            class="form-check-input"
                            type="checkbox"
                            name="ids"
                            value={String(r.id)}
                            form="bulk"
                            aria-label={t("recipients.list.tick", { email: r.email })}
                          />
                        )}
                      </td>
                      <td class="text-break" data-label={t("recipients.name")}>
                        {r.full_name || <span class="text-body-secondary">—</span>}
                      </td>
                      <td class="text-break" data-label={t("recipients.email")}>
                        {own ? <a href={`/recipients/${r.id}`}>{r.email}</a> : r.email}
                      </td>
                      {all && <OwnerCell path="/recipients" ownerId={r.owner_id} email={r.owner_email} />}
                      <td class="text-nowrap d-none d-sm-table-cell" data-label={t("recipients.added")}>
                        {formatInZone(r.created_at, zone, { locale: ctx.locale })}
                      </td>
                      {own ? (
                        <RowActions base={`/recipients/${r.id}`} label={r.email} />
                      ) : (
                        <td class="text-end text-body-secondary small">{t("recipients.readOnly")}</td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <Pager page={result} path="/recipients" params={stringParams(params)} />
        </>
      )}
    </>,
  );
}

function stringParams(params: Record<string, string | number | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") out[k] = String(v);
  return out;
}

/** The bulk action bar: what to do, to which list, on the ticked rows or on every row matching the filter. */
function BulkBar({
  ctx,
  query,
  total,
  lists,
}: {
  ctx: ViewContext;
  query: ListResult["query"];
  total: number;
  lists: ListOption[];
}) {
  const t = ctx.t;
  return (
    <form method="post" action="/recipients/bulk" id="bulk" class="row g-2 align-items-center mb-2">
      <CsrfField token={ctx.csrfToken} />
      <input type="hidden" name="q" value={query.q} />
      <input type="hidden" name="list" value={query.list === undefined ? "" : String(query.list)} />
      <div class="col-12 col-sm-auto">
        <label class="visually-hidden" for="bulk-action">
          {t("recipients.bulkBar.action")}
        </label>
        <select id="bulk-action" name="action" class="form-select form-select-sm">
          <option value="add_to_list">{t("recipients.bulkBar.add")}</option>
          <option value="remove_from_list">{t("recipients.bulkBar.remove")}</option>
          <option value="export">{t("recipients.bulkBar.export")}</option>
          <option value="delete">{t("recipients.bulkBar.delete")}</option>
        </select>
      </div>
      <div class="col-12 col-sm-auto">
        <label class="visually-hidden" for="bulk-list">
          {t("recipients.bulkBar.list")}
        </label>
        <select id="bulk-list" name="target_list" class="form-select form-select-sm">
          <option value="">
            {lists.length === 0 ? t("recipients.bulkBar.noLists") : t("recipients.bulkBar.chooseList")}
          </option>
          {lists.map((l) => (
            <option value={String(l.id)}>{l.name}</option>
          ))}
        </select>
      </div>
      <div class="col-12 col-sm-auto">
        <div class="form-check form-check-inline mb-0">
          <input
            class="form-check-input"
            type="radio"
            name="scope"
            id="scope-ticked"
            value="ticked"
            checked
          />
          <label class="form-check-label small" for="scope-ticked">
            {t("recipients.bulkBar.ticked")}
          </label>
        </div>
        <div class="form-check form-check-inline mb-0">
          <input class="form-check-input" type="radio" name="scope" id="scope-matching" value="matching" />
          <label class="form-check-label small" for="scope-matching">
            {query.q || query.list !== undefined
              ? t("recipients.bulkBar.allMatching", { count: total, total: formatNumber(ctx.locale, total) })
              : t("recipients.bulkBar.all", { count: total, total: formatNumber(ctx.locale, total) })}
          </label>
        </div>
      </div>
      <div class="col-auto">
        <button type="submit" class="btn btn-sm btn-outline-primary">
          {t("recipients.bulkBar.continue")}
        </button>
      </div>
    </form>
  );
}

function formPage(ctx: ViewContext, form: FormState, fields: CustomField[], recipient?: Recipient) {
  const t = ctx.t;
  const title = recipient ? t("recipients.form.edit", { email: recipient.email }) : t("recipients.list.new");
  const action = recipient ? `/recipients/${recipient.id}/edit` : "/recipients/new";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={action} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="email"
              label={t("recipients.email")}
              type="email"
              required
              maxLength={LIMITS.email}
            />
            <Field form={form} name="full_name" label={t("recipients.fullName")} maxLength={LIMITS.name} />
            <TextArea
              form={form}
              name="comment"
              label={t("recipients.comment")}
              maxLength={LIMITS.comment}
              rows={3}
              help={t("recipients.form.commentHelp")}
            />
            <CustomFieldInputs form={form} fields={fields} />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {recipient ? t("recipients.form.save") : t("recipients.form.add")}
              </button>
              <a
                class="btn btn-outline-secondary"
                href={recipient ? `/recipients/${recipient.id}` : "/recipients"}
              >
                {t("common.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function detailPage(
  ctx: ViewContext,
  r: Recipient,
  mailings: { id: number; name: string }[],
  zone: string,
  suppression: Suppression | undefined,
  lists: ListOption[],
  fields: { label: string; value: string }[],
) {
  const t = ctx.t;
  const when = (value: string) => formatInZone(value, zone, { locale: ctx.locale });
  return renderPage(
    ctx,
    r.email,
    <>
      <PageHeader title={r.full_name || r.email}>
        <a class="btn btn-outline-primary" href={`/recipients/${r.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> {t("recipients.detail.edit")}
        </a>
        <a class="btn btn-outline-danger" href={`/recipients/${r.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> {t("recipients.detail.delete")}
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList
            items={[
              [t("recipients.email"), r.email],
              [t("recipients.fullName"), r.full_name || "—"],
              [t("recipients.comment"), r.comment || "—"],
              ...fields.map((f): [string, string] => [f.label, f.value]),
              [
                t("recipients.detail.suppressed"),
                suppression ? (
                  <>
                    <span class="badge text-bg-secondary">
                      {t(`suppressions.reason.${suppression.reason}`)}
                    </span>{" "}
                    {t("recipients.detail.since", {
                      when: when(suppression.created_at),
                      source: t(`suppressions.source.${suppression.source}`),
                    })}
                    {suppression.mailing_id !== null && (
                      <>
                        {" "}
                        {t("recipients.detail.of")}{" "}
                        <a href={`/mailings/${suppression.mailing_id}`}>{t("recipients.detail.aMailing")}</a>
                      </>
                    )}
                    {t("recipients.detail.notSent")}{" "}
                    <a href={`/suppressions/${suppression.id}/delete`}>{t("recipients.detail.unsuppress")}</a>
                  </>
                ) : (
                  t("recipients.detail.notSuppressed")
                ),
              ],
              [
                t("nav.lists"),
                lists.length === 0
                  ? t("recipients.detail.noList")
                  : lists.map((l, i) => (
                      <>
                        {i > 0 && ", "}
                        <a href={`/lists/${l.id}`}>{l.name}</a>
                      </>
                    )),
              ],
              [t("recipients.added"), when(r.created_at)],
              [t("recipients.updated"), when(r.updated_at)],
              [
                t("nav.mailings"),
                mailings.length === 0
                  ? t("recipients.detail.noMailing")
                  : mailings.map((m, i) => (
                      <>
                        {i > 0 && ", "}
                        <a href={`/mailings/${m.id}`}>{m.name}</a>
                      </>
                    )),
              ],
            ]}
          />
        </div>
      </div>
      <a href="/recipients">
        <i class="bi bi-arrow-left" aria-hidden="true" /> {t("recipients.detail.all")}
      </a>
    </>,
  );
}

function deletePage(ctx: ViewContext, r: Recipient, mailings: { id: number; name: string }[]) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("recipients.delete.title", { email: r.email }),
    <>
      <PageHeader title={t("recipients.delete.heading", { email: r.email })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/recipients/${r.id}/delete`}
        cancelHref={`/recipients/${r.id}`}
        button={t("recipients.delete.submit")}
      >
        <p class="mb-2">{t("recipients.delete.text")}</p>
        {mailings.length > 0 ? (
          <p class="mb-0">
            {t("recipients.delete.inMailings", {
              count: mailings.length,
              names: mailings.map((m) => m.name).join(", "),
            })}
          </p>
        ) : (
          <p class="mb-0">{t("recipients.delete.noMailings")}</p>
        )}
      </ConfirmForm>
    </>,
  );
}

const recipientForm = (r: Recipient, values: FieldValues): FormState => ({
  values: { email: r.email, full_name: r.full_name, comment: r.comment, ...fieldFormValues(values) },
  errors: {},
});

export function recipientRoutes(app: FastifyInstance, services: Services): void {
  const { recipients } = services;

  app.get("/recipients", async (req, reply) => {
    const user = requireUser(req);
    const [result, lists] = await Promise.all([recipients.list(user, req.query), services.lists.all(user)]);
    return sendPage(reply, listPage(viewContext(req, reply), result, user.time_zone, lists));
  });

  app.get("/recipients/new", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm, await services.fields.all(user)));
  });

  app.post("/recipients/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const r = await recipients.create(user, formBody(req));
        return redirectWith(reply, `/recipients/${r.id}`, "success", `Recipient ${r.email} added.`);
      },
      async (form) => formPage(viewContext(req, reply), form, await services.fields.all(user)),
    );
  });

  app.get("/recipients/:id", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    const mailings = await recipients.mailingsOf(user, r.id);
    const suppression = await services.suppressions.statusOf(user, r.email);
    const lists = await services.lists.listsOf(user, r.id);
    const [fields, values] = await Promise.all([
      services.fields.all(user),
      services.fields.valuesFor(user, [r.id]),
    ]);
    const ctx = viewContext(req, reply);
    const shown = fields.map((f) => ({
      label: f.label,
      value: displayValue(values.get(r.id)?.[f.key], ctx.t),
    }));
    return sendPage(reply, detailPage(ctx, r, mailings, user.time_zone, suppression, lists, shown));
  });

  app.get("/recipients/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    const [fields, values] = await Promise.all([
      services.fields.all(user),
      services.fields.valuesFor(user, [r.id]),
    ]);
    return sendPage(
      reply,
      formPage(viewContext(req, reply), recipientForm(r, values.get(r.id) ?? {}), fields, r),
    );
  });

  app.post("/recipients/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        const updated = await recipients.update(user, r.id, formBody(req));
        return redirectWith(reply, `/recipients/${r.id}`, "success", `Recipient ${updated.email} saved.`);
      },
      async (form) => formPage(viewContext(req, reply), form, await services.fields.all(user), r),
    );
  });

  app.get("/recipients/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    const mailings = await recipients.mailingsOf(user, r.id);
    return sendPage(reply, deletePage(viewContext(req, reply), r, mailings));
  });

  app.post("/recipients/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    await recipients.delete(user, r.id);
    return redirectWith(reply, "/recipients", "success", `Recipient ${r.email} deleted.`);
  });
}
