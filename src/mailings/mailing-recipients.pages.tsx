/**
 * A mailing's recipients picker: the owner's recipients, searchable and paged, with whether each is in the
 * mailing; add or remove the ticked ones, or everyone matching a search. Stays usable at any size.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { formatNumber, translateMessage } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { CsrfField, EmptyState, PageHeader, Pager, withQuery } from "../web/components.js";
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
import { counted } from "./mailing-words.js";
import type { MailingRow } from "./mailings.repository.js";

type MembersResult = Awaited<ReturnType<Services["mailings"]["members"]>>;

function membersPage(ctx: ViewContext, m: MailingRow, result: MembersResult, error?: string) {
  const { t, locale } = ctx;
  const w = (key: string, options?: Record<string, unknown>) => t(`mailings.members.${key}`, options);
  const picked = result.picked;
  const { query } = result;
  const path = `/mailings/${m.id}/recipients`;
  const tabs: { show: "all" | "in" | "out"; label: string }[] = [
    { show: "all", label: w("all") },
    { show: "in", label: w("in") },
    { show: "out", label: w("out") },
  ];
  return renderPage(
    ctx,
    w("title", { name: m.name }),
    <>
      <PageHeader title={w("title", { name: m.name })}>
        <a class="btn btn-outline-secondary" href={`/mailings/${m.id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> {w("back")}
        </a>
      </PageHeader>
      <p>
        <strong>{counted(t, locale, "mailings.members.picked", picked)}</strong>{" "}
        {t("mailings.members.pickedVerb", { count: picked })} {w("audienceBefore")}{" "}
        <a href={`/mailings/${m.id}/audience`}>{w("audienceLink")}</a>.
      </p>
      {error && (
        <div class="alert alert-danger" role="alert">
          {error}
        </div>
      )}
      <ul class="nav nav-tabs mb-3">
        {tabs.map((tab) => (
          <li class="nav-item">
            <a
              class={`nav-link${query.show === tab.show ? " active" : ""}`}
              aria-current={query.show === tab.show ? "page" : undefined}
              href={withQuery(path, { show: tab.show, q: query.q })}
            >
              {tab.label}
            </a>
          </li>
        ))}
      </ul>
      <form method="get" action={path} class="d-flex gap-2 mb-3" role="search">
        <input type="hidden" name="show" value={query.show} />
        <label class="visually-hidden" for="q">
          {w("searchLabel")}
        </label>
        <input
          id="q"
          type="search"
          name="q"
          class="form-control"
          placeholder={w("placeholder")}
          value={query.q}
          maxLength={200}
        />
        <button type="submit" class="btn btn-outline-secondary">
          <i class="bi bi-search" aria-hidden="true" /> {t("common.search")}
        </button>
      </form>
      <form method="post" action={withQuery(path, { show: query.show, q: query.q, page: query.page })}>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="q" value={query.q} />
        <div class="d-flex flex-wrap gap-2 mb-2">
          <button class="btn btn-sm btn-primary" type="submit" name="action" value="add">
            <i class="bi bi-plus" aria-hidden="true" /> {w("addTicked")}
          </button>
          <button class="btn btn-sm btn-outline-danger" type="submit" name="action" value="remove">
            <i class="bi bi-dash" aria-hidden="true" /> {w("removeTicked")}
          </button>
          <span class="vr" />
          <button class="btn btn-sm btn-outline-primary" type="submit" name="action" value="add_matching">
            {w(query.q ? "addAllMatching" : "addAll", { n: formatNumber(locale, result.total) })}
          </button>
          <button class="btn btn-sm btn-outline-danger" type="submit" name="action" value="remove_matching">
            {w(query.q ? "removeAllMatching" : "removeAll")}
          </button>
        </div>
        {result.total === 0 ? (
          <EmptyState icon="bi-people" title={w("emptyTitle")}>
            {query.q ? w("nothing") : <a href="/recipients/new">{w("add")}</a>}
          </EmptyState>
        ) : (
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table table-sm table-hover mb-0" id="member-table">
              <thead>
                <tr>
                  <th scope="col">
                    <input
                      class="form-check-input"
                      type="checkbox"
                      data-check-all="#member-table tbody"
                      aria-label={w("tickAll")}
                    />
                  </th>
                  <th scope="col">{t("accounts.email")}</th>
                  <th scope="col">{w("name")}</th>
                  <th scope="col">{w("inMailing")}</th>
                </tr>
              </thead>
              <tbody>
                {result.items.map((r) => (
                  <tr>
                    <td>
                      <input
                        class="form-check-input"
                        type="checkbox"
                        name="ids"
                        value={String(r.id)}
                        id={`r-${r.id}`}
                        aria-label={w("tick", { email: r.email })}
                      />
                    </td>
                    <td>
                      <label for={`r-${r.id}`}>{r.email}</label>
                    </td>
                    <td>{r.full_name}</td>
                    <td>
                      {r.member ? (
                        <span class="badge text-bg-success">{w("yes")}</span>
                      ) : (
                        <span class="badge text-bg-light border">{w("no")}</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </form>
      <Pager page={result} path={path} params={{ q: query.q, show: query.show }} />
    </>,
  );
}

export function mailingRecipientRoutes(app: FastifyInstance, services: Services): void {
  const { mailings } = services;

  app.get("/mailings/:id/recipients", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    return sendPage(
      reply,
      membersPage(viewContext(req, reply), m, await mailings.members(user, m.id, req.query)),
    );
  });

  app.post("/mailings/:id/recipients", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    const back = withQuery(`/mailings/${m.id}/recipients`, req.query as Record<string, string>);
    try {
      const message = await mailings.changeMembers(user, m.id, formBody(req));
      return redirectWith(reply, back, "success", message);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const result = await mailings.members(user, m.id, req.query);
      const ctx = viewContext(req, reply);
      const text = Object.values(error.fieldErrors)
        .map((message) => translateMessage(ctx.locale, message))
        .join(" ");
      return sendPage(reply, membersPage(ctx, m, result, text), 422);
    }
  });
}
