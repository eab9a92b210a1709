/** Recipient pages: list (search, sort, pages), detail, create, edit, delete with confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { FieldValues } from "../custom-fields/custom-fields.service.js";
import { CustomFieldInputs, displayValue, fieldFormValues } from "../custom-fields/custom-fields.views.js";
import type { CustomField, Recipient, Suppression } from "../db/schema.js";
import { LIMITS } from "../shared/fields.js";
import { isStaff } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import { REASON_LABELS, SOURCE_LABELS } from "../suppression/suppression.words.js";
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
  return renderPage(
    ctx,
    "Recipients",
    <>
      <PageHeader title={inList ? `Recipients in ${inList.name}` : "Recipients"}>
        <a class="btn btn-outline-secondary" href="/fields">
          <i class="bi bi-input-cursor-text" aria-hidden="true" /> Custom fields
        </a>
        <a class="btn btn-outline-secondary" href="/recipients/import">
          <i class="bi bi-upload" aria-hidden="true" /> Import CSV
        </a>
        <a class="btn btn-outline-secondary" href="/recipients/export.csv" download>
          <i class="bi bi-download" aria-hidden="true" /> Export CSV
        </a>
        <a class="btn btn-primary" href="/recipients/new">
          <i class="bi bi-person-plus" aria-hidden="true" /> New recipient
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
            Search by email or name
          </label>
          <input
            id="q"
            type="search"
            name="q"
            class="form-control"
            placeholder="Search by email or name"
            value={query.q}
            maxLength={200}
          />
        </div>
        <div class={all ? "d-none" : "col-12 col-md-4"}>
          <label class="visually-hidden" for="list">
            In list
          </label>
          <select id="list" name="list" class="form-select">
            <option value="">In any list or none</option>
            {lists.map((l) => (
              <option value={String(l.id)} selected={l.id === query.list}>
                In {l.name}
              </option>
            ))}
          </select>
        </div>
        <div class="col-auto d-flex gap-2">
          <button type="submit" class="btn btn-outline-secondary">
            <i class="bi bi-search" aria-hidden="true" /> Filter
          </button>
          {filtered && (
            <a class="btn btn-link" href={withQuery("/recipients", scopeParams(query))}>
              Clear
            </a>
          )}
        </div>
      </form>
      {result.total === 0 && filtered ? (
        <EmptyState icon="bi-search" title="No recipients match your search">
          Try another search, or <a href="/recipients">show them all</a>.
        </EmptyState>
      ) : result.total === 0 ? (
        <EmptyState icon="bi-people" title="No recipients yet">
          Recipients are the people your mailings go to.{" "}
          <a href="/recipients/new">Add your first recipient</a> or{" "}
          <a href="/recipients/import">import a CSV file</a>.
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
                      aria-label="Tick all on this page"
                    />
                  </th>
                  <SortHeader label="Name" column="full_name" path="/recipients" query={query} />
                  <SortHeader label="Email" column="email" path="/recipients" query={query} />
                  {all && <th scope="col">Owner</th>}
                  <SortHeader
                    label="Added"
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
                            aria-label={`Tick ${r.email}`}
                          />
                        )}
                      </td>
                      <td class="text-break" data-label="Name">
                        {r.full_name || <span class="text-body-secondary">—</span>}
                      </td>
                      <td class="text-break" data-label="Email">
                        {own ? <a href={`/recipients/${r.id}`}>{r.email}</a> : r.email}
                      </td>
                      {all && <OwnerCell path="/recipients" ownerId={r.owner_id} email={r.owner_email} />}
                      <td class="text-nowrap d-none d-sm-table-cell" data-label="Added">
                        {formatInZone(r.created_at, zone)}
                      </td>
                      {own ? (
                        <RowActions base={`/recipients/${r.id}`} label={r.email} />
                      ) : (
                        <td class="text-end text-body-secondary small">Read-only</td>
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
  return (
    <form method="post" action="/recipients/bulk" id="bulk" class="row g-2 align-items-center mb-2">
      <CsrfField token={ctx.csrfToken} />
      <input type="hidden" name="q" value={query.q} />
      <input type="hidden" name="list" value={query.list === undefined ? "" : String(query.list)} />
      <div class="col-12 col-sm-auto">
        <label class="visually-hidden" for="bulk-action">
          Bulk action
        </label>
        <select id="bulk-action" name="action" class="form-select form-select-sm">
          <option value="add_to_list">Add to list…</option>
          <option value="remove_from_list">Remove from list…</option>
          <option value="export">Export as CSV</option>
          <option value="delete">Delete</option>
        </select>
      </div>
      <div class="col-12 col-sm-auto">
        <label class="visually-hidden" for="bulk-list">
          List
        </label>
        <select id="bulk-list" name="target_list" class="form-select form-select-sm">
          <option value="">{lists.length === 0 ? "(no lists yet)" : "Choose a list"}</option>
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
            Ticked rows
          </label>
        </div>
        <div class="form-check form-check-inline mb-0">
          <input class="form-check-input" type="radio" name="scope" id="scope-matching" value="matching" />
          <label class="form-check-label small" for="scope-matching">
            All {total.toLocaleString("en-US")} {query.q || query.list !== undefined ? "matching" : ""}
          </label>
        </div>
      </div>
      <div class="col-auto">
        <button type="submit" class="btn btn-sm btn-outline-primary">
          Continue…
        </button>
      </div>
    </form>
  );
}

function formPage(ctx: ViewContext, form: FormState, fields: CustomField[], recipient?: Recipient) {
  const title = recipient ? `Edit ${recipient.email}` : "New recipient";
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
            <Field form={form} name="email" label="Email" type="email" required maxLength={LIMITS.email} />
            <Field form={form} name="full_name" label="Full name" maxLength={LIMITS.name} />
            <TextArea
              form={form}
              name="comment"
              label="Comment"
              maxLength={LIMITS.comment}
              rows={3}
              help="Only you see this."
            />
            <CustomFieldInputs form={form} fields={fields} />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {recipient ? "Save changes" : "Add recipient"}
              </button>
              <a
                class="btn btn-outline-secondary"
                href={recipient ? `/recipients/${recipient.id}` : "/recipients"}
              >
                Cancel
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
  return renderPage(
    ctx,
    r.email,
    <>
      <PageHeader title={r.full_name || r.email}>
        <a class="btn btn-outline-primary" href={`/recipients/${r.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> Edit
        </a>
        <a class="btn btn-outline-danger" href={`/recipients/${r.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> Delete
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList
            items={[
              ["Email", r.email],
              ["Full name", r.full_name || "—"],
              ["Comment", r.comment || "—"],
              ...fields.map((f): [string, string] => [f.label, f.value]),
              [
                "Suppressed",
                suppression ? (
                  <>
                    <span class="badge text-bg-secondary">{REASON_LABELS[suppression.reason]}</span> since{" "}
                    {formatInZone(suppression.created_at, zone)}, from the {SOURCE_LABELS[suppression.source]}
                    {suppression.mailing_id !== null && (
                      <>
                        {" "}
                        of <a href={`/mailings/${suppression.mailing_id}`}>a mailing</a>
                      </>
                    )}
                    . Mailings do not send to this address.{" "}
                    <a href={`/suppressions/${suppression.id}/delete`}>Remove the suppression</a>
                  </>
                ) : (
                  "No: mailings send to this address."
                ),
              ],
              [
                "Lists",
                lists.length === 0
                  ? "In no list."
                  : lists.map((l, i) => (
                      <>
                        {i > 0 && ", "}
                        <a href={`/lists/${l.id}`}>{l.name}</a>
                      </>
                    )),
              ],
              ["Added", formatInZone(r.created_at, zone)],
              ["Updated", formatInZone(r.updated_at, zone)],
              [
                "Mailings",
                mailings.length === 0
                  ? "Not in any mailing yet."
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
        <i class="bi bi-arrow-left" aria-hidden="true" /> All recipients
      </a>
    </>,
  );
}

function deletePage(ctx: ViewContext, r: Recipient, mailings: { id: number; name: string }[]) {
  return renderPage(
    ctx,
    `Delete ${r.email}`,
    <>
      <PageHeader title={`Delete ${r.email}?`} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/recipients/${r.id}/delete`}
        cancelHref={`/recipients/${r.id}`}
        button="Delete recipient"
      >
        <p class="mb-2">This recipient will be deleted permanently.</p>
        {mailings.length > 0 ? (
          <p class="mb-0">
            They will be removed from{" "}
            {mailings.length === 1 ? "this mailing" : `these ${mailings.length} mailings`} and receive no
            further sends: {mailings.map((m) => m.name).join(", ")}. Past send records keep the address they
            were sent to.
          </p>
        ) : (
          <p class="mb-0">They are not in any mailing.</p>
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
    const shown = fields.map((f) => ({ label: f.label, value: displayValue(values.get(r.id)?.[f.key]) }));
    return sendPage(
      reply,
      detailPage(viewContext(req, reply), r, mailings, user.time_zone, suppression, lists, shown),
    );
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
