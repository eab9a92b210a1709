/**
 * The sending views: a run's status badge and progress, a mailing's runs table, the "send now"
 * confirmation, and the run page with every delivery, its tries and the server's replies.
 */
import type { AttemptOutcome, DeliveryStatus, Run, RunTrigger } from "../db/schema.js";
import { formatNumber, type Locale, type Translate, translateMessage } from "../i18n/index.js";
import { timeIn } from "../mailings/mailing-words.js";
import type { Page } from "../shared/pagination.js";
import { isAdmin } from "../shared/roles.js";
import { CHART_COLORS, Chart } from "../web/chart.js";
import {
  ConfirmForm,
  CsrfField,
  DefinitionList,
  EmptyState,
  PageHeader,
  Pager,
  withQuery,
} from "../web/components.js";
import type { ViewContext } from "../web/context.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import type {
  AttemptView,
  DeliveryWithAttempts,
  LiveRun,
  MinuteCounts,
  Progress,
  RunDetails,
  RunView,
} from "./delivery.service.js";
import type { RunOutcome } from "./run-outcome.js";
import { type FailureGroup, type RunResponse, replyText } from "./summary.js";

const RUN_BADGES: Record<RunOutcome, string> = {
  sending: "text-bg-info",
  paused: "text-bg-warning",
  sent: "text-bg-success",
  partly_failed: "text-bg-warning",
  failed: "text-bg-danger",
  cancelled: "text-bg-dark",
};

const DELIVERY_BADGES: Record<DeliveryStatus, string> = {
  pending: "text-bg-light border",
  sending: "text-bg-info",
  sent: "text-bg-success",
  failed: "text-bg-danger",
  suppressed: "text-bg-secondary",
  cancelled: "text-bg-dark",
};

const ATTEMPT_BADGES: Record<AttemptOutcome, string> = {
  sent: "text-bg-success",
  retry: "text-bg-warning",
  failed: "text-bg-danger",
  relay: "text-bg-secondary",
};

const triggerText = (t: Translate, trigger: RunTrigger) => t(`mailings.trigger.${trigger}`);

type Outcome = Pick<RunView, "outcome" | "outcome_label"> & {
  progress: Pick<Progress, "failed" | "cancelled" | "preparing">;
};

/** A run's status in words: the outcome's key, with the count its label carries ("Partly failed (3)"). */
export function outcomeText(t: Translate, run: Outcome, locale: Locale = "en"): string {
  const preparing = run.progress.preparing;
  if (run.outcome === "sending" && preparing) {
    // "Preparing… 120,000 of about 1,000,000": the engine is still adding the run's deliveries.
    const n = formatNumber(locale, preparing.inserted);
    return preparing.expected === null
      ? t("mailings.outcome.preparing", { n })
      : t("mailings.outcome.preparingOf", { n, m: formatNumber(locale, preparing.expected) });
  }
  if (run.outcome === "cancelled") {
    return run.outcome_label === "Cancelling"
      ? t("mailings.outcome.cancelling")
      : t("mailings.outcome.cancelled", { count: run.progress.cancelled });
  }
  if (run.outcome === "partly_failed")
    return t("mailings.outcome.partly_failed", { count: run.progress.failed });
  return t(`mailings.outcome.${run.outcome}`);
}

export function RunBadge({ run }: { run: Outcome }) {
  const { t, locale } = useI18n();
  return <span class={`badge ${RUN_BADGES[run.outcome]}`}>{outcomeText(t, run, locale)}</span>;
}

/** The words app.js needs while it polls (the ETA), in the page's language. */
function etaWords(t: Translate) {
  const p = (key: string) => t(`mailings.progress.${key}`);
  return JSON.stringify({
    stalled: p("stalled"),
    left: p("left"),
    seconds: p("seconds"),
    minutes: p("minutes"),
    hours: p("hours"),
  });
}

