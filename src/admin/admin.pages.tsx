/**
 * Staff pages. Managers and admins: the user list, a user's page (their mailings and recipients, read-only),
 * block and unblock, disable and enable mailings. Admins also: create, edit, delete users and change roles,
 * and read the audit log.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { User } from "../db/schema.js";
import { formatNumber, type Translate } from "../i18n/index.js";
import { StatusBadge } from "../mailings/mailings.pages.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { isAdmin, isStaff } from "../shared/roles.js";
import { formatInZone } from "../shared/time.js";
import {
  ConfirmForm,
  CsrfField,
  DefinitionList,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  Pager,
  SearchForm,
  Select,
  withQuery,
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
import { ROLES } from "./admin.schemas.js";
import type { StaffActor } from "./admin.service.js";

const ROLE_BADGES = {
  admin: "text-bg-danger",
  manager: "text-bg-warning",
  user: "text-bg-secondary",
} as const;

function UserState({ user }: { user: User }) {
  const { t } = useI18n();
  if (user.blocked_at) return <span class="badge text-bg-dark">{t("admin.state.blocked")}</span>;
  if (!user.email_confirmed_at)
    return <span class="badge text-bg-light border">{t("admin.state.unconfirmed")}</span>;
  return <span class="badge text-bg-success">{t("admin.state.active")}</span>;
}

/** A role's badge, its name in the page's language (the stored value stays English). */
function RoleBadge({ role }: { role: User["role"] }) {
  const { t } = useI18n();
  return <span class={`badge ${ROLE_BADGES[role]}`}>{t(`accounts.role.${role}`)}</span>;
}

export function staffOf(req: FastifyRequest): User & { email: string } {
  const user = requireUser(req);
  if (!isStaff(user)) throw new NotFoundError();
  return user;
}

export const actor = (user: User): StaffActor => ({ id: user.id, role: user.role, email: user.email });

type UserList = Awaited<ReturnType<Services["admin"]["listUsers"]>>;

