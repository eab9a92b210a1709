/** /api/v1/mailings: the same services and schemas as the mailing pages, plus "send now" and its runs. */
import type { Services } from "../container.js";
import { MAILING_SORTS, windowFields } from "../mailings/mailings.schemas.js";
import { ValidationError } from "../shared/errors.js";
import { PAGE_SIZE } from "../shared/pagination.js";
import { ownerWrite } from "./owner-writes.js";
import { type ApiRouter, patched } from "./router.js";
import {
  cursorListOf,
  cursorListQueryFor,
  cursorPagingQuery,
  mailingListOut,
  mailingOut,
  mailingRecipientListOut,
  mailingRecipientsQuery,
  ownerFilter,
  pickedAddedOut,
  pickedRemovedOut,
  runDetailsOut,
  runListOut,
  scopeQuery,
} from "./schemas.js";

const RECIPIENT_FIELDS = ["recipient_mode", "recipient_q", "recipient_ids", "recipient_emails"];

/** PATCH never silently drops a recipient change: it says where recipients are changed. */
function refuseRecipientFields(body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  const given = RECIPIENT_FIELDS.filter((f) => f in body);
  if (given.length === 0) return;
  throw new ValidationError(
    Object.fromEntries(
      given.map((f) => [
        f,
        "Change a mailing's recipients with POST or DELETE /mailings/{id}/recipients, or its audience with PATCH /mailings/{id}/audience.",
      ]),
    ),
  );
}

