/**
 * Pages reached from emailed links and the forms that send them: /confirm (confirms and logs in),
 * /confirm/resend, /forgot and /reset. The answers to "send me a link" never say whether the address
 * has an account. Registration itself (which queues the first link) stays in accounts.pages.tsx.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { LIMITS } from "../shared/fields.js";
import { CsrfField, emptyForm, Field, FormAlert, type FormState } from "../web/components.js";
import {
  redirectWith,
  requestLocale,
  SESSION_COOKIE,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { TokenError } from "./account-links.errors.js";
import { AUTH_RATE_LIMIT, AuthCard, startSession } from "./accounts.pages.js";
import { perAccountLimit } from "./auth-requests.js";

function emailForm(ctx: ViewContext, form: FormState, action: string, button: string) {
  return (
    <form method="post" action={action} novalidate>
      <CsrfField token={ctx.csrfToken} />
      <Field
        form={form}
        name="email"
        label={ctx.t("accounts.email")}
        type="email"
        required
        maxLength={LIMITS.email}
        autoComplete="email"
      />
      <button class="btn btn-primary w-100" type="submit">
        {button}
      </button>
    </form>
  );
}

function forgotPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    ctx.t("links.forgot.title"),
    <AuthCard title={ctx.t("links.forgot.title")}>
      <p class="text-body-secondary">{ctx.t("links.forgot.intro")}</p>
      <FormAlert form={form} />
      {emailForm(ctx, form, "/forgot", ctx.t("links.forgot.submit"))}
      <p class="mt-3 mb-0 text-center">
        <a href="/login">{ctx.t("links.backToLogin")}</a>
      </p>
    </AuthCard>,
  );
}

function resendPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    ctx.t("links.resend.title"),
    <AuthCard title={ctx.t("links.resend.title")}>
      <p class="text-body-secondary">{ctx.t("links.resend.intro")}</p>
      <FormAlert form={form} />
      {emailForm(ctx, form, "/confirm/resend", ctx.t("links.resend.submit"))}
    </AuthCard>,
  );
}

/** The one answer to "send me a link", whether or not the address has an account. */
function linkSentPage(ctx: ViewContext, what: "confirm" | "reset") {
  const text = ctx.t(what === "reset" ? "links.sent.reset" : "links.sent.confirm");
  return renderPage(
    ctx,
    ctx.t("accounts.checkEmail.title"),
    <AuthCard title={ctx.t("accounts.checkEmail.title")}>
      <p>{text}</p>
      <p class="text-body-secondary mb-0">
        {ctx.t("links.sent.nothing")}
        <a href="/login">{ctx.t("links.sent.back")}</a>.
      </p>
    </AuthCard>,
  );
}

function resetPage(ctx: ViewContext, form: FormState, token: string) {
  return renderPage(
    ctx,
    ctx.t("links.reset.title"),
    <AuthCard title={ctx.t("links.reset.title")}>
      <FormAlert form={form} />
      <form method="post" action="/reset" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <input type="hidden" name="token" value={token} />
        <Field
          form={form}
          name="password"
          label={ctx.t("accounts.profile.newPassword")}
          type="password"
          required
          autoComplete="new-password"
          help={ctx.t("links.reset.help", { count: LIMITS.password.min })}
        />
        <Field
          form={form}
          name="password_confirm"
          label={ctx.t("accounts.profile.repeatPassword")}
          type="password"
          required
          autoComplete="new-password"
        />
        <button class="btn btn-primary w-100" type="submit">
          {ctx.t("links.reset.submit")}
        </button>
      </form>
    </AuthCard>,
  );
}

function tokenProblemPage(ctx: ViewContext, error: TokenError, purpose: "confirm" | "reset") {
  const t = ctx.t;
  const again =
    purpose === "confirm"
      ? { href: "/confirm/resend", text: t("links.resend.title") }
      : { href: "/forgot", text: t("links.problem.newReset") };
  const why = t(`links.problem.${error.problem}_${purpose}`);
  const title = t(`links.problem.${error.problem}`);
  return renderPage(
    ctx,
    title,
    <AuthCard title={title}>
      <p>{why}</p>
      <div class="d-flex gap-2 flex-wrap">
        <a class="btn btn-primary" href={again.href}>
          {again.text}
        </a>
        <a class="btn btn-outline-secondary" href="/login">
          {t("accounts.login.submit")}
        </a>
      </div>
    </AuthCard>,
  );
}

