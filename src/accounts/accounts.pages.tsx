/** Pages for first-run setup, login, registration, logout, and the user's own profile. */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { ComponentChildren } from "preact";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { NotFoundError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { CsrfField, emptyForm, Field, FormAlert, type FormState, PageHeader } from "../web/components.js";
import {
  redirectWith,
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
function NewAccountFields({ form }: { form: FormState }) {
  return (
    <>
      {/* The browser's time zone, filled in by app.js; the profile can change it later. */}
      <input type="hidden" name="time_zone" value={form.values.time_zone ?? ""} data-browser-zone />
      <Field form={form} name="name" label="Your name" maxLength={100} autoComplete="name" />
      <Field
        form={form}
        name="email"
        label="Email"
        type="email"
        required
        maxLength={LIMITS.email}
        autoComplete="email"
      />
      <Field
        form={form}
        name="password"
        label="Password"
        type="password"
        required
        autoComplete="new-password"
        help={`At least ${LIMITS.password.min} characters.`}
      />
    </>
  );
}

function setupPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    "Set up PostPilot",
    <AuthCard title="Set up PostPilot">
      <p class="text-body-secondary">
        Create the first administrator account. Other people can then register their own accounts.
      </p>
      <FormAlert form={form} />
      <form method="post" action="/setup" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <NewAccountFields form={form} />
        <button class="btn btn-primary w-100" type="submit">
          Create admin account
        </button>
      </form>
    </AuthCard>,
  );
}

function loginPage(ctx: ViewContext, form: FormState, next: string) {
  return renderPage(
    ctx,
    "Log in",
    <AuthCard title="Log in">
      <FormAlert form={form} />
      {form.errors._confirm && (
        <form method="post" action="/confirm/resend" class="mb-3">
          <CsrfField token={ctx.csrfToken} />
          <input type="hidden" name="email" value={form.values.email ?? ""} />
          <button class="btn btn-outline-primary w-100" type="submit">
            Send the confirmation link again
          </button>
        </form>
      )}
      <form method="post" action={`/login?next=${encodeURIComponent(next)}`} novalidate>
        <CsrfField token={ctx.csrfToken} />
        <Field form={form} name="email" label="Email" type="email" required autoComplete="email" />
        <Field
          form={form}
          name="password"
          label="Password"
          type="password"
          required
          autoComplete="current-password"
        />
        <button class="btn btn-primary w-100" type="submit">
          Log in
        </button>
      </form>
      <p class="mt-3 mb-0 text-center">
        <a href="/forgot">Forgot your password?</a>
      </p>
      <p class="mt-2 mb-0 text-center">
        New here? <a href="/register">Create an account</a>
      </p>
    </AuthCard>,
  );
}

function registerPage(ctx: ViewContext, form: FormState) {
  return renderPage(
    ctx,
    "Create an account",
    <AuthCard title="Create an account">
      <FormAlert form={form} />
      <form method="post" action="/register" novalidate>
        <CsrfField token={ctx.csrfToken} />
        <NewAccountFields form={form} />
        <button class="btn btn-primary w-100" type="submit">
          Create account
        </button>
      </form>
      <p class="mt-3 mb-0 text-center">
        Already have an account? <a href="/login">Log in</a>
      </p>
    </AuthCard>,
  );
}

/** The answer to every registration, new address or not: nothing here says whether it had an account. */
function checkEmailPage(ctx: ViewContext) {
  return renderPage(
    ctx,
    "Check your email",
    <AuthCard title="Check your email">
      <p>
        We have sent a message to the address you entered. Open the link in it within 24 hours to confirm your
        address and log in.
      </p>
      <p class="text-body-secondary mb-0">
        Nothing arrived? Look in your spam folder, or <a href="/confirm/resend">get a new link</a>.
      </p>
    </AuthCard>,
  );
}

function profilePage(
  ctx: ViewContext,
  user: User,
  profile: FormState,
  passwordForm: FormState,
  tokens: TokensView,
) {
  return renderPage(
    ctx,
    "Your profile",
    <>
      <PageHeader title="Your profile" />
      <div class="row g-4">
        <div class="col-lg-6">
          <div class="card">
            <div class="card-body">
              <h2 class="h5">Details</h2>
              <p class="text-body-secondary">
                Signed in as <strong>{user.email}</strong> ({user.role}).{" "}
                <a href="/profile/security">Two-factor sign-in and sessions</a>
              </p>
              <FormAlert form={profile} />
              <form method="post" action="/profile" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field form={profile} name="name" label="Name" maxLength={100} autoComplete="name" />
                <ZonePicker
                  form={profile}
                  required
                  help="Mailing times are entered and shown in this time zone unless a mailing chooses its own."
                />
                <button class="btn btn-primary" type="submit">
                  Save profile
                </button>
              </form>
            </div>
          </div>
        </div>
        <div class="col-lg-6">
          <div class="card mb-4">
            <div class="card-body">
              <h2 class="h5">Change password</h2>
              <FormAlert form={passwordForm} />
              <form method="post" action="/profile/password" novalidate>
                <CsrfField token={ctx.csrfToken} />
                <Field
                  form={passwordForm}
                  name="current_password"
                  label="Current password"
                  type="password"
                  required
                  autoComplete="current-password"
                />
                <Field
                  form={passwordForm}
                  name="new_password"
                  label="New password"
                  type="password"
                  required
                  autoComplete="new-password"
                  help={`At least ${LIMITS.password.min} characters. Your other sessions will be logged out.`}
                />
                <Field
                  form={passwordForm}
                  name="new_password_confirm"
                  label="Repeat new password"
                  type="password"
                  required
                  autoComplete="new-password"
                />
                <button class="btn btn-primary" type="submit">
                  Change password
                </button>
              </form>
            </div>
          </div>
          <div class="card border-danger-subtle">
            <div class="card-body">
              <h2 class="h5">Delete account</h2>
              <p class="text-body-secondary">
                Deletes your account with all its recipients, messages and mailings.
              </p>
              <a class="btn btn-outline-danger" href="/profile/delete">
                Delete my account…
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
    "Delete your account",
    <>
      <PageHeader title="Delete your account" />
      <FormAlert form={form} />
      <div class="card border-danger">
        <div class="card-body">
          <p>
            This permanently deletes your account and{" "}
            <strong>all your recipients, messages, mailings and their send history</strong>. Planned sends
            stop. This cannot be undone.
          </p>
          <form method="post" action="/profile/delete" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="password"
              label="Your password"
              type="password"
              required
              autoComplete="current-password"
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-danger">
                Delete my account
              </button>
              <a class="btn btn-outline-secondary" href="/profile">
                Cancel
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
        await services.accountLinks.register(formBody(req));
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
    const form = { values: { name: user.name, time_zone: user.time_zone }, errors: {} };
    const tokens = { items: await services.tokens.list(user) };
    return sendPage(reply, profilePage(viewContext(req, reply), user, form, emptyForm, tokens));
  });

  app.post("/profile", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        await accounts.updateProfile(user, formBody(req));
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
        profilePage(
          viewContext(req, reply),
          user,
          { values: { name: user.name, time_zone: user.time_zone }, errors: {} },
          form,
          { items: await services.tokens.list(user) },
        ),
    );
  });

  tokenRoutes(app, services, (req, reply, user, tokens) =>
    profilePage(
      viewContext(req, reply),
      user,
      { values: { name: user.name, time_zone: user.time_zone }, errors: {} },
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
