/**
 * Mail relays (admins): where mail goes, whether sending is up or paused and why (the workers' last
 * heartbeats), and a "Test connection" button that connects, says EHLO and logs in as a send would.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { STAGE_LABELS } from "../delivery/attempt-words.js";
import type { RelayView, SendingStatus } from "../delivery/delivery.service.js";
import type { RelayCheck } from "../delivery/smtp.mailer.js";
import { ConflictError } from "../shared/errors.js";
import { countOf } from "../shared/plural.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, PageHeader } from "../web/components.js";
import { sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import { staffOf } from "./admin.pages.js";

/** One relay's state: its own report (several relays), or sending's state (one relay). */
function RelayState({
  state,
  viewer,
  fallback,
}: {
  state: SendingStatus["relays"][string] | undefined;
  viewer: User;
  fallback: SendingStatus;
}) {
  if (state) {
    return state.up ? (
      <span class="badge text-bg-success">Up</span>
    ) : (
      <>
        <span class="badge text-bg-warning">Down</span>
        {state.downUntil && (
          <div class="small text-body-secondary">
            tried again from {formatInZone(state.downUntil, viewer.time_zone, { seconds: true })}
          </div>
        )}
      </>
    );
  }
  return <SendingBadge status={fallback} />;
}

/** Sending's state from the workers' heartbeats: no worker, paused, or up. */
function SendingBadge({ status }: { status: SendingStatus }) {
  if (status.workers === 0) return <span class="badge text-bg-secondary">No worker running</span>;
  return status.paused ? (
    <span class="badge text-bg-warning">Paused</span>
  ) : (
    <span class="badge text-bg-success">Up</span>
  );
}

function relaysPage(ctx: ViewContext, viewer: User, view: RelayView, check: RelayCheck | string | null) {
  const { status } = view;
  return renderPage(
    ctx,
    "Mail relays",
    <>
      <PageHeader title="Mail relays" />
      {view.relays.length === 0 ? (
        <p>
          No SMTP relay is configured (<code>SMTP_URL</code> or <code>SMTP_RELAYS</code>): mail goes to the{" "}
          <a href="/admin/outbox">local outbox</a> and does not leave this machine.
        </p>
      ) : (
        <>
          <p class="mb-2">
            Sending: <SendingBadge status={status} />
            {status.paused && (
              <>
                {" "}
                {status.reason}
                {status.resumesAt &&
                  ` · tries again at ${formatInZone(status.resumesAt, viewer.time_zone, { seconds: true })}`}
              </>
            )}{" "}
            <span class="text-body-secondary small">({countOf(status.workers, "worker")})</span>
          </p>
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table mb-0 align-middle table-stack">
              <thead>
                <tr>
                  <th scope="col">Relay</th>
                  <th scope="col">Weight</th>
                  <th scope="col">State</th>
                  <th scope="col">Last error</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {view.relays.map((relay, index) => (
                  <tr>
                    <td data-label="Relay" class="text-break">
                      <code>{relay.address}</code>
                    </td>
                    <td data-label="Weight">
                      {relay.weight}
                      {relay.limits && <div class="small text-body-secondary">{relay.limits}</div>}
                    </td>
                    <td data-label="State">
                      <RelayState state={status.relays[relay.address]} viewer={viewer} fallback={status} />
                    </td>
                    <td data-label="Last error" class="text-break">
                      {status.relays[relay.address]?.lastError ??
                        (view.relays.length === 1 ? (status.reason ?? "—") : "—")}
                    </td>
                    <td class="text-end">
                      <form method="post" action="/admin/relays/test" class="d-inline">
                        <CsrfField token={ctx.csrfToken} />
                        <input type="hidden" name="relay" value={String(index)} />
                        <button type="submit" class="btn btn-sm btn-outline-primary">
                          Test connection
                        </button>
                      </form>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      {typeof check === "string" && (
        <div class="alert alert-warning" role="status">
          {check}
        </div>
      )}
      {check && typeof check !== "string" && (
        <div class={`alert ${check.ok ? "alert-success" : "alert-danger"}`} role="status" data-relay-check>
          <p class="mb-1 fw-semibold">
            {check.ok
              ? `${check.relay} accepted the connection${check.authenticated ? " and the login" : ""}${check.tls ? " over TLS" : ""}.`
              : `${check.relay} failed at ${STAGE_LABELS[check.stage]}.`}
          </p>
          <p class="mb-0 text-break">
            Its reply: <code>{check.reply}</code>
          </p>
          <p class="mb-0 small text-body-secondary">No mail was sent.</p>
        </div>
      )}
      <p class="text-body-secondary small">
        The test connects, says EHLO, upgrades with STARTTLS when the relay offers it and logs in with the
        credentials of <code>SMTP_URL</code>, with the same timeouts as sending. With several relays
        (SMTP_RELAYS), messages are spread by weight and a relay that refuses or cannot be reached is left
        alone for a while, its share going to the others; sending pauses only while every relay refuses.
      </p>
    </>,
  );
}

export function relayRoutes(app: FastifyInstance, { delivery }: Services): void {
  app.get("/admin/relays", async (req, reply) => {
    const viewer = staffOf(req);
    const view = await delivery.relay(viewer);
    return sendPage(reply, relaysPage(viewContext(req, reply), viewer, view, null));
  });

  app.post("/admin/relays/test", async (req, reply) => {
    const viewer = staffOf(req);
    const view = await delivery.relay(viewer);
    let check: RelayCheck | string;
    try {
      const index = Number((formBody(req) as { relay?: string }).relay ?? 0);
      check = await delivery.checkRelay(viewer, Number.isInteger(index) && index >= 0 ? index : 0);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      check = error.message;
    }
    return sendPage(reply, relaysPage(viewContext(req, reply), viewer, view, check));
  });
}
