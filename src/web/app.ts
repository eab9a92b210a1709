/**
 * The web app as a Fastify instance: plugins (security headers, cookies, CSRF, rate limits, static files),
 * the session hook, the first-run setup redirect, and every feature's routes. server.ts only listens.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCookie from "@fastify/cookie";
import fastifyCsrf from "@fastify/csrf-protection";
import fastifyFormbody from "@fastify/formbody";
import fastifyHelmet from "@fastify/helmet";
import fastifyMultipart from "@fastify/multipart";
import fastifyRateLimit from "@fastify/rate-limit";
import fastifyStatic from "@fastify/static";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { accountLinkRoutes } from "../accounts/account-links.pages.js";
import { accountRoutes } from "../accounts/accounts.pages.js";
import { adminRoutes } from "../admin/admin.pages.js";
import { auditRoutes } from "../admin/audit.pages.js";
import { relayRoutes } from "../admin/relays.pages.js";
import { throttleRoutes } from "../admin/throttles.pages.js";
import { isBearerApiRequest } from "../api/auth.js";
import { BOUNCE_WEBHOOK_ROUTE } from "../api/bounces.api.js";
import { apiPlugin } from "../api/index.js";
import { audienceRoutes } from "../audiences/audience.pages.js";
import { blogAdminRoutes } from "../blog/blog.admin.pages.js";
import { blogRoutes } from "../blog/blog.pages.js";
import type { Services } from "../container.js";
import { customFieldRoutes } from "../custom-fields/custom-fields.pages.js";
import { dashboardRoutes } from "../dashboard/dashboard.pages.js";
import type { User } from "../db/schema.js";
import { deliveryRoutes } from "../delivery/delivery.pages.js";
import { outboxRoutes } from "../delivery/outbox.pages.js";
import { reportRoutes } from "../delivery/reports.pages.js";
import { chooseLocale } from "../i18n/index.js";
import { layoutRoutes } from "../layouts/layouts.pages.js";
import { listRoutes } from "../lists/lists.pages.js";
import { mailingRecipientRoutes } from "../mailings/mailing-recipients.pages.js";
import { mailingRoutes } from "../mailings/mailings.pages.js";
import { messageRoutes } from "../messages/messages.pages.js";
import { OPS_PATHS, type OpsOptions, opsRoutes } from "../ops/ops.routes.js";
import { recipientBulkRoutes } from "../recipients/recipients.bulk.pages.js";
import { recipientImportRoutes } from "../recipients/recipients.import.pages.js";
import { recipientRoutes } from "../recipients/recipients.pages.js";
import { segmentRoutes } from "../segments/segments.pages.js";
import { senderRoutes } from "../senders/senders.pages.js";
import { SIGNUP_ROUTE, signupRoutes } from "../signup/signup.pages.js";
import { suppressionRoutes } from "../suppression/suppression.pages.js";
import { ONE_CLICK_ROUTE, unsubscribeRoutes } from "../suppression/unsubscribe.pages.js";
import { viewRoutes } from "../templates/view.pages.js";
import { webhookEditRoutes } from "../webhooks/webhook-edit.pages.js";
import { webhookRoutes } from "../webhooks/webhooks.pages.js";
import { type Notice, SESSION_COOKIE, takeFlashes } from "./context.js";
import { registerErrorHandlers } from "./errors.js";

export interface AppOptions {
  services: Services;
  sessionSecret: string;
  loggerInstance?: FastifyBaseLogger;
  trustProxy?: boolean;
  /** Whether the public address is https (turns on HSTS and upgrade-insecure-requests). */
  https?: boolean;
  /** /metrics: its token (METRICS_TOKEN) and the engine thread's metrics. */
  ops?: OpsOptions;
  /** Notices shown on every signed-in page: mail going to the local outbox, sending paused. */
  notices?: (user: User) => Promise<Notice[]>;
}

const require = createRequire(import.meta.url);
const moduleDir = (pkg: string) => path.dirname(require.resolve(`${pkg}/package.json`));
const publicDir = fileURLToPath(new URL("../../public", import.meta.url));

