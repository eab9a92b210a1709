/**
 * The engine's two interfaces — the store (what the worker and scheduler need from the database) and the
 * mailer (how one message leaves) — and the engine's Config. The engine knows nothing of HTTP or SQL.
 */
import type { Tx } from "../db/database.js";
import type { AttemptOutcome, AttemptStage, Run, RunTrigger } from "../db/schema.js";
import type { BreakerPolicy } from "./breaker.js";
import type { SendOutcome } from "./classify.js";
import type { DomainLimit } from "./domains.js";
import type { BucketPolicy } from "./rate.js";
import type { Schedule } from "./schedule.js";
import type { SendWindow } from "./window.js";

export interface EngineConfig {
  /** Deliveries claimed (and results recorded) per round trip to the database. */
  batchSize: number;
  /** Messages in flight at once (and SMTP pool connections). */
  concurrency: number;
  /** Messages per second for every worker on the database together (a shared token bucket); 0 = unlimited. */
  rate: number;
  maxTries: number;
  retryBaseMs: number;
  maxAgeMs: number;
  /**
   * How long a claim lasts without renewal: the last line of defence. Normally a dead worker's claims are
   * taken back as soon as its heartbeat is stale (staleAfterMs), or at once by its restarted successor.
   */
  leaseMs: number;
  /** How often the worker beats its heartbeat and renews its leases. */
  heartbeatMs: number;
  /** A worker whose heartbeat is older than this is dead: its claims are taken back. */
  staleAfterMs: number;
  /** How long an idle worker waits before looking for due deliveries again. */
  idlePollMs: number;
  /** Results wait at most this long before they are written. */
  flushMs: number;
  breaker: BreakerPolicy;
  /** Per recipient domain: messages per second and in flight (default DEFAULT_DOMAIN_LIMITS, domains.ts). */
  domainLimits?: Record<string, DomainLimit>;
}

export interface SendTokens {
  granted: number;
  waitMs: number;
}

export interface ClaimedDelivery {
  id: number;
  runId: number;
  email: string;
  tries: number;
  createdAt: string;
}

/** One delivery's outcome, as the worker records it. */
export interface DeliveryResult {
  id: number;
  runId: number;
  status: "sent" | "failed" | "pending";
  /** 1 when the server answered this try (it counts against SEND_MAX_TRIES), 0 when it never got there. */
  triesIncrement: 0 | 1;
  nextAttemptAt: string | null;
  code: number | null;
  enhanced: string | null;
  text: string;
  messageId: string | null;
  sentAt: string | null;
  /** The try, for the delivery's history (delivery_attempts). */
  attempt: {
    at: string;
    stage: AttemptStage;
    outcome: AttemptOutcome;
    relay: string | null;
  };
}

/** Whether a run may send right now. */
export interface RunState {
  runId: number;
  /** Why the run's mailing may not send now (disabled by a manager, owner blocked), or null. */
  heldBecause: string | null;
  /** The mailing's sending window (null: any time) and its time zone. */
  window: SendWindow | null;
  zone: string;
}

/** The message a run sends, as it was when the run was created. */
export interface RunContent {
  subject: string;
  body: string;
  /** The run's mailing (its List-Id). */
  mailingId: number;
}

/**
 * How each copy offers unsubscribing (List-Unsubscribe, and the link in its body); built by suppression/
 * and wired in runtime.ts. Without it (account emails, some tests) copies carry no link.
 */
export interface UnsubscribeLinks {
  /** Appended to a message without {{unsubscribe_url}}; its own {{unsubscribe_url}} marks the link. */
  readonly footer: string;
  /** The one-click https URL of a delivery, and the mailto when an unsubscribe address is configured. */
  linksFor(deliveryId: number): { url: string; mailto: string | null };
}

/**
 * How a run's copies are made: what they share is built once per run (prepare), then each copy's bytes.
 * The default (copies.ts) sends the run's subject and body as they are; templates/ (formats, layouts,
 * personalisation, sender identities) supplies its own, wired in runtime.ts.
 */
