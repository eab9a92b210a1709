/**
 * The API's response and query schemas (zod), and the named schemas of the OpenAPI document. Request bodies
 * are the features' own input schemas; the handlers pass bodies to the same services the forms use.
 */
import { z } from "zod";
import { ATTEMPT_OUTCOMES, ATTEMPT_STAGES } from "../delivery/attempt-words.js";
import { ATTEMPTS_SHOWN } from "../delivery/delivery.service.js";
import { RUN_OUTCOMES } from "../delivery/run-outcome.js";
import { parseSendWindow } from "../delivery/window.js";
import { PERIODICITIES } from "../mailings/mailings.schemas.js";
import type { CursorPage, CursorQuery } from "../shared/cursor.js";
import { ValidationError } from "../shared/errors.js";
import { LIMITS, MAX_PAGE_SIZE } from "../shared/fields.js";
import { PAGE_SIZE } from "../shared/pagination.js";

const int = z.number().int();
const time = z.string().describe("UTC, ISO 8601 (2026-11-24T12:00:00.000Z)");
const nullableTime = time.nullable();

export const recipientOut = z.object({
  id: int,
  email: z.string(),
  full_name: z.string(),
  comment: z.string(),
  created_at: time,
  updated_at: time,
});

export const messageOut = z.object({
  id: int,
  subject: z.string(),
  body: z.string(),
  format: z.enum(["text", "markdown", "html"]),
  layout_id: int.nullable(),
  created_at: time,
  updated_at: time,
});

export const mailingOut = z.object({
  id: int,
  name: z.string(),
  message_id: int,
  message_subject: z.string(),
  sender_id: int.nullable().describe("The sender identity it sends as (GET /senders); null: SMTP_FROM."),
  send_window: z
    .preprocess(
      (v) => (typeof v === "string" ? parseSendWindow(v) : (v ?? null)),
      z.object({ days: z.array(int), start: z.string(), end: z.string() }).nullable(),
    )
    .describe(
      "When its runs may send: ISO weekdays (1 = Monday) and HH:MM start and end in time_zone; null: any time.",
    ),
  first_send_at: time,
  end_at: time,
  periodicity: z.enum(PERIODICITIES),
  time_zone: z.string(),
  status: z.enum(["created", "running", "completed"]),
  disabled_at: nullableTime.describe("Set when a manager disabled the mailing: it is not sent."),
  next_run_at: nullableTime,
  last_run_at: nullableTime,
  recipient_count: int,
  recipient_count_capped: z
    .boolean()
    .optional()
    .describe("On lists: true when the live audience has more than 10,000 and recipient_count is that cap."),
  created_at: time,
  updated_at: time,
});

const progress = z.object({
  pending: int,
  sending: int,
  sent: int,
  failed: int,
  suppressed: int.describe("Not sent: the address is on the owner's suppression list."),
  cancelled: int.describe("Not sent: the run was cancelled first."),
  total: int,
  done: z.boolean().describe("Every delivery is sent, failed or suppressed."),
});

export const runOut = z.object({
  id: int,
  mailing_id: int,
  trigger: z.enum(["schedule", "web", "cli", "api"]),
  status: z.enum(["sending", "success", "failure"]),
  outcome: z
    .enum(RUN_OUTCOMES)
    .describe(
      "What the status means: sending; paused (sending, no new delivery starts); sent (every delivery sent); partly_failed (some failed, see failed_count); failed (none sent); cancelled (stopped by its owner; progress.cancelled were never sent).",
    ),
  paused_at: nullableTime.describe("When the run was paused; null when it is not."),
  cancelled_at: nullableTime.describe("When the run was cancelled, or null."),
  scheduled_for: time,
  subject: z.string().describe("The message's subject when the run started."),
  total_count: int,
  sent_count: int,
  failed_count: int,
  bounced_count: int.describe(
    "Deliveries with a hard or soft bounce reported (DSN or webhook) after they were sent.",
  ),
  unsubscribed_count: int.describe(
    "Recipients who unsubscribed from this run's copies (complaints included).",
  ),
  started_at: time,
  finished_at: nullableTime,
  progress: progress.describe("Deliveries by status."),
  summary: z
    .object({
      codes: z.record(z.string(), int).describe("Deliveries by the mail server's last reply code."),
      failures: z
        .array(
          z.object({
            code: int.nullable().describe("Null when no reply came (timeout, dropped connection)."),
            enhanced: z.string().nullable().describe("The enhanced status, such as 5.1.1."),
            text: z.string().describe("One of the group's reply texts, email addresses masked as <…>."),
            count: int,
          }),
        )
        .describe(
          "Failed deliveries grouped by reply code and enhanced status, largest first (at most 5). Runs finished before grouping have one entry per text, with null code and enhanced.",
        ),
    })
    .nullable()
    .describe("The mail server's responses, once the run has finished."),
});

