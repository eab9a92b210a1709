/** Pages for first-run setup, login, registration, logout, and the user's own profile. */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ComponentChildren } from "preact";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { chooseLocale, languageOptions, type Translate } from "../i18n/index.js";
import { NotFoundError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import {
  CsrfField,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  Select,
} from "../web/components.js";
import {
  redirectWith,
  requestLocale,
  requireUser,
  SESSION_COOKIE,
  safeNext,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { ZonePicker } from "../web/zone-picker.js";
import { perAccountLimit } from "./auth-requests.js";
import { TokensCard, type TokensView, tokenRoutes } from "./tokens.pages.js";
import { clientOf, startSecondFactor, twoFactorRoutes } from "./two-factor.pages.js";

/** Per IP address; auth-requests.ts adds the per-account limits. */
export const AUTH_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: "1 minute" } };

export function AuthCard({ title, children }: { title: string; children: ComponentChildren }) {
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

/** Name, email and password of a new account (first admin and registration). */
function NewAccountFields({ form, t }: { form: FormState; t: Translate }) {
  return (
    <>
      {/* The browser's time zone, filled in by app.js; the profile can change it later. */}
      <input type="hidden" name="time_zone" value={form.values.time_zone ?? ""} data-browser-zone />
      <Field form={form} name="name" label={t("accounts.yourName")} maxLength={100} autoComplete="name" />
      <Field
        form={form}
        name="email"
        label={t("accounts.email")}
        type="email"
        required
        maxLength={LIMITS.email}
        autoComplete="email"
      />
      <Field
        form={form}
        name="password"
        label={t("accounts.password")}
        type="password"
        required
        autoComplete="new-password"
        help={t("accounts.atLeast", { count: LIMITS.password.min })}
      />
    </>
  );
}

function setupPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    ctx.t("accounts.setup.title"),
    <AuthCard title={ctx.t("accounts.setup.title")}>
      <p class="text-body-secondary">{ctx.t("accounts.setup.intro")}</p>
      <FormAlert form={form} />
      <form method="post" action="/setup" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <NewAccountFields form={form} t={ctx.t} />
        <button class="btn btn-primary w-100" type="submit">
          {ctx.t("accounts.setup.submit")}
        </button>
      </form>
    </AuthCard>,
  );
}

function loginPage(ctx: ViewContext, form: FormState, next: string) {
  return renderPage(
    ctx,
    ctx.t("accounts.login.title"),
    <AuthCard title={ctx.t("accounts.login.title")}>
      <FormAlert form={form} />
      {form.errors._confirm && (
        <form method="post" action="/confirm/resend" class="mb-3">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="email" value={form.values.email ?? ""} />
          <button class="btn btn-outline-primary w-100" type="submit">
            {ctx.t("accounts.login.resend")}
          </button>
        </form>
      )}
      <form method="post" action={`/login?next=${encodeURIComponent(next)}`} novalidate>
        <CsrfField token={ctx.csrfToken} />
        <Field
          form={form}
          name="email"
          label={ctx.t("accounts.email")}
          type="email"
          required
          autoComplete="email"
        />
        <Field
          form={form}
          name="password"
          label={ctx.t("accounts.password")}
          type="password"
          required
          autoComplete="current-password"
        />
        <button class="btn btn-primary w-100" type="submit">
          {ctx.t("accounts.login.submit")}
        </button>
      </form>
      <p class="mt-3 mb-0 text-center">
        <a href="/forgot">{ctx.t("accounts.login.forgot")}</a>
      </p>
      <p class="mt-2 mb-0 text-center">
        {ctx.t("accounts.login.newHere")} <a href="/register">{ctx.t("accounts.login.create")}</a>
      </p>
    </AuthCard>,
  );
}

function registerPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    ctx.t("accounts.register.title"),
    <AuthCard title={ctx.t("accounts.register.title")}>
      <FormAlert form={form} />
      <form method="post" action="/register" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <NewAccountFields form={form} t={ctx.t} />
        <button class="btn btn-primary w-100" type="submit">
          {ctx.t("accounts.register.submit")}
        </button>
      </form>
      <p class="mt-3 mb-0 text-center">
        {ctx.t("accounts.register.already")} <a href="/login">{ctx.t("accounts.register.login")}</a>
      </p>
    </AuthCard>,
  );
}