export interface CopyBuilder {
  /** What a run's copies share; undefined when the run is gone. */
  prepare(runId: number): Promise<PreparedCopies | undefined>;
}

export interface PreparedCopies {
  /** The subject as the outbox lists it. */
  readonly subject: string;
  /** The From header value. */
  readonly fromHeader: string;
  /** The envelope sender (bare address). */
  readonly envelopeFrom: string;
  /**
   * Loads what these deliveries' copies need besides the run (their recipients' names and fields), in one
   * query; throws when the database fails (the worker then gives the batch back).
   */
  load(deliveries: ClaimedDelivery[]): Promise<void>;
  /** One copy's bytes; throws when it cannot be built (the delivery then fails as undeliverable). */
  copy(delivery: ClaimedDelivery, messageId: string): Buffer;
}

/**
 * Each mailing copy's envelope sender (MAIL FROM), where its bounces go: built by bounces/ (VERP, so a
 * bounce names its delivery) and wired in runtime.ts. Without it every copy's envelope sender is SMTP_FROM's.
 */
export interface ReturnPath {
  envelopeFor(deliveryId: number): string;
}

/**
 * Suppressed addresses are never mailed. Run creation already marks them; the worker asks again when it
 * claims, because an address may be suppressed while its run is sending. Built by suppression/.
 */
export interface SuppressionCheck {
  /**
   * Marks those of the claimed deliveries whose address is on their owner's suppression list `suppressed`
   * (only rows this worker still holds), with the reason; returns their ids.
   */
  suppressClaimed(workerId: string, deliveries: ClaimedDelivery[], now: Date): Promise<number[]>;
}

/**
 * Told about runs once they are finished, after the finish is committed (bounces/: the worker's own 5.1.x
 * failures at RCPT count as hard bounces). Never throws: a listener's failure must not undo or repeat a finish.
 */
export interface RunsFinishedListener {
  runsFinished(runIds: number[]): Promise<void>;
}

/**
 * Told, inside the transaction of the write that causes it, what the engine did: a run started, deliveries
 * sent or failed for good, a run finished. webhooks/ implements it (an outbox: an event is queued exactly
 * when its write commits, and only when an enabled endpoint wants it) and runtime.ts wires it; without it
 * nothing is told. A listener that throws rolls the write back (the worker then records again).
 */
export interface EngineEvents {
  runStarted(tx: Tx, run: Run, now: Date): Promise<void>;
  /** Deliveries this worker held whose results were just written (only those sent or failed for good). */
  deliveriesDone(tx: Tx, done: DoneDelivery[], now: Date): Promise<void>;
  runFinished(tx: Tx, runId: number, now: Date): Promise<void>;
}

export interface DoneDelivery {
  id: number;
  runId: number;
  recipientId: number | null;
  email: string;
  status: "sent" | "failed";
  code: number | null;
  enhanced: string | null;
  text: string;
  at: string;
}

export interface WorkerHeartbeat {
  workerId: string;
  host: string;
  pid: number;
  state: "running" | "paused" | "stopping";
  reason: string | null;
  pausedUntil: string | null;
  startedAt: string;
  now: string;
  details?: WorkerDetails;
}

/** What a worker reports with its heartbeat beside its state (for the relays page and the run page). */
export interface WorkerDetails {
  /** With several relays (SMTP_RELAYS): each one's state as this worker sees it. */
  relays?: { name: string; up: boolean; downUntil: string | null; lastError: string | null }[];
  /** Recipient domains this worker is slowing down (a 421 / 4.7.x from them), with their rate now. */
  slowedDomains?: { domain: string; rate: number }[];
}