export const runDetailsOut = runOut.extend({
  mailing_name: z.string(),
  next_retry_at: nullableTime.describe(
    "While the run is sending and none of its pending deliveries is due yet: when the first one is. POST /runs/{id}/retry-failed sends the failed ones now.",
  ),
  window_wait: z
    .object({ window: z.string(), resumes_at: time, zone: z.string() })
    .nullable()
    .describe("While the run is sending outside its mailing's sending window: the window and when it opens."),
  slowed_domains: z
    .array(z.object({ domain: z.string(), rate: z.number() }))
    .describe(
      "While the run is sending: recipient domains slowed down because they answered 421 / 4.7.x, with their rate.",
    ),
});

export const DELIVERY_STATUSES = ["pending", "sending", "sent", "failed", "suppressed", "cancelled"] as const;

export const attemptOut = z.object({
  id: int,
  attempted_at: time,
  stage: z
    .enum(ATTEMPT_STAGES)
    .describe(
      "Where in the SMTP exchange the try ended; local: the outbox, or a message that could not be built.",
    ),
  outcome: z
    .enum(ATTEMPT_OUTCOMES)
    .describe("retry: tried again later (a try used); relay: the relay's problem, no try used."),
  code: int.nullable(),
  enhanced: z.string().nullable(),
  text: z.string(),
  relay: z.string().nullable().describe("The relay that answered (host:port), or outbox."),
});

export const deliveryOut = z.object({
  id: int,
  run_id: int,
  recipient_id: int.nullable().describe("Null when the recipient was deleted since."),
  email: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  tries: int,
  next_attempt_at: time,
  last_code: int.nullable(),
  last_enhanced: z.string().nullable(),
  last_text: z.string().nullable(),
  message_id: z.string().nullable(),
  created_at: time,
  sent_at: nullableTime,
  updated_at: time,
  bounced_at: nullableTime.describe("When a bounce or complaint about it arrived (its status stays sent)."),
  bounce_type: z.enum(["hard", "soft", "complaint"]).nullable(),
  bounce_status: z.string().nullable().describe("The report's enhanced status, such as 5.1.1."),
  bounce_text: z.string().nullable().describe("The report's diagnostic text."),
  attempts: z.array(attemptOut).describe(`Its tries, oldest first: the last ${ATTEMPTS_SHOWN} at most.`),
  earlier_attempts: int.describe("How many earlier tries are not in attempts."),
});

export const statsOut = z.object({
  mailings: int,
  active_mailings: int.describe("Mailings with status running."),
  unique_recipients: int,
  scope: z.enum(["own", "all"]).describe("Managers and admins see figures across all users."),
});

export const meOut = z.object({
  id: int,
  email: z.string(),
  name: z.string(),
  role: z.enum(["user", "manager", "admin"]),
  time_zone: z.string(),
  created_at: time,
});

export const userOut = meOut.extend({
  email_confirmed_at: nullableTime,
  blocked_at: nullableTime.describe("Set while the user is blocked: no login, no API, no sending."),
});

export const problemOut = z.object({
  type: z.string(),
  title: z.string(),
  status: int,
  detail: z.string(),
  instance: z.string(),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .describe("422: each invalid field (`_form` for the body as a whole)."),
  existing_id: int.optional().describe("409 on a duplicate recipient: the existing recipient's id."),
});

export const pageOut = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), total: int, page: int, limit: int, pages: int });

// Query parameters: checked strictly here (422 on a bad one); the services apply the defaults.
const page = z.coerce.number().int().min(1).max(1_000_000).optional();
const limit = z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe("Default 25.");
export const pagingQuery = z.object({ page, limit });
export const listQueryFor = <S extends readonly [string, ...string[]]>(sorts: S) =>
  pagingQuery.extend({
    q: z.string().max(LIMITS.search).optional().describe("Search text."),
    sort: z.enum(sorts).optional(),
    dir: z.enum(["asc", "desc"]).optional(),
  });
/**
 * Lists with cursor pagination: `cursor` (a previous answer's next_cursor) gives the rows after it, newest
 * first by default (id order; dir=asc for oldest first), stable under concurrent inserts. `page` and `sort`
 * still work as before (offset pages, for compatibility) and answer next_cursor null unless on the default
 * order's first page.
 */
