/** Recipient pages: list (search, sort, pages), detail, create, edit, delete with confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Recipient, Suppression } from "../db/schema.js";
import { LIMITS } from "../shared/fields.js";
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
  PageHeader,
  RowActions,
  SearchableList,
  SortHeader,
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

type ListResult = Awaited<ReturnType<Services["recipients"]["list"]>>;

function listPage(ctx: ViewContext, result: ListResult, zone: string) {
  const { query } = result;
  return renderPage(
    ctx,
    "Recipients",
    <>
      <PageHeader title="Recipients">
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
      <SearchableList
        path="/recipients"
        query={query}
        page={result}
        searchLabel="Search by email or name"
        noMatch="No recipients match your search"
        empty={
          <EmptyState icon="bi-people" title="No recipients yet">
            Recipients are the people your mailings go to.{" "}
            <a href="/recipients/new">Add your first recipient</a> or{" "}
            <a href="/recipients/import">import a CSV file</a>.
          </EmptyState>
        }
        head={
          <>
            <SortHeader label="Name" column="full_name" path="/recipients" query={query} />
            <SortHeader label="Email" column="email" path="/recipients" query={query} />
            <SortHeader
              label="Added"
              column="created_at"
              path="/recipients"
              query={query}
              class="d-none d-sm-table-cell"
            />
            <ActionsHeader />
          </>
        }
      >
        {result.items.map((r) => (
          <tr>
            <td>{r.full_name || <span class="text-body-secondary">—</span>}</td>
            <td>
              <a href={`/recipients/${r.id}`}>{r.email}</a>
            </td>
            <td class="text-nowrap d-none d-sm-table-cell">{formatInZone(r.created_at, zone)}</td>
            <RowActions base={`/recipients/${r.id}`} label={r.email} />
          </tr>
        ))}
      </SearchableList>
    </>,
  );
}

function formPage(ctx: ViewContext, form: FormState, recipient?: Recipient) {
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

const recipientForm = (r: Recipient): FormState => ({
  values: { email: r.email, full_name: r.full_name, comment: r.comment },
  errors: {},
});

export function recipientRoutes(app: FastifyInstance, services: Services): void {
  const { recipients } = services;

  app.get("/recipients", async (req, reply) => {
    const user = requireUser(req);
    const result = await recipients.list(user, req.query);
    return sendPage(reply, listPage(viewContext(req, reply), result, user.time_zone));
  });

  app.get("/recipients/new", async (req, reply) => {
    requireUser(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm));
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
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  app.get("/recipients/:id", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    const mailings = await recipients.mailingsOf(user, r.id);
    const suppression = await services.suppressions.statusOf(user, r.email);
    return sendPage(reply, detailPage(viewContext(req, reply), r, mailings, user.time_zone, suppression));
  });

  app.get("/recipients/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const r = await recipients.get(user, idParam(req.params));
    return sendPage(reply, formPage(viewContext(req, reply), recipientForm(r), r));
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
      (form) => formPage(viewContext(req, reply), form, r),
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
