/**
 * Two-factor sign-in and sessions: the code step of a login (/login/code), and the profile's security page
 * (/profile/security): turn TOTP on (secret and otpauth link, first code, recovery codes shown once) or
 * off, and the list of sessions with "log out other sessions".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { Session, User } from "../db/schema.js";
import { UnauthorizedError } from "../shared/errors.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, emptyForm, Field, FormAlert, type FormState, PageHeader } from "../web/components.js";
import {
  redirectWith,
  requireUser,
  safeNext,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import type { ClientInfo } from "./accounts.service.js";
import type { TwoFactorSetup } from "./two-factor.service.js";

/** Holds "password right, code next" for 5 minutes: the user's id and an expiry, signed. */
export const SECOND_FACTOR_COOKIE = "pp_2fa";
const SECOND_FACTOR_MS = 5 * 60_000;

export function clientOf(req: FastifyRequest): ClientInfo {
  return { ip: req.ip, userAgent: req.headers["user-agent"] };
}

export function startSecondFactor(reply: FastifyReply, user: User, next: string): FastifyReply {
  reply.setCookie(SECOND_FACTOR_COOKIE, `${user.id}.${Date.now() + SECOND_FACTOR_MS}`, {
    path: "/login",
    httpOnly: true,
    sameSite: "lax",
    secure: "auto",
    signed: true,
    maxAge: SECOND_FACTOR_MS / 1000,
  });
  return reply.redirect(`/login/code?next=${encodeURIComponent(next)}`, 303);
}

function pendingUserId(req: FastifyRequest): number | null {
  const raw = req.cookies[SECOND_FACTOR_COOKIE];
  if (!raw) return null;
  const unsigned = req.unsignCookie(raw);
  const match = unsigned.valid && unsigned.value ? /^(\d+)\.(\d+)$/.exec(unsigned.value) : null;
  if (!match || Number(match[2]) < Date.now()) return null;
  return Number(match[1]);
}

function codePage(ctx: ViewContext, form: FormState, next: string) {
  return renderPage(
    ctx,
    ctx.t("twoFactor.code.title"),
    <div class="row justify-content-center">
      <div class="col-sm-10 col-md-7 col-lg-5">
        <div class="card shadow-sm">
          <div class="card-body p-4">
            <h1 class="h4 mb-3">{ctx.t("twoFactor.code.heading")}</h1>
            <p class="text-body-secondary">{ctx.t("twoFactor.code.text")}</p>
            <FormAlert form={form} />
            <form method="post" action={`/login/code?next=${encodeURIComponent(next)}`} novalidate>
              <CsrfField token={ctx.csrfToken} />
              <Field
                form={form}
                name="code"
                label={ctx.t("twoFactor.codeLabel")}
                required
                maxLength={20}
                autoComplete="one-time-code"
              />
              <button class="btn btn-primary w-100" type="submit">
                {ctx.t("accounts.login.submit")}
              </button>
            </form>
            <p class="mt-3 mb-0 text-center">
              <a href="/login">{ctx.t("twoFactor.code.again")}</a>
            </p>
          </div>
        </div>
      </div>
    </div>,
  );
}

export interface SecurityView {
  user: User;
  setup: TwoFactorSetup | null;
  recoveryLeft: number;
  recoveryCodes?: string[];
  sessions: Session[];
  currentIdHash: string | null;
  mustEnable: boolean;
}