function sendTokenProblem(
  req: FastifyRequest,
  reply: FastifyReply,
  error: TokenError,
  purpose: "confirm" | "reset",
) {
  const status = error.problem === "invalid" ? 400 : 410;
  return sendPage(reply, tokenProblemPage(viewContext(req, reply), error, purpose), status);
}

export function accountLinkRoutes(app: FastifyInstance, services: Services): void {
  const { accounts, accountLinks } = services;

  /** A fresh session for the user a link proved, replacing whatever session the browser had. */
  async function logIn(req: FastifyRequest, reply: FastifyReply, user: User) {
    await accounts.logout(req.sessionIdHash);
    const session = await accounts.openSession(user);
    startSession(reply, session.token);
  }

  app.get<{ Querystring: { token?: string } }>("/confirm", async (req, reply) => {
    try {
      const user = await accountLinks.confirm(req.query.token);
      if (user.blocked_at) {
        return redirectWith(
          reply,
          "/login",
          "warning",
          "Your address is confirmed, but this account is blocked.",
        );
      }
      await logIn(req, reply, user);
      return redirectWith(reply, "/", "success", "Your email address is confirmed. Welcome to PostPilot!");
    } catch (error) {
      if (error instanceof TokenError) return sendTokenProblem(req, reply, error, "confirm");
      throw error;
    }
  });

  app.get("/confirm/resend", async (req, reply) =>
    sendPage(reply, resendPage(viewContext(req, reply), emptyForm)),
  );

  app.post(
    "/confirm/resend",
    { config: AUTH_RATE_LIMIT, preHandler: perAccountLimit(app, "resend") },
    async (req, reply) =>
      handleForm(
        req,
        reply,
        async () => {
          await accountLinks.resendConfirmation(formBody(req), requestLocale(req));
          return sendPage(reply, linkSentPage(viewContext(req, reply), "confirm"));
        },
        (form) => resendPage(viewContext(req, reply), form),
      ),
  );

  app.get("/forgot", async (req, reply) => sendPage(reply, forgotPage(viewContext(req, reply), emptyForm)));

  app.post(
    "/forgot",
    { config: AUTH_RATE_LIMIT, preHandler: perAccountLimit(app, "reset") },
    async (req, reply) =>
      handleForm(
        req,
        reply,
        async () => {
          await accountLinks.requestReset(formBody(req), requestLocale(req));
          return sendPage(reply, linkSentPage(viewContext(req, reply), "reset"));
        },
        (form) => forgotPage(viewContext(req, reply), form),
      ),
  );

  app.get<{ Querystring: { token?: string } }>("/reset", async (req, reply) => {
    try {
      await accountLinks.checkResetToken(req.query.token);
    } catch (error) {
      if (error instanceof TokenError) return sendTokenProblem(req, reply, error, "reset");
      throw error;
    }
    return sendPage(reply, resetPage(viewContext(req, reply), emptyForm, req.query.token ?? ""));
  });

  app.post("/reset", { config: AUTH_RATE_LIMIT }, async (req, reply) => {
    const body = formBody(req);
    const token = typeof body.token === "string" ? body.token : "";
    return handleForm(
      req,
      reply,
      async () => {
        try {
          const user = await accountLinks.resetPassword(body);
          if (user.blocked_at) {
            reply.clearCookie(SESSION_COOKIE, { path: "/" });
            return redirectWith(
              reply,
              "/login",
              "warning",
              "Your password is changed, but this account is blocked.",
            );
          }
          await logIn(req, reply, user);
          return redirectWith(
            reply,
            "/",
            "success",
            "Your password is changed. Every other session of your account was logged out.",
          );
        } catch (error) {
          if (error instanceof TokenError) return sendTokenProblem(req, reply, error, "reset");
          throw error;
        }
      },
      (form) => resetPage(viewContext(req, reply), form, token),
    );
  });
}
