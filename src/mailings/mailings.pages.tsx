/** Mailing pages: list, detail with planned sends and runs, create, edit, delete. */
import type { FastifyInstance } from "fastify";
import { DateTime } from "luxon";
import type { ComponentChildren } from "preact";
import { MailingToggle } from "../admin/admin.pages.js";
import { AudienceSummary } from "../audiences/audience.pages.js";
import type { Services } from "../container.js";
import type { Mailing, MailingStatus, Sender } from "../db/schema.js";
import type { RunView } from "../delivery/delivery.service.js";
import { RunsTable } from "../delivery/delivery.views.js";
import { describeWindow, nextOpening, parseSendWindow } from "../delivery/window.js";
import { senderLabel } from "../senders/senders.service.js";
import { LIMITS, pageNumber } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { formatCount } from "../shared/plural.js";
import { isStaff } from "../shared/roles.js";
import { formatInZone, toLocalInput } from "../shared/time.js";
import {
  ConfirmForm,
  CsrfField,
  DefinitionList,
  EmptyState,
  Field,
  FormAlert,
  type FormState,
  OwnerCell,
  PageHeader,
  Pager,
  ScopeToggle,
  SearchableList,
  Select,
  SortHeader,
} from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { ZonePicker } from "../web/zone-picker.js";
import type { MailingRow } from "./mailings.repository.js";
import { PERIODICITIES, PERIODICITY_LABELS, windowFields } from "./mailings.schemas.js";

type ListResult = Awaited<ReturnType<Services["mailings"]["list"]>>;

const STATUS_BADGES: Record<MailingStatus, { label: string; cls: string; icon: string }> = {
  created: { label: "Created", cls: "text-bg-secondary", icon: "bi-hourglass" },
  running: { label: "Running", cls: "text-bg-primary", icon: "bi-arrow-repeat" },
  completed: { label: "Completed", cls: "text-bg-success", icon: "bi-check2-circle" },
};

export function StatusBadge({ mailing }: { mailing: Pick<Mailing, "status" | "disabled_at"> }) {
  const badge = STATUS_BADGES[mailing.status];
  return (
    <>
      <span class={`badge ${badge.cls}`}>
        <i class={`bi ${badge.icon}`} aria-hidden="true" /> {badge.label}
      </span>
      {mailing.disabled_at && (
        <span class="badge text-bg-warning ms-1">
          <i class="bi bi-pause-circle" aria-hidden="true" /> Disabled
        </span>
      )}
    </>
  );
}

function listPage(ctx: ViewContext, result: ListResult) {
  const { query, scope } = result;
  const all = scope === "all";
  const ownerEmail = all && query.owner !== undefined ? result.items[0]?.owner_email : undefined;
  return renderPage(
    ctx,
    "Mailings",
    <>
      <PageHeader title={all ? "Mailings of all users" : "Mailings"}>
        <a class="btn btn-primary" href="/mailings/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> New mailing
        </a>
      </PageHeader>
      {isStaff(ctx.user) && (
        <ScopeToggle path="/mailings" scope={scope} owner={query.owner} ownerEmail={ownerEmail} />
      )}
      <SearchableList
        path="/mailings"
        query={query}
        page={result}
        searchLabel="Search by name or subject"
        noMatch="No mailings match your search"
        empty={
          all ? (
            <EmptyState icon="bi-send" title="No mailings yet">
              No user has a mailing yet.
            </EmptyState>
          ) : (
            <EmptyState icon="bi-send" title="No mailings yet">
              A mailing sends one of your messages to your recipients, once or on a schedule.{" "}
              <a href="/mailings/new">Create your first mailing</a>.
            </EmptyState>
          )
        }
        head={
          <>
            <SortHeader label="Name" column="name" path="/mailings" query={query} />
            {all && <th scope="col">Owner</th>}
            <th scope="col" class="d-none d-md-table-cell">
              Message
            </th>
            <SortHeader label="Status" column="status" path="/mailings" query={query} />
            <SortHeader label="First send" column="first_send_at" path="/mailings" query={query} />
            <th scope="col" class="d-none d-md-table-cell">
              Repeats
            </th>
            <th scope="col" class="text-end d-none d-md-table-cell">
              Recipients
            </th>
          </>
        }
      >
        {result.items.map((m) => (
          <tr>
            <td class="text-break" data-label="Name">
              <a href={`/mailings/${m.id}`}>{m.name}</a>
            </td>
            {all && <OwnerCell path="/mailings" ownerId={m.owner_id} email={m.owner_email} />}
            <td class="text-truncate-cell d-none d-md-table-cell" data-label="Message">
              {m.message_subject}
            </td>
            <td data-label="Status">
              <StatusBadge mailing={m} />
            </td>
            <td data-label="First send">
              {formatInZone(m.first_send_at, ctx.user?.time_zone ?? m.time_zone)}
            </td>
            <td class="d-none d-md-table-cell" data-label="Repeats">
              {PERIODICITY_LABELS[m.periodicity]}
            </td>
            <td class="text-end d-none d-md-table-cell" data-label="Recipients">
              {formatCount(m.recipient_count)}
              {m.recipient_count_capped && "+"}
            </td>
          </tr>
        ))}
      </SearchableList>
    </>,
  );
}