const UNSAFE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance ? { loggerInstance: options.loggerInstance } : { logger: false }),
    trustProxy: options.trustProxy ?? false,
    bodyLimit: 2 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  });
  const { services } = options;

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        upgradeInsecureRequests: options.https ? [] : null,
      },
    },
    strictTransportSecurity: options.https ? undefined : false,
  });
  await app.register(fastifyCookie, { secret: options.sessionSecret });
  await app.register(fastifyFormbody);
  await app.register(fastifyCsrf, {
    cookieOpts: { signed: true, httpOnly: true, sameSite: "lax", path: "/", secure: "auto" },
  });
  await app.register(fastifyRateLimit, { global: false });
  // One registration for every upload form (blog images, recipient CSV): each route reads its parts
  // with its own size limit.
  await app.register(fastifyMultipart, { limits: { files: 1, fields: 50, parts: 60 } });

  const assets = [
    { root: path.join(moduleDir("bootstrap"), "dist"), prefix: "/assets/bootstrap/" },
    { root: path.join(moduleDir("bootstrap-icons"), "font"), prefix: "/assets/icons/" },
    { root: path.join(moduleDir("uplot"), "dist"), prefix: "/assets/uplot/" },
    { root: publicDir, prefix: "/assets/app/" },
  ];
  for (const [index, asset] of assets.entries()) {
    await app.register(fastifyStatic, { ...asset, decorateReply: index === 0, maxAge: "1d", etag: true });
  }

  app.decorateRequest("user", null);
  app.decorateRequest("sessionIdHash", null);
  app.decorateRequest("flashes");
  app.decorateRequest("notices");
  app.decorateRequest("locale", "en");
  const notices = options.notices ?? sendingNotices(services);

  app.addHook("onRequest", async (req, reply) => {
    req.flashes = [];
    req.notices = [];
    if (req.url.startsWith("/assets/")) return;
    const raw = req.cookies[SESSION_COOKIE];
    const unsigned = raw ? req.unsignCookie(raw) : undefined;
    if (unsigned?.valid && unsigned.value) {
      const found = await services.accounts.authenticate(unsigned.value);
      if (found) {
        req.user = found.user;
        req.sessionIdHash = found.idHash;
        // Also on posts: a form shown again with its errors keeps the banners (the status is cached).
        req.notices = await notices(found.user);
      }
    }
    req.locale = chooseLocale(req.user?.locale, req.headers["accept-language"]);
    reply.header("content-language", req.locale);
    if (req.method === "GET") req.flashes = takeFlashes(req, reply);
    // Until the first admin exists, every page leads to /setup; the health check answers for monitors.
    const ops = OPS_PATHS.has(req.url.split("?")[0] ?? "");
    if (!req.url.startsWith("/setup") && !ops && (await services.accounts.needsSetup())) {
      return reply.redirect("/setup", 303);
    }
    // REQUIRE_ADMIN_2FA: an admin without two-factor sign-in can only set it up (or log out).
    if (
      req.user &&
      services.twoFactor.mustEnable(req.user) &&
      !ops &&
      !/^\/(profile\/security|logout)(\/|$|\?)/.test(req.url)
    ) {
      return reply.redirect("/profile/security", 303);
    }
  });

  // Every state-changing form carries a CSRF token. The API reads no cookies (bearer tokens only): no CSRF there.
  // Two exemptions: the one-click unsubscribe POST (RFC 8058), which mail providers send without cookies or
  // a CSRF token; the unguessable token in its URL is the proof, and it only ever unsubscribes. And the
  // bounce webhook, which reads no cookies either: its bearer token (BOUNCE_WEBHOOK_TOKEN) is the proof.
  // And a list's signup form POST, which other sites embed as plain HTML: it changes nothing until the
  // emailed link is confirmed (that confirmation is CSRF-checked), and has a honeypot and a per-IP limit.
  app.addHook("preHandler", (req, reply, done) => {
    const exempt =
      req.method === "POST" &&
      (req.routeOptions.url === ONE_CLICK_ROUTE ||
        req.routeOptions.url === BOUNCE_WEBHOOK_ROUTE ||
        req.routeOptions.url === SIGNUP_ROUTE);
    if (UNSAFE_METHODS.has(req.method) && !isBearerApiRequest(req) && !exempt)
      return app.csrfProtection(req, reply, done);
    done();
  });

  registerErrorHandlers(app);
  // First, so its latency hook (onResponse) is inherited by every route registered below.
  opsRoutes(app, services.ops, options.ops ?? {});
  await app.register(async (scope) => accountRoutes(scope, services));
  await app.register(async (scope) => accountLinkRoutes(scope, services));
  await app.register(async (scope) => dashboardRoutes(scope, services));
  await app.register(async (scope) => recipientRoutes(scope, services));
  await app.register(async (scope) => recipientImportRoutes(scope, services));
  await app.register(async (scope) => listRoutes(scope, services));
  await app.register(async (scope) => customFieldRoutes(scope, services));
  await app.register(async (scope) => segmentRoutes(scope, services));
  await app.register(async (scope) => recipientBulkRoutes(scope, services));
  await app.register(async (scope) => messageRoutes(scope, services));
  await app.register(async (scope) => layoutRoutes(scope, services));
  await app.register(async (scope) => mailingRoutes(scope, services));
  await app.register(async (scope) => mailingRecipientRoutes(scope, services));
  await app.register(async (scope) => audienceRoutes(scope, services));
  await app.register(async (scope) => deliveryRoutes(scope, services));
  await app.register(async (scope) => reportRoutes(scope, services));
  await app.register(async (scope) => outboxRoutes(scope, services));
  await app.register(async (scope) => adminRoutes(scope, services));
  await app.register(async (scope) => auditRoutes(scope, services));
  await app.register(async (scope) => senderRoutes(scope, services));
  await app.register(async (scope) => webhookRoutes(scope, services));
  await app.register(async (scope) => webhookEditRoutes(scope, services));
  await app.register(async (scope) => throttleRoutes(scope, services));
  await app.register(async (scope) => relayRoutes(scope, services));
  await app.register(async (scope) => blogRoutes(scope, services));
  await app.register(async (scope) => blogAdminRoutes(scope, services));
  await app.register(async (scope) => suppressionRoutes(scope, services));
  await app.register(async (scope) => unsubscribeRoutes(scope, services));
  await app.register(async (scope) => viewRoutes(scope, services));
  await app.register(async (scope) => signupRoutes(scope, services));
  await app.register(async (scope) => apiPlugin(scope, services), { prefix: "/api" });
  app.get("/healthz", async () => ({ ok: true }));
  return app;
}

/**
 * The banner notices: mail going to the local outbox, or sending paused because the mail server is down.
 * The status is read at most every 2 seconds, so pages stay fast while the server is down.
 */
function sendingNotices(services: Services): (user: User) => Promise<Notice[]> {
  let cached: { at: number; status: Awaited<ReturnType<Services["delivery"]["status"]>> } | null = null;
  return async (user) => {
    if (!cached || Date.now() - cached.at > 2_000)
      cached = { at: Date.now(), status: await services.delivery.status() };
    const { status } = cached;
    const notices: Notice[] = [];
    if (status.mode === "outbox") {
      notices.push({
        text: "Mail is not leaving this machine: no mail server is set (SMTP_URL), so messages go to the local outbox.",
        link: user.role === "admin" ? { href: "/admin/outbox", text: "Open the outbox" } : undefined,
      });
    }
    if (status.paused) {
      const resumes = status.resumesAt
        ? ` It resumes by itself at ${status.resumesAt.slice(11, 19)} UTC.`
        : "";
      notices.push({
        text: `Sending is paused: ${status.reason ?? "the mail server is not answering"}.${resumes}`,
      });
    }
    return notices;
  };
}
