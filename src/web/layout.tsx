/** The page frame: head, navigation bar, flash messages, main content. */
import type { ComponentChildren } from "preact";
import { renderToString } from "preact-render-to-string";
import { translateMessage } from "../i18n/index.js";
import { CsrfField } from "./components.js";
import type { ViewContext } from "./context.js";
import { I18nContext } from "./i18n.js";

const NAV = [
  { href: "/", label: "nav.dashboard", icon: "bi-speedometer2" },
  { href: "/recipients", label: "nav.recipients", icon: "bi-people" },
  { href: "/lists", label: "nav.lists", icon: "bi-collection" },
  { href: "/messages", label: "nav.messages", icon: "bi-envelope-paper" },
  { href: "/layouts", label: "nav.layouts", icon: "bi-layout-text-window" },
  { href: "/mailings", label: "nav.mailings", icon: "bi-send" },
  { href: "/reports", label: "nav.reports", icon: "bi-bar-chart" },
  { href: "/suppressions", label: "nav.suppressions", icon: "bi-slash-circle" },
  { href: "/blog", label: "nav.blog", icon: "bi-journal-text", also: ["/admin/blog"] },
];

/** The staff's "Users" item covers the pages about accounts only (not /admin/blog, /admin/outbox…). */
const USERS_PAGES = ["/admin/users", "/admin/audit", "/admin/throttles"];

function under(path: string, href: string): boolean {
  return path === href || path.startsWith(`${href}/`);
}

export function isActive(path: string, href: string, also: readonly string[] = []): boolean {
  if (href === "/") return path === "/";
  return under(path, href) || also.some((a) => under(path, a));
}

function NavBar({ ctx }: { ctx: ViewContext }) {
  const user = ctx.user;
  const t = ctx.t;
  return (
    <nav class="navbar navbar-expand-xl bg-body border-bottom mb-4" aria-label={t("layout.mainNav")}>
      <div class="container">
        <a class="navbar-brand fw-semibold" href="/">
          <i class="bi bi-send-check text-primary" aria-hidden="true" /> PostPilot
        </a>
        {user && (
          <>
            <button
              class="navbar-toggler"
              type="button"
              data-bs-toggle="collapse"
              data-bs-target="#main-nav"
              aria-controls="main-nav"
              aria-expanded="false"
              aria-label={t("layout.toggleNav")}
            >
              <span class="navbar-toggler-icon" />
            </button>
            <div class="collapse navbar-collapse" id="main-nav">
              <ul class="navbar-nav me-auto flex-wrap">
                {NAV.map((item) => (
                  <li class="nav-item">
                    <a
                      class={`nav-link${isActive(ctx.path, item.href, item.also) ? " active" : ""}`}
                      aria-current={isActive(ctx.path, item.href, item.also) ? "page" : undefined}
                      href={item.href}
                    >
                      <i class={`bi ${item.icon}`} aria-hidden="true" /> {t(item.label)}
                    </a>
                  </li>
                ))}
                {(user.role === "admin" || user.role === "manager") && (
                  <li class="nav-item">
                    <a
                      class={`nav-link${USERS_PAGES.some((p) => under(ctx.path, p)) ? " active" : ""}`}
                      aria-current={USERS_PAGES.some((p) => under(ctx.path, p)) ? "page" : undefined}
                      href="/admin/users"
                    >
                      <i class="bi bi-shield-lock" aria-hidden="true" /> {t("nav.users")}
                    </a>
                  </li>
                )}
              </ul>
              <ul class="navbar-nav align-items-xl-center gap-xl-2">
                <li class="nav-item">
                  <a class={`nav-link${isActive(ctx.path, "/webhooks") ? " active" : ""}`} href="/webhooks">
                    <i class="bi bi-broadcast" aria-hidden="true" /> {t("nav.webhooks")}
                  </a>
                </li>
                <li class="nav-item">
                  <a class={`nav-link${isActive(ctx.path, "/profile") ? " active" : ""}`} href="/profile">
                    <i class="bi bi-person-circle" aria-hidden="true" /> {user.name || user.email}
                  </a>
                </li>
                <li class="nav-item">
                  <form method="post" action="/logout" class="d-inline">
                    <CsrfField token={ctx.csrfToken} />
                    <button type="submit" class="btn btn-sm btn-outline-secondary">
                      <i class="bi bi-box-arrow-right" aria-hidden="true" /> {t("layout.logout")}
                    </button>
                  </form>
                </li>
              </ul>
            </div>
          </>
        )}
        {!user && ctx.path !== "/login" && (
          <div class="d-flex gap-2 ms-auto">
            {ctx.path !== "/blog" && !ctx.path.startsWith("/blog/") && (
              <a class="btn btn-sm btn-link" href="/blog">
                {t("nav.blog")}
              </a>
            )}
            <a class="btn btn-sm btn-outline-primary" href="/login">
              <i class="bi bi-box-arrow-in-right" aria-hidden="true" /> {t("layout.login")}
            </a>
          </div>
        )}
      </div>
    </nav>
  );
}