/** The answer to every registration, new address or not: nothing here says whether it had an account. */
function checkEmailPage(ctx: ViewContext) {
  return renderPage(
    ctx,
    ctx.t("accounts.checkEmail.title"),
    <AuthCard title={ctx.t("accounts.checkEmail.title")}>
      <p>{ctx.t("accounts.checkEmail.text")}</p>
      <p class="text-body-secondary mb-0">
        {ctx.t("accounts.checkEmail.nothing")}
        <a href="/confirm/resend">{ctx.t("accounts.checkEmail.newLink")}</a>.
      </p>
    </AuthCard>,
  );
}

const profileValues = (user: User) => ({
  name: user.name,
  time_zone: user.time_zone,
  locale: user.locale ?? "",
});

function profilePage(
  ctx: ViewContext,
  user: User,
  profile: FormState,
  passwordForm: FormState,
  tokens: TokensView,
) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("accounts.profile.title"),
    <>
      <PageHeader title={t("accounts.profile.title")} />
      <div class="row g-4">
        <div class="col-lg-6">
          <div class="card">
            <div class="card-body">
              <h2 class="h5">{t("accounts.profile.details")}</h2>
              <p class="text-body-secondary">
                {t("accounts.profile.signedInAs")}
                <strong>{user.email}</strong> ({t(`accounts.role.${user.role}`)}).{" "}
                <a href="/profile/security">{t("accounts.profile.security")}</a>
              </p>
              <FormAlert form={profile} />
              <form method="post" action="/profile" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field
                  form={profile}
                  name="name"
                  label={t("accounts.profile.name")}
                  maxLength={100}
                  autoComplete="name"
                />
                <ZonePicker
                  form={profile}
                  label={t("accounts.profile.timeZone")}
                  required
                  help={t("accounts.profile.timeZoneHelp")}
                />
                <Select
                  form={profile}
                  name="locale"
                  label={t("accounts.profile.language")}
                  options={[{ value: "", label: t("accounts.profile.languageAuto") }, ...languageOptions()]}
                  help={t("accounts.profile.languageHelp")}
                />
                <button class="btn btn-primary" type="submit">
                  {t("accounts.profile.save")}
                </button>
              </form>
            </div>
          </div>
        </div>
        <div class="col-lg-6">
          <div class="card mb-4">
            <div class="card-body">
              <h2 class="h5">{t("accounts.profile.changePassword")}</h2>
              <FormAlert form={passwordForm} />
              <form method="post" action="/profile/password" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field
                  form={passwordForm}
                  name="current_password"
                  label={t("accounts.profile.currentPassword")}
                  type="password"
                  required
                  autoComplete="current-password"
                />
                <Field
                  form={passwordForm}
                  name="new_password"
                  label={t("accounts.profile.newPassword")}
                  type="password"
                  required
                  autoComplete="new-password"
                  help={t("accounts.profile.newPasswordHelp", { count: LIMITS.password.min })}
                />
                <Field
                  form={passwordForm}
                  name="new_password_confirm"
                  label={t("accounts.profile.repeatPassword")}
                  type="password"
                  required
                  autoComplete="new-password"
                />
                <button class="btn btn-primary" type="submit">
                  {t("accounts.profile.changePasswordSubmit")}
                </button>
              </form>
            </div>
          </div>
          <div class="card border-danger-subtle">
            <div class="card-body">
              <h2 class="h5">{t("accounts.profile.deleteTitle")}</h2>
              <p class="text-body-secondary">{t("accounts.profile.deleteText")}</p>
              <a class="btn btn-outline-danger" href="/profile/delete">
                {t("accounts.profile.deleteLink")}
              </a>
            </div>
          </div>
        </div>
        <div class="col-12">
          <TokensCard ctx={ctx} user={user} tokens={tokens} />
        </div>
      </div>
    </>,
  );
}

function deleteAccountPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    ctx.t("accounts.delete.title"),
    <>
      <PageHeader title={ctx.t("accounts.delete.title")} />
      <FormAlert form={form} />
      <div class="card border-danger">
        <div class="card-body">
          <p>
            {ctx.t("accounts.delete.before")}
            <strong>{ctx.t("accounts.delete.strong")}</strong>
            {ctx.t("accounts.delete.after")}
          </p>
          <form method="post" action="/profile/delete" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="password"
              label={ctx.t("accounts.delete.password")}
              type="password"
              required
              autoComplete="current-password"
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-danger">
                {ctx.t("accounts.delete.submit")}
              </button>
              <a class="btn btn-outline-secondary" href="/profile">
                {ctx.t("common.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

export function startSession(reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: "auto",
    signed: true,
    maxAge: 30 * 24 * 3600,
  });
}

