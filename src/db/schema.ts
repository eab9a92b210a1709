/**
 * Table types: one per table, with Selectable / Insertable / Updateable aliases.
 * Timestamps are ISO-8601 UTC strings ("2026-11-24T12:00:00.000Z") in both dialects, so ordering and
 * comparison are the same on SQLite and PostgreSQL.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

export type Role = "user" | "manager" | "admin";

export interface UserTable {
  id: Generated<number>;
  email: string;
  email_normalized: string;
  password_hash: string;
  name: string;
  time_zone: string;
  /** The chosen language (src/i18n); null: as the browser asks. */
  locale: ColumnType<string | null, string | null | undefined, string | null>;
  role: Role;
  email_confirmed_at: string | null;
  blocked_at: string | null;
  created_at: string;
  updated_at: string;
  /** Base32 TOTP secret; two-factor sign-in is on once totp_enabled_at is set. */
  totp_secret: ColumnType<string | null, string | null | undefined, string | null>;
  totp_enabled_at: ColumnType<string | null, string | null | undefined, string | null>;
  /** The last 30-second step a TOTP code was accepted for (a code works once). */
  totp_last_step: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SessionTable {
  id_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
  /** Where the session was opened (the sessions list on the profile). */
  client_ip: ColumnType<string | null, string | null | undefined, string | null>;
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
}

/**
 * Failed logins of one account (normalized email) from one client address; `client` = "*" is the account's
 * own row (all addresses), whose blocked_until is the per-account delay.
 */
export interface LoginThrottleTable {
  account: string;
  client: string;
  failures: number;
  last_failed_at: string | null;
  blocked_until: string | null;
  last_success_at: string | null;
  alerted_at: string | null;
}

/** A one-time recovery code of two-factor sign-in; only its SHA-256 is kept. */
export interface RecoveryCodeTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  used_at: string | null;
  created_at: string;
}

/** A personal API token: only the SHA-256 of the token is kept; it is shown once, when created. */
export interface ApiTokenTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
}

export interface RecipientTable {
  id: Generated<number>;
  owner_id: number;
  email: string;
  email_normalized: string;
  full_name: string;
  comment: string;
  created_at: string;
  updated_at: string;
}

export type RecipientImportStatus = "running" | "done" | "failed";

