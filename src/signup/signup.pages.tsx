/**
 * The public signup pages of a list: the hosted form (/subscribe/<slug>), its POST (also the target of the
 * embeddable HTML snippet, so it is CSRF-exempt, rate limited per IP and guarded by a honeypot), the
 * "check your inbox" answer (the same for every valid address), and the confirmation link's page, whose
 * button confirms (a GET never does, so mail scanners that open links subscribe nobody).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import { CustomFieldInputs } from "../custom-fields/custom-fields.views.js";
import { translateErrors, translateMessage } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { CsrfField, Field, FormAlert, type FormState } from "../web/components.js";
import { requestLocale, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody, formValues } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import type { SignupForm } from "./signup.service.js";

export const SIGNUP_ROUTE = "/subscribe/:slug";
/** Per IP: a person subscribes once or twice; a robot gets 429 after this. */
const SIGNUP_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: "10 minutes" } };

function Card({ title, children }: { title: string; children: preact.ComponentChildren }) {
  return (
    <div class="row justify-content-center">
      <div class="col-sm-10 col-md-7 col-lg-5">
        <div class="card shadow-sm">
          <div class="card-body p-4">
            <h1 class="h4 mb-3">{title}</h1>
            {children}
          </div>
        </div>
      </div>
    </div>
  );
}

function formPage(ctx: ViewContext, { list, fields }: SignupForm, form: FormState) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("signup.title", { list: list.name }),
    <Card title={t("signup.title", { list: list.name })}>
      {list.description && <p class="text-body-secondary pre-wrap">{list.description}</p>}
      <FormAlert form={form} />
      <form method="post" action={`/subscribe/${encodeURIComponent(list.slug)}`} novalidate>
        <Field
          form={form}
          name="email"
          label={t("accounts.email")}
          type="email"
          required
          maxLength={LIMITS.email}
          autoComplete="email"
        />
        {list.signup_ask_name === 1 && (
          <Field
            form={form}
            name="full_name"
            label={t("accounts.profile.name")}
            maxLength={LIMITS.name}
            autoComplete="name"
          />
        )}
        <CustomFieldInputs form={form} fields={fields} />
        {/* The honeypot: hidden from people, filled in by robots. */}
        <div class="visually-hidden" aria-hidden="true">
          <label for="f-website">{t("signup.honeypot")}</label>
          <input id="f-website" name="website" type="text" value="" tabIndex={-1} autoComplete="off" />
        </div>
        <button type="submit" class="btn btn-primary w-100">
          {t("signup.submit")}
        </button>
      </form>
      <p class="small text-body-secondary mt-3 mb-0">{t("signup.note")}</p>
    </Card>,
  );
}

function messagePage(ctx: ViewContext, title: string, text: preact.ComponentChildren) {
  return renderPage(ctx, title, <Card title={title}>{text}</Card>);
}

const noindex = (reply: FastifyReply) =>
  reply.header("x-robots-tag", "noindex").header("cache-control", "no-store");
const slugOf = (req: FastifyRequest) => String((req.params as { slug?: string }).slug ?? "");
const tokenOf = (value: unknown) => (typeof value === "string" ? value : "");

export function signupRoutes(app: FastifyInstance, services: Services): void {
  const { signups } = services;

  app.get(SIGNUP_ROUTE, async (req, reply) => {
    const form = await signups.form(slugOf(req));
    return sendPage(noindex(reply), formPage(viewContext(req, reply), form, { values: {}, errors: {} }));
  });

  app.post(SIGNUP_ROUTE, { config: SIGNUP_RATE_LIMIT }, async (req, reply) => {
    const slug = slugOf(req);
    const body = formBody(req);
    try {
      await signups.submit(slug, body, req.ip, requestLocale(req));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const form = await signups.form(slug);
      const values = formValues(body);
      return sendPage(
        noindex(reply),
        formPage(viewContext(req, reply), form, {
          values,
          errors: translateErrors(requestLocale(req), error.fieldErrors),
        }),
        422,
      );
    }
    const ctx = viewContext(req, reply);
    return sendPage(
      noindex(reply),
      messagePage(ctx, ctx.t("signup.check.title"), <p class="mb-0">{ctx.t("signup.check.text")}</p>),
    );
  });

  app.get(`${SIGNUP_ROUTE}/confirm`, async (req, reply) => {
    const slug = slugOf(req);
    const token = tokenOf((req.query as { token?: unknown }).token);
    const ctx = viewContext(req, reply);
    try {
      const { list, confirmed } = await signups.pending(slug, token);
      if (confirmed)
        return sendPage(
          noindex(reply),
          messagePage(
            ctx,
            ctx.t("signup.done.title"),
            <p class="mb-0">{ctx.t("signup.done.text", { list: list.name })}</p>,
          ),
        );
      return sendPage(
        noindex(reply),
        messagePage(
          ctx,
          ctx.t("signup.confirm.title", { list: list.name }),
          <form method="post" action={`/subscribe/${encodeURIComponent(list.slug)}/confirm`}>
            <CsrfField token={ctx.csrfToken} />
            <input type="hidden" name="token" value={token} />
            <button type="submit" class="btn btn-primary w-100">
              {ctx.t("signup.confirm.submit")}
            </button>
          </form>,
        ),
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return sendPage(
        noindex(reply),
        messagePage(
          ctx,
          ctx.t("signup.broken"),
          <p class="mb-0">{translateMessage(ctx.locale, error.fieldErrors.token ?? "")}</p>,
        ),
        410,
      );
    }
  });

  app.post(`${SIGNUP_ROUTE}/confirm`, async (req, reply) => {
    const ctx = viewContext(req, reply);
    try {
      const { list, redirect } = await signups.confirm(slugOf(req), tokenOf(formBody(req).token), req.ip);
      if (redirect) return reply.redirect(redirect, 303);
      return sendPage(
        noindex(reply),
        messagePage(
          ctx,
          ctx.t("signup.done.title"),
          <p class="mb-0">{ctx.t("signup.done.text", { list: list.name })}</p>,
        ),
      );
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return sendPage(
        noindex(reply),
        messagePage(
          ctx,
          ctx.t("signup.broken"),
          <p class="mb-0">{translateMessage(ctx.locale, error.fieldErrors.token ?? "")}</p>,
        ),
        410,
      );
    }
  });
}