export const cursorListQueryFor = <S extends readonly [string, ...string[]]>(sorts: S) =>
  listQueryFor(sorts).extend({
    cursor: z
      .string()
      .max(200)
      .optional()
      .describe("next_cursor of the previous answer: the rows after it (do not combine with page or sort)."),
  });
/**
 * A cursor list without a search or a choice of order: `cursor` as above (newest first, dir=asc for oldest
 * first); `page` still gives the offset pages it gave before.
 */
export const cursorPagingQuery = pagingQuery.extend({
  dir: z
    .enum(["asc", "desc"])
    .optional()
    .describe("With cursor paging: desc (default, newest first) or asc."),
  cursor: z
    .string()
    .max(200)
    .optional()
    .describe("next_cursor of the previous answer: the rows after it (do not combine with page)."),
});
/** Staff lists: owner_id, another user's rows read-only. */
export const ownerFilter = {
  owner_id: z.coerce
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      "Managers and admins: list this user's rows (read-only) instead of your own. Anyone else's id from a plain user is a 403.",
    ),
};
export const cursorPageOut = <T extends z.ZodType>(item: T) =>
  pageOut(item).extend({
    page: int.nullable().describe("Null when paging by cursor."),
    next_cursor: z
      .string()
      .nullable()
      .describe("Pass as `cursor` for the next rows; null on the last page (or with page/sort)."),
  });

/** A cursor list's answer: by cursor unless the query asks for an offset page or another order. */
export async function cursorListOf<T extends { id: number }>(
  query: {
    page?: number | undefined;
    sort?: string | undefined;
    scope?: "mine" | "all" | undefined;
    dir?: "asc" | "desc" | undefined;
    q?: string | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  },
  byPage: () => Promise<Parameters<typeof listOf<T>>[0]>,
  byCursor: (q: CursorQuery) => Promise<CursorPage<T>>,
) {
  if (query.cursor !== undefined && (query.page !== undefined || query.sort !== undefined)) {
    throw new ValidationError({ cursor: "Send either cursor or page and sort, not both." });
  }
  if (query.page !== undefined || query.sort !== undefined || query.scope === "all") {
    return { ...listOf(await byPage()), next_cursor: null };
  }
  return cursorAnswerOf(query, byCursor);
}

/** A list's answer by cursor (the first page without one). */
export async function cursorAnswerOf<T extends { id: number }>(
  query: {
    dir?: "asc" | "desc" | undefined;
    q?: string | undefined;
    limit?: number | undefined;
    cursor?: string | undefined;
  },
  byCursor: (q: CursorQuery) => Promise<CursorPage<T>>,
) {
  const limit = query.limit ?? PAGE_SIZE;
  const page = await byCursor({ q: query.q ?? "", limit, dir: query.dir ?? "desc", cursor: query.cursor });
  return {
    items: page.items,
    total: page.total,
    page: query.cursor === undefined ? 1 : null,
    limit,
    pages: Math.max(1, Math.ceil(page.total / limit)),
    next_cursor: page.nextCursor,
  };
}

export const exportFormatQuery = z.object({
  format: z.enum(["ndjson", "csv"]).optional().describe("Overrides Accept: ndjson (the default) or csv."),
});
export const exportQuery = exportFormatQuery.extend({
  q: z.string().max(LIMITS.search).optional().describe("Only recipients matching this search."),
});

/** Lists with an "All users" scope: managers and admins may read every user's rows (read-only). */
export const scopeQuery = z.object({
  scope: z
    .enum(["mine", "all"])
    .optional()
    .describe("mine (default): your own; all: every user's (managers and admins; others get their own)."),
  owner: z.coerce
    .number()
    .int()
    .positive()
    .optional()
    .describe("With scope=all: only this user's (their id)."),
});
export const deliveriesQuery = pagingQuery.extend({
  status: z.enum(DELIVERY_STATUSES).optional(),
  cursor: z.string().max(200).optional().describe("next_cursor of the previous answer (not with page)."),
});

/** A service's Page as the API's list: `pageSize` is called `limit` here, as in the query. */
export function listOf<T>(page: {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
  pages: number;
}) {
  return { items: page.items, total: page.total, page: page.page, limit: page.pageSize, pages: page.pages };
}