const FLASH_ICONS = {
  success: "bi-check-circle",
  danger: "bi-exclamation-octagon",
  warning: "bi-exclamation-triangle",
  info: "bi-info-circle",
};

export function Layout({
  ctx,
  title,
  children,
}: {
  ctx: ViewContext;
  title: string;
  children: ComponentChildren;
}) {
  return (
    <html lang={ctx.locale}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{ctx.t("layout.title", { title })}</title>
        <link rel="stylesheet" href="/assets/bootstrap/css/bootstrap.min.css" />
        <link rel="stylesheet" href="/assets/icons/bootstrap-icons.min.css" />
        <link rel="stylesheet" href="/assets/app/app.css" />
        <link rel="icon" href="/assets/app/favicon.svg" type="image/svg+xml" />
      </head>
      <body class="bg-body-tertiary d-flex flex-column min-vh-100">
        <a class="visually-hidden-focusable" href="#main">
          {ctx.t("layout.skip")}
        </a>
        <NavBar ctx={ctx} />
        <main id="main" class="container flex-grow-1 pb-5">
          {ctx.notices.map((notice) => (
            <div class="alert alert-warning d-flex gap-2 align-items-baseline py-2" role="status">
              <i class="bi bi-exclamation-triangle" aria-hidden="true" />
              <span>
                {translateMessage(ctx.locale, notice.text)}
                {notice.link && (
                  <>
                    {" "}
                    <a href={notice.link.href}>{translateMessage(ctx.locale, notice.link.text)}</a>
                  </>
                )}
              </span>
            </div>
          ))}
          {ctx.flashes.length > 0 && (
            // Signed out, pages are a narrow card: messages line up with it.
            <div class={ctx.user ? "" : "row justify-content-center"}>
              <div class={ctx.user ? "" : "col-sm-10 col-md-7 col-lg-5"}>
                {ctx.flashes.map((flash) => (
                  <div class={`alert alert-${flash.kind} alert-dismissible fade show`} role="alert">
                    <i class={`bi ${FLASH_ICONS[flash.kind]} me-2`} aria-hidden="true" />
                    {flash.text}
                    <button
                      type="button"
                      class="btn-close"
                      data-bs-dismiss="alert"
                      aria-label={ctx.t("layout.close")}
                    />
                  </div>
                ))}
              </div>
            </div>
          )}
          {children}
        </main>
        <footer class="container py-3 text-body-secondary small border-top">{ctx.t("layout.footer")}</footer>
        <script src="/assets/bootstrap/js/bootstrap.bundle.min.js" defer />
        <script src="/assets/app/app.js" defer />
        <script src="/assets/app/charts.js" defer />
      </body>
    </html>
  );
}

export function renderPage(ctx: ViewContext, title: string, body: ComponentChildren): string {
  return `<!doctype html>${renderToString(
    <I18nContext.Provider value={{ locale: ctx.locale, t: ctx.t }}>
      <Layout ctx={ctx} title={title}>
        {body}
      </Layout>
    </I18nContext.Provider>,
  )}`;
}
