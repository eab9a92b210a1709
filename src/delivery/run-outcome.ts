/**
 * What a run's status says to people: Sending, Sent, Partly failed (N), Failed. Derived from the stored
 * status ('sending' | 'success' | 'failure') and the delivery counts, so the column needs no new values.
 * Pure.
 */
import type { RunStatus } from "../db/schema.js";

export type RunOutcome = "sending" | "sent" | "partly_failed" | "failed";

export const RUN_OUTCOMES = ["sending", "sent", "partly_failed", "failed"] as const;

export function runOutcome(
  status: RunStatus,
  counts: { sent: number; failed: number },
): { outcome: RunOutcome; label: string } {
  if (status === "sending") return { outcome: "sending", label: "Sending" };
  if (status === "success" || counts.failed === 0) return { outcome: "sent", label: "Sent" };
  if (counts.sent === 0) return { outcome: "failed", label: "Failed" };
  return { outcome: "partly_failed", label: `Partly failed (${counts.failed})` };
}
