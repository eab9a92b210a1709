/**
 * The migration list, shared by SQLite and PostgreSQL. Migrations are keyed by a date-prefixed name and
 * receive the dialect so they can branch only where the two truly differ.
 */
import type { Migration, MigrationProvider } from "kysely";
import { foundation } from "./2026-11-24-001-foundation.js";
import { delivery } from "./2026-11-24-002-delivery.js";
import { apiTokens } from "./2026-11-24-003-api-tokens.js";
import { blog } from "./2026-11-24-004-blog.js";
import { accountEmails } from "./2026-11-24-005-account-emails.js";
import { auditLog } from "./2026-11-24-006-audit-log.js";
import { recipientImports } from "./2026-11-24-007-recipient-imports.js";
import { deliveryAttempts } from "./2026-12-01-008-delivery-attempts.js";
import { suppression } from "./2026-12-01-009-suppression.js";
import { bounces } from "./2026-12-01-010-bounces.js";
import { messages } from "./2026-12-02-011-messages.js";
import { sendersAndLayouts } from "./2026-12-02-011b-senders.js";
import { audiences } from "./2026-12-02-012-audiences.js";
import { security } from "./2026-12-02-013-security.js";
import { bounceVerp } from "./2026-12-02-014-bounce-verp.js";
import { runControls } from "./2026-12-02-015-run-controls.js";
import { sendRate } from "./2026-12-02-016-send-rate.js";
import { apiIdempotency } from "./2026-12-02-017-api-idempotency.js";
import { sendWindows } from "./2026-12-02-018-send-windows.js";
import { counters } from "./2026-12-02-019-counters.js";
import { workerDetails } from "./2026-12-02-020-worker-details.js";
import { webhooks } from "./2026-12-02-021-webhooks.js";
import { listIndexes } from "./2026-12-02-023-list-indexes.js";
import { bigintDeliveryIds } from "./2026-12-02-024-bigint-delivery-ids.js";
import { runPruning } from "./2026-12-02-024b-run-pruning.js";
import { sqliteRecipientCounters } from "./2026-12-02-024c-sqlite-recipient-counters.js";
import { postImageAlt } from "./2026-12-02-026-post-image-alt.js";
import { userLocale } from "./2026-12-02-027-user-locale.js";
import { runPreparation } from "./2026-12-02-028-run-preparation.js";
import { dropRedundantRecipientIndex } from "./2026-12-02-029-drop-redundant-recipient-index.js";
import { cursorIndexes } from "./2026-12-02-030-cursor-indexes.js";
import { runMinutes } from "./2026-12-03-031-run-minutes.js";

export type Dialect = "sqlite" | "postgres";

export class StaticMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return {
      "2026-11-24-001-foundation": foundation(this.dialect),
      "2026-11-24-002-delivery": delivery(this.dialect),
      "2026-11-24-003-api-tokens": apiTokens(this.dialect),
      "2026-11-24-004-blog": blog(this.dialect),
      "2026-11-24-005-account-emails": accountEmails(this.dialect),
      "2026-11-24-006-audit-log": auditLog(this.dialect),
      "2026-11-24-007-recipient-imports": recipientImports(this.dialect),
      "2026-12-01-008-delivery-attempts": deliveryAttempts(this.dialect),
      "2026-12-01-009-suppression": suppression(this.dialect),
      "2026-12-01-010-bounces": bounces(this.dialect),
      "2026-12-02-011-messages": messages(this.dialect),
      "2026-12-02-011b-senders": sendersAndLayouts(),
      "2026-12-02-013-security": security(this.dialect),
      "2026-12-02-014-bounce-verp": bounceVerp(this.dialect),
      "2026-12-02-015-run-controls": runControls(this.dialect),
      "2026-12-02-016-send-rate": sendRate(),
      "2026-12-02-012-audiences": audiences(this.dialect),
      "2026-12-02-017-api-idempotency": apiIdempotency(),
      "2026-12-02-018-send-windows": sendWindows(),
      "2026-12-02-019-counters": counters(this.dialect),
      "2026-12-02-020-worker-details": workerDetails(),
      "2026-12-02-021-webhooks": webhooks(this.dialect),
      "2026-12-02-023-list-indexes": listIndexes(),
      "2026-12-02-024-bigint-delivery-ids": bigintDeliveryIds(this.dialect),
      "2026-12-02-024b-run-pruning": runPruning(),
      "2026-12-02-024c-sqlite-recipient-counters": sqliteRecipientCounters(this.dialect),
      "2026-12-02-026-post-image-alt": postImageAlt(),
      "2026-12-02-027-user-locale": userLocale(),
      "2026-12-02-028-run-preparation": runPreparation(this.dialect),
      "2026-12-02-029-drop-redundant-recipient-index": dropRedundantRecipientIndex(),
      "2026-12-02-030-cursor-indexes": cursorIndexes(),
      "2026-12-03-031-run-minutes": runMinutes(this.dialect),
    };
  }
}