export const suppressionOut = z.object({
  id: int,
  email: z.string(),
  reason: z.enum(["unsubscribed", "hard_bounce", "soft_bounce", "complaint", "manual"]),
  source: z
    .enum(["one-click", "page", "mailto", "bounce", "complaint", "manual", "api", "import", "cli"])
    .describe("Where it came from: the unsubscribe link (one-click, page), the web form (manual), the API…"),
  delivery_id: int.nullable().describe("The delivery whose unsubscribe link was used."),
  run_id: int.nullable(),
  mailing_id: int.nullable(),
  comment: z.string().nullable(),
  created_at: time,
});
export const suppressionListOut = cursorPageOut(suppressionOut);
export const suppressionStatusOut = z.object({
  suppressed: z.boolean().describe("Whether mailings skip this recipient's address."),
  suppression: suppressionOut.nullable(),
});

export const layoutOut = z.object({
  id: int,
  name: z.string(),
  html: z.string().describe("The HTML frame, with {{ content }} where the message goes."),
  text: z.string().describe("The text part's frame, with {{ content }}."),
  shared: z.boolean().describe("Shared with every user (admins change it); else your own."),
  builtin: z.boolean().describe("The layout PostPilot ships: it cannot be deleted."),
  editable: z.boolean().describe("Whether you may change it."),
  created_at: time,
  updated_at: time,
});
export const layoutListOut = z.object({
  items: z.array(layoutOut).describe("Your layouts and the shared ones, shared first."),
});

export const senderOut = z.object({
  id: int,
  from_name: z.string(),
  from_email: z.string(),
  reply_to: z.string().nullable(),
  postal_address: z.string().describe("Lines separated by \\n; shown in layouts' footers."),
  created_at: time,
  updated_at: time,
});
export const senderListOut = z.object({
  items: z.array(senderOut).describe("Every sender identity, by From name."),
});

export const recipientListOut = cursorPageOut(
  recipientOut.extend({ owner_id: int.describe("Whose recipient it is.") }),
);
export const messageListOut = cursorPageOut(messageOut);

export const previewOut = z.object({
  subject: z.string(),
  from: z.string(),
  text: z.string(),
  html: z.string().nullable().describe("Null for plain-text messages (sent single-part)."),
  rendered_for: z.string().describe("The recipient's address whose values filled it, or 'sample values'."),
});

export const testSendOut = z.object({
  to: z.array(z.string()).describe("Where the test was queued; the account-mail sender sends it."),
});
export const mailingListOut = cursorPageOut(
  mailingOut.extend({ owner_id: int.describe("Whose mailing it is.") }),
);
export const runListOut = cursorPageOut(runOut);
export const deliveryListOut = cursorPageOut(deliveryOut);
export const userListOut = cursorPageOut(userOut);
export const userListQuery = cursorPagingQuery.extend({
  q: z.string().max(LIMITS.search).optional().describe("Search text (email or name)."),
  limit: limit.describe("Default 25 (offset pages always hold 25)."),
});

export const bounceOutcomeOut = z.object({
  email: z.string().nullable(),
  type: z.enum(["hard", "soft", "complaint"]).nullable(),
  result: z
    .enum(["recorded", "duplicate", "unmatched", "ignored"])
    .describe("recorded; duplicate (this delivery had it already); unmatched (no delivery found); ignored."),
  delivery_id: int.nullable(),
  suppressed: z.boolean().describe("Whether this report put the address on its owner's suppression list."),
  why: z.string(),
});

