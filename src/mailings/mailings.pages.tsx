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
import { formatNumber, type Translate } from "../i18n/index.js";
import { senderLabel } from "../senders/senders.service.js";
import { LIMITS, pageNumber } from "../shared/fields.js";
import type { Page } from "../shared/pagination.js";
import { isStaff } from "../shared/roles.js";
import { toLocalInput } from "../shared/time.js";
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
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import { ZonePicker } from "../web/zone-picker.js";
import { periodicityText, timeIn, windowText, windowWords } from "./mailing-words.js";
import type { MailingRow } from "./mailings.repository.js";
import { PERIODICITIES, windowFields } from "./mailings.schemas.js";

type ListResult = Awaited<ReturnType<Services["mailings"]["list"]>>;

const STATUS_BADGES: Record<MailingStatus, { cls: string; icon: string }> = {
  created: { cls: "text-bg-secondary", icon: "bi-hourglass" },
  running: { cls: "text-bg-primary", icon: "bi-arrow-repeat" },
  completed: { cls: "text-bg-success", icon: "bi-check2-circle" },
};

/** Shared with the dashboard and the admin pages, which pass no context: the words come from useI18n(). */
export function StatusBadge({ mailing }: { mailing: Pick<Mailing, "status" | "disabled_at"> }) {
  const { t } = useI18n();
  const badge = STATUS_BADGES[mailing.status];
  return (
    <>
      <span class={`badge ${badge.cls}`}>
        <i class={`bi ${badge.icon}`} aria-hidden="true" /> {t(`mailings.status.${mailing.status}`)}
      </span>
      {mailing.disabled_at && (
        <span class="badge text-bg-warning ms-1">
          <i class="bi bi-pause-circle" aria-hidden="true" /> {t("mailings.status.disabled")}
        </span>
      )}
    </>
  );
}

