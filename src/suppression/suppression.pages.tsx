/** Suppression list pages: list (search, pages), add, remove with confirmation (audited), CSV export. */
import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Suppression } from "../db/schema.js";
import { ValidationError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { countOf, formatCount } from "../shared/plural.js";
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
import { REASON_LABELS, SOURCE_LABELS } from "./suppression.words.js";

type ListResult = Awaited<ReturnType<Services["suppressions"]["list"]>>;

function listPage(ctx: ViewContext, result: ListResult, zone: string) {
  return renderPage(
    ctx,
    "Suppressions",
    <>
      <PageHeader title="Suppressions">
        <a class="btn btn-outline-secondary" href="/suppressions/import">
          <i class="bi bi-upload" aria-hidden="true" /> Import CSV
        </a>
        <a class="btn btn-outline-secondary" href="/suppressions/export.csv" download>
          <i class="bi bi-download" aria-hidden="true" /> Export CSV
        </a>
        <a class="btn btn-primary" href="/suppressions/new">
          <i class="bi bi-slash-circle" aria-hidden="true" /> Suppress an address
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        Addresses here are never mailed: a run records them as suppressed and does not send to them.
      </p>
      <ReasonFilter query={result.query} />
      {result.total === 0 && result.query.reason && !result.query.q ? (
        <EmptyState
          icon="bi-funnel"
          title={`No addresses suppressed for “${REASON_LABELS[result.query.reason]}”`}
        >
          <a href="/suppressions">Show every reason</a>.
        </EmptyState>
      ) : (
        <SearchableList
          path="/suppressions"
          query={result.query}
          page={result}
          searchLabel="Search by email"
          noMatch="No suppressed address matches your search"
          empty={
            <EmptyState icon="bi-slash-circle" title="No suppressed addresses">
              People who unsubscribe appear here. You can also <a href="/suppressions/new">add an address</a>.
            </EmptyState>
          }
          head={
            <>
              <th scope="col">Email</th>
              <th scope="col">Reason</th>
              <th scope="col" class="d-none d-md-table-cell">
                Source
              </th>
              <th scope="col" class="d-none d-sm-table-cell">
                Since
              </th>
              <ActionsHeader />
            </>
          }
        >
          {result.items.map((s) => (
            <tr>
              <td>{s.email}</td>
              <td>{REASON_LABELS[s.reason]}</td>
              <td class="d-none d-md-table-cell">
                {SOURCE_LABELS[s.source]}
                {s.mailing_id !== null && (
                  <>
                    {" "}
                    (<a href={`/mailings/${s.mailing_id}`}>mailing</a>)
                  </>
                )}
              </td>
              <td class="text-nowrap d-none d-sm-table-cell">{formatInZone(s.created_at, zone)}</td>
              <td class="text-end">
                <a class="btn btn-sm btn-outline-danger" href={`/suppressions/${s.id}/delete`}>
                  <i class="bi bi-trash" aria-hidden="true" />
                  <span class="visually-hidden">Remove {s.email}</span>
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
function ReasonFilter({ query }: { query: SuppressionListQuery }) {
  const href = (reason: string | undefined) => {
    const params = new URLSearchParams();
    if (query.q) params.set("q", query.q);
    if (reason) params.set("reason", reason);
    const s = params.toString();
    return s ? `/suppressions?${s}` : "/suppressions";
  };
  const options: [string | undefined, string][] = [
    [undefined, "All reasons"],
    ...SUPPRESSION_REASONS.map((r): [string, string] => [r, REASON_LABELS[r]]),
  ];
  return (
    <ul class="nav nav-pills mb-3" aria-label="Reason">
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
  return renderPage(
    ctx,
    "Suppress an address",
    <>
      <PageHeader title="Suppress an address" />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action="/suppressions/new" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field form={form} name="email" label="Email" type="email" required maxLength={LIMITS.email} />
            <Select
              form={{ ...form, values: { reason: "manual", ...form.values } }}
              name="reason"
              label="Reason"
              options={SUPPRESSION_REASONS.map((r) => ({ value: r, label: REASON_LABELS[r] }))}
            />
            <TextArea form={form} name="comment" label="Comment" maxLength={LIMITS.comment} rows={2} />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                Suppress
              </button>
              <a class="btn btn-outline-secondary" href="/suppressions">
                Cancel
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
  return renderPage(
    ctx,
    "Import suppressions",
    <>
      <PageHeader title="Import suppressions" />
      {summary && (
        <div class="alert alert-info" role="status">
          {countOf(summary.rows, "row")} read: {formatCount(summary.added)} added,{" "}
          {formatCount(summary.existing)} already suppressed, {formatCount(summary.invalid)} invalid.
          {summary.problems.length > 0 && (
            <ul class="mb-0 mt-2">
              {summary.problems.map((p) => (
                <li>
                  line {p.line}: {p.email || "(no email)"}: {p.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      <div class="card">
        <div class="card-body">
          <p>
            Paste CSV whose first line names the columns: <code>email</code> (required), <code>reason</code> (
            {SUPPRESSION_REASONS.join(", ")}; otherwise manual) and <code>comment</code>, as the export writes
            them. Addresses already suppressed stay as they are.
          </p>
          <FormAlert form={form} />
          <form method="post" action="/suppressions/import" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <TextArea form={form} name="csv" label="CSV" required maxLength={MAX_IMPORT_CHARS} rows={10} />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                Import
              </button>
              <a class="btn btn-outline-secondary" href="/suppressions">
                Back to the list
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function deletePage(ctx: ViewContext, s: Suppression) {
  return renderPage(
    ctx,
    `Remove ${s.email}`,
    <>
      <PageHeader title={`Remove ${s.email} from the suppression list?`} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/suppressions/${s.id}/delete`}
        cancelHref="/suppressions"
        button="Remove suppression"
      >
        <p class="mb-2">
          Your mailings will send to this address again. Reason it was suppressed: {REASON_LABELS[s.reason]} (
          {SOURCE_LABELS[s.source]}).
        </p>
        {s.reason === "unsubscribed" && (
          <p class="mb-0 fw-semibold">
            This person asked not to be mailed. Only remove it if they asked again.
          </p>
        )}
        <p class="mb-0 text-body-secondary">The removal is written to the audit log.</p>
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
