/**
 * A mailing's audience editor (/mailings/:id/audience): everyone, lists and segments to include, lists and
 * segments to exclude, with the individually picked recipients one link away and the count it has now. Also
 * the summary the mailing page shows ("about N now").
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
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
import { renderPage } from "../web/layout.js";
import type { AudienceInput } from "./audience.schemas.js";
import type { AudienceView } from "./audience.service.js";

const n = (v: number) => v.toLocaleString("en-US");

/** The mailing page's "Recipients" value: the live count, and the way to change who it is. */
export function AudienceSummary({
  mailing,
  foreign,
}: {
  mailing: { id: number; recipient_count: number };
  foreign: boolean;
}) {
  const text = `about ${n(mailing.recipient_count)} now`;
  if (foreign) return <>{text}</>;
  return (
    <>
      <a href={`/mailings/${mailing.id}/audience`}>{text}</a>
      <span class="text-body-secondary small">
        {" "}
        · resolved again at each send ·{" "}
        <a href={`/mailings/${mailing.id}/recipients?show=in`}>individually picked</a>
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
  const title = `Audience of ${m.name}`;
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title}>
        <a class="btn btn-outline-secondary" href={`/mailings/${m.id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> Back to the mailing
        </a>
      </PageHeader>
      <div class="alert alert-info">
        About <strong>{n(view.count.total)}</strong> recipient{view.count.total === 1 ? "" : "s"} now
        {view.count.suppressed > 0 && <> ({n(view.count.suppressed)} suppressed: they are not mailed)</>}.
        Each send resolves the audience again, so people added to its lists or matching its segments later are
        reached too.
      </div>
      {Object.keys(errors).length > 0 && (
        <div class="alert alert-danger" role="alert">
          Please correct the highlighted choices.
        </div>
      )}
      <div class="card">
        <div class="card-body">
          <form method="post" action={`/mailings/${m.id}/audience`} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <h2 class="h6">Send to</h2>
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
                All my recipients ({n(recipientTotal)} now)
              </label>
            </div>
            <Choices
              name="lists"
              legend="People in these lists"
              options={lists}
              chosen={rules.lists}
              empty={
                <>
                  No lists yet: <a href="/lists/new">create one</a>.
                </>
              }
              error={errors.lists}
            />
            <Choices
              name="segments"
              legend="People matching these segments"
              options={segments}
              chosen={rules.segments}
              empty={
                <>
                  No segments yet: <a href="/segments/new">create one</a>.
                </>
              }
              error={errors.segments}
            />
            <p class="mb-3">
              And the{" "}
              <a href={`/mailings/${m.id}/recipients?show=in`}>{n(view.picked)} individually picked</a>.
            </p>
            <h2 class="h6">But not</h2>
            <Choices
              name="exclude_lists"
              legend="People in these lists"
              options={lists}
              chosen={rules.exclude_lists}
              empty="No lists yet."
              error={errors.exclude_lists}
            />
            <Choices
              name="exclude_segments"
              legend="People matching these segments"
              options={segments}
              chosen={rules.exclude_segments}
              empty="No segments yet."
              error={errors.exclude_segments}
            />
            <p class="form-text">Suppressed addresses and unconfirmed signups are never mailed.</p>
            <button type="submit" class="btn btn-primary">
              Save audience
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
      return sendPage(
        reply,
        audiencePage(viewContext(req, reply), view, o.lists, o.segments, o.total, typed, error.fieldErrors),
        422,
      );
    }
  });
}
