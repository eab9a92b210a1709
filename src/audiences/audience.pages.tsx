/**
 * A mailing's audience editor (/mailings/:id/audience): everyone, lists and segments to include, lists and
 * segments to exclude, with the individually picked recipients one link away and the count it has now. Also
 * the summary the mailing page shows ("about N now").
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { formatNumber, translateErrors } from "../i18n/index.js";
import type { Actor } from "../shared/actor.js";
import { ValidationError } from "../shared/errors.js";
import { CsrfField, PageHeader } from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody } from "../web/forms.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import type { AudienceInput } from "./audience.schemas.js";
import type { AudienceView } from "./audience.service.js";

/** The mailing page's "Recipients" value: the live count, and the way to change who it is. */
export function AudienceSummary({
  mailing,
  foreign,
}: {
  mailing: { id: number; recipient_count: number };
  foreign: boolean;
}) {
  const { locale, t } = useI18n();
  const text = t("audiences.summary.about", { n: formatNumber(locale, mailing.recipient_count) });
  if (foreign) return <>{text}</>;
  return (
    <>
      <a href={`/mailings/${mailing.id}/audience`}>{text}</a>
      <span class="text-body-secondary small">
        {" "}
        {t("audiences.summary.resolved")}{" "}
        <a href={`/mailings/${mailing.id}/recipients?show=in`}>{t("audiences.summary.picked")}</a>
      </span>
    </>
  );
}

type Option = { id: number; name: string };

function Choices({
  name,
  legend,
  options,
  chosen,
  empty,
  error,
}: {
  name: string;
  legend: string;
  options: Option[];
  chosen: number[];
  empty: preact.ComponentChildren;
  error?: string | undefined;
}) {
  return (
    <fieldset class="mb-3">
      <legend class="form-label fs-6 mb-1">{legend}</legend>
      {options.length === 0 ? (
        <div class="form-text mt-0">{empty}</div>
      ) : (
        options.map((o) => (
          <div class="form-check form-check-inline">
            <input
              class={`form-check-input${error ? " is-invalid" : ""}`}
              type="checkbox"
              name={name}
              id={`f-${name}-${o.id}`}
              value={String(o.id)}
              checked={chosen.includes(o.id)}
            />
            <label class="form-check-label" for={`f-${name}-${o.id}`}>
              {o.name}
            </label>
          </div>
        ))
      )}
      {error && <div class="text-danger small">{error}</div>}
    </fieldset>
  );
}

function audiencePage(
  ctx: ViewContext,
  view: AudienceView,
  lists: Option[],
  segments: Option[],
  recipientTotal: number,
  rules: AudienceInput = view.rules,
  errors: Record<string, string> = {},
) {
  const m = view.mailing;
  const t = ctx.t;
  const n = (v: number) => formatNumber(ctx.locale, v);
  const title = t("audiences.title", { name: m.name });
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title}>
        <a class="btn btn-outline-secondary" href={`/mailings/${m.id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> {t("audiences.back")}
        </a>
      </PageHeader>
      <div class="alert alert-info">
        {t("audiences.aboutBefore")}
        <strong>{n(view.count.total)}</strong>
        {t("audiences.aboutAfter", { count: view.count.total })}
        {view.count.suppressed > 0 && (
          <>{t("audiences.suppressed", { count: view.count.suppressed, n: n(view.count.suppressed) })}</>
        )}
        {t("audiences.resolves")}
      </div>
      {Object.keys(errors).length > 0 && (
        <div class="alert alert-danger" role="alert">
          {t("audiences.correct")}
        </div>
      )}
      <div class="card">
        <div class="card-body">
          <form method="post" action={`/mailings/${m.id}/audience`} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <h2 class="h6">{t("audiences.sendTo")}</h2>
            <div class="form-check mb-3">
              <input
                class="form-check-input"
                type="checkbox"
                name="all"
                id="f-all"
                value="on"
                checked={rules.all}
              />
              <label class="form-check-label" for="f-all">
                {t("audiences.all", { n: n(recipientTotal) })}
              </label>
            </div>
            <Choices
              name="lists"
              legend={t("audiences.inLists")}
              options={lists}
              chosen={rules.lists}
              empty={
                <>
                  {t("audiences.noLists")} <a href="/lists/new">{t("audiences.createOne")}</a>.
                </>
              }
              error={errors.lists}
            />
            <Choices
              name="segments"
              legend={t("audiences.matching")}
              options={segments}
              chosen={rules.segments}
              empty={
                <>
                  {t("audiences.noSegments")} <a href="/segments/new">{t("audiences.createOne")}</a>.
                </>
              }
              error={errors.segments}
            />
            <p class="mb-3">
              {t("audiences.andThe")}{" "}
              <a href={`/mailings/${m.id}/recipients?show=in`}>
                {t("audiences.picked", { count: view.picked, n: n(view.picked) })}
              </a>
              .
            </p>
            <h2 class="h6">{t("audiences.butNot")}</h2>
            <Choices
              name="exclude_lists"
              legend={t("audiences.inLists")}
              options={lists}
              chosen={rules.exclude_lists}
              empty={t("audiences.noListsShort")}
              error={errors.exclude_lists}
            />
            <Choices
              name="exclude_segments"
              legend={t("audiences.matching")}
              options={segments}
              chosen={rules.exclude_segments}
              empty={t("audiences.noSegmentsShort")}
              error={errors.exclude_segments}
            />
            <p class="form-text">{t("audiences.never")}</p>
            <button type="submit" class="btn btn-primary">
              {t("audiences.save")}
            </button>
          </form>
        </div>
      </div>
    </>,
  );
}

export function audienceRoutes(app: FastifyInstance, services: Services): void {
  const { audiences } = services;
  const options = async (user: Actor) => {
    const [lists, segments, total] = await Promise.all([
      services.lists.all(user),
      services.segments.all(user),
      services.recipients.count(user),
    ]);
    return { lists, segments, total };
  };

  app.get("/mailings/:id/audience", async (req, reply) => {
    const user = requireUser(req);
    const view = await audiences.get(user, idParam(req.params));
    const o = await options(user);
    return sendPage(reply, audiencePage(viewContext(req, reply), view, o.lists, o.segments, o.total));
  });

  app.post("/mailings/:id/audience", async (req, reply) => {
    const user = requireUser(req);
    const id = idParam(req.params);
    try {
      await audiences.set(user, id, formBody(req));
      return redirectWith(reply, `/mailings/${id}/audience`, "success", "Audience saved.");
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const view = await audiences.get(user, id);
      const o = await options(user);
      // What was ticked stays ticked (ids that parse), with the messages.
      const body = formBody(req);
      const ids = (v: unknown) =>
        (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(Number).filter(Number.isInteger);
      const typed: AudienceInput = {
        all: body.all === "on",
        lists: ids(body.lists),
        segments: ids(body.segments),
        exclude_lists: ids(body.exclude_lists),
        exclude_segments: ids(body.exclude_segments),
      };
      const ctx = viewContext(req, reply);
      const errors = translateErrors(ctx.locale, error.fieldErrors);
      return sendPage(reply, audiencePage(ctx, view, o.lists, o.segments, o.total, typed, errors), 422);
    }
  });
}