function Radio({
  form,
  name,
  value,
  label,
  children,
}: {
  form: FormState;
  name: string;
  value: string;
  label: string;
  children?: ComponentChildren;
}) {
  const fieldId = `f-${name}-${value}`;
  return (
    <div class="form-check">
      <input
        class="form-check-input"
        type="radio"
        name={name}
        id={fieldId}
        value={value}
        checked={(form.values[name] ?? "all") === value}
      />
      <label class="form-check-label" for={fieldId}>
        {label}
      </label>
      {children}
    </div>
  );
}

function formPage(
  ctx: ViewContext,
  form: FormState,
  messages: { id: number; subject: string }[],
  recipientTotal: number,
  from: FromChoices,
  mailing?: MailingRow,
) {
  const title = mailing ? `Edit ${mailing.name}` : "New mailing";
  const zone = form.values.time_zone ?? ctx.user?.time_zone ?? "UTC";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      {messages.length === 0 && (
        <div class="alert alert-info">
          A mailing sends a message, and you have none yet. <a href="/messages/new">Write a message first</a>.
        </div>
      )}
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={mailing ? `/mailings/${mailing.id}/edit` : "/mailings/new"} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="name"
              label="Name"
              required
              maxLength={LIMITS.name}
              help="For you; recipients do not see it."
            />
            <Select
              form={form}
              name="message_id"
              label="Message"
              required
              options={[
                { value: "", label: "Choose a message…" },
                ...messages.map((m) => ({ value: String(m.id), label: m.subject })),
              ]}
            />
            <Select
              form={form}
              name="sender_id"
              label="From"
              options={[
                { value: "", label: `Default (${from.defaultFrom})` },
                ...from.senders.map((s) => ({ value: String(s.id), label: senderLabel(s) })),
              ]}
              help="Who the mailing comes from. Admins manage the senders."
            />
            <div class="row">
              <div class="col-md-4">
                <Select
                  form={form}
                  name="periodicity"
                  label="Repeats"
                  required
                  options={PERIODICITIES.map((p) => ({ value: p, label: PERIODICITY_LABELS[p] }))}
                />
              </div>
              <div class="col-md-8">
                <ZonePicker
                  form={form}
                  required
                  help="Repeats keep this zone's local time, also across daylight saving changes."
                />
              </div>
            </div>
            <div class="row">
              <div class="col-md-6">
                <Field
                  form={form}
                  name="first_send_at"
                  label="First send"
                  type="datetime-local"
                  required
                  help={
                    <>
                      In the time zone chosen above, <span data-zone-label>{zone}</span>. If it is now or
                      earlier, the mailing is sent right away.
                    </>
                  }
                />
              </div>
              {/* Hidden for a one-off (public/app.css, :has on the Repeats select): it needs no End. */}
              <div class="col-md-6 end-field">
                <Field
                  form={form}
                  name="end_at"
                  label="End"
                  type="datetime-local"
                  help="Needed when it repeats: no sends at or after this time; the mailing is then Completed."
                />
              </div>
            </div>
            <SendWindowFields form={form} />
            {!mailing && (
              <fieldset class="mb-3">
                <legend class="form-label fs-6">Recipients</legend>
                <Radio
                  form={form}
                  name="recipient_mode"
                  value="all"
                  label={`All my recipients (${recipientTotal.toLocaleString("en-US")})`}
                />
                <Radio
                  form={form}
                  name="recipient_mode"
                  value="matching"
                  label="Those whose email or name contains:"
                >
                  <label class="visually-hidden" for="f-recipient_q">
                    Recipient search
                  </label>
                  <input
                    id="f-recipient_q"
                    name="recipient_q"
                    class={`form-control mt-1${form.errors.recipient_q ? " is-invalid" : ""}`}
                    maxLength={LIMITS.search}
                    value={form.values.recipient_q ?? ""}
                    placeholder="e.g. @example.com"
                  />
                  {form.errors.recipient_q && <div class="invalid-feedback">{form.errors.recipient_q}</div>}
                </Radio>
                <Radio
                  form={form}
                  name="recipient_mode"
                  value="none"
                  label="None yet — I will pick them one by one after saving"
                />
                <div class="form-text">
                  You can add and remove recipients on the mailing's page at any time.
                </div>
              </fieldset>
            )}
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {mailing ? "Save changes" : "Create mailing"}
              </button>
              <a class="btn btn-outline-secondary" href={mailing ? `/mailings/${mailing.id}` : "/mailings"}>
                Cancel
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

/** The From picker's choices: SMTP_FROM, then every sender identity. */
type FromChoices = { defaultFrom: string; senders: Sender[] };

function detailPage(
  ctx: ViewContext,
  m: MailingRow & { owner_email?: string | undefined },
  sender: string,
  upcoming: Date[],
  runs: Page<RunView>,
  now: Date,
) {
  const window = parseSendWindow(m.send_window);
  const zone = m.time_zone;
  // Someone else's mailing (a manager or admin looking): read-only, with disable/enable.
  const foreign = m.owner_email !== undefined;
  return renderPage(
    ctx,
    m.name,
    <>
      <PageHeader title={m.name}>
        {!foreign && !m.disabled_at && m.recipient_count > 0 && (
          <a class="btn btn-primary" href={`/mailings/${m.id}/send`}>
            <i class="bi bi-send" aria-hidden="true" /> Send now
          </a>
        )}
        {!foreign && (
          <>
            <a class="btn btn-outline-primary" href={`/mailings/${m.id}/audience`}>
              <i class="bi bi-people" aria-hidden="true" /> Audience
            </a>
            <a class="btn btn-outline-primary" href={`/mailings/${m.id}/edit`}>
              <i class="bi bi-pencil" aria-hidden="true" /> Edit
            </a>
            <a class="btn btn-outline-secondary" href={`/mailings/${m.id}/duplicate`}>
              <i class="bi bi-copy" aria-hidden="true" /> Duplicate
            </a>
            <a class="btn btn-outline-danger" href={`/mailings/${m.id}/delete`}>
              <i class="bi bi-trash" aria-hidden="true" /> Delete
            </a>
          </>
        )}
        {isStaff(ctx.user) && <MailingToggle ctx={ctx} mailing={m} back={`/mailings/${m.id}`} />}
      </PageHeader>
      {foreign && (
        <div class="alert alert-info">
          You are looking at a mailing of <a href={`/admin/users/${m.owner_id}`}>{m.owner_email}</a>:
          read-only.
        </div>
      )}
      {m.disabled_at && (
        <div class="alert alert-warning">
          This mailing is disabled by a manager: it does not send until it is enabled again.
        </div>
      )}
      {m.recipient_count === 0 && (
        <div class="alert alert-warning">
          This mailing has no recipients, so nothing will be sent.{" "}
          <a href={`/mailings/${m.id}/audience`}>Choose its audience</a>.
        </div>
      )}
      <div class="row g-4">
        <div class="col-lg-7">
          <div class="card">
            <div class="card-body">
              <DefinitionList
                items={[
                  ["Status", <StatusBadge mailing={m} />],
                  [
                    "Message",
                    foreign ? (
                      m.message_subject
                    ) : (
                      <>
                        <a href={`/messages/${m.message_id}`}>{m.message_subject}</a> ·{" "}
                        <a
                          href={`/messages/${m.message_id}${m.sender_id === null ? "" : `?sender_id=${m.sender_id}`}`}
                        >
                          Preview and send a test
                        </a>
                      </>
                    ),
                  ],
                  ["From", sender],
                  ["Recipients", <AudienceSummary mailing={m} foreign={foreign} />],
                  ["Repeats", PERIODICITY_LABELS[m.periodicity]],
                  ["First send", formatInZone(m.first_send_at, zone)],
                  ["End", formatInZone(m.end_at, zone)],
                  ["Time zone", zone],
                  ["Sending window", windowText(m.send_window)],
                  ["Last sent", formatInZone(m.last_run_at, zone)],
                  ["Created", formatInZone(m.created_at, zone)],
                ]}
              />
            </div>
          </div>
        </div>
        <div class="col-lg-5">
          <div class="card">
            <div class="card-body">
              <h2 class="h6">Next planned sends</h2>
              {upcoming.length === 0 ? (
                <p class="text-body-secondary mb-0">
                  {m.disabled_at
                    ? "None: the mailing is disabled."
                    : m.status === "completed"
                      ? "None: the mailing is completed."
                      : "None planned."}
                </p>
              ) : (
                <ol class="mb-0">
                  {upcoming.map((d) => {
                    const opens = window ? nextOpening(window, zone, d) : null;
                    return (
                      <li>
                        <time datetime={d.toISOString()}>{formatInZone(d.toISOString(), zone)}</time>
                        {d.getTime() <= now.getTime() && <span class="badge text-bg-info ms-2">due now</span>}
                        {opens && (
                          <div class="small text-body-secondary">
                            outside the sending window: sending starts{" "}
                            {formatInZone(opens.toISOString(), zone)}
                          </div>
                        )}
                      </li>
                    );
                  })}
                </ol>
              )}
              {window && (
                <p class="small text-body-secondary mt-2 mb-0">
                  Sends only {describeWindow(window)} ({zone}).
                </p>
              )}
            </div>
          </div>
        </div>
      </div>
      <h2 class="h5 mt-4">Runs</h2>
      <RunsTable runs={runs} zone={zone} />
      <Pager page={runs} path={`/mailings/${m.id}`} params={{}} />
      <p class="mt-3">
        <a href="/mailings">
          <i class="bi bi-arrow-left" aria-hidden="true" /> All mailings
        </a>
      </p>
    </>,
  );
}

function deletePage(ctx: ViewContext, m: MailingRow) {
  return renderPage(
    ctx,
    `Delete ${m.name}`,
    <>
      <PageHeader title={`Delete ${m.name}?`} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/mailings/${m.id}/delete`}
        cancelHref={`/mailings/${m.id}`}
        button="Delete mailing"
      >
        <p class="mb-0">
          The mailing, its planned sends and its send history are deleted. Its message and recipients are
          kept.
        </p>
      </ConfirmForm>
    </>,
  );
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

function windowText(stored: string | null): string {
  const window = parseSendWindow(stored);
  return window ? describeWindow(window) : "Any time";
}

/** The optional sending window: weekdays and hours in the mailing's zone. */
function SendWindowFields({ form }: { form: FormState }) {
  const days = (form.values.window_days ?? "").split(",");
  const error = form.errors.window_days;
  return (
    <fieldset class="mb-3" aria-describedby="window-help">
      <legend class="form-label fs-6">
        Sending window <span class="text-body-secondary small">(optional)</span>
      </legend>
      <div class={`mb-2${error ? " is-invalid" : ""}`}>
        {WEEKDAYS.map((day, i) => (
          <div class="form-check form-check-inline">
            <input
              class={`form-check-input${error ? " is-invalid" : ""}`}
              type="checkbox"
              id={`f-window_days-${i + 1}`}
              name="window_days"
              value={String(i + 1)}
              checked={days.includes(String(i + 1))}
            />
            <label class="form-check-label" for={`f-window_days-${i + 1}`}>
              {day}
            </label>
          </div>
        ))}
        {error && <div class="invalid-feedback d-block">{error}</div>}
      </div>
      <div class="row">
        <div class="col-6 col-md-3">
          <Field form={form} name="window_start" label="Sending starts" type="time" />
        </div>
        <div class="col-6 col-md-3">
          <Field form={form} name="window_end" label="Sending ends" type="time" />
        </div>
      </div>
      <div class="form-text" id="window-help">
        Runs send only on these days between these times, in the time zone chosen above; a run that reaches
        the end of the window waits and resumes at the next opening. Leave empty to send at any time.
      </div>
    </fieldset>
  );
}

function valuesOf(m: Mailing): FormState {
  const window = windowFields(m.send_window);
  return {
    values: {
      name: m.name,
      message_id: String(m.message_id),
      sender_id: m.sender_id === null ? "" : String(m.sender_id),
      periodicity: m.periodicity,
      time_zone: m.time_zone,
      first_send_at: toLocalInput(m.first_send_at, m.time_zone),
      end_at: toLocalInput(m.end_at, m.time_zone),
      window_days: window.window_days.join(","),
      window_start: window.window_start,
      window_end: window.window_end,
    },
    errors: {},
  };
}

/** A new mailing starts tomorrow at 09:00 in the user's zone: nothing goes out by accident. */
function defaults(zone: string): FormState {
  const start = DateTime.now()
    .setZone(zone)
    .plus({ days: 1 })
    .set({ hour: 9, minute: 0, second: 0, millisecond: 0 });
  const end = start.plus({ days: 30 });
  return {
    values: {
      periodicity: "once",
      time_zone: zone,
      first_send_at: start.toFormat("yyyy-LL-dd'T'HH:mm"),
      end_at: end.toFormat("yyyy-LL-dd'T'HH:mm"),
      recipient_mode: "all",
    },
    errors: {},
  };
}

export function mailingRoutes(app: FastifyInstance, services: Services): void {
  const { mailings, messages, recipients, delivery, senders } = services;

  const renderForm = async (ctx: ViewContext, form: FormState, mailing?: MailingRow) => {
    const user = ctx.user!;
    const [messageList, recipientTotal, senderList] = await Promise.all([
      messages.listAll(user),
      recipients.count(user),
      senders.list(user),
    ]);
    const from = { defaultFrom: senders.defaultFrom, senders: senderList };
    return formPage(ctx, form, messageList, recipientTotal, from, mailing);
  };

  app.get("/mailings", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, listPage(viewContext(req, reply), await mailings.list(user, req.query)));
  });

  app.get("/mailings/new", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, await renderForm(viewContext(req, reply), defaults(user.time_zone)));
  });

  // Duplicate: the new-mailing form filled in from one of the user's mailings (message, sender, repeats,
  // zone, sending window), named "Copy of …" and starting tomorrow at 09:00 like any new one.
  app.get("/mailings/:id/duplicate", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    const fresh = defaults(m.time_zone);
    const copy = valuesOf(m);
    const form: FormState = {
      values: {
        ...copy.values,
        name: `Copy of ${m.name}`.slice(0, LIMITS.name),
        first_send_at: fresh.values.first_send_at,
        end_at: fresh.values.end_at,
        recipient_mode: "all",
      },
      errors: {},
    };
    return sendPage(reply, await renderForm(viewContext(req, reply), form));
  });

  app.post("/mailings/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const m = await mailings.create(user, formBody(req));
        return redirectWith(reply, `/mailings/${m.id}`, "success", `Mailing “${m.name}” created.`);
      },
      (form) => renderForm(viewContext(req, reply), form),
    );
  });

  app.get("/mailings/:id", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.view(user, idParam(req.params));
    const page = pageNumber.parse((req.query as { page?: string }).page);
    const [upcoming, runs, sender] = await Promise.all([
      delivery.upcoming(user, m.id),
      delivery.listRuns(user, m.id, page),
      m.sender_id === null ? null : senders.get(user, m.sender_id),
    ]);
    const from = sender ? senderLabel(sender) : `Default (${senders.defaultFrom})`;
    return sendPage(reply, detailPage(viewContext(req, reply), m, from, upcoming, runs, new Date()));
  });

  app.get("/mailings/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    return sendPage(reply, await renderForm(viewContext(req, reply), valuesOf(m), m));
  });

  app.post("/mailings/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await mailings.update(user, m.id, formBody(req));
        return redirectWith(reply, `/mailings/${m.id}`, "success", "Mailing saved.");
      },
      (form) => renderForm(viewContext(req, reply), form, m),
    );
  });

  app.get("/mailings/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    return sendPage(reply, deletePage(viewContext(req, reply), m));
  });

  app.post("/mailings/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await mailings.get(user, idParam(req.params));
    await mailings.delete(user, m.id);
    return redirectWith(reply, "/mailings", "success", `Mailing “${m.name}” deleted.`);
  });
}
