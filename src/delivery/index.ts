/** The delivery engine's public surface, for the composition root, the web pages, the API and the CLI. */

export {
  type DeliveryActor,
  DeliveryService,
  type MonthReport,
  type OutboxListItem,
  type Progress,
  type RunDetails,
  type RunView,
  type SendingStatus,
} from "./delivery.service.js";
export type { EngineConfig, Mailer } from "./ports.js";
export { createDeliveryRuntime, type DeliveryRuntime, engineConfig } from "./runtime.js";
export {
  initialNextRun,
  isScheduleOver,
  nextOccurrences,
  occurrenceAfter,
  planNextRun,
  type Schedule,
} from "./schedule.js";
export { DEFAULT_GRACE_MS, Scheduler, type TickResult } from "./scheduler.js";
export { parseResponse, type RunResponse } from "./summary.js";
export { type DeliveryLogger, DeliveryWorker } from "./worker.js";
