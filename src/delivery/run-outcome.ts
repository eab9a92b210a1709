/**
 * What a run's status says to people: Sending, Paused, Sent, Partly failed (N), Failed, Cancelled (N not sent). Derived from the stored
 * status ('sending' | 'success' | 'failure') and the delivery counts, so the column needs no new values.
 * Pure.
 */
import type { RunStatus } from "../db/schema.js";

export type RunOutcome = "sending" | "paused" | "sent" | "partly_failed" | "failed" | "cancelled";

export const RUN_OUTCOMES = ["sending", "paused", "sent", "partly_failed", "failed", "cancelled"] as const;

export function runOutcome(
  status: RunStatus,
  counts: { sent: number; failed: number; cancelled?: number },
  control: { paused_at?: string | null; cancelled_at?: string | null; preparing?: string | null } = {},
): { outcome: RunOutcome; label: string } {
  // Its deliveries are still being inserted (preparation.store.ts): none is sent yet.
  if (status === "sending" && control.preparing === "audience" && !control.cancelled_at)
    return { outcome: "sending", label: "Preparing…" };
  if (control.cancelled_at) {
    const label = status === "sending" ? "Cancelling" : `Cancelled (${counts.cancelled ?? 0} not sent)`;
    return { outcome: "cancelled", label };
  }
  if (status === "sending") {
    return control.paused_at
      ? { outcome: "paused", label: "Paused" }
      : { outcome: "sending", label: "Sending" };
  }
  if (status === "success" || counts.failed === 0) return { outcome: "sent", label: "Sent" };
  if (counts.sent === 0) return { outcome: "failed", label: "Failed" };
  return { outcome: "partly_failed", label: `Partly failed (${counts.failed})` };
}