export const listOut = z.object({
  id: int,
  name: z.string(),
  description: z.string(),
  slug: z.string().describe("The public signup form is at /subscribe/{slug} when signup_enabled."),
  signup_enabled: z.boolean(),
  signup_ask_name: z.boolean(),
  signup_fields: z.array(z.string()).describe("Custom field keys the signup form asks for."),
  signup_redirect_url: z.string().nullable(),
  member_count: int,
  created_at: time,
  updated_at: time,
});
export const listListOut = cursorPageOut(listOut);
export const membersOut = z.object({
  changed: int.describe("Added (or removed) now."),
  unchanged: int.describe("Yours, but already in (or not in) the list."),
  missing: z.array(z.union([int, z.string()])).describe("Ids or emails that are not among your recipients."),
});
export const segmentOut = z.object({
  id: int,
  name: z.string(),
  definition: z.unknown().describe("{ match: all | any, conditions: [...] } as given when saved."),
  created_at: time,
  updated_at: time,
});
export const segmentListOut = z.object({ items: z.array(segmentOut) });
export const segmentCountOut = z.object({ count: int });
export const audienceOut = z.object({
  all: z.boolean().describe("Everyone you have when a run is created."),
  lists: z.array(int),
  segments: z.array(int),
  exclude_lists: z.array(int),
  exclude_segments: z.array(int),
  picked: int.describe("Individually picked recipients (always included unless excluded)."),
  count: z.object({ total: int, suppressed: int }).describe("About how many a run created now would have."),
});
export const bulkRowOut = z.object({
  index: int.describe("The row's position in the request, from 0."),
  status: z.enum(["created", "updated", "unchanged", "invalid"]),
  id: int.optional().describe("The recipient's id (absent for an invalid row)."),
  errors: z
    .array(z.object({ field: z.string(), message: z.string() }))
    .optional()
    .describe("An invalid row's problems, each field with its message."),
});
export const bulkResultOut = z.object({
  created: int,
  updated: int,
  unchanged: int,
  invalid: int,
  results: z.array(bulkRowOut).describe("One per row, in request order."),
});
export const mailingRecipientOut = z.object({ id: int, email: z.string(), full_name: z.string() });
export const mailingRecipientListOut = cursorPageOut(mailingRecipientOut);
const notFound = {
  not_found: int.describe("Ids or emails that are not among your recipients."),
  missing: z.array(z.union([int, z.string()])).describe("Those ids and emails."),
};
export const pickedAddedOut = z.object({
  added: int,
  already_present: int.describe("Yours, and already picked for the mailing."),
  ...notFound,
});
export const pickedRemovedOut = z.object({
  removed: int,
  not_present: int.describe("Yours, but not picked for the mailing."),
  ...notFound,
});
export const mailingRecipientsQuery = cursorPagingQuery.extend({
  q: z.string().max(200).optional().describe("Search by email or name."),
  limit: limit.describe("Default 25 (offset pages always hold 25, by email)."),
});

export const webhookEndpointOut = z.object({
  id: int,
  owner_id: int,
  all_users: z.boolean().describe("An admin's endpoint that gets every user's events."),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  disabled_at: nullableTime,
  disabled_reason: z
    .string()
    .nullable()
    .describe("Set when it was disabled automatically (3 days of failures)."),
  failing_since: nullableTime,
  next_attempt_at: nullableTime,
  created_at: time,
});
export const webhookEndpointListOut = cursorPageOut(webhookEndpointOut);
export const webhookCreatedOut = z.object({
  endpoint: webhookEndpointOut,
  secret: z.string().describe("Shown this once: keep it to verify X-PostPilot-Signature."),
});
export const webhookEventOut = z.object({
  id: int,
  uid: z.string().describe("The event's id as the receiver sees it (evt_…)."),
  type: z.string(),
  status: z.enum(["pending", "delivered", "failed"]),
  tries: int,
  created_at: time,
  delivered_at: nullableTime,
});
export const webhookAttemptOut = z.object({
  id: int,
  request_id: z.string(),
  event_count: int,
  outcome: z.enum(["ok", "http_error", "timeout", "connection", "refused"]),
  status_code: int.nullable(),
  response_excerpt: z.string().describe("The first 4 KB of the response body."),
  error: z.string().nullable(),
  duration_ms: int,
  attempted_at: time,
});
export const webhookAttemptListOut = cursorPageOut(webhookAttemptOut);
export const webhookEndpointDetailsOut = z.object({
  endpoint: webhookEndpointOut,
  events: z.array(webhookEventOut).describe("The latest 50 events, newest first."),
  attempts: z.array(webhookAttemptOut).describe("The latest 50 requests, newest first."),
});

/** GET /reports: the reports page's months. */
const reportMonthOut = z.object({
  month: z.string().describe('The month, UTC: "2026-11".'),
  runs: int,
  success_runs: int,
  failure_runs: int,
  sent: int,
  failed: int,
  suppressed: int.describe("Deliveries of finished runs not sent because the address was suppressed."),
  bounced: int.describe("Deliveries with a hard or soft bounce."),
  unsubscribed: int.describe("Unsubscribes from the month's runs."),
  cancelled: int.describe("Deliveries not sent because their run was cancelled."),
});

const reportOwnerOut = z.object({
  owner_id: int,
  owner_email: z.string(),
  runs: int,
  sent: int,
  failed: int,
  suppressed: int,
  bounced: int,
  unsubscribed: int,
});

export const reportOut = z.object({
  scope: z.enum(["own", "user", "all"]).describe("Whose runs the months count."),
  owner_id: int.nullable().describe("The user counted; null under scope=all."),
  months: z
    .array(reportMonthOut)
    .describe("Months with runs, oldest first, within the last `months` months (12 unless asked)."),
  by_owner: z
    .array(reportOwnerOut)
    .describe("Under scope=all: the same months summed per owner (up to 100 owners)."),
});