/** A progress bar that app.js keeps up to date while the run is sending. */
export function RunProgress({
  runId,
  progress,
  rows = false,
}: {
  runId: number;
  progress: Progress;
  /** On the run page: the poll also redraws the delivery rows and the status tabs' counts. */
  rows?: boolean;
}) {
  const { t } = useI18n();
  const p = (key: string, options?: Record<string, unknown>) => t(`mailings.progress.${key}`, options);
  const pct = (n: number) => (progress.total === 0 ? 0 : Math.round((n / progress.total) * 100));
  const done = progress.sent + progress.failed + progress.suppressed;
  return (
    <div
      data-progress-url={progress.done ? undefined : `/runs/${runId}/progress`}
      data-live-rows={rows && !progress.done ? "" : undefined}
      // Loaded while the engine still adds the run's deliveries: app.js reloads once they are all in.
      data-preparing={progress.preparing ? "" : undefined}
      data-eta-words={progress.done ? undefined : etaWords(t)}
    >
      <div
        class="progress"
        role="progressbar"
        aria-label={p("label")}
        aria-valuenow={pct(done)}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div
          class="progress-bar bg-success"
          data-bar="sent"
          data-width={String(Math.round(pct(progress.sent)))}
        />
        <div
          class="progress-bar bg-danger"
          data-bar="failed"
          data-width={String(Math.round(pct(progress.failed)))}
        />
        <div
          class="progress-bar bg-secondary"
          data-bar="suppressed"
          data-width={String(Math.round(pct(progress.suppressed)))}
        />
      </div>
      <div class="small text-body-secondary mt-1">
        <span data-count="sent">{progress.sent}</span> {p("sent")} ·{" "}
        <span data-count="failed">{progress.failed}</span> {p("failed")} ·{" "}
        <span data-count="suppressed">{progress.suppressed}</span> {p("suppressed")} ·{" "}
        {progress.cancelled > 0 && (
          <>
            <span data-count="cancelled">{progress.cancelled}</span> {p("cancelled")} ·{" "}
          </>
        )}
        <span data-count="pending">{progress.pending + progress.sending}</span>{" "}
        {p("pendingOf", { total: progress.total })}
        <span data-eta aria-live="polite" />
      </div>
    </div>
  );
}

/** A delivery's last reply in one line ("550 5.1.1 No such user"), or null when there is none yet. */
function replyLine(
  d: Pick<DeliveryWithAttempts, "last_code" | "last_enhanced" | "last_text">,
  locale: Locale = "en",
) {
  if (d.last_code === null && !d.last_text) return null;
  const text = translateMessage(locale, replyText(d.last_text ?? "", d.last_code, d.last_enhanced));
  return [d.last_code, d.last_enhanced, text].filter((part) => part !== null && part !== "").join(" ");
}

/**
 * The poll's answer: the counts, the run's status in words, and each row shown as the page draws it
 * (status, tries, the reply in one line, when it was sent in the viewer's zone). app.js sets them as text.
 */
export function liveJson(live: LiveRun, zone: string, t: Translate, locale: Locale) {
  const { rows, ...progress } = live;
  return {
    ...progress,
    // The status in the viewer's language (the stored value stays in `outcome`).
    outcome_label: outcomeText(t, { ...live, progress: live }, locale),
    rows: rows.map((d) => ({
      id: d.id,
      status: d.status,
      label: t(`mailings.delivery.${d.status}`),
      badge: DELIVERY_BADGES[d.status],
      tries: d.tries,
      reply: replyLine(d, locale),
      sent: d.sent_at ? timeIn(locale, d.sent_at, zone) : null,
    })),
    badge: RUN_BADGES[live.outcome],
  };
}

