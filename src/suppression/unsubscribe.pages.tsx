/**
 * The public unsubscribe link, /u/TOKEN, without login. A GET only shows a page with one button, so link
 * scanners that fetch every URL never unsubscribe anyone. A POST (RFC 8058 one-click from the mail
 * provider, or that button) unsubscribes at once; it carries no cookie and no CSRF token, so web/app.ts
 * exempts exactly this route from CSRF: the token in the URL is the proof. No cookie is set here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ComponentChildren } from "preact";
import type { Services } from "../container.js";
import type { ViewContext } from "../web/context.js";
import { anonymousContext, sendPage } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import type { UnsubscribeState } from "./unsubscribe.service.js";

/** The route web/app.ts lets POST without a CSRF token. */
export const ONE_CLICK_ROUTE = "/u/:token";

function publicContext(req: FastifyRequest): ViewContext {
  return anonymousContext(req);
}

function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <div class="row justify-content-center">
      <div class="col-sm-10 col-md-7 col-lg-5">
        <div class="card">
          <div class="card-body">
            <h1 class="h4">{title}</h1>
            {children}
          </div>
        </div>
      </div>
    </div>
  );
}

function page(
  req: FastifyRequest,
  token: string,
  result: UnsubscribeState,
): { html: string; status: number } {
  const ctx = publicContext(req);
  const t = ctx.t;
  switch (result.state) {
    case "invalid":
      return {
        status: 404,
        html: renderPage(
          ctx,
          t("unsubscribe.invalid.title"),
          <Card title={t("unsubscribe.invalid.heading")}>
            <p class="mb-0">{t("unsubscribe.invalid.text")}</p>
          </Card>,
        ),
      };
    case "used":
      return {
        status: 200,
        html: renderPage(
          ctx,
          t("unsubscribe.used.title"),
          <Card title={t("unsubscribe.used.heading")}>
            <p class="mb-0">{t("unsubscribe.used.text", { mailing: result.mailingName })}</p>
          </Card>,
        ),
      };
    case "done":
      return {
        status: 200,
        html: renderPage(
          ctx,
          t("unsubscribe.done.title"),
          <Card title={t("unsubscribe.done.heading")}>
            <p class="mb-0">{t("unsubscribe.done.text", { mailing: result.mailingName })}</p>
          </Card>,
        ),
      };
    case "ready":
      return {
        status: 200,
        html: renderPage(
          ctx,
          t("unsubscribe.ready.title"),
          <Card title={t("unsubscribe.ready.heading")}>
            <p>{t("unsubscribe.ready.text", { mailing: result.mailingName })}</p>
            <form method="post" action={`/u/${encodeURIComponent(token)}`}>
              <input type="hidden" name="List-Unsubscribe" value="One-Click" />
              <input type="hidden" name="source" value="page" />
              <button type="submit" class="btn btn-primary">
                {t("unsubscribe.ready.submit")}
              </button>
            </form>
          </Card>,
        ),
      };
  }
}

function send(reply: FastifyReply, rendered: { html: string; status: number }) {
  return sendPage(reply, rendered.html, rendered.status).header("x-robots-tag", "noindex");
}

export function unsubscribeRoutes(app: FastifyInstance, services: Services): void {
  const { unsubscribe } = services;
  const tokenOf = (req: FastifyRequest) => String((req.params as { token?: string }).token ?? "");

  app.get(ONE_CLICK_ROUTE, async (req, reply) => {
    const token = tokenOf(req);
    return send(reply, page(req, token, await unsubscribe.check(token)));
  });

  app.post(ONE_CLICK_ROUTE, async (req, reply) => {
    const token = tokenOf(req);
    // Mail providers post List-Unsubscribe=One-Click (RFC 8058); the page's button says it is the page.
    const source = formBody(req).source === "page" ? "page" : "one-click";
    return send(reply, page(req, token, await unsubscribe.unsubscribe(token, source)));
  });
}