function listPage(ctx: ViewContext, result: ListResult) {
  const { t, locale } = ctx;
  const { query, scope } = result;
  const all = scope === "all";
  const ownerEmail = all && query.owner !== undefined ? result.items[0]?.owner_email : undefined;
  const l = (key: string) => t(`mailings.list.${key}`);
  return renderPage(
    ctx,
    l("title"),
    <>
      <PageHeader title={all ? l("titleAll") : l("title")}>
        <a class="btn btn-primary" href="/mailings/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> {l("new")}
        </a>
      </PageHeader>
      {isStaff(ctx.user) && (
        <ScopeToggle path="/mailings" scope={scope} owner={query.owner} ownerEmail={ownerEmail} />
      )}
      <SearchableList
        path="/mailings"
        query={query}
        page={result}
        searchLabel={l("search")}
        noMatch={l("noMatch")}
        empty={
          all ? (
            <EmptyState icon="bi-send" title={l("emptyTitle")}>
              {l("emptyAll")}
            </EmptyState>
          ) : (
            <EmptyState icon="bi-send" title={l("emptyTitle")}>
              {l("emptyText")} <a href="/mailings/new">{l("emptyLink")}</a>.
            </EmptyState>
          )
        }
        head={
          <>
            <SortHeader label={l("name")} column="name" path="/mailings" query={query} />
            {all && <th scope="col">{l("owner")}</th>}
            <th scope="col" class="d-none d-md-table-cell">
              {l("message")}
            </th>
            <SortHeader label={l("status")} column="status" path="/mailings" query={query} />
            <SortHeader label={l("firstSend")} column="first_send_at" path="/mailings" query={query} />
            <th scope="col" class="d-none d-md-table-cell">
              {l("repeats")}
            </th>
            <th scope="col" class="text-end d-none d-md-table-cell">
              {l("recipients")}
            </th>
          </>
        }
      >
        {result.items.map((m) => (
          <tr>
            <td class="text-break" data-label={l("name")}>
              <a href={`/mailings/${m.id}`}>{m.name}</a>
            </td>
            {all && <OwnerCell path="/mailings" ownerId={m.owner_id} email={m.owner_email} />}
            <td class="text-truncate-cell d-none d-md-table-cell" data-label={l("message")}>
              {m.message_subject}
            </td>
            <td data-label={l("status")}>
              <StatusBadge mailing={m} />
            </td>
            <td data-label={l("firstSend")}>
              {timeIn(locale, m.first_send_at, ctx.user?.time_zone ?? m.time_zone)}
            </td>
            <td class="d-none d-md-table-cell" data-label={l("repeats")}>
              {periodicityText(t, m.periodicity)}
            </td>
            <td class="text-end d-none d-md-table-cell" data-label={l("recipients")}>
              {formatNumber(locale, m.recipient_count)}
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
  const { t, locale } = ctx;
  const f = (key: string, options?: Record<string, unknown>) => t(`mailings.form.${key}`, options);
  const title = mailing ? f("editTitle", { name: mailing.name }) : f("newTitle");
  const zone = form.values.time_zone ?? ctx.user?.time_zone ?? "UTC";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      {messages.length === 0 && (
        <div class="alert alert-info">
          {f("noMessages")} <a href="/messages/new">{f("writeFirst")}</a>.
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
              label={f("name")}
              required
              maxLength={LIMITS.name}
              help={f("nameHelp")}
            />
            <Select
              form={form}
              name="message_id"
              label={f("message")}
              required
              options={[
                { value: "", label: f("chooseMessage") },
                ...messages.map((m) => ({ value: String(m.id), label: m.subject })),
              ]}
            />
            <Select
              form={form}
              name="sender_id"
              label={f("from")}
              options={[
                { value: "", label: f("defaultFrom", { from: from.defaultFrom }) },
                ...from.senders.map((s) => ({ value: String(s.id), label: senderLabel(s) })),
              ]}
              help={f("fromHelp")}
            />
            <div class="row">
              <div class="col-md-4">
                <Select
                  form={form}
                  name="periodicity"
                  label={f("repeats")}
                  required
                  options={PERIODICITIES.map((p) => ({ value: p, label: periodicityText(t, p) }))}
                />
              </div>
              <div class="col-md-8">
                <ZonePicker form={form} required help={f("zoneHelp")} />
              </div>
            </div>
            <div class="row">
              <div class="col-md-6">
                <Field
                  form={form}
                  name="first_send_at"
                  label={f("firstSend")}
                  type="datetime-local"
                  required
                  help={
                    <>
                      {f("firstSendBefore")}
                      <span data-zone-label>{zone}</span>
                      {f("firstSendAfter")}
                    </>
                  }
                />
              </div>
              {/* Hidden for a one-off (public/app.css, :has on the Repeats select): it needs no End. */}
              <div class="col-md-6 end-field">
                <Field form={form} name="end_at" label={f("end")} type="datetime-local" help={f("endHelp")} />
              </div>
            </div>
            <SendWindowFields form={form} t={t} />
            {!mailing && (
              <fieldset class="mb-3">
                <legend class="form-label fs-6">{f("recipients")}</legend>
                <Radio
                  form={form}
                  name="recipient_mode"
                  value="all"
                  label={f("all", { n: formatNumber(locale, recipientTotal) })}
                />
                <Radio form={form} name="recipient_mode" value="matching" label={f("matching")}>
                  <label class="visually-hidden" for="f-recipient_q">
                    {f("recipientSearch")}
                  </label>
                  <input
                    id="f-recipient_q"
                    name="recipient_q"
                    class={`form-control mt-1${form.errors.recipient_q ? " is-invalid" : ""}`}
                    maxLength={LIMITS.search}
                    value={form.values.recipient_q ?? ""}
                    placeholder={f("placeholder")}
                  />
                  {form.errors.recipient_q && <div class="invalid-feedback">{form.errors.recipient_q}</div>}
                </Radio>
                <Radio form={form} name="recipient_mode" value="none" label={f("none")} />
                <div class="form-text">{f("anyTime")}</div>
              </fieldset>
            )}
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {mailing ? f("save") : f("create")}
              </button>
              <a class="btn btn-outline-secondary" href={mailing ? `/mailings/${mailing.id}` : "/mailings"}>
                {t("common.cancel")}
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
  const { t, locale } = ctx;
  const d = (key: string, options?: Record<string, unknown>) => t(`mailings.detail.${key}`, options);
  const window = parseSendWindow(m.send_window);
  const zone = m.time_zone;
  const at = (value: string | null | undefined) => timeIn(locale, value, zone);
  // Someone else's mailing (a manager or admin looking): read-only, with disable/enable.
  const foreign = m.owner_email !== undefined;
  return renderPage(
    ctx,
    m.name,
    <>
      <PageHeader title={m.name}>
        {!foreign && !m.disabled_at && m.recipient_count > 0 && (
          <a class="btn btn-primary" href={`/mailings/${m.id}/send`}>
            <i class="bi bi-send" aria-hidden="true" /> {d("sendNow")}
          </a>
        )}
        {!foreign && (
          <>
            <a class="btn btn-outline-primary" href={`/mailings/${m.id}/audience`}>
              <i class="bi bi-people" aria-hidden="true" /> {d("audience")}
            </a>
            <a class="btn btn-outline-primary" href={`/mailings/${m.id}/edit`}>
              <i class="bi bi-pencil" aria-hidden="true" /> {d("edit")}
            </a>
            <a class="btn btn-outline-secondary" href={`/mailings/${m.id}/duplicate`}>
              <i class="bi bi-copy" aria-hidden="true" /> {d("duplicate")}
            </a>
            <a class="btn btn-outline-danger" href={`/mailings/${m.id}/delete`}>
              <i class="bi bi-trash" aria-hidden="true" /> {d("delete")}
            </a>
          </>
        )}
        {isStaff(ctx.user) && <MailingToggle ctx={ctx} mailing={m} back={`/mailings/${m.id}`} />}
      </PageHeader>
      {foreign && (
        <div class="alert alert-info">
          {d("foreignBefore")}
          <a href={`/admin/users/${m.owner_id}`}>{m.owner_email}</a>
          {d("foreignAfter")}
        </div>
      )}
      {m.disabled_at && <div class="alert alert-warning">{d("disabled")}</div>}
      {m.recipient_count === 0 && (
        <div class="alert alert-warning">
          {d("noRecipients")} <a href={`/mailings/${m.id}/audience`}>{d("chooseAudience")}</a>.
        </div>
      )}
      <div class="row g-4">
        <div class="col-lg-7">
          <div class="card">
            <div class="card-body">
              <DefinitionList
                items={[
                  [d("status"), <StatusBadge mailing={m} />],
                  [
                    d("message"),
                    foreign ? (
                      m.message_subject
                    ) : (
                      <>
                        <a href={`/messages/${m.message_id}`}>{m.message_subject}</a> ·{" "}
                        <a
                          href={`/messages/${m.message_id}${m.sender_id === null ? "" : `?sender_id=${m.sender_id}`}`}
                        >
                          {d("preview")}
                        </a>
                      </>
                    ),
                  ],
                  [d("from"), sender],
                  [d("recipients"), <AudienceSummary mailing={m} foreign={foreign} />],
                  [d("repeats"), periodicityText(t, m.periodicity)],
                  [d("firstSend"), at(m.first_send_at)],
                  // A one-off mailing has no End (its form hides the field too).
                  ...(m.periodicity === "once"
                    ? []
                    : [[d("end"), at(m.end_at)] as [string, ComponentChildren]]),
                  [d("timeZone"), zone],
                  [d("window"), windowText(t, m.send_window)],
                  [d("lastSent"), at(m.last_run_at)],
                  [d("created"), at(m.created_at)],
                ]}
              />
            </div>
          </div>
        </div>
        <div class="col-lg-5">
          <div class="card">
            <div class="card-body">
              <h2 class="h6">{d("next")}</h2>
              {upcoming.length === 0 ? (
                <p class="text-body-secondary mb-0">
                  {m.disabled_at
                    ? d("noneDisabled")
                    : m.status === "completed"
                      ? d("noneCompleted")
                      : d("nonePlanned")}
                </p>
              ) : (
                <ol class="mb-0">
                  {upcoming.map((day) => {
                    const opens = window ? nextOpening(window, zone, day) : null;
                    return (
                      <li>
                        <time datetime={day.toISOString()}>{at(day.toISOString())}</time>
                        {day.getTime() <= now.getTime() && (
                          <span class="badge text-bg-info ms-2">{d("dueNow")}</span>
                        )}
                        {opens && (
                          <div class="small text-body-secondary">
                            {d("outside", { when: at(opens.toISOString()) })}
                          </div>
                        )}
                      </li>
                    );
                  })}
                </ol>
              )}
              {window && (
                <p class="small text-body-secondary mt-2 mb-0">
                  {d("sendsOnly", { window: describeWindow(window, windowWords(t)), zone })}
                </p>
              )}
            </div>
          </div>
        </div>
      </div>
      <h2 class="h5 mt-4">{d("runs")}</h2>
      <RunsTable runs={runs} zone={zone} />
      <Pager page={runs} path={`/mailings/${m.id}`} params={{}} />
      <p class="mt-3">
        <a href="/mailings">
          <i class="bi bi-arrow-left" aria-hidden="true" /> {d("all")}
        </a>
      </p>
    </>,
  );
}

function deletePage(ctx: ViewContext, m: MailingRow) {
  const t = ctx.t;
  return renderPage(
    ctx,
    t("mailings.delete.title", { name: m.name }),
    <>
      <PageHeader title={t("mailings.delete.heading", { name: m.name })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/mailings/${m.id}/delete`}
        cancelHref={`/mailings/${m.id}`}
        button={t("mailings.delete.button")}
      >
        <p class="mb-0">{t("mailings.delete.text")}</p>
      </ConfirmForm>
    </>,
  );
}

/** The optional sending window: weekdays and hours in the mailing's zone. */
function SendWindowFields({ form, t }: { form: FormState; t: Translate }) {
  const days = (form.values.window_days ?? "").split(",");
  const error = form.errors.window_days;
  const w = (key: string) => t(`mailings.window.${key}`);
  return (
    <fieldset class="mb-3" aria-describedby="window-help">
      <legend class="form-label fs-6">
        {w("legend")} <span class="text-body-secondary small">{w("optional")}</span>
      </legend>
      <div class={`mb-2${error ? " is-invalid" : ""}`}>
        {windowWords(t).days.map((day, i) => (
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
          <Field form={form} name="window_start" label={w("starts")} type="time" />
        </div>
        <div class="col-6 col-md-3">
          <Field form={form} name="window_end" label={w("ends")} type="time" />
        </div>
      </div>
      <div class="form-text" id="window-help">
        {w("help")}
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
        name: viewContext(req, reply).t("mailings.form.copyOf", { name: m.name }).slice(0, LIMITS.name),
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
    const ctx = viewContext(req, reply);
    const from = sender
      ? senderLabel(sender)
      : ctx.t("mailings.form.defaultFrom", { from: senders.defaultFrom });
    return sendPage(reply, detailPage(ctx, m, from, upcoming, runs, new Date()));
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
