/** The words people read for a try's SMTP stage and outcome (run page, API enums). Pure. */
import type { AttemptOutcome, AttemptStage } from "../db/schema.js";

export const STAGE_LABELS: Record<AttemptStage, string> = {
  connect: "connecting",
  greeting: "greeting",
  ehlo: "EHLO",
  starttls: "STARTTLS",
  auth: "login (AUTH)",
  mail: "MAIL FROM",
  rcpt: "RCPT TO",
  data: "DATA",
  local: "local outbox",
};

export const ATTEMPT_STAGES = Object.keys(STAGE_LABELS) as [AttemptStage, ...AttemptStage[]];

export const OUTCOME_LABELS: Record<AttemptOutcome, string> = {
  sent: "sent",
  retry: "will retry",
  failed: "failed",
  relay: "relay problem — no try used",
};

export const ATTEMPT_OUTCOMES = Object.keys(OUTCOME_LABELS) as [AttemptOutcome, ...AttemptOutcome[]];
