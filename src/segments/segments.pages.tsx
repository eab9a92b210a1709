/** Segment pages: the owner's segments, one with its live count and a sample, create, edit, delete. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import { formatNumber, type Translate, translateErrors } from "../i18n/index.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, ValidationError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import {
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
} from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, formValues } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { definitionFromForm, FORM_ROWS, formErrors, formFromDefinition, OP_LABELS } from "./segments.form.js";

/** An operator as the reader says it ("ends with domain"); "" (none chosen) stays "". */
const opLabel = (t: Translate, op: string) => (op in OP_LABELS ? t(`segments.op.${op}`) : "");

import type { SegmentView } from "./segments.service.js";

type Choices = { what: { value: string; label: string }[] };

async function choicesFor(services: Services, user: Actor, t: Translate): Promise<Choices> {
  const [lists, fields, mailings] = await Promise.all([
    services.lists.all(user),
    services.fields.all(user),
    services.mailings.list(user, { limit: 100 }),
  ]);
  return {
    what: [
      { value: "", label: "—" },
      { value: "email", label: t("recipients.email") },
      { value: "full_name", label: t("recipients.name") },
      { value: "comment", label: t("recipients.comment") },
      ...lists.map((l) => ({ value: `list:${l.id}`, label: t("segments.what.list", { name: l.name }) })),
      ...fields.map((f) => ({ value: `field:${f.key}`, label: t("segments.what.field", { name: f.label }) })),
      ...mailings.items.map((m) => ({
        value: `received:${m.id}`,
        label: t("segments.what.received", { name: m.name }),
      })),
      { value: "bounced", label: t("segments.what.bounced") },
      { value: "quiet", label: t("segments.what.quiet") },
    ],
  };
}

function listPage(ctx: ViewContext, segments: SegmentView[]) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("lists.segments"),
    <>
      <PageHeader title={t("lists.segments")}>
        <a class="btn btn-primary" href="/segments/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {t("segments.new")}
        </a>
      </PageHeader>
      {segments.length === 0 ? (
        <EmptyState icon="bi-funnel" title={t("segments.none")}>
          {t("segments.noneText")} <a href="/segments/new">{t("segments.createOne")}</a>.
        </EmptyState>
      ) : (
        <div class="list-group">
          {segments.map((s) => (
            <a class="list-group-item list-group-item-action" href={`/segments/${s.id}`}>
              {s.name}
              <span class="text-body-secondary small ms-2">
                {t(`segments.conditions_${s.parsed.match}`, {
                  count: s.parsed.conditions.length,
                  n: formatNumber(ctx.locale, s.parsed.conditions.length),
                })}
              </span>
            </a>
          ))}
        </div>
      )}
    </>,
  );
}

