/** The words for a suppression's reason and source, shared by the pages, the recipient page and the CLI. Pure. */
import type { SuppressionReason, SuppressionSource } from "../db/schema.js";

export const REASON_LABELS: Record<SuppressionReason, string> = {
  unsubscribed: "Unsubscribed",
  hard_bounce: "Hard bounce",
  soft_bounce: "Repeated soft bounces",
  complaint: "Complaint",
  manual: "Added by hand",
};

export const SOURCE_LABELS: Record<SuppressionSource, string> = {
  "one-click": "one-click link in the mail program",
  page: "unsubscribe page",
  mailto: "unsubscribe email",
  bounce: "bounce",
  complaint: "complaint",
  manual: "web",
  api: "API",
  import: "CSV import",
  cli: "command line",
};
