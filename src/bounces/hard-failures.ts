/**
 * The engine's RunsFinishedListener: when a run finishes, its deliveries refused at RCPT with 5.1.x (no
 * such user, bad domain) count as hard bounces (BounceService.suppressHardFailures). A failure here is
 * logged and never reaches the worker: the run is finished either way.
 */
import type { RunsFinishedListener } from "../delivery/ports.js";
import type { DeliveryLogger } from "../delivery/worker.js";
import type { BounceService } from "./bounces.service.js";

export function hardFailureListener(bounces: BounceService, logger: DeliveryLogger): RunsFinishedListener {
  return {
    async runsFinished(runIds) {
      for (const runId of runIds) {
        try {
          const suppressed = await bounces.suppressHardFailures(runId);
          if (suppressed.length > 0)
            logger.info({ runId, suppressed: suppressed.length }, "hard failures suppressed");
        } catch (error) {
          logger.error({ err: error, runId }, "could not suppress the run's hard failures");
        }
      }
    },
  };
}