function formPage(ctx: ViewContext, form: FormState, choices: Choices, segment?: SegmentView) {
  const t = ctx.t;
  const title = segment ? t("segments.edit", { name: segment.name }) : t("segments.new");
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={segment ? `/segments/${segment.id}/edit` : "/segments/new"} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field form={form} name="name" label={t("recipients.name")} required maxLength={LIMITS.name} />
            <div class="mb-3">
              <label class="form-label" for="f-match">
                {t("segments.matching")}
              </label>
              <select id="f-match" name="match" class="form-select w-auto">
                <option value="all" selected={form.values.match !== "any"}>
                  {t("segments.matchAll")}
                </option>
                <option value="any" selected={form.values.match === "any"}>
                  {t("segments.matchAny")}
                </option>
              </select>
            </div>
            {Array.from({ length: FORM_ROWS }, (_, i) => {
              const error = form.errors[`c${i}_value`];
              return (
                <div class="row g-2 mb-2 align-items-start">
                  <div class="col-12 col-md-5">
                    <label class="visually-hidden" for={`f-c${i}_what`}>
                      {t("segments.row.what", { n: i + 1 })}
                    </label>
                    <select id={`f-c${i}_what`} name={`c${i}_what`} class="form-select">
                      {choices.what.map((o) => (
                        <option value={o.value} selected={(form.values[`c${i}_what`] ?? "") === o.value}>
                          {o.label}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="col-5 col-md-2">
                    <label class="visually-hidden" for={`f-c${i}_op`}>
                      {t("segments.row.how", { n: i + 1 })}
                    </label>
                    <select id={`f-c${i}_op`} name={`c${i}_op`} class="form-select">
                      <option value="">—</option>
                      {Object.keys(OP_LABELS).map((value) => (
                        <option value={value} selected={form.values[`c${i}_op`] === value}>
                          {opLabel(t, value)}
                        </option>
                      ))}
                    </select>
                  </div>
                  <div class="col-7 col-md-5">
                    <label class="visually-hidden" for={`f-c${i}_value`}>
                      {t("segments.row.value", { n: i + 1 })}
                    </label>
                    <input
                      id={`f-c${i}_value`}
                      name={`c${i}_value`}
                      class={`form-control${error ? " is-invalid" : ""}`}
                      value={form.values[`c${i}_value`] ?? ""}
                      maxLength={LIMITS.search}
                      aria-invalid={error ? "true" : undefined}
                    />
                    {error && <div class="invalid-feedback">{error}</div>}
                  </div>
                </div>
              );
            })}
            <p class="form-text">{t("segments.help")}</p>
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {segment ? t("recipients.form.save") : t("segments.create")}
              </button>
              <a class="btn btn-outline-secondary" href={segment ? `/segments/${segment.id}` : "/segments"}>
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
  s: SegmentView,
  preview: Awaited<ReturnType<Services["segments"]["preview"]>>,
  choices: Choices,
) {
  const t = ctx.t;
  const label = (value: string) => choices.what.find((o) => o.value === value)?.label ?? value;
  const values = formFromDefinition(s.parsed);
  return renderPage(
    ctx,
    s.name,
    <>
      <PageHeader title={s.name}>
        <a class="btn btn-outline-primary" href={`/segments/${s.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> {t("recipients.detail.edit")}
        </a>
        <a class="btn btn-outline-danger" href={`/segments/${s.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> {t("recipients.detail.delete")}
        </a>
      </PageHeader>
      <div class="alert alert-info">
        <strong>{formatNumber(ctx.locale, preview.count)}</strong>
        {t("segments.matchNow", { count: preview.count })}
      </div>
      <div class="card mb-3">
        <div class="card-body">
          <h2 class="h6">{t(`segments.matchingOf_${s.parsed.match}`)}</h2>
          <ul class="mb-0">
            {s.parsed.conditions.map((_, i) => (
              <li>
                {label(values[`c${i}_what`] ?? "")} {opLabel(t, values[`c${i}_op`] ?? "")}{" "}
                {values[`c${i}_value`] && <code>{values[`c${i}_value`]}</code>}
              </li>
            ))}
          </ul>
        </div>
      </div>
      <h2 class="h6">{t("segments.sample")}</h2>
      {preview.sample.length === 0 ? (
        <p class="text-body-secondary">{t("segments.nobody")}</p>
      ) : (
        <ul class="list-group mb-3">
          {preview.sample.map((r) => (
            <li class="list-group-item">
              <a href={`/recipients/${r.id}`}>{r.email}</a>{" "}
              {r.full_name && <span class="text-body-secondary">{r.full_name}</span>}
            </li>
          ))}
        </ul>
      )}
      <a href="/segments">
        <i class="bi bi-arrow-left" aria-hidden="true" /> {t("segments.all")}
      </a>
    </>,
  );
}

export function segmentRoutes(app: FastifyInstance, services: Services): void {
  const { segments } = services;

  /** Runs a save; on bad input the same form comes back with the rows as typed and the messages by them. */
  const save = async (
    req: FastifyRequest,
    reply: FastifyReply,
    user: Actor,
    action: (input: unknown) => Promise<{ id: number; name: string }>,
    segment?: SegmentView,
  ) => {
    const body = formBody(req);
    const { definition, rows } = definitionFromForm(body);
    try {
      const saved = await action({ name: body.name, definition });
      return redirectWith(reply, `/segments/${saved.id}`, "success", `Segment “${saved.name}” saved.`);
    } catch (error) {
      const values = formValues(body);
      let errors: Record<string, string>;
      if (error instanceof ValidationError) errors = formErrors(error.fieldErrors, rows);
      else if (error instanceof ConflictError) errors = { name: error.message };
      else throw error;
      const ctx = viewContext(req, reply);
      const page = formPage(
        ctx,
        { values, errors: translateErrors(ctx.locale, errors) },
        await choicesFor(services, user, ctx.t),
        segment,
      );
      return sendPage(reply, page, error instanceof ConflictError ? 409 : 422);
    }
  };

  app.get("/segments", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, listPage(viewContext(req, reply), await segments.all(user)));
  });

  app.get("/segments/new", async (req, reply) => {
    const user = requireUser(req);
    const form = { ...emptyForm, values: { match: "all", c0_what: "email", c0_op: "ends_with_domain" } };
    const ctx = viewContext(req, reply);
    return sendPage(reply, formPage(ctx, form, await choicesFor(services, user, ctx.t)));
  });

  app.post("/segments/new", async (req, reply) => {
    const user = requireUser(req);
    return save(req, reply, user, (input) => segments.create(user, input));
  });

  app.get("/segments/:id", async (req, reply) => {
    const user = requireUser(req);
    const s = await segments.get(user, idParam(req.params));
    const ctx = viewContext(req, reply);
    const [preview, choices] = await Promise.all([
      segments.preview(user, s.parsed),
      choicesFor(services, user, ctx.t),
    ]);
    return sendPage(reply, detailPage(ctx, s, preview, choices));
  });

  app.get("/segments/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const s = await segments.get(user, idParam(req.params));
    const form = { values: { name: s.name, ...formFromDefinition(s.parsed) }, errors: {} };
    const ctx = viewContext(req, reply);
    return sendPage(reply, formPage(ctx, form, await choicesFor(services, user, ctx.t), s));
  });

  app.post("/segments/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const s = await segments.get(user, idParam(req.params));
    return save(req, reply, user, (input) => segments.update(user, s.id, input), s);
  });

  app.get("/segments/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const s = await segments.get(user, idParam(req.params));
    const mailings = await segments.mailingsUsing(user, s.id);
    const ctx = viewContext(req, reply);
    const t = ctx.t;
    return sendPage(
      reply,
      renderPage(
        ctx,
        t("segments.delete.title", { name: s.name }),
        <>
          <PageHeader title={t("segments.delete.heading", { name: s.name })} />
          <ConfirmForm
            csrfToken={ctx.csrfToken}
            action={`/segments/${s.id}/delete`}
            cancelHref={`/segments/${s.id}`}
            button={t("segments.delete.submit")}
          >
            <p class="mb-0">
              {t("segments.delete.text")}
              {mailings.length > 0 &&
                t("segments.delete.mailings", { names: mailings.map((m) => m.name).join(", ") })}
            </p>
          </ConfirmForm>
        </>,
      ),
    );
  });

  app.post("/segments/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const s = await segments.get(user, idParam(req.params));
    await segments.delete(user, s.id);
    return redirectWith(reply, "/segments", "success", `Segment “${s.name}” deleted.`);
  });
}
