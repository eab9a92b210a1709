/**
 * /api/v1/reports: the reports page's months (runs, sent, failed, suppressed, bounced, unsubscribed), your own,
 * one user's (owner_id, managers and admins) or every user's (scope=all, with a row per owner).
 */
import { z } from "zod";
import type { Services } from "../container.js";
import { ForbiddenError } from "../shared/errors.js";
import { isStaff } from "../shared/roles.js";
import type { ApiRouter } from "./router.js";
import { ownerFilter, reportOut } from "./schemas.js";

const reportQuery = z.object({
  ...ownerFilter,
  scope: z
    .enum(["mine", "all"])
    .optional()
    .describe("mine (default): your runs; all: every user's (managers and admins; others get a 403)."),
  months: z.coerce.number().int().min(1).max(120).optional().describe("How many months back (default 12)."),
});

export function reportsApi(api: ApiRouter, { delivery, admin }: Services): void {
  api.route({
    method: "GET",
    path: "/reports",
    tag: "Runs",
    summary: "Monthly sending figures, as the reports page shows them",
    description:
      "Your own runs by default. Managers and admins read one user's with `owner_id`, or every user's with `scope=all` (then `by_owner` sums them per owner). A plain user asking for anyone else's gets a 403.",
    query: reportQuery,
    status: 200,
    response: reportOut,
    problems: [403, 404, 422],
    handler: async ({ user, query }) => {
      const months = query.months ?? 12;
      if (query.scope === "all") {
        if (!isStaff(user)) throw new ForbiddenError("Only managers and admins may read other users' data.");
        const [rows, owners] = await Promise.all([
          delivery.report(user, { ownerId: null, months }),
          delivery.reportByOwner(user, { months }),
        ]);
        return {
          scope: "all" as const,
          owner_id: null,
          months: rows.map(monthView),
          by_owner: owners.map((o) => ({
            owner_id: o.ownerId,
            owner_email: o.ownerEmail,
            runs: o.runs,
            sent: o.sent,
            failed: o.failed,
            suppressed: o.suppressed,
            bounced: o.bounced,
            unsubscribed: o.unsubscribed,
          })),
        };
      }
      const reader = await admin.readerFor(user, query.owner_id);
      const rows = await delivery.report(user, { ownerId: reader.id, months });
      return {
        scope: reader.id === user.id ? ("own" as const) : ("user" as const),
        owner_id: reader.id,
        months: rows.map(monthView),
        by_owner: [],
      };
    },
  });
}

function monthView(m: Awaited<ReturnType<Services["delivery"]["report"]>>[number]) {
  return {
    month: m.month,
    runs: m.runs,
    success_runs: m.successRuns,
    failure_runs: m.failureRuns,
    sent: m.sent,
    failed: m.failed,
    suppressed: m.suppressed,
    bounced: m.bounced,
    unsubscribed: m.unsubscribed,
    cancelled: m.cancelled,
  };
}