/** One CSV upload of recipients; its counts grow as batches commit. */
export interface RecipientImportTable {
  id: Generated<number>;
  owner_id: number;
  key: string;
  file_name: string;
  update_existing: number;
  status: RecipientImportStatus;
  bytes_total: number | null;
  bytes_read: Generated<number>;
  rows: Generated<number>;
  added: Generated<number>;
  updated: Generated<number>;
  skipped: Generated<number>;
  invalid: Generated<number>;
  /** JSON ImportProblem[] (see recipients/import/import.service.ts), capped. */
  problems: Generated<string>;
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export type MessageFormat = "text" | "markdown" | "html";

export interface MessageTable {
  id: Generated<number>;
  owner_id: number;
  subject: string;
  body: string;
  format: Generated<MessageFormat>;
  layout_id: number | null;
  created_at: string;
  updated_at: string;
}

export type Periodicity = "once" | "daily" | "weekly" | "monthly";
export type MailingStatus = "created" | "running" | "completed";

export interface MailingTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  message_id: number;
  first_send_at: string;
  end_at: string;
  periodicity: Periodicity;
  time_zone: string;
  status: MailingStatus;
  disabled_at: string | null;
  /** The sender identity it sends as; null: SMTP_FROM. */
  sender_id: number | null;
  /** Its sending window (delivery/window.ts, JSON), or null: any time. */
  send_window: Generated<string | null>;
  /** The next planned run (UTC), or null when none is planned. Kept by the scheduler. */
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MailingRecipientTable {
  mailing_id: number;
  recipient_id: number;
}

export type RunTrigger = "schedule" | "web" | "cli" | "api";
export type RunStatus = "sending" | "success" | "failure";
/** suppressed: the address was on the owner's suppression list (at run creation or when claimed); never sent. */
/** cancelled: its run was cancelled before it was sent. */
export type DeliveryStatus = "pending" | "sending" | "sent" | "failed" | "suppressed" | "cancelled";

export interface RunTable {
  id: Generated<number>;
  mailing_id: number;
  trigger: RunTrigger;
  actor_user_id: number | null;
  status: RunStatus;
  /** The planned occurrence this run serves (manual runs: when they were asked for). Unique per mailing. */
  scheduled_for: string;
  subject: string;
  body: string;
  /** The snapshot of the message's format, layout and sender; null on runs made before migration 011. */
  format: MessageFormat | null;
  layout_html: string | null;
  layout_text: string | null;
  /** The From header; null: SMTP_FROM. */
  from_header: string | null;
  reply_to: string | null;
  postal_address: string | null;
  /** When the run was paused (no new deliveries start), or null. */
  paused_at: string | null;
  /** When the run was cancelled (its pending deliveries became cancelled), or null. */
  cancelled_at: string | null;
  /** Deliveries the cancel stopped before they were sent. */
  cancelled_count: Generated<number>;
  total_count: number;
  sent_count: number;
  failed_count: number;
  /** Deliveries with a hard or soft bounce recorded (bounces/), kept with each record. */
  bounced_count: Generated<number>;
  /** Unsubscribes from the run's copies (complaints included), kept with each record. */
  unsubscribed_count: Generated<number>;
  /** JSON RunResponse (see delivery/summary.ts), written when the run finishes. */
  response: string | null;
  started_at: string;
  finished_at: string | null;
  created_at: string;
  /** When retention (DELIVERY_RETENTION_DAYS) removed the run's deliveries and tries, or null. */
  pruned_at: Generated<string | null>;
  /** The retention in days that applied then. */
  pruned_after_days: Generated<number | null>;
  /**
   * What the engine still does to the run before it may finish (migration 028): 'audience' (deliveries
   * being inserted in chunks, none due), 'release' (making them due), 'retry' (failed ones put back), or null.
   */
  preparing: Generated<RunPreparing | null>;
  /** Where the next chunk starts: a recipient id ('audience') or a delivery id ('release', 'retry'). */
  prepare_cursor: Generated<number | null>;
  /** The audience's size when preparation began ("Preparing… N of about M"); null until known. */
  expected_count: Generated<number | null>;
}

export type RunPreparing = "audience" | "release" | "retry";

/** A run's deliveries by status, kept exact by triggers on deliveries (migration 028). */
export interface RunCountTable {
  run_id: number;
  status: DeliveryStatus;
  n: number;
}

/** A run's sent and failed deliveries per minute (UTC "YYYY-MM-DDTHH:MM"), kept by triggers (migration 031). */
export interface RunMinuteTable {
  run_id: number;
  minute: string;
  sent: number;
  failed: number;
}

export interface DeliveryTable {
  id: Generated<number>;
  run_id: number;
  recipient_id: number | null;
  email: string;
  status: DeliveryStatus;
  tries: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_expires_at: string | null;
  last_code: number | null;
  last_enhanced: string | null;
  last_text: string | null;
  message_id: string | null;
  created_at: string;
  sent_at: string | null;
  updated_at: string;
  /** When a bounce or complaint about this delivery arrived (the status stays `sent`: the relay took it). */
  bounced_at: string | null;
  bounce_type: BounceType | null;
  /** The report's enhanced status (5.1.1), or null. */
  bounce_status: string | null;
  /** The report's diagnostic text (made safe to store), or the webhook's reason. */
  bounce_text: string | null;
}

export type BounceType = "hard" | "soft" | "complaint";

/** Where in the SMTP exchange a try ended; "local" is the outbox or a message that could not be built. */
export type AttemptStage =
  | "connect"
  | "greeting"
  | "ehlo"
  | "starttls"
  | "auth"
  | "mail"
  | "rcpt"
  | "data"
  | "local";

/** What a try meant: sent, retried later (a try used), failed for good, or the relay's problem (no try used). */
export type AttemptOutcome = "sent" | "retry" | "failed" | "relay";

/** One try of one delivery. Append-only. */
export interface DeliveryAttemptTable {
  id: Generated<number>;
  delivery_id: number;
  run_id: number;
  attempted_at: string;
  stage: AttemptStage;
  outcome: AttemptOutcome;
  code: number | null;
  enhanced: string | null;
  text: string;
  relay: string | null;
}

export interface OutboxMessageTable {
  id: Generated<number>;
  delivery_id: number | null;
  from_address: string;
  to_address: string;
  subject: string;
  raw: string;
  created_at: string;
}

export interface DeliveryWorkerTable {
  worker_id: string;
  host: string;
  pid: number;
  state: string;
  reason: string | null;
  paused_until: string | null;
  started_at: string;
  heartbeat_at: string;
  /** JSON WorkerDetails (delivery/ports.ts): its relays' state and the domains it slows down; null: none. */
  details: Generated<string | null>;
}

/** A confirmation or password-reset token: only its SHA-256 is stored; single use, with an expiry. */
export interface AccountTokenTable {
  id: Generated<number>;
  user_id: number;
  purpose: AccountTokenPurpose;
  token_hash: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export type AccountTokenPurpose = "confirm" | "reset";
export type AccountEmailStatus = "pending" | "sent" | "failed";

/** The queue of account emails (confirmation, reset, notices), sent by the account-mail sender loop. */
export interface AccountEmailTable {
  id: Generated<number>;
  user_id: number | null;
  to_address: string;
  subject: string;
  body: string;
  status: Generated<AccountEmailStatus>;
  tries: Generated<number>;
  next_attempt_at: string;
  last_error: string | null;
  created_at: string;
  sent_at: string | null;
  /** An HTML part (test sends); null: plain text. */
  html: string | null;
  /** The From header; null: SMTP_FROM. */
  from_header: string | null;
  /** "test" for a message's test send (counted for its rate limit); null for account emails. */
  kind: string | null;
}

/** A reusable frame for messages: HTML with {{ content }}, and its text twin. owner_id null: shared. */
export interface LayoutTable {
  id: Generated<number>;
  owner_id: number | null;
  name: string;
  html: string;
  text: string;
  /** 1 for the layout PostPilot ships (migration 011b): it cannot be deleted. */
  builtin: Generated<number>;
  created_at: string;
  updated_at: string;
}

/** A From identity admins configure; mailings pick one. */
export interface SenderTable {
  id: Generated<number>;
  from_name: string;
  from_email: string;
  reply_to: string | null;
  /** The sender's postal address, for the footer bulk mail must carry. */
  postal_address: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface Tables {
  audit_log: AuditLogTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  recipients: RecipientTable;
  recipient_imports: RecipientImportTable;
  messages: MessageTable;
  mailings: MailingTable;
  mailing_recipients: MailingRecipientTable;
  runs: RunTable;
  run_counts: RunCountTable;
  run_minutes: RunMinuteTable;
  deliveries: DeliveryTable;
  delivery_attempts: DeliveryAttemptTable;
  outbox_messages: OutboxMessageTable;
  delivery_workers: DeliveryWorkerTable;
  posts: PostTable;
  account_tokens: AccountTokenTable;
  account_emails: AccountEmailTable;
  suppressions: SuppressionTable;
  unsubscribes: UnsubscribeTable;
  layouts: LayoutTable;
  senders: SenderTable;
  lists: ListTable;
  list_members: ListMemberTable;
  custom_fields: CustomFieldTable;
  recipient_fields: RecipientFieldTable;
  segments: SegmentTable;
  mailing_audiences: MailingAudienceTable;
  signups: SignupTable;
  login_throttles: LoginThrottleTable;
  recovery_codes: RecoveryCodeTable;
  send_buckets: SendBucketTable;
  api_idempotency_keys: ApiIdempotencyKeyTable;
  counters: CounterTable;
  counter_emails: CounterEmailTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_events: WebhookEventTable;
  webhook_attempts: WebhookAttemptTable;
}

/** An API call made with an Idempotency-Key: the request's hash and the response it got (kept 24 h). */
export interface ApiIdempotencyKeyTable {
  user_id: number;
  key: string;
  request_hash: string;
  status: number;
  body: string;
  created_at: string;
}

/** An exact home page figure, kept by triggers (src/db/counters.ts); owner_id 0 is all users. */
export interface CounterTable {
  owner_id: number;
  name: string;
  value: ColumnType<number | string, number, number>;
}

/** How many owners have a normalized address among their recipients (for the all-users distinct count). */
export interface CounterEmailTable {
  email: string;
  owners: number;
}

/** A shared token bucket (SEND_RATE): integers, updated by compare-and-set. PostgreSQL returns bigint as text. */
export interface SendBucketTable {
  name: string;
  millitokens: ColumnType<number | string, number, number>;
  refilled_at_ms: ColumnType<number | string, number, number>;
}

export type SuppressionReason = "unsubscribed" | "hard_bounce" | "soft_bounce" | "complaint" | "manual";
/** An owner's list of recipients; a recipient can be in several. The slug names its public signup form. */
export interface ListTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  name_normalized: string;
  description: Generated<string>;
  slug: string;
  signup_enabled: Generated<number>;
  /** JSON string[] of custom field keys the signup form asks for. */
  signup_fields: Generated<string>;
  signup_ask_name: Generated<number>;
  signup_redirect_url: string | null;
  created_at: string;
  updated_at: string;
}

export interface ListMemberTable {
  list_id: number;
  recipient_id: number;
  added_at: string;
}

export type CustomFieldType = "text" | "number" | "date" | "yes_no";

export interface CustomFieldTable {
  id: Generated<number>;
  owner_id: number;
  key: string;
  label: string;
  type: CustomFieldType;
  created_at: string;
}

/** A recipient's value of one custom field: canonical text, and the number for number fields. */
export interface RecipientFieldTable {
  recipient_id: number;
  field_id: number;
  value_text: string;
  value_number: number | null;
}

export interface SegmentTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  name_normalized: string;
  /** JSON SegmentDefinition (segments/segments.schemas.ts). */
  definition: string;
  created_at: string;
  updated_at: string;
}

export type AudienceMode = "include" | "exclude";
export type AudienceKind = "all" | "list" | "segment";

/** One part of a mailing's live audience (the individually picked ones are mailing_recipients). */
export interface MailingAudienceTable {
  id: Generated<number>;
  mailing_id: number;
  mode: AudienceMode;
  kind: AudienceKind;
  list_id: number | null;
  segment_id: number | null;
}

/** A signup through a list's form: pending until confirmed; the consent record (time and IP). */
export interface SignupTable {
  id: Generated<number>;
  list_id: number;
  email: string;
  email_normalized: string;
  full_name: Generated<string>;
  fields: Generated<string>;
  token_hash: string;
  ip: string;
  created_at: string;
  expires_at: string;
  confirmed_at: string | null;
  confirm_ip: string | null;
  recipient_id: number | null;
}

export type List = Selectable<ListTable>;
export type CustomField = Selectable<CustomFieldTable>;
export type Segment = Selectable<SegmentTable>;
export type MailingAudience = Selectable<MailingAudienceTable>;
export type Signup = Selectable<SignupTable>;

export type SuppressionSource =
  | "one-click"
  | "page"
  | "mailto"
  | "bounce"
  | "complaint"
  | "manual"
  | "api"
  | "import"
  | "cli";

/** An owner's suppressed address: never mailed. Unique per (owner_id, email_normalized). */
export interface SuppressionTable {
  id: Generated<number>;
  owner_id: number;
  email: string;
  email_normalized: string;
  reason: SuppressionReason;
  source: SuppressionSource;
  delivery_id: number | null;
  run_id: number | null;
  mailing_id: number | null;
  comment: string | null;
  created_at: string;
}

/** Every unsubscribe, kept when its suppression is removed; one per delivery (a link works once). */
export interface UnsubscribeTable {
  id: Generated<number>;
  owner_id: number;
  email: string;
  delivery_id: number | null;
  run_id: number | null;
  mailing_id: number | null;
  source: SuppressionSource;
  /** The client's IP when known (consent proof). */
  ip: Generated<string | null>;
  created_at: string;
}

export type AuditAction =
  | "block"
  | "unblock"
  | "disable_mailing"
  | "enable_mailing"
  | "role_change"
  | "create_user"
  | "update_user"
  | "delete_user"
  | "remove_suppression"
  | "create_sender"
  | "update_sender"
  | "delete_sender"
  | "create_layout"
  | "update_layout"
  | "delete_layout"
  | "clear_throttle";

export interface AuditLogTable {
  id: Generated<number>;
  actor_id: number | null;
  actor_email: string;
  action: AuditAction;
  target_type: "user" | "mailing" | "suppression" | "sender" | "layout";
  target_id: number;
  target_label: string;
  details: string;
  created_at: string;
}

export type AuditEntry = Selectable<AuditLogTable>;
export type Suppression = Selectable<SuppressionTable>;
export type NewSuppression = Insertable<SuppressionTable>;

export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type Session = Selectable<SessionTable>;
export type NewSession = Insertable<SessionTable>;
export type ApiToken = Selectable<ApiTokenTable>;
export type NewApiToken = Insertable<ApiTokenTable>;
export type Recipient = Selectable<RecipientTable>;
export type NewRecipient = Insertable<RecipientTable>;
export type RecipientUpdate = Updateable<RecipientTable>;
export type RecipientImport = Selectable<RecipientImportTable>;
export type Message = Selectable<MessageTable>;
export type Layout = Selectable<LayoutTable>;
export type Sender = Selectable<SenderTable>;
export type NewMessage = Insertable<MessageTable>;
export type MessageUpdate = Updateable<MessageTable>;
export type Mailing = Selectable<MailingTable>;
export type NewMailing = Insertable<MailingTable>;
export type MailingUpdate = Updateable<MailingTable>;
export type Run = Selectable<RunTable>;
export type NewRun = Insertable<RunTable>;
export type Delivery = Selectable<DeliveryTable>;
export type NewDelivery = Insertable<DeliveryTable>;
export type DeliveryAttempt = Selectable<DeliveryAttemptTable>;
export type OutboxMessage = Selectable<OutboxMessageTable>;
export type DeliveryWorker = Selectable<DeliveryWorkerTable>;

export interface PostTable {
  id: Generated<number>;
  author_id: number | null;
  title: string;
  slug: string;
  body_markdown: string;
  /** The stored image's file name under DATA_DIR/uploads, or null. */
  image_path: string | null;
  /** The image's description for screen readers (its alt text); "" when decorative or none. */
  image_alt: Generated<string>;
  /** When it was published (UTC), or null for a draft. */
  published_at: string | null;
  view_count: Generated<number>;
  created_at: string;
  updated_at: string;
}

export type Post = Selectable<PostTable>;
export type NewPost = Insertable<PostTable>;
export type PostUpdate = Updateable<PostTable>;
export type AccountToken = Selectable<AccountTokenTable>;
export type AccountEmail = Selectable<AccountEmailTable>;
export type NewAccountEmail = Insertable<AccountEmailTable>;

export type LoginThrottle = Selectable<LoginThrottleTable>;
export type RecoveryCode = Selectable<RecoveryCodeTable>;

/** A URL that gets events (migration 021); all_users: an admin's installation-wide endpoint. */
export interface WebhookEndpointTable {
  id: Generated<number>;
  owner_id: number;
  all_users: Generated<number>;
  url: string;
  description: Generated<string>;
  /** JSON string[] of event types. */
  events: string;
  secret: string;
  enabled: Generated<number>;
  disabled_reason: string | null;
  disabled_at: string | null;
  next_attempt_at: string | null;
  failing_since: string | null;
  failures: Generated<number>;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

export type WebhookEventStatus = "pending" | "delivered" | "failed";

/** One event waiting for (or sent to) one endpoint. */
export interface WebhookEventTable {
  id: Generated<number>;
  endpoint_id: number;
  uid: string;
  type: string;
  payload: string;
  status: Generated<WebhookEventStatus>;
  tries: Generated<number>;
  created_at: string;
  delivered_at: string | null;
}

export type WebhookOutcome = "ok" | "http_error" | "timeout" | "connection" | "refused";

/** One HTTP request to an endpoint (one event, or a batch of delivery events). */
export interface WebhookAttemptTable {
  id: Generated<number>;
  endpoint_id: number;
  request_id: string;
  event_ids: string;
  event_count: number;
  outcome: WebhookOutcome;
  status_code: number | null;
  response_excerpt: Generated<string>;
  error: string | null;
  duration_ms: number;
  attempted_at: string;
}

export type WebhookEndpoint = Selectable<WebhookEndpointTable>;
export type WebhookEvent = Selectable<WebhookEventTable>;
export type WebhookAttempt = Selectable<WebhookAttemptTable>;