/** The runs table on a mailing's page. */
export function RunsTable({ runs, zone }: { runs: Page<RunView>; zone: string }) {
  const { t, locale } = useI18n();
  const r = (key: string) => t(`mailings.runs.${key}`);
  if (runs.total === 0) {
    return <p class="text-body-secondary">{r("none")}</p>;
  }
  const oldest = [...runs.items].reverse();
  const series = (label: string, key: keyof typeof CHART_COLORS, of: (r: RunView) => number) => ({
    label,
    color: CHART_COLORS[key],
    values: oldest.map(of),
  });
  return (
    <>
      {oldest.length > 1 && (
        <Chart
          title={r("chart")}
          data={{
            kind: "lines",
            zone,
            x: oldest.map((r) => Date.parse(r.started_at) / 1000),
            series: [
              series(r("sent"), "sent", (run) => run.progress.sent),
              series(r("failed"), "failed", (run) => run.progress.failed),
              series(r("suppressed"), "suppressed", (run) => run.progress.suppressed),
              series(r("bounced"), "bounced", (run) => run.bounced_count),
            ],
          }}
        />
      )}
      <div class="table-responsive bg-body rounded-3 border mb-3">
        <table class="table table-hover mb-0 table-stack">
          <thead>
            <tr>
              <th scope="col">{r("started")}</th>
              <th scope="col">{r("trigger")}</th>
              <th scope="col">{r("status")}</th>
              <th scope="col" class="w-50">
                {r("progress")}
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.items.map((run) => (
              <tr>
                <td class="text-nowrap">
                  <a href={`/runs/${run.id}`}>{timeIn(locale, run.started_at, zone)}</a>
                </td>
                <td data-label={r("trigger")}>{triggerText(t, run.trigger)}</td>
                <td class="text-nowrap" data-run-badge>
                  <RunBadge run={run} />
                </td>
                <td class="stack-full">
                  <RunProgress runId={run.id} progress={run.progress} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

export function sendConfirmPage(
  ctx: ViewContext,
  mailing: { id: number; name: string; recipient_count: number },
  /** A run of this mailing started less than a minute ago: warn before starting another. */
  recent: Pick<Run, "id" | "started_at"> | null = null,
) {
  const { t, locale } = ctx;
  const s = (key: string, options?: Record<string, unknown>) => t(`mailings.send.${key}`, options);
  return renderPage(
    ctx,
    s("title", { name: mailing.name }),
    <>
      <PageHeader title={s("heading", { name: mailing.name })} />
      {recent && (
        <div class="alert alert-warning" role="alert" data-testid="recent-run">
          <i class="bi bi-exclamation-triangle me-2" aria-hidden="true" />
          {s("recentBefore")}
          <a href={`/runs/${recent.id}`}>{s("recentLink")}</a>
          {s("recentAfter")}
        </div>
      )}
      <div class="card border-primary">
        <div class="card-body">
          <p>
            {mailing.recipient_count === 1 ? (
              s("one")
            ) : (
              <>
                {s("everyBefore")}
                <strong>{formatNumber(locale, mailing.recipient_count)}</strong>
                {s("everyAfter", { count: mailing.recipient_count })}
              </>
            )}{" "}
            {s("gets")}
          </p>
          <form method="post" action={`/mailings/${mailing.id}/send`} class="d-flex gap-2">
            <CsrfField token={ctx.csrfToken} />
            <button type="submit" class="btn btn-primary">
              <i class="bi bi-send" aria-hidden="true" /> {s("button")}
            </button>
            <a class="btn btn-outline-secondary" href={`/mailings/${mailing.id}`}>
              {t("common.cancel")}
            </a>
          </form>
        </div>
      </div>
    </>,
  );
}

const STATUS_FILTERS: (DeliveryStatus | "")[] = [
  "",
  "pending",
  "sending",
  "sent",
  "failed",
  "suppressed",
  "cancelled",
];

/** A server reply: its code and enhanced status as code, then the rest of its text. */
function Reply({ code, enhanced, text }: { code: number | null; enhanced: string | null; text: string }) {
  // A server's own words stay as they are; those PostPilot writes (the local outbox's) are translated.
  const { locale } = useI18n();
  return (
    <>
      {code !== null && <code class="me-1">{code}</code>}
      {enhanced && <code class="me-1">{enhanced}</code>}
      <span class="pre-wrap">{translateMessage(locale, replyText(text, code, enhanced))}</span>
    </>
  );
}

/** A delivery's tries, oldest first, behind a <details> (no script needed, nothing inline for the CSP). */
function Attempts({ delivery, zone }: { delivery: DeliveryWithAttempts; zone: string }) {
  const { t } = useI18n();
  const { attempts, earlier_attempts: earlier } = delivery;
  if (attempts.length === 0) return null;
  return (
    <details class="attempts mt-1">
      <summary class="small">{t("mailings.run.history", { count: attempts.length + earlier })}</summary>
      <ol class="attempts-list list-unstyled small mb-0 mt-1">
        {earlier > 0 && <li class="text-body-secondary">{t("mailings.run.earlier", { count: earlier })}</li>}
        {attempts.map((a) => (
          <Attempt attempt={a} zone={zone} />
        ))}
      </ol>
    </details>
  );
}

function Attempt({ attempt: a, zone }: { attempt: AttemptView; zone: string }) {
  const { t, locale } = useI18n();
  return (
    <li class="attempt">
      <div class="d-flex flex-wrap align-items-baseline column-gap-2">
        <time class="text-nowrap" datetime={a.attempted_at}>
          {timeIn(locale, a.attempted_at, zone, { seconds: true })}
        </time>
        <span class="text-body-secondary">{t(`mailings.stage.${a.stage}`, { defaultValue: a.stage })}</span>
        <span class={`badge ${ATTEMPT_BADGES[a.outcome] ?? "text-bg-light border"}`}>
          {t(`mailings.attempt.${a.outcome}`, { defaultValue: a.outcome })}
        </span>
      </div>
      <div>
        <Reply code={a.code} enhanced={a.enhanced} text={a.text} />
      </div>
      {a.relay && (
        <div class="text-body-secondary">
          {a.relay === "outbox" ? t("mailings.run.viaOutbox") : t("mailings.run.via", { relay: a.relay })}
        </div>
      )}
    </li>
  );
}

/**
 * A bounce or complaint that arrived after the relay accepted the copy (the status stays `sent`): the
 * report's status and diagnostic text, escaped like every other text.
 */
function BouncedBadge({ delivery: d }: { delivery: DeliveryWithAttempts }) {
  const { t } = useI18n();
  const kind = d.bounce_type ? t(`mailings.bounce.${d.bounce_type}`) : "";
  return (
    <div class="bounce small mt-1" data-bounce={d.bounce_type ?? ""}>
      <span class="badge text-bg-danger" title={kind}>
        {t(d.bounce_type === "complaint" ? "mailings.bounce.complained" : "mailings.bounce.bounced")}
      </span>{" "}
      <span class="text-body-secondary">{kind}</span>
      {d.bounce_status && <code class="ms-1">{d.bounce_status}</code>}
      {d.bounce_text && <div class="pre-wrap">{d.bounce_text}</div>}
    </div>
  );
}

function LastReply({ delivery: d }: { delivery: DeliveryWithAttempts }) {
  if (d.last_code === null && !d.last_text) return <span class="text-body-secondary">—</span>;
  return <Reply code={d.last_code} enhanced={d.last_enhanced} text={d.last_text ?? ""} />;
}

/** "501 × 550 5.1.1 user unknown" (runs finished before grouping: "2 × <their whole text>"). */
function FailureLine({ failure: f }: { failure: FailureGroup }) {
  return (
    <li>
      <span class="fw-semibold">{f.count} ×</span> <Reply code={f.code} enhanced={f.enhanced} text={f.text} />
    </li>
  );
}

const codeText = (t: Translate, code: string) => (code === "none" ? t("mailings.run.noReply") : code);

function ResponseSummary({ summary }: { summary: RunResponse | null }) {
  const { t } = useI18n();
  if (!summary) return <p class="text-body-secondary mb-0">{t("mailings.run.summarised")}</p>;
  return (
    <>
      <p class="mb-2">
        {Object.entries(summary.codes).map(([code, count]) => (
          <span class="badge text-bg-light border me-1">
            {codeText(t, code)}: {count}
          </span>
        ))}
      </p>
      {summary.failures.length > 0 && (
        <ul class="small mb-0">
          {summary.failures.map((f) => (
            <FailureLine failure={f} />
          ))}
        </ul>
      )}
    </>
  );
}

function RetryButton({ path, csrfToken, label }: { path: string; csrfToken: string; label: string }) {
  return (
    <form method="post" action={`${path}/retry-failed`}>
      <CsrfField token={csrfToken} />
      <button type="submit" class="btn btn-warning">
        <i class="bi bi-arrow-clockwise" aria-hidden="true" /> {label}
      </button>
    </form>
  );
}

function ControlButton({
  path,
  csrfToken,
  action,
  label,
  icon,
  style,
}: {
  path: string;
  csrfToken: string;
  action: "pause" | "resume" | "cancel";
  label: string;
  icon: string;
  style: string;
}) {
  return (
    <form method="post" action={`${path}/${action}`}>
      <CsrfField token={csrfToken} />
      <button type="submit" class={`btn ${style}`}>
        <i class={`bi ${icon}`} aria-hidden="true" /> {label}
      </button>
    </form>
  );
}

/** Deliveries over time (sent / failed per minute) and the replies' codes, each with its table. */
function RunCharts({ run, minutes, zone }: { run: RunDetails; minutes: MinuteCounts[]; zone: string }) {
  const { t, locale } = useI18n();
  const r = (key: string) => t(`mailings.run.${key}`);
  const codes = Object.entries(run.summary?.codes ?? {});
  if (minutes.length === 0 && codes.length === 0) return null;
  const at = (minute: string) => `${minute}:00.000Z`;
  return (
    <div class="row g-4 mb-4">
      {minutes.length > 0 && (
        <div class="col-lg-7">
          <Chart
            title={r("perMinute")}
            data={{
              kind: "lines",
              zone,
              x: minutes.map((m) => Date.parse(at(m.minute)) / 1000),
              series: [
                { label: r("sent"), color: CHART_COLORS.sent, values: minutes.map((m) => m.sent) },
                { label: r("failed"), color: CHART_COLORS.failed, values: minutes.map((m) => m.failed) },
              ],
            }}
          >
            <table class="table table-sm small mb-0">
              <thead>
                <tr>
                  <th scope="col">{r("minute")}</th>
                  <th scope="col" class="text-end">
                    {r("sent")}
                  </th>
                  <th scope="col" class="text-end">
                    {r("failed")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {minutes.map((m) => (
                  <tr>
                    <td>{timeIn(locale, at(m.minute), zone)}</td>
                    <td class="text-end">{m.sent}</td>
                    <td class="text-end">{m.failed}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Chart>
        </div>
      )}
      {codes.length > 0 && (
        <div class="col-lg-5">
          <Chart
            title={r("byCode")}
            data={{
              kind: "bars",
              xLabel: r("replyCode"),
              x: codes.map(([code]) => codeText(t, code)),
              series: [{ label: r("deliveries"), color: CHART_COLORS.runs, values: codes.map(([, n]) => n) }],
            }}
          >
            <table class="table table-sm small mb-0">
              <thead>
                <tr>
                  <th scope="col">{r("replyCode")}</th>
                  <th scope="col" class="text-end">
                    {r("deliveries")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {codes.map(([code, n]) => (
                  <tr>
                    <td>{codeText(t, code)}</td>
                    <td class="text-end">{n}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Chart>
        </div>
      )}
    </div>
  );
}

export function runPage(
  ctx: ViewContext,
  run: RunDetails,
  deliveries: Page<DeliveryWithAttempts>,
  filter: DeliveryStatus | "",
  zone: string,
  minutes: MinuteCounts[] = [],
) {
  const { t, locale } = ctx;
  const r = (key: string, options?: Record<string, unknown>) => t(`mailings.run.${key}`, options);
  const at = (value: string | null | undefined, inZone = zone) => timeIn(locale, value, inZone);
  const path = `/runs/${run.id}`;
  const canRetry = run.progress.failed > 0 && (run.owner_id === ctx.user?.id || isAdmin(ctx.user));
  const waiting = run.next_retry_at !== null;
  const canControl =
    run.status === "sending" && !run.cancelled_at && (run.owner_id === ctx.user?.id || isAdmin(ctx.user));
  return renderPage(
    ctx,
    r("title", { name: run.mailing_name }),
    <>
      <PageHeader title={r("title", { name: run.mailing_name })}>
        <a class="btn btn-outline-secondary" href={`/mailings/${run.mailing_id}`}>
          <i class="bi bi-arrow-left" aria-hidden="true" /> {r("back")}
        </a>
        {canRetry && run.status !== "sending" && (
          <RetryButton path={path} csrfToken={ctx.csrfToken} label={r("retry")} />
        )}
        {canRetry && waiting && <RetryButton path={path} csrfToken={ctx.csrfToken} label={r("retryNow")} />}
        {canControl && !run.paused_at && (
          <ControlButton
            path={path}
            csrfToken={ctx.csrfToken}
            action="pause"
            label={r("pause")}
            icon="bi-pause-fill"
            style="btn-outline-secondary"
          />
        )}
        {canControl && run.paused_at && (
          <ControlButton
            path={path}
            csrfToken={ctx.csrfToken}
            action="resume"
            label={r("resume")}
            icon="bi-play-fill"
            style="btn-primary"
          />
        )}
        {canControl && (
          <a class="btn btn-outline-danger" href={`${path}/cancel`}>
            <i class="bi bi-x-octagon" aria-hidden="true" /> {r("cancel")}
          </a>
        )}
      </PageHeader>
      {run.paused_at && run.status === "sending" && !run.cancelled_at && (
        <div class="alert alert-warning" role="status">
          {r("paused", { when: at(run.paused_at) })}
        </div>
      )}
      {run.pruned_at && (
        <div class="alert alert-secondary" role="status">
          {r("pruned", { count: run.pruned_after_days, when: at(run.pruned_at) })}
        </div>
      )}
      <div class="row g-4 mb-4">
        <div class="col-lg-7">
          <div class="card h-100">
            <div class="card-body">
              <DefinitionList
                items={[
                  [
                    r("status"),
                    <span data-run-badge>
                      <RunBadge run={run} />
                    </span>,
                  ],
                  [r("trigger"), triggerText(t, run.trigger)],
                  [r("subject"), run.subject],
                  [r("started"), at(run.started_at)],
                  [r("finished"), run.finished_at ? at(run.finished_at) : r("stillSending")],
                  ...(run.slowed_domains.length > 0
                    ? [
                        [
                          r("slowed"),
                          r("slowedText", {
                            domains: run.slowed_domains.map((d) => `${d.domain} (${d.rate}/s)`).join(", "),
                          }),
                        ] as [string, string],
                      ]
                    : []),
                  ...(run.window_wait
                    ? [
                        [
                          r("window"),
                          r("windowText", {
                            window: run.window_wait.window,
                            zone: run.window_wait.zone,
                            when: at(run.window_wait.resumes_at, run.window_wait.zone),
                          }),
                        ] as [string, string],
                      ]
                    : []),
                  ...(waiting
                    ? [
                        [
                          r("nextRetry"),
                          r("nextRetryText", { when: at(run.next_retry_at), count: run.progress.pending }),
                        ] as [string, string],
                      ]
                    : []),
                  [r("progress"), <RunProgress runId={run.id} progress={run.progress} rows />],
                  [
                    r("after"),
                    <span class="small">
                      <span data-report="suppressed">{run.progress.suppressed}</span> {r("suppressed")} ·{" "}
                      <span data-report="bounced">{run.bounced_count}</span> {r("bounced")} ·{" "}
                      <span data-report="unsubscribed">{run.unsubscribed_count}</span> {r("unsubscribed")}
                    </span>,
                  ],
                ]}
              />
            </div>
          </div>
        </div>
        <div class="col-lg-5">
          <div class="card h-100">
            <div class="card-body">
              <h2 class="h6">{r("response")}</h2>
              <ResponseSummary summary={run.summary} />
            </div>
          </div>
        </div>
      </div>
      <RunCharts run={run} minutes={minutes} zone={zone} />
      <h2 class="h5">{r("deliveries")}</h2>
      <ul class="nav nav-pills mb-3">
        {STATUS_FILTERS.map((value) => (
          <li class="nav-item">
            <a
              class={`nav-link${filter === value ? " active" : ""}`}
              aria-current={filter === value ? "page" : undefined}
              href={withQuery(path, { status: value })}
            >
              {value === "" ? t("mailings.delivery.all") : t(`mailings.filter.${value}`)}{" "}
              <span class="badge rounded-pill text-bg-light border" data-tab-count={value || "total"}>
                {value === "" ? run.progress.total : run.progress[value]}
              </span>
            </a>
          </li>
        ))}
      </ul>
      {deliveries.total === 0 ? (
        <EmptyState icon="bi-envelope" title={r("noDeliveries")} />
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-3">
          {/* On a phone each delivery is a card of labelled cells (.table-cards in public/app.css). */}
          <table class="table table-sm mb-0 deliveries table-cards" data-sent-label={r("sent")}>
            <thead>
              <tr>
                <th scope="col">{r("recipient")}</th>
                <th scope="col">{r("status")}</th>
                <th scope="col">{r("tries")}</th>
                <th scope="col">{r("reply")}</th>
                <th scope="col">{r("sent")}</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.items.map((d) => (
                <tr data-delivery-id={String(d.id)}>
                  <td class="text-break">
                    {d.recipient_id && run.owner_id === ctx.user?.id ? (
                      <a href={`/recipients/${d.recipient_id}`}>{d.email}</a>
                    ) : (
                      d.email
                    )}
                  </td>
                  <td data-label={r("status")}>
                    <span class={`badge ${DELIVERY_BADGES[d.status]}`} data-live="status">
                      {t(`mailings.delivery.${d.status}`)}
                    </span>
                    {d.bounce_type && <BouncedBadge delivery={d} />}
                  </td>
                  <td data-label={r("tries")} data-live="tries">
                    {d.tries}
                  </td>
                  <td class="small" data-label={r("reply")}>
                    <div data-live="reply" data-reply={replyLine(d, locale) ?? ""}>
                      <LastReply delivery={d} />
                    </div>
                    <Attempts delivery={d} zone={zone} />
                  </td>
                  {d.sent_at ? (
                    <td class="text-nowrap small" data-label={r("sent")} data-live="sent">
                      {at(d.sent_at)}
                    </td>
                  ) : (
                    <td class="text-nowrap small d-none d-md-table-cell" data-live="sent">
                      —
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={deliveries} path={path} params={{ status: filter }} />
    </>,
  );
}

/** Cancelling asks first, stating how many will not be sent. */
export function cancelRunPage(ctx: ViewContext, run: RunDetails) {
  const t = ctx.t;
  const path = `/runs/${run.id}`;
  const open = run.progress.pending + run.progress.sending;
  return renderPage(
    ctx,
    t("mailings.cancel.title"),
    <>
      <PageHeader title={t("mailings.cancel.heading", { name: run.mailing_name })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`${path}/cancel`}
        cancelHref={path}
        button={t("mailings.cancel.button")}
      >
        <p class="mb-0">{t("mailings.cancel.text", { count: open })}</p>
      </ConfirmForm>
    </>,
  );
}