function usersPage(ctx: ViewContext, page: UserList, viewer: User) {
  const { t, locale } = ctx;
  return renderPage(
    ctx,
    t("nav.users"),
    <>
      <PageHeader title={t("nav.users")}>
        {isAdmin(viewer) && (
          <>
            <a class="btn btn-outline-secondary" href="/admin/senders">
              <i class="bi bi-person-badge" aria-hidden="true" /> {t("admin.users.senders")}
            </a>
            <a class="btn btn-outline-secondary" href="/admin/audit">
              <i class="bi bi-journal-text" aria-hidden="true" /> {t("admin.audit.title")}
            </a>
            <a class="btn btn-outline-secondary" href="/admin/relays">
              <i class="bi bi-hdd-network" aria-hidden="true" /> {t("admin.relays.title")}
            </a>
            <a class="btn btn-outline-secondary" href="/admin/throttles">
              <i class="bi bi-shield-lock" aria-hidden="true" /> {t("admin.throttles.title")}
            </a>
            <a class="btn btn-outline-secondary" href="/reports?user=all">
              <i class="bi bi-bar-chart" aria-hidden="true" /> {t("admin.users.allReports")}
            </a>
            <a class="btn btn-primary" href="/admin/users/new">
              <i class="bi bi-person-plus" aria-hidden="true" /> {t("admin.users.new")}
            </a>
          </>
        )}
        {!isAdmin(viewer) && (
          <a class="btn btn-outline-secondary" href="/reports?user=all">
            <i class="bi bi-bar-chart" aria-hidden="true" /> {t("admin.users.allReports")}
          </a>
        )}
      </PageHeader>
      <SearchForm
        path="/admin/users"
        query={{ q: page.query.q, sort: "created_at", dir: "asc" }}
        label={t("admin.users.search")}
      />
      <div class="table-responsive bg-body rounded-3 border mb-3">
        <table class="table table-hover mb-0 table-cards">
          <thead>
            <tr>
              <th scope="col">{t("admin.user.email")}</th>
              <th scope="col">{t("admin.user.name")}</th>
              <th scope="col">{t("admin.user.role")}</th>
              <th scope="col">{t("admin.user.state")}</th>
              <th scope="col" class="d-none d-sm-table-cell">
                {t("admin.user.joined")}
              </th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((u) => (
              <tr>
                <td class="text-break" data-label={t("admin.user.email")}>
                  <a href={`/admin/users/${u.id}`}>{u.email}</a>
                </td>
                <td class="text-break" data-label={t("admin.user.name")}>
                  {u.name}
                </td>
                <td data-label={t("admin.user.role")}>
                  <RoleBadge role={u.role} />
                </td>
                <td data-label={t("admin.user.state")}>
                  <UserState user={u} />
                </td>
                <td class="d-none d-sm-table-cell" data-label={t("admin.user.joined")}>
                  {formatInZone(u.created_at, viewer.time_zone, { locale })}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Pager page={page} path="/admin/users" params={{ q: page.query.q }} />
    </>,
  );
}

const roleOptions = (t: Translate) =>
  ROLES.map((r) => {
    const name = t(`accounts.role.${r}`);
    return { value: r, label: name[0]!.toUpperCase() + name.slice(1) };
  });

function newUserPage(ctx: ViewContext, form: FormState) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("admin.users.new"),
    <>
      <PageHeader title={t("admin.users.new")} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action="/admin/users/new" novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="email"
              label={t("admin.user.email")}
              type="email"
              required
              maxLength={LIMITS.email}
            />
            <Field form={form} name="name" label={t("admin.user.name")} maxLength={100} />
            <Field
              form={form}
              name="password"
              label={t("accounts.password")}
              type="password"
              required
              autoComplete="new-password"
              help={t("admin.users.passwordHelp", { count: LIMITS.password.min })}
            />
            <Select form={form} name="role" label={t("admin.user.role")} options={roleOptions(t)} required />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {t("admin.users.create")}
              </button>
              <a class="btn btn-outline-secondary" href="/admin/users">
                {t("common.cancel")}
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

type UserData = Awaited<ReturnType<Services["admin"]["userData"]>>;

function userPage(ctx: ViewContext, viewer: User, user: User, data: UserData, form: FormState) {
  const zone = viewer.time_zone;
  const self = viewer.id === user.id;
  const canBlock = !self && (isAdmin(viewer) || user.role === "user");
  const { t, locale } = ctx;
  const when = (v: string | null) => formatInZone(v, zone, { locale });
  return renderPage(
    ctx,
    user.email,
    <>
      <PageHeader title={user.name || user.email}>
        {canBlock && (
          <form method="post" action={`/admin/users/${user.id}/${user.blocked_at ? "unblock" : "block"}`}>
            <CsrfField token={ctx.csrfToken} />
            <button
              type="submit"
              class={`btn ${user.blocked_at ? "btn-outline-success" : "btn-outline-danger"}`}
            >
              <i class={`bi ${user.blocked_at ? "bi-unlock" : "bi-slash-circle"}`} aria-hidden="true" />{" "}
              {user.blocked_at ? t("admin.user.unblock") : t("admin.user.block")}
            </button>
          </form>
        )}
        <a class="btn btn-outline-secondary" href={`/reports?user=${user.id}`}>
          <i class="bi bi-bar-chart" aria-hidden="true" /> {t("nav.reports")}
        </a>
        {isAdmin(viewer) && !self && (
          <a class="btn btn-outline-danger" href={`/admin/users/${user.id}/delete`}>
            <i class="bi bi-trash" aria-hidden="true" /> {t("admin.user.delete")}
          </a>
        )}
      </PageHeader>
      {user.blocked_at && (
        <div class="alert alert-dark">{t("admin.user.blockedSince", { when: when(user.blocked_at) })}</div>
      )}
      <div class="row g-4 mb-4">
        <div class="col-lg-6">
          <div class="card h-100">
            <div class="card-body">
              <DefinitionList
                items={[
                  [t("admin.user.email"), user.email],
                  [t("admin.user.name"), user.name || "—"],
                  [t("admin.user.role"), <RoleBadge role={user.role} />],
                  [t("admin.user.state"), <UserState user={user} />],
                  [t("accounts.profile.timeZone"), user.time_zone],
                  [t("admin.user.joined"), when(user.created_at)],
                ]}
              />
            </div>
          </div>
        </div>
        {isAdmin(viewer) && (
          <div class="col-lg-6">
            <div class="card h-100">
              <div class="card-body">
                <h2 class="h6">{t("admin.user.edit")}</h2>
                <FormAlert form={form} />
                <form method="post" action={`/admin/users/${user.id}/edit`} novalidate>
                  <CsrfField token={ctx.csrfToken} />
                  <Field form={form} name="name" label={t("admin.user.name")} maxLength={100} />
                  <ZonePicker form={form} label={t("accounts.profile.timeZone")} required />
                  <Select
                    form={form}
                    name="role"
                    label={t("admin.user.role")}
                    options={roleOptions(t)}
                    required
                    help={t("admin.user.roleHelp")}
                  />
                  <button type="submit" class="btn btn-primary">
                    {t("admin.user.save")}
                  </button>
                </form>
              </div>
            </div>
          </div>
        )}
      </div>
      <h2 class="h5">{t("nav.mailings")}</h2>
      {data.mailings.length === 0 ? (
        <p class="text-body-secondary">{t("admin.user.noMailings")}</p>
      ) : (
        <div class="table-responsive bg-body rounded-3 border mb-4">
          <table class="table mb-0">
            <thead>
              <tr>
                <th scope="col">{t("admin.user.name")}</th>
                <th scope="col">{t("admin.user.status")}</th>
                <th scope="col" class="text-end">
                  {t("nav.recipients")}
                </th>
                <th scope="col" class="text-end">
                  <span class="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.mailings.map((m) => (
                <tr>
                  <td>
                    <a href={`/mailings/${m.id}`}>{m.name}</a>
                  </td>
                  <td>
                    <StatusBadge mailing={m} />
                  </td>
                  <td class="text-end">{formatNumber(locale, m.recipient_count)}</td>
                  <td class="text-end">
                    <MailingToggle ctx={ctx} mailing={m} back={`/admin/users/${user.id}`} small />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 class="h5">{t("nav.recipients")}</h2>
      {data.recipients.total === 0 ? (
        <p class="text-body-secondary">{t("admin.user.noRecipients")}</p>
      ) : (
        <>
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table table-sm mb-0">
              <thead>
                <tr>
                  <th scope="col">{t("admin.user.email")}</th>
                  <th scope="col">{t("admin.user.name")}</th>
                  <th scope="col" class="d-none d-sm-table-cell">
                    {t("admin.user.added")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.recipients.items.map((r) => (
                  <tr>
                    <td>{r.email}</td>
                    <td>{r.full_name}</td>
                    <td class="d-none d-sm-table-cell">{when(r.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={data.recipients} path={`/admin/users/${user.id}`} params={{}} />
        </>
      )}
    </>,
  );
}

/** Disable / enable buttons for managers and admins. */
/**
 * Disable / enable a mailing. Its colours are Bootstrap's danger and success outlines (4.5:1 on white; the
 * warning outline was 1.55:1), and it is the size of the buttons beside it: small in a table row, normal
 * in a page header.
 */
export function MailingToggle({
  ctx,
  mailing,
  back,
  small = false,
}: {
  ctx: ViewContext;
  mailing: { id: number; disabled_at: string | null };
  back: string;
  small?: boolean;
}) {
  const action = mailing.disabled_at ? "enable" : "disable";
  return (
    <form
      method="post"
      action={withQuery(`/mailings/${mailing.id}/${action}`, { back })}
      class="d-inline-flex m-0"
    >
      <CsrfField token={ctx.csrfToken} />
      <button
        type="submit"
        class={`btn${small ? " btn-sm" : ""} ${mailing.disabled_at ? "btn-outline-success" : "btn-outline-danger"}`}
      >
        <i class={`bi ${mailing.disabled_at ? "bi-play-circle" : "bi-pause-circle"}`} aria-hidden="true" />{" "}
        {mailing.disabled_at ? ctx.t("admin.mailing.enable") : ctx.t("admin.mailing.disable")}
      </button>
    </form>
  );
}

function deleteUserPage(ctx: ViewContext, user: User) {
  const { t } = ctx;
  return renderPage(
    ctx,
    t("admin.delete.title", { email: user.email }),
    <>
      <PageHeader title={t("admin.delete.heading", { email: user.email })} />
      <ConfirmForm
        csrfToken={ctx.csrfToken}
        action={`/admin/users/${user.id}/delete`}
        cancelHref={`/admin/users/${user.id}`}
        button={t("admin.delete.submit")}
      >
        <p class="mb-0">{t("admin.delete.text")}</p>
      </ConfirmForm>
    </>,
  );
}

const userForm = (u: User): FormState => ({
  values: { name: u.name, time_zone: u.time_zone, role: u.role },
  errors: {},
});

/** Only a path inside the app is a place to go back to. */
const backTo = (query: unknown, fallback: string) => {
  const back = (query as { back?: string }).back;
  return typeof back === "string" && /^\/(?![/\\])/.test(back) ? back : fallback;
};

export function adminRoutes(app: FastifyInstance, services: Services): void {
  const { admin } = services;

  app.get("/admin/users", async (req, reply) => {
    const viewer = staffOf(req);
    const page = await admin.listUsers(actor(viewer), req.query);
    return sendPage(reply, usersPage(viewContext(req, reply), page, viewer));
  });

  app.get("/admin/users/new", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    return sendPage(reply, newUserPage(viewContext(req, reply), { values: { role: "user" }, errors: {} }));
  });

  app.post("/admin/users/new", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    return handleForm(
      req,
      reply,
      async () => {
        const user = await admin.createUser(actor(viewer), formBody(req));
        return redirectWith(reply, `/admin/users/${user.id}`, "success", `User ${user.email} created.`);
      },
      (form) => newUserPage(viewContext(req, reply), form),
    );
  });

  app.get("/admin/users/:id", async (req, reply) => {
    const viewer = staffOf(req);
    const user = await admin.getUser(actor(viewer), idParam(req.params));
    const data = await admin.userData(actor(viewer), user.id, req.query);
    return sendPage(reply, userPage(viewContext(req, reply), viewer, user, data, userForm(user)));
  });

  app.post("/admin/users/:id/edit", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    const user = await admin.getUser(actor(viewer), idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await admin.updateUser(actor(viewer), user.id, formBody(req));
        return redirectWith(reply, `/admin/users/${user.id}`, "success", `${user.email} saved.`);
      },
      async (form) =>
        userPage(
          viewContext(req, reply),
          viewer,
          user,
          await admin.userData(actor(viewer), user.id, {}),
          form,
        ),
    );
  });

  for (const [path, blocked] of [
    ["block", true],
    ["unblock", false],
  ] as const) {
    app.post(`/admin/users/:id/${path}`, async (req, reply) => {
      const viewer = staffOf(req);
      const user = await admin.getUser(actor(viewer), idParam(req.params));
      try {
        await admin.setBlocked(actor(viewer), user.id, blocked);
      } catch (error) {
        if (error instanceof ConflictError || error instanceof ForbiddenError) {
          return redirectWith(reply, `/admin/users/${user.id}`, "danger", error.message);
        }
        throw error;
      }
      const text = blocked
        ? `${user.email} is blocked and logged out everywhere.`
        : `${user.email} is unblocked.`;
      return redirectWith(reply, `/admin/users/${user.id}`, "success", text);
    });
  }

  app.get("/admin/users/:id/delete", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    const user = await admin.getUser(actor(viewer), idParam(req.params));
    return sendPage(reply, deleteUserPage(viewContext(req, reply), user));
  });

  app.post("/admin/users/:id/delete", async (req, reply) => {
    const viewer = staffOf(req);
    if (!isAdmin(viewer)) throw new NotFoundError();
    const user = await admin.getUser(actor(viewer), idParam(req.params));
    try {
      await admin.deleteUser(actor(viewer), user.id);
    } catch (error) {
      if (error instanceof ConflictError)
        return redirectWith(reply, `/admin/users/${user.id}`, "danger", error.message);
      throw error;
    }
    return redirectWith(reply, "/admin/users", "success", `${user.email} and all their data were deleted.`);
  });

  for (const [path, disabled] of [
    ["disable", true],
    ["enable", false],
  ] as const) {
    app.post(`/mailings/:id/${path}`, async (req, reply) => {
      const viewer = staffOf(req);
      const mailing = await admin.setMailingDisabled(actor(viewer), idParam(req.params), disabled);
      const text = disabled
        ? `“${mailing.name}” is disabled: it will not send.`
        : `“${mailing.name}” is enabled again.`;
      return redirectWith(reply, backTo(req.query, `/mailings/${mailing.id}`), "success", text);
    });
  }
}
