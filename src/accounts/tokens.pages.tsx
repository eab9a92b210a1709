/** The profile page's API tokens card, and its create and revoke forms. A new token is shown once, on the page. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { NotFoundError } from "../shared/errors.js";
import { id } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, Field, FormAlert, type FormState } from "../web/components.js";
import { redirectWith, requireUser, sendPage, type ViewContext } from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import type { TokenListItem } from "./tokens.repository.js";
import { TOKEN_NAME_MAX } from "./tokens.schemas.js";

export interface TokensView {
  items: TokenListItem[];
  form?: FormState;
  /** The token just created: its only showing. */
  created?: string;
}

export function TokensCard({ ctx, user, tokens }: { ctx: ViewContext; user: User; tokens: TokensView }) {
  const form = tokens.form ?? { values: {}, errors: {} };
  return (
    <div class="card" id="api-tokens">
      <div class="card-body">
        <h2 class="h5">API tokens</h2>
        <p class="text-body-secondary">
          A token lets another system use the <a href="/api/docs">JSON API</a> as you: send it as{" "}
          <code>Authorization: Bearer &lt;token&gt;</code>. Revoke a token you no longer use.
        </p>
        {tokens.created && (
          <div class="alert alert-success" role="status">
            <p class="mb-2">Your new token. Copy it now: it is not shown again.</p>
            <code class="user-select-all text-break" data-testid="new-token">
              {tokens.created}
            </code>
          </div>
        )}
        {tokens.items.length > 0 && (
          <div class="table-responsive mb-3">
            <table class="table table-sm align-middle mb-0">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col" class="text-end">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.items.map((t) => (
                  <tr>
                    <td>{t.name}</td>
                    <td class="text-nowrap">{formatInZone(t.created_at, user.time_zone)}</td>
                    <td class="text-nowrap">
                      {t.last_used_at ? formatInZone(t.last_used_at, user.time_zone) : "Never"}
                    </td>
                    <td class="text-end">
                      <form method="post" action="/profile/tokens/revoke">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="id" value={String(t.id)} />
                        <button type="submit" class="btn btn-sm btn-outline-danger">
                          Revoke<span class="visually-hidden"> {t.name}</span>
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <FormAlert form={form} />
        <form method="post" action="/profile/tokens" novalidate>
          <CsrfField token={ctx.csrfToken} />
          <Field
            form={form}
            name="name"
            label="New token's name"
            maxLength={TOKEN_NAME_MAX}
            help="What it is for, e.g. “Shop sign-ups”."
          />
          <button class="btn btn-outline-primary" type="submit">
            Create token
          </button>
        </form>
      </div>
    </div>
  );
}

type RenderProfile = (req: FastifyRequest, reply: FastifyReply, user: User, tokens: TokensView) => string;

export function tokenRoutes(app: FastifyInstance, services: Services, renderProfile: RenderProfile): void {
  const { tokens } = services;

  app.post("/profile/tokens", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const created = await tokens.create(user, formBody(req));
        // Rendered, not redirected: the token must not travel in a cookie or a URL.
        const view = { items: await tokens.list(user), created: created.token };
        return sendPage(reply, renderProfile(req, reply, user, view));
      },
      async (form) => renderProfile(req, reply, user, { items: await tokens.list(user), form }),
    );
  });

  app.post("/profile/tokens/revoke", async (req, reply) => {
    const user = requireUser(req);
    const parsed = id.safeParse(formBody(req).id);
    if (!parsed.success) throw new NotFoundError("Token not found");
    await tokens.revoke(user, parsed.data);
    return redirectWith(reply, "/profile#api-tokens", "success", "Token revoked.");
  });
}