function securityPage(ctx: ViewContext, view: SecurityView, form: FormState) {
  const { user } = view;
  const on = Boolean(user.totp_enabled_at);
  const { t, locale } = ctx;
  const when = (v: string | null) => formatInZone(v, user.time_zone, { locale });
  return renderPage(
    ctx,
    t("twoFactor.title"),
    <>
      <PageHeader title={t("twoFactor.title")} />
      {view.mustEnable && (
        <div class="alert alert-warning" role="alert">
          {t("twoFactor.mustEnable")}
        </div>
      )}
      <div class="row g-4">
        <div class="col-lg-6">
          <div class="card">
            <div class="card-body">
              <h2 class="h5">{t("twoFactor.code.title")}</h2>
              <FormAlert form={form} />
              {view.recoveryCodes && (
                <div class="alert alert-success" role="status">
                  <p class="mb-2">
                    <strong>{t("twoFactor.isOn")}</strong> {t("twoFactor.keepCodes")}
                  </p>
                  <ul class="list-unstyled font-monospace mb-0" id="recovery-codes">
                    {view.recoveryCodes.map((c) => (
                      <li>{c}</li>
                    ))}
                  </ul>
                </div>
              )}
              {on ? (
                <>
                  <p>
                    <span class="badge text-bg-success">{t("twoFactor.on")}</span>{" "}
                    {t("twoFactor.since", { when: when(user.totp_enabled_at) })}{" "}
                    {t("twoFactor.codesLeft", { count: view.recoveryLeft })}
                  </p>
                  <form method="post" action="/profile/security/2fa/disable" novalidate>
                    <CsrfField token={ctx.csrfToken} />
                    <Field
                      form={form}
                      name="password"
                      label={t("twoFactor.passwordToOff")}
                      type="password"
                      required
                      autoComplete="current-password"
                    />
                    <button class="btn btn-outline-danger" type="submit">
                      {t("twoFactor.turnOff")}
                    </button>
                  </form>
                </>
              ) : view.setup ? (
                <>
                  <ol class="ps-3">
                    <li>
                      {t("twoFactor.addKey")}
                      <div class="font-monospace user-select-all text-break my-2" id="totp-secret">
                        {view.setup.secret}
                      </div>
                      <span class="text-body-secondary small">
                        {t("twoFactor.orOpenBefore")}
                        <a href={view.setup.uri}>{t("twoFactor.thisLink")}</a>
                        {t("twoFactor.orOpenAfter")}
                      </span>
                    </li>
                    <li>{t("twoFactor.enterCode")}</li>
                  </ol>
                  <form method="post" action="/profile/security/2fa/enable" novalidate>
                    <CsrfField token={ctx.csrfToken} />
                    <Field
                      form={form}
                      name="code"
                      label={t("twoFactor.codeLabel")}
                      required
                      maxLength={10}
                      autoComplete="one-time-code"
                    />
                    <button class="btn btn-primary" type="submit">
                      {t("twoFactor.turnOn")}
                    </button>
                  </form>
                </>
              ) : (
                <>
                  <p class="text-body-secondary">{t("twoFactor.explain")}</p>
                  <form method="post" action="/profile/security/2fa/start">
                    <CsrfField token={ctx.csrfToken} />
                    <button class="btn btn-primary" type="submit">
                      {t("twoFactor.setUp")}
                    </button>
                  </form>
                </>
              )}
            </div>
          </div>
        </div>
        <div class="col-lg-6">
          <div class="card">
            <div class="card-body">
              <h2 class="h5">{t("twoFactor.sessions")}</h2>
              <ul class="list-group list-group-flush mb-3">
                {view.sessions.map((s) => (
                  <li class="list-group-item px-0">
                    <div class="text-break">
                      {s.user_agent ?? t("twoFactor.unknownBrowser")}
                      {s.id_hash === view.currentIdHash && (
                        <span class="badge text-bg-primary ms-2">{t("twoFactor.thisSession")}</span>
                      )}
                    </div>
                    <div class="small text-body-secondary">
                      {s.client_ip ?? t("twoFactor.unknownAddress")} ·{" "}
                      {t("twoFactor.lastUsed", { when: when(s.last_seen_at) })} ·{" "}
                      {t("twoFactor.since", { when: when(s.created_at) })}
                    </div>
                  </li>
                ))}
              </ul>
              <form method="post" action="/profile/security/sessions/logout-others">
                <CsrfField token={ctx.csrfToken} />
                <button class="btn btn-outline-secondary" type="submit" disabled={view.sessions.length <= 1}>
                  {t("twoFactor.logoutOthers")}
                </button>
              </form>
            </div>
          </div>
        </div>
      </div>
    </>,
  );
}