export function accountRoutes(app: FastifyInstance, services: Services): void {
  const { accounts } = services;

  app.get("/setup", async (req, reply) => {
    if (!(await accounts.needsSetup())) throw new NotFoundError();
    return sendPage(reply, setupPage(viewContext(req, reply), emptyForm));
  });

  app.post("/setup", { config: AUTH_RATE_LIMIT }, async (req, reply) => {
    if (!(await accounts.needsSetup())) throw new NotFoundError();
    return handleForm(
      req,
      reply,
      async () => {
        const user = await accounts.setupFirstAdmin(formBody(req));
        const session = await accounts.openSession(user);
        startSession(reply, session.token);
        return redirectWith(reply, "/", "success", "Welcome! Your admin account is ready.");
      },
      (form) => setupPage(viewContext(req, reply), form),
    );
  });

  app.get<{ Querystring: { next?: string } }>("/login", async (req, reply) => {
    if (req.user) return reply.redirect(safeNext(req.query.next), 303);
    return sendPage(reply, loginPage(viewContext(req, reply), emptyForm, safeNext(req.query.next)));
  });

  // Per address here; per (account, address) and per account in AccountsService.login (the throttle).
  app.post<{ Querystring: { next?: string } }>("/login", { config: AUTH_RATE_LIMIT }, async (req, reply) => {
    const next = safeNext(req.query.next);
    return handleForm(
      req,
      reply,
      async () => {
        const result = await accounts.login(formBody(req), clientOf(req));
        if (result.secondFactor) return startSecondFactor(reply, result.secondFactor, next);
        const { session } = result;
        await accounts.logout(req.sessionIdHash);
        startSession(reply, session.token);
        return redirectWith(
          reply,
          next,
          "success",
          `Welcome back${session.user.name ? `, ${session.user.name}` : ""}.`,
        );
      },
      (form) => loginPage(viewContext(req, reply), form, next),
    );
  });

  twoFactorRoutes(app, services, startSession);

  app.get("/register", async (req, reply) => {
    if (req.user) return reply.redirect("/", 303);
    return sendPage(reply, registerPage(viewContext(req, reply), emptyForm));
  });

  const registerLimits = { config: AUTH_RATE_LIMIT, preHandler: perAccountLimit(app, "register") };
  app.post("/register", registerLimits, async (req, reply) =>
    handleForm(
      req,
      reply,
      async () => {
        // Not logged in until the emailed link is opened; the same page whether or not the address was known.
        await services.accountLinks.register(formBody(req), requestLocale(req));
        return sendPage(reply, checkEmailPage(viewContext(req, reply)));
      },
      (form) => registerPage(viewContext(req, reply), form),
    ),
  );

  app.post("/logout", async (req, reply) => {
    await accounts.logout(req.sessionIdHash);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    req.user = null;
    return redirectWith(reply, "/login", "info", "You are logged out.");
  });

  app.get("/profile", async (req, reply) => {
    const user = requireUser(req);
    const form = { values: profileValues(user), errors: {} };
    const tokens = { items: await services.tokens.list(user) };
    return sendPage(reply, profilePage(viewContext(req, reply), user, form, emptyForm, tokens));
  });

  app.post("/profile", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const saved = await accounts.updateProfile(user, formBody(req));
        // The message is in the language just chosen.
        req.locale = chooseLocale(saved.locale, req.headers["accept-language"]);
        return redirectWith(reply, "/profile", "success", "Profile saved.");
      },
      async (form) =>
        profilePage(viewContext(req, reply), user, form, emptyForm, {
          items: await services.tokens.list(user),
        }),
    );
  });

  app.post("/profile/password", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        await accounts.changePassword(user, formBody(req), req.sessionIdHash);
        return redirectWith(
          reply,
          "/profile",
          "success",
          "Password changed. Your other sessions were logged out.",
        );
      },
      async (form) =>
        profilePage(viewContext(req, reply), user, { values: profileValues(user), errors: {} }, form, {
          items: await services.tokens.list(user),
        }),
    );
  });

  tokenRoutes(app, services, (req, reply, user, tokens) =>
    profilePage(
      viewContext(req, reply),
      user,
      { values: profileValues(user), errors: {} },
      emptyForm,
      tokens,
    ),
  );

  app.get("/profile/delete", async (req, reply) => {
    requireUser(req);
    return sendPage(reply, deleteAccountPage(viewContext(req, reply), emptyForm));
  });

  app.post("/profile/delete", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        await accounts.deleteAccount(user, formBody(req));
        reply.clearCookie(SESSION_COOKIE, { path: "/" });
        req.user = null;
        return redirectWith(reply, "/login", "info", "Your account and all its data were deleted.");
      },
      (form) => deleteAccountPage(viewContext(req, reply), form),
    );
  });
}
