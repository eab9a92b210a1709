/**
 * A mailing's recipients picker: the owner's recipients, searchable and paged, with whether each is in the
 * mailing; add or remove the ticked ones, or everyone matching a search. Stays usable at any size.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { ValidationError } from "../shared/errors.js";
import { countOf } from "../shared/plural.js";
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
import type { MailingRow } from "./mailings.repository.js";

type MembersResult = Awaited<ReturnType<Services["mailings"]["members"]>>;

function membersPage(ctx: ViewContext, m: MailingRow, result: MembersResult, error?: string) {
  const picked = result.picked;
  const { query } = result;
  const path = `/mailings/${m.id}/recipients`;
  const tabs: { show: "all" | "in" | "out"; label: string }[] = [
    { show: "all", label: "All my recipients" },
    { show: "in", label: "In this mailing" },
    { show: "out", label: "Not in this mailing" },
  ];
  return renderPage(
    ctx,
    `Recipients of ${m.name}`,
    <>
      <PageHeader title={`Recipients of ${m.name}`}>
        <a class="btn btn-outline-secondary" href={`/mailings/${m.id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> Back to the mailing
        </a>
      </PageHeader>
      <p>
        <strong>{countOf(picked, "recipient")}</strong> {picked === 1 ? "is" : "are"} individually picked for
        this mailing. Its lists, segments and exclusions are on{" "}
        <a href={`/mailings/${m.id}/audience`}>its audience page</a>.
      </p>
      {error && (
        <div class="alert alert-danger" role="alert">
          {error}
        </div>
      )}
      <ul class="nav nav-tabs mb-3">
        {tabs.map((t) => (
          <li class="nav-item">
            <a
              class={`nav-link${query.show === t.show ? " active" : ""}`}
              aria-current={query.show === t.show ? "page" : undefined}
              href={withQuery(path, { show: t.show, q: query.q })}
            >
              {t.label}
            </a>
          </li>
        ))}
      </ul>
      <form method="get" action={path} class="d-flex gap-2 mb-3" role="search">
        <input type="hidden" name="show" value={query.show} />
        <label class="visually-hidden" for="q">
          Search recipients
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
        <button type="submit" class="btn btn-outline-secondary">
          <i class="bi bi-search" aria-hidden="true" /> Search
        </button>
      </form>
      <form method="post" action={withQuery(path, { show: query.show, q: query.q, page: query.page })}>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="q" value={query.q} />
        <div class="d-flex flex-wrap gap-2 mb-2">
          <button class="btn btn-sm btn-primary" type="submit" name="action" value="add">
            <i class="bi bi-plus" aria-hidden="true" /> Add ticked
          </button>
          <button class="btn btn-sm btn-outline-danger" type="submit" name="action" value="remove">
            <i class="bi bi-dash" aria-hidden="true" /> Remove ticked
          </button>
          <span class="vr" />
          <button class="btn btn-sm btn-outline-primary" type="submit" name="action" value="add_matching">
            Add all {result.total.toLocaleString("en-US")} {query.q ? "matching" : ""}
          </button>
          <button class="btn btn-sm btn-outline-danger" type="submit" name="action" value="remove_matching">
            Remove all {query.q ? "matching" : ""}
          </button>
        </div>
        {result.total === 0 ? (
          <EmptyState icon="bi-people" title="No recipients here">
            {query.q ? "Nothing matches your search." : <a href="/recipients/new">Add recipients</a>}
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
                      aria-label="Tick all on this page"
                    />
                  </th>
                  <th scope="col">Email</th>
                  <th scope="col">Name</th>
                  <th scope="col">In mailing</th>
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
                        aria-label={`Tick ${r.email}`}
                      />
                    </td>
                    <td>
                      <label for={`r-${r.id}`}>{r.email}</label>
                    </td>
                    <td>{r.full_name}</td>
                    <td>
                      {r.member ? (
                        <span class="badge text-bg-success">In</span>
                      ) : (
                        <span class="badge text-bg-light border">Out</span>
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
      const text = Object.values(error.fieldErrors).join(" ");
      return sendPage(reply, membersPage(viewContext(req, reply), m, result, text), 422);
    }
  });
}
