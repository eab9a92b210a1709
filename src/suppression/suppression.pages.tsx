/** Suppression list pages: list (search, pages), add, remove with confirmation (audited), CSV export. */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Suppression } from "../db/schema.js";
import { formatNumber, translateMessage } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
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
  SearchableList,
  Select,
  TextArea,
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
import type { SuppressionImportSummary } from "./suppression.import.js";
import { SUPPRESSION_REASONS, type SuppressionListQuery } from "./suppression.schemas.js";

type ListResult = Awaited<ReturnType<Services["suppressions"]["list"]>>;

function listPage(ctx: ViewContext, result: ListResult, zone: string) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("nav.suppressions"),
    <>
      <PageHeader title={t("nav.suppressions")}>
        <a class="btn btn-outline-secondary" href="/suppressions/import">
          <i class="bi bi-upload" aria-hidden="true" /> {t("recipients.list.import")}
        </a>
        <a class="btn btn-outline-secondary" href="/suppressions/export.csv" download>
          <i class="bi bi-download" aria-hidden="true" /> {t("recipients.list.export")}
        </a>
        <a class="btn btn-primary" href="/suppressions/new">
          <i class="bi bi-slash-circle" aria-hidden="true" /> {t("suppressions.new")}
        </a>
      </PageHeader>
      <p class="text-body-secondary">{t("suppressions.intro")}</p>
      <ReasonFilter ctx={ctx} query={result.query} />
      {result.total === 0 && result.query.reason && !result.query.q ? (
        <EmptyState
          icon="bi-funnel"
          title={t("suppressions.noneForReason", { reason: t(`suppressions.reason.${result.query.reason}`) })}
        >
          <a href="/suppressions">{t("suppressions.everyReason")}</a>.
        </EmptyState>
      ) : (
        <SearchableList
          path="/suppressions"
          query={result.query}
          page={result}
          searchLabel={t("suppressions.search")}
          noMatch={t("suppressions.noMatch")}
          empty={
            <EmptyState icon="bi-slash-circle" title={t("suppressions.none")}>
              {t("suppressions.noneText")} <a href="/suppressions/new">{t("suppressions.addAddress")}</a>.
            </EmptyState>
          }
          head={
            <>
              <th scope="col">{t("recipients.email")}</th>
              <th scope="col">{t("suppressions.reasonColumn")}</th>
              <th scope="col" class="d-none d-md-table-cell">
                {t("suppressions.sourceColumn")}
              </th>
              <th scope="col" class="d-none d-sm-table-cell">
                {t("suppressions.since")}
              </th>
              <ActionsHeader />
            </>
          }
        >
          {result.items.map((s) => (
            <tr>
              <td>{s.email}</td>
              <td>{t(`suppressions.reason.${s.reason}`)}</td>
              <td class="d-none d-md-table-cell">
                {t(`suppressions.source.${s.source}`)}
                {s.mailing_id !== null && (
                  <>
                    {" "}
                    (<a href={`/mailings/${s.mailing_id}`}>{t("suppressions.mailing")}</a>)
                  </>
                )}
              </td>
              <td class="text-nowrap d-none d-sm-table-cell">
                {formatInZone(s.created_at, zone, { locale: ctx.locale })}
              </td>
              <td class="text-end">
                <a class="btn btn-sm btn-outline-danger" href={`/suppressions/${s.id}/delete`}>
                  <i class="bi bi-trash" aria-hidden="true" />
                  <span class="visually-hidden">{t("suppressions.remove", { email: s.email })}</span>
                </a>
              </td>
            </tr>
          ))}
        </SearchableList>
      )}
    </>,
  );
}

/** Links that show one reason (hard bounces, repeated soft bounces…), keeping the search. */
function ReasonFilter({ ctx, query }: { ctx: ViewContext; query: SuppressionListQuery }) {
  const t = ctx.t;
  const href = (reason: string | undefined) => {
    const params = new URLSearchParams();
    if (query.q) params.set("q", query.q);
    if (reason) params.set("reason", reason);
    const s = params.toString();
    return s ? `/suppressions?${s}` : "/suppressions";
  };
  const options: [string | undefined, string][] = [
    [undefined, t("suppressions.allReasons")],
    ...SUPPRESSION_REASONS.map((r): [string, string] => [r, t(`suppressions.reason.${r}`)]),
  ];
  return (
    <ul class="nav nav-pills mb-3" aria-label={t("suppressions.reasonColumn")}>
      {options.map(([value, label]) => (
        <li class="nav-item">
          <a
            class={`nav-link py-1 px-2${query.reason === value ? " active" : ""}`}
            href={href(value)}
            aria-current={query.reason === value ? "page" : undefined}
          >
            {label}
          </a>
        </li>
      ))}
    </ul>
  );
}