export function mailingsApi(api: ApiRouter, { mailings, delivery, admin }: Services): void {
  const tag = "Mailings";
  api.route({
    method: "GET",
    path: "/mailings",
    tag,
    summary: "List mailings, by cursor",
    description:
      "Newest first; follow `next_cursor` (as `cursor`) until it is null. `page` and `sort` still give offset pages, and so does `scope=all` (managers and admins: every user's mailings).",
    query: cursorListQueryFor(MAILING_SORTS).extend(ownerFilter).extend(scopeQuery.shape),
    status: 200,
    response: mailingListOut,
    problems: [403, 404, 422],
    handler: async ({ user, query }) => {
      const reader = await admin.readerFor(user, query.owner_id);
      return cursorListOf(
        query,
        () => mailings.list(reader, query),
        (q) => mailings.listByCursor(reader, q),
      );
    },
  });
  api.route({
    method: "POST",
    path: "/mailings",
    tag,
    summary: "Create a mailing",
    description:
      "Times without an offset are wall-clock times in `time_zone`. The mailing starts with all your recipients, those matching `recipient_q`, or none (`recipient_mode`), or exactly the recipients named by `recipient_ids` and/or `recipient_emails` (any you do not have is a 422 naming it; leave `recipient_mode` out). Change them later with POST/DELETE /mailings/{id}/recipients and PATCH /mailings/{id}/audience. If its first send time has passed, it is sent at once.",
    body: "MailingInput",
    status: 201,
    response: mailingOut,
    problems: [422],
    handler: async ({ user, body }) => mailings.get(user, (await mailings.create(user, body)).id),
  });
  api.route({
    method: "GET",
    path: "/mailings/:id",
    tag,
    summary: "Get a mailing",
    description:
      "Managers and admins may read anyone's mailing, as on the web (read-only: changing or deleting another user's mailing, or its recipients, is a 403).",
    status: 200,
    response: mailingOut,
    problems: [404],
    handler: ({ user, id }) => mailings.view(user, id),
  });
  api.route({
    method: "PATCH",
    path: "/mailings/:id",
    tag,
    summary: "Change a mailing's schedule, message or name (only the fields sent)",
    description:
      "Recipients are changed on their own paths: sending recipient_mode, recipient_q, recipient_ids or recipient_emails here is a 422 that names them (POST/DELETE /mailings/{id}/recipients, PATCH /mailings/{id}/audience).",
    body: "MailingPatch",
    status: 200,
    response: mailingOut,
    problems: [403, 404, 422],
    handler: ({ user, id, body }) =>
      ownerWrite(
        user,
        "mailing",
        () => mailings.view(user, id),
        async () => {
          refuseRecipientFields(body);
          const m = await mailings.get(user, id);
          const stored = {
            name: m.name,
            message_id: m.message_id,
            sender_id: m.sender_id,
            first_send_at: m.first_send_at,
            end_at: m.end_at,
            periodicity: m.periodicity,
            time_zone: m.time_zone,
            ...windowFields(m.send_window),
          };
          await mailings.update(user, id, patched(stored, body));
          return mailings.get(user, id);
        },
      ),
  });
  api.route({
    method: "DELETE",
    path: "/mailings/:id",
    tag,
    summary: "Delete a mailing with its runs",
    status: 204,
    problems: [403, 404],
    handler: ({ user, id }) =>
      ownerWrite(
        user,
        "mailing",
        () => mailings.view(user, id),
        () => mailings.delete(user, id),
      ),
  });
  api.route({
    method: "POST",
    path: "/mailings/:id/send",
    tag,
    summary: "Send a mailing now",
    description:
      "Starts a run and answers at once; workers send it. Follow it with GET /runs/{id}. 409 while another run of the mailing is sending, when it has no recipients, or when a manager disabled it.",
    status: 202,
    response: runDetailsOut,
    problems: [403, 404, 409],
    handler: async ({ user, id }) => delivery.getRun(user, (await delivery.sendNow(user, id, "api")).id),
  });
  api.route({
    method: "GET",
    path: "/mailings/:id/runs",
    tag,
    summary: "List a mailing's runs, newest first, by cursor",
    description:
      "Follow `next_cursor` (as `cursor`) until it is null; runs started meanwhile are not repeated. `page` still gives offset pages. Managers and admins may read anyone's mailing's runs.",
    query: cursorPagingQuery,
    status: 200,
    response: runListOut,
    problems: [404, 422],
    handler: ({ user, id, query }) =>
      cursorListOf(
        query,
        () => delivery.listRuns(user, id, query.page ?? 1, query.limit ?? PAGE_SIZE),
        (q) => delivery.listRunsByCursor(user, id, q),
      ),
  });
  api.route({
    method: "GET",
    path: "/mailings/:id/recipients",
    tag,
    summary: "List the recipients picked individually for a mailing (by email)",
    description:
      "By cursor in recipient id order, newest first (follow `next_cursor` as `cursor` until it is null); `page` still gives the offset pages of 25 by email. Managers and admins may read anyone's mailing's recipients. Lists and segments of the mailing's audience are not expanded here (see GET /mailings/{id}/audience).",
    query: mailingRecipientsQuery,
    status: 200,
    response: mailingRecipientListOut,
    problems: [404, 422],
    handler: ({ user, id, query }) =>
      cursorListOf(
        query,
        () => mailings.viewPicked(user, id, { q: query.q ?? "", page: query.page, show: "in" }),
        (q) => mailings.viewPickedByCursor(user, id, q),
      ),
  });
  api.route({
    method: "POST",
    path: "/mailings/:id/recipients",
    tag,
    summary: "Pick recipients for a mailing, by ids or emails",
    body: "MembersInput",
    status: 200,
    response: pickedAddedOut,
    problems: [403, 404, 422],
    handler: async ({ user, id, body }) => {
      const r = await ownerWrite(
        user,
        "mailing",
        () => mailings.view(user, id),
        () => mailings.changePicked(user, id, "add", body),
      );
      return {
        added: r.changed,
        already_present: r.unchanged,
        not_found: r.missing.length,
        missing: r.missing,
      };
    },
  });
  api.route({
    method: "DELETE",
    path: "/mailings/:id/recipients",
    tag,
    summary: "Unpick recipients of a mailing, by ids or emails",
    body: "MembersInput",
    status: 200,
    response: pickedRemovedOut,
    problems: [403, 404, 422],
    handler: async ({ user, id, body }) => {
      const r = await ownerWrite(
        user,
        "mailing",
        () => mailings.view(user, id),
        () => mailings.changePicked(user, id, "remove", body),
      );
      return {
        removed: r.changed,
        not_present: r.unchanged,
        not_found: r.missing.length,
        missing: r.missing,
      };
    },
  });
}
