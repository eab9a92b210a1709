/**
 * The outbox pages' views: the list (cards on a phone), a message with its decoded headers and tabs (HTML
 * only as `<iframe sandbox>` of the route outbox.pages.tsx serves with a sandbox CSP; text with safe links;
 * all headers; attachments; the source), and the delete confirmation. Everything is rendered escaped.
 */
import type { ComponentChildren } from "preact";
import type { Services } from "../container.js";
import { formatNumber, type Translate } from "../i18n/index.js";
import type { Page } from "../shared/pagination.js";
import { formatInZone } from "../shared/time.js";
import { ConfirmForm, DefinitionList, EmptyState, PageHeader, Pager } from "../web/components.js";
import type { ViewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { OutboxListItem } from "./delivery.service.js";
import { linkify, type OutboxView } from "./outbox.view.js";

/** "Delete older than": every message (0), or those stored more than 1, 7 or 30 days ago. */
export const AGES = [
  { days: 0, key: "all" },
  { days: 1, key: "day" },
  { days: 7, key: "week" },
  { days: 30, key: "month" },
];
/** Which messages a delete takes: one of AGES, or (from a URL) any other number of days (key null). */
export type OutboxAge = { days: number; key: string | null };

export type StoredMessage = Awaited<ReturnType<Services["delivery"]["getOutboxMessage"]>>;
export type OutboxMailing = { id: number; name: string } | null;

/** "14 B", "1.2 KB", "3.4 MB" in the reader's number format. */
function formatSize(ctx: ViewContext, bytes: number): string {
  const n = (value: number) => formatNumber(ctx.locale, Math.round(value * 10) / 10);
  if (bytes < 1024) return ctx.t("outbox.message.bytes", { n: n(bytes) });
  if (bytes < 1024 * 1024) return ctx.t("outbox.message.kilobytes", { n: n(bytes / 1024) });
  return ctx.t("outbox.message.megabytes", { n: n(bytes / 1024 / 1024) });
}

export function outboxPage(ctx: ViewContext, page: Page<OutboxListItem>, zone: string, q: string) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("outbox.title"),
    <>
      <PageHeader title={t("outbox.heading")} />
      <p class="text-body-secondary">
        {t("outbox.introBefore")}
        <code>SMTP_URL</code>
        {t("outbox.introAfter")}
      </p>
      <div class="d-flex flex-wrap gap-2 justify-content-between mb-3">
        <form method="get" action="/admin/outbox" class="d-flex gap-2" role="search">
          <input
            type="search"
            name="q"
            value={q}
            maxLength={200}
            class="form-control"
            placeholder={t("outbox.searchPlaceholder")}
            aria-label={t("outbox.searchLabel")}
          />
          <button type="submit" class="btn btn-outline-primary">
            {t("common.search")}
          </button>
        </form>
        <form method="get" action="/admin/outbox/delete" class="d-flex gap-2">
          <select name="older_than" class="form-select" aria-label={t("outbox.deleteWhich")}>
            {AGES.map((a) => (
              <option value={String(a.days)}>{t(`outbox.ages.${a.key}`)}</option>
            ))}
          </select>
          <button type="submit" class="btn btn-outline-danger text-nowrap flex-shrink-0">
            <i class="bi bi-trash" aria-hidden="true" /> {t("outbox.deleteButton")}
          </button>
        </form>
      </div>
      {page.total === 0 ? (
        <EmptyState icon="bi-inbox" title={q ? t("outbox.noMatch") : t("outbox.empty")} />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          <table class="table table-hover mb-0 table-cards">
            <thead>
              <tr>
                <th scope="col">{t("outbox.to")}</th>
                <th scope="col">{t("outbox.subject")}</th>
                <th scope="col">{t("outbox.stored")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((m) => (
                <tr>
                  <td class="text-break" data-label={t("outbox.to")}>
                    {m.to_address}
                  </td>
                  <td class="text-truncate-cell" data-label={t("outbox.subject")}>
                    <a href={`/admin/outbox/${m.id}`}>{m.subject}</a>
                  </td>
                  <td class="text-nowrap" data-label={t("outbox.stored")}>
                    {formatInZone(m.created_at, zone, { locale: ctx.locale })}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} path="/admin/outbox" params={{ q }} />
    </>,
  );
}

function deliveryLink(t: Translate, m: StoredMessage) {
  if (m.delivery_id === null) return t("outbox.message.deliveryGone");
  if (m.run_id === null) return t("outbox.message.runGone", { delivery: m.delivery_id });
  return (
    <a href={`/runs/${m.run_id}`}>
      {t("outbox.message.deliveryIn", { delivery: m.delivery_id, run: m.run_id })}
    </a>
  );
}

/** The summary: the headers people read, decoded, with the Date in the viewer's zone. */
function summaryItems(
  ctx: ViewContext,
  m: StoredMessage,
  view: OutboxView | null,
  mailing: OutboxMailing,
  zone: string,
): [string, ComponentChildren][] {
  const { t } = ctx;
  const when = (iso: string | null) => formatInZone(iso, zone, { seconds: true, locale: ctx.locale });
  const items: [string, ComponentChildren][] = [
    [t("outbox.message.from"), view?.from || m.from_address],
    [t("outbox.message.to"), view?.to || m.to_address],
  ];
  if (view?.cc) items.push([t("outbox.message.cc"), view.cc]);
  if (view?.replyTo) items.push([t("outbox.message.replyTo"), view.replyTo]);
  items.push([t("outbox.message.subject"), view?.subject || m.subject]);
  if (view?.date) items.push([t("outbox.message.date"), when(view.date)]);
  if (view?.messageId) items.push([t("outbox.message.messageId"), <code>{view.messageId}</code>]);
  if (view?.listUnsubscribe)
    items.push([t("outbox.message.listUnsubscribe"), <code>{view.listUnsubscribe}</code>]);
  items.push([t("outbox.message.stored"), formatInZone(m.created_at, zone, { locale: ctx.locale })]);
  items.push([t("outbox.message.delivery"), deliveryLink(t, m)]);
  if (mailing)
    items.push([t("outbox.message.mailing"), <a href={`/mailings/${mailing.id}`}>{mailing.name}</a>]);
  return items;
}

/**
 * The text part with its white space kept, its http(s) URLs as links that open apart and pass nothing on.
 * A div, not a <pre>: the page's one <pre> is the source, which the e2e walk-throughs read.
 */
function TextPart({ text }: { text: string }) {
  return (
    <div class="pre-wrap font-monospace small mb-0" data-testid="outbox-text">
      {linkify(text).map((piece) =>
        "href" in piece ? (
          <a href={piece.href} target="_blank" rel="noopener noreferrer nofollow">
            {piece.text}
          </a>
        ) : (
          piece.text
        ),
      )}
    </div>
  );
}

type Tab = { id: string; label: string; body: ComponentChildren };

function messageTabs(ctx: ViewContext, m: StoredMessage, view: OutboxView | null): Tab[] {
  const { t } = ctx;
  const tabs: Tab[] = [];
  if (view?.html != null)
    tabs.push({
      id: "html",
      label: t("outbox.message.html"),
      body: (
        <>
          <p class="small text-body-secondary">{t("outbox.message.sandboxed")}</p>
          <iframe
            title={t("outbox.message.frameTitle")}
            class="preview-frame border rounded"
            sandbox=""
            src={`/admin/outbox/${m.id}/html`}
          />
        </>
      ),
    });
  if (view)
    tabs.push({
      id: "text",
      label: t("outbox.message.text"),
      body:
        view.text != null ? (
          <TextPart text={view.text} />
        ) : (
          <p class="text-body-secondary mb-0">{t("outbox.message.noText")}</p>
        ),
    });
  if (view)
    tabs.push({
      id: "headers",
      label: t("outbox.message.headers"),
      body: (
        <dl class="row mb-0 small" data-testid="outbox-headers">
          {view.headers.map((h) => (
            <>
              <dt class="col-sm-3 font-monospace">{h.name}</dt>
              <dd class="col-sm-9 pre-wrap font-monospace">{h.value}</dd>
            </>
          ))}
        </dl>
      ),
    });
  if (view && view.attachments.length > 0)
    tabs.push({
      id: "attachments",
      label: t("outbox.message.attachments", { n: formatNumber(ctx.locale, view.attachments.length) }),
      body: (
        <div class="table-responsive">
          <table class="table mb-0 table-cards">
            <thead>
              <tr>
                <th scope="col">{t("outbox.message.name")}</th>
                <th scope="col">{t("outbox.message.type")}</th>
                <th scope="col" class="text-end">
                  {t("outbox.message.size")}
                </th>
                <th scope="col">
                  <span class="visually-hidden">{t("outbox.message.download")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.attachments.map((a) => (
                <tr>
                  <td class="text-break" data-label={t("outbox.message.name")}>
                    {a.name}
                  </td>
                  <td class="text-break" data-label={t("outbox.message.type")}>
                    <code>{a.mimeType}</code>
                  </td>
                  <td class="text-end text-nowrap" data-label={t("outbox.message.size")}>
                    {formatSize(ctx, a.size)}
                  </td>
                  <td class="text-end">
                    <a
                      class="btn btn-sm btn-outline-secondary"
                      href={`/admin/outbox/${m.id}/attachments/${a.index}`}
                      download={a.safeName}
                      aria-label={t("outbox.message.downloadName", { name: a.name })}
                    >
                      <i class="bi bi-download" aria-hidden="true" /> {t("outbox.message.download")}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ),
    });
  tabs.push({
    id: "raw",
    label: t("outbox.message.raw"),
    body: (
      <>
        <h2 class="h6">{t("outbox.message.rawHeading")}</h2>
        <pre class="small pre-wrap mb-0" data-testid="outbox-raw">
          {m.raw}
        </pre>
      </>
    ),
  });
  return tabs;
}

export function outboxMessagePage(
  ctx: ViewContext,
  m: StoredMessage,
  view: OutboxView | null,
  mailing: OutboxMailing,
  zone: string,
) {
  const { t } = ctx;
  const subject = view?.subject || m.subject;
  const tabs = messageTabs(ctx, m, view);
  return renderPage(
    ctx,
    subject,
    <>
      <PageHeader title={subject}>
        <a class="btn btn-outline-secondary" href="/admin/outbox">
          <i class="bi bi-arrow-left" aria-hidden="true" /> {t("outbox.back")}
        </a>
      </PageHeader>
      <div class="card mb-3">
        <div class="card-body">
          <DefinitionList items={summaryItems(ctx, m, view, mailing, zone)} />
        </div>
      </div>
      {view === null && (
        <div class="alert alert-warning" role="alert">
          {t("outbox.message.unreadable")}
        </div>
      )}
      {/* Bootstrap's tabs: every pane is in the page; without scripts the first one shows. */}
      <div class="nav nav-tabs" role="tablist" aria-label={t("outbox.message.views")}>
        {tabs.map((tab, i) => (
          <button
            class={`nav-link${i === 0 ? " active" : ""}`}
            id={`outbox-tab-${tab.id}`}
            type="button"
            role="tab"
            data-bs-toggle="tab"
            data-bs-target={`#outbox-${tab.id}`}
            aria-controls={`outbox-${tab.id}`}
            aria-selected={i === 0 ? "true" : "false"}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div class="tab-content bg-body border border-top-0 rounded-bottom p-3 mb-3">
        {tabs.map((tab, i) => (
          <div
            class={`tab-pane${i === 0 ? " show active" : ""}`}
            id={`outbox-${tab.id}`}
            role="tabpanel"
            aria-labelledby={`outbox-tab-${tab.id}`}
            tabindex={0}
          >
            {tab.body}
          </div>
        ))}
      </div>
    </>,
  );
}

export function deleteOutboxPage(ctx: ViewContext, age: OutboxAge, count: number) {
  const { t } = ctx;
  const n = formatNumber(ctx.locale, count);
  return renderPage(
    ctx,
    t("outbox.delete.title"),
    <>
      <PageHeader
        title={
          age.key
            ? t(`outbox.delete.${age.key}`)
            : t("outbox.delete.olderThan", { count: age.days, n: formatNumber(ctx.locale, age.days) })
        }
      />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/admin/outbox/delete?older_than=${age.days}`}
        cancelHref="/admin/outbox"
        button={t("outbox.delete.button", { count, n })}
      >
        <p class="mb-0">{t("outbox.delete.text", { count, n })}</p>
      </ConfirmForm>
    </>,
  );
}