function formPage(ctx: ViewContext, form: FormState) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("suppressions.new"),
    <>
      <PageHeader title={t("suppressions.new")} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action="/suppressions/new" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="email"
              label={t("recipients.email")}
              type="email"
              required
              maxLength={LIMITS.email}
            />
            <Select
              form={{ ...form, values: { reason: "manual", ...form.values } }}
              name="reason"
              label={t("suppressions.reasonColumn")}
              options={SUPPRESSION_REASONS.map((r) => ({ value: r, label: t(`suppressions.reason.${r}`) }))}
            />
            <TextArea
              form={form}
              name="comment"
              label={t("recipients.comment")}
              maxLength={LIMITS.comment}
              rows={2}
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {t("suppressions.submit")}
              </button>
              <a class="btn btn-outline-secondary" href="/suppressions">
                {t("common.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

/** Up to 1 MB of CSV pasted into the form (the web app's body limit is 2 MB). */
const MAX_IMPORT_CHARS = 1_000_000;

function importPage(ctx: ViewContext, form: FormState, summary?: SuppressionImportSummary) {
  const t = ctx.t;
  const count = (key: string, value: number) =>
    t(`suppressions.import.${key}`, { count: value, n: formatNumber(ctx.locale, value) });
  return renderPage(
    ctx,
    t("suppressions.import.title"),
    <>
      <PageHeader title={t("suppressions.import.title")} />
      {summary && (
        <div class="alert alert-info" role="status">
          {t("suppressions.import.summary", {
            rows: count("rows", summary.rows),
            added: count("added", summary.added),
            existing: count("existing", summary.existing),
            invalid: count("invalid", summary.invalid),
          })}
          {summary.problems.length > 0 && (
            <ul class="mb-0 mt-2">
              {summary.problems.map((p) => (
                <li>
                  {t("suppressions.import.line", { line: p.line })}:{" "}
                  {p.email || t("suppressions.import.noEmail")}: {translateMessage(ctx.locale, p.reason)}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="card">
        <div class="card-body">
          <p>
            {t("suppressions.import.introBefore")}
            <code>email</code>
            {t("imports.introRequired")}
            <code>reason</code>
            {t("suppressions.import.introReasons", { reasons: SUPPRESSION_REASONS.join(", ") })}
            <code>comment</code>
            {t("suppressions.import.introAfter")}
          </p>
          <FormAlert form={form} />
          <form method="post" action="/suppressions/import" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <TextArea form={form} name="csv" label="CSV" required maxLength={MAX_IMPORT_CHARS} rows={10} />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {t("imports.submit")}
              </button>
              <a class="btn btn-outline-secondary" href="/suppressions">
                {t("suppressions.import.back")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function deletePage(ctx: ViewContext, s: Suppression) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("suppressions.remove", { email: s.email }),
    <>
      <PageHeader title={t("suppressions.delete.heading", { email: s.email })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/suppressions/${s.id}/delete`}
        cancelHref="/suppressions"
        button={t("suppressions.delete.submit")}
      >
        <p class="mb-2">
          {t("suppressions.delete.text", {
            reason: t(`suppressions.reason.${s.reason}`),
            source: t(`suppressions.source.${s.source}`),
          })}
        </p>
        {s.reason === "unsubscribed" && (
          <p class="mb-0 fw-semibold">{t("suppressions.delete.unsubscribed")}</p>
        )}
        <p class="mb-0 text-body-secondary">{t("suppressions.delete.audit")}</p>
      </ConfirmForm>
    </>,
  );
}

export function suppressionRoutes(app: FastifyInstance, services: Services): void {
  const { suppressions } = services;

  app.get("/suppressions", async (req, reply) => {
    const user = requireUser(req);
    const result = await suppressions.list(user, req.query);
    return sendPage(reply, listPage(viewContext(req, reply), result, user.time_zone));
  });

  app.get("/suppressions/new", async (req, reply) => {
    requireUser(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm));
  });

  app.post("/suppressions/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const s = await suppressions.add(user, formBody(req), "manual");
        return redirectWith(reply, "/suppressions", "success", `${s.email} is suppressed.`);
      },
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  app.get("/suppressions/import", async (req, reply) => {
    requireUser(req);
    return sendPage(reply, importPage(viewContext(req, reply), emptyForm));
  });

  app.post("/suppressions/import", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const csv = String(formBody(req).csv ?? "");
        if (csv.length > MAX_IMPORT_CHARS)
          throw new ValidationError({ csv: "Paste at most 1 MB at a time." });
        const summary = await services.suppressionImport.importCsv(user, [csv]);
        return sendPage(reply, importPage(viewContext(req, reply), emptyForm, summary));
      },
      (form) => importPage(viewContext(req, reply), form),
    );
  });

  app.get("/suppressions/export.csv", async (req, reply) => {
    const user = requireUser(req);
    const date = new Date().toISOString().slice(0, 10);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="suppressions-${date}.csv"`)
      .header("cache-control", "no-store")
      .send(Readable.from(suppressions.csv(user)));
  });

  app.get("/suppressions/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const s = await suppressions.get(user, idParam(req.params));
    return sendPage(reply, deletePage(viewContext(req, reply), s));
  });

  app.post("/suppressions/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const s = await suppressions.remove(user, idParam(req.params));
    return redirectWith(reply, "/suppressions", "success", `${s.email} may be mailed again.`);
  });
}