export interface WorkerStore {
  /** Claims up to `limit` due pending deliveries for this worker, leased until `leaseUntil`. */
  claim(workerId: string, limit: number, now: Date, leaseUntil: Date): Promise<ClaimedDelivery[]>;
  /**
   * Records results and their tries in one transaction; only rows this worker still holds are changed.
   * Throws when the database refuses the write (the worker keeps the results and tries again).
   */
  record(workerId: string, results: DeliveryResult[], now: Date): Promise<void>;
  /** Gives claimed deliveries back untried (shutdown, pause). */
  release(workerId: string, ids: number[], now: Date, nextAttemptAt: Date): Promise<void>;
  renewLeases(workerId: string, until: Date, now: Date): Promise<void>;
  /** Puts deliveries whose lease expired (their worker died) back to pending; returns how many. */
  reclaimExpired(now: Date): Promise<number>;
  /**
   * Takes back the claims of dead workers and removes their heartbeat rows: those named, and (when
   * staleBefore is given) those whose heartbeat is older than it. Returns how many deliveries went back.
   */
  reclaimFromDeadWorkers(input: {
    deadWorkerIds: string[];
    staleBefore: Date | null;
    now: Date;
  }): Promise<number>;
  /** The workers whose heartbeat rows say they run on this host (to find a dead predecessor). */
  workersOnHost(host: string): Promise<{ workerId: string; pid: number }[]>;
  runStates(runIds: number[]): Promise<RunState[]>;
  runContent(runId: number): Promise<RunContent | undefined>;
  /** Defers a held run's pending deliveries until `until`, so they are not claimed over and over. */
  holdRun(runId: number, until: Date, now: Date): Promise<void>;
  /** Finishes those of the runs that have no pending or sending delivery left; returns them. */
  finishRunsIfDone(runIds: number[], now: Date): Promise<number[]>;
  heartbeat(beat: WorkerHeartbeat): Promise<void>;
  removeWorker(workerId: string): Promise<void>;
  /**
   * Takes up to `want` tokens from the shared bucket `name` (SEND_RATE: one for every worker on the database),
   * by compare-and-set on its row; nothing granted comes with how long until a token is there.
   */
  takeSendTokens(name: string, policy: BucketPolicy, want: number, now: Date): Promise<SendTokens>;
}

export interface DueMailing extends Schedule {
  id: number;
  next_run_at: string;
}

export type CreateRunInput = {
  mailingId: number;
  trigger: RunTrigger;
  actorUserId: number | null;
  scheduledFor: string;
  now: Date;
  /** Scheduled runs: the next_run_at read when the mailing was found due (compare-and-set) and the next. */
  schedule?: { expected: string; next: string | null };
};

export type CreateRunResult =
  | { run: Run }
  | { skipped: "gone" | "disabled" | "busy" | "empty" | "duplicate" | "completed" };

export interface SchedulerStore {
  dueMailings(now: Date, limit: number, graceMs: number): Promise<DueMailing[]>;
  /** In one transaction: the run, one delivery per current recipient, and the mailing's bookkeeping. */
  createRun(input: CreateRunInput): Promise<CreateRunResult>;
  /** Moves next_run_at on without a run (the occurrence was already served). */
  advance(mailingId: number, expected: string, next: string | null): Promise<void>;
  /** Marks mailings whose end has passed (and that have no run sending) Completed; returns how many. */
  completeEnded(now: Date, graceMs: number): Promise<number>;
  /** Finishes runs left sending with nothing open (a worker died between its last write and the finish). */
  finishStaleRuns(now: Date): Promise<number[]>;
}

export interface OutgoingMail {
  /** The mailing delivery this is, or null for an account email (confirmation, reset). */
  deliveryId: number | null;
  /** Envelope sender (bare address). */
  from: string;
  /** From header value, for the outbox listing. */
  fromHeader: string;
  to: string;
  subject: string;
  raw: Buffer;
  /**
   * Called by the mailer once it is ready to hand the message over (connection open, before MAIL FROM):
   * the worker takes its SEND_RATE token here, so the relay sees the rate, not the rate plus connection setup.
   */
  beforeTransmit?: () => Promise<void>;
}

export interface Mailer {
  readonly kind: "smtp" | "outbox";
  /** Sends one message; never throws: failures come back as an outcome to classify. */
  send(mail: OutgoingMail): Promise<SendOutcome>;
  /** Several relays: each one's state (RelaysMailer). */
  relayStatus?(): WorkerDetails["relays"];
  close(): Promise<void>;
}