export function twoFactorRoutes(
  app: FastifyInstance,
  services: Services,
  startSession: (reply: FastifyReply, token: string) => void,
): void {
  const { accounts, twoFactor } = services;

  const view = async (
    req: FastifyRequest,
    user: User,
    extra: Partial<SecurityView> = {},
  ): Promise<SecurityView> => {
    const fresh = await accounts.getUser(user);
    return {
      user: fresh,
      setup: await twoFactor.pending(fresh),
      recoveryLeft: await twoFactor.recoveryCodesLeft(fresh),
      sessions: await accounts.sessions(fresh),
      currentIdHash: req.sessionIdHash,
      mustEnable: twoFactor.mustEnable(fresh),
      ...extra,
    };
  };

  app.get<{ Querystring: { next?: string } }>("/login/code", async (req, reply) => {
    if (pendingUserId(req) === null) return redirectWith(reply, "/login", "info", "Please log in again.");
    return sendPage(reply, codePage(viewContext(req, reply), emptyForm, safeNext(req.query.next)));
  });

  app.post<{ Querystring: { next?: string } }>(
    "/login/code",
    { config: { rateLimit: { max: 10, timeWindow: "1 minute" } } },
    async (req, reply) => {
      const next = safeNext(req.query.next);
      const userId = pendingUserId(req);
      if (userId === null) return redirectWith(reply, "/login", "info", "Please log in again.");
      return handleForm(
        req,
        reply,
        async () => {
          let session: Awaited<ReturnType<typeof accounts.secondStep>>;
          try {
            session = await accounts.secondStep(userId, formBody(req), clientOf(req));
          } catch (error) {
            if (error instanceof UnauthorizedError)
              return redirectWith(reply, "/login", "info", "Please log in again.");
            throw error;
          }
          await accounts.logout(req.sessionIdHash);
          reply.clearCookie(SECOND_FACTOR_COOKIE, { path: "/login" });
          startSession(reply, session.token);
          return redirectWith(
            reply,
            next,
            "success",
            `Welcome back${session.user.name ? `, ${session.user.name}` : ""}.`,
          );
        },
        (form) => codePage(viewContext(req, reply), form, next),
      );
    },
  );

  app.get("/profile/security", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, securityPage(viewContext(req, reply), await view(req, user), emptyForm));
  });

  app.post("/profile/security/2fa/start", async (req, reply) => {
    const user = requireUser(req);
    await twoFactor.start(user);
    return redirectWith(
      reply,
      "/profile/security",
      "info",
      "Add the key to your authenticator app, then enter a code.",
    );
  });

  app.post("/profile/security/2fa/enable", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const codes = await twoFactor.enable(user, formBody(req));
        // Rendered, not redirected: the recovery codes must not travel in a cookie or a URL.
        return sendPage(
          reply,
          securityPage(viewContext(req, reply), await view(req, user, { recoveryCodes: codes }), emptyForm),
        );
      },
      async (form) => securityPage(viewContext(req, reply), await view(req, user), form),
    );
  });

  app.post("/profile/security/2fa/disable", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        await twoFactor.disable(user, formBody(req));
        return redirectWith(reply, "/profile/security", "success", "Two-factor sign-in is off.");
      },
      async (form) => securityPage(viewContext(req, reply), await view(req, user), form),
    );
  });

  app.post("/profile/security/sessions/logout-others", async (req, reply) => {
    const user = requireUser(req);
    await accounts.logoutOthers(user, req.sessionIdHash);
    return redirectWith(reply, "/profile/security", "success", "Your other sessions are logged out.");
  });
}
