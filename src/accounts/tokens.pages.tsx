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
  const { t, locale } = ctx;
  const when = (v: string) => formatInZone(v, user.time_zone, { locale });
  return (
    <div class="card" id="api-tokens">
      <div class="card-body">
        <h2 class="h5">{t("tokens.title")}</h2>
        <p class="text-body-secondary">
          {t("tokens.introBefore")}
          <a href="/api/docs">JSON API</a>
          {t("tokens.introMiddle")}
          <code>Authorization: Bearer &lt;token&gt;</code>
          {t("tokens.introAfter")}
        </p>
        {tokens.created && (
          <div class="alert alert-success" role="status">
            <p class="mb-2">{t("tokens.created")}</p>
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
                  <th scope="col">{t("tokens.name")}</th>
                  <th scope="col">{t("tokens.createdAt")}</th>
                  <th scope="col">{t("tokens.lastUsed")}</th>
                  <th scope="col" class="text-end">
                    <span class="visually-hidden">{t("common.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.items.map((token) => (
                  <tr>
                    <td>{token.name}</td>
                    <td class="text-nowrap">{when(token.created_at)}</td>
                    <td class="text-nowrap">
                      {token.last_used_at ? when(token.last_used_at) : t("common.never")}
                    </td>
                    <td class="text-end">
                      <form method="post" action="/profile/tokens/revoke">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="id" value={String(token.id)} />
                        <button type="submit" class="btn btn-sm btn-outline-danger">
                          {t("tokens.revoke")}
                          <span class="visually-hidden"> {token.name}</span>
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
            label={t("tokens.newName")}
            maxLength={TOKEN_NAME_MAX}
            help={t("tokens.newNameHelp")}
          />
          <button class="btn btn-outline-primary" type="submit">
            {t("tokens.create")}
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
