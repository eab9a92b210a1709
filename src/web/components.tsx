/** Small view pieces shared by every feature's pages: form fields, pager, sort headers, empty states. */
import type { ComponentChildren } from "preact";
import { formatNumber } from "../i18n/index.js";
import type { FieldErrors } from "../shared/errors.js";
import type { Cursors, Page } from "../shared/pagination.js";
import { useI18n } from "./i18n.js";

export type FormValues = Record<string, string | undefined>;

export interface FormState {
  values: FormValues;
  errors: FieldErrors;
  /** Where a conflict points, e.g. the existing recipient with the same email. */
  conflictLink?: { href: string; text: string };
}

export const emptyForm: FormState = { values: {}, errors: {} };

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}

interface FieldProps {
  form: FormState;
  name: string;
  label: string;
  type?: string;
  required?: boolean;
  maxLength?: number;
  help?: ComponentChildren;
  autoComplete?: string;
}

/**
 * What every form field shares: the label (with the required marker), then the control, then its error
 * (with a conflict's link, such as the existing recipient) or its help text.
 */
export function FieldFrame({
  form,
  name,
  label,
  required,
  help,
  children,
}: {
  form: FormState;
  name: string;
  label: string;
  required?: boolean | undefined;
  help?: ComponentChildren;
  children: ComponentChildren;
}) {
  const error = form.errors[name];
  const fieldId = `f-${name}`;
  const link = error && form.conflictLink;
  return (
    <div class="mb-3">
      <label class="form-label" for={fieldId}>
        {label}
        {required && (
          <span class="text-danger ms-1" aria-hidden="true">
            *
          </span>
        )}
      </label>
      {children}
      {error && (
        <div id={`${fieldId}-error`} class="invalid-feedback">
          {error}
          {link && (
            <>
              {" "}
              <a href={link.href}>{link.text}</a>
            </>
          )}
        </div>
      )}
      {help && !error && (
        <div id={`${fieldId}-help`} class="form-text">
          {help}
        </div>
      )}
    </div>
  );
}

/**
 * Forms whose first invalid control has been rendered: rendering runs in document order, so the first
 * control with an error (after a server-side refusal) gets autofocus and the others do not.
 */
const focusGiven = new WeakSet<FormState>();

function takeFocus(form: FormState, hasError: boolean): true | undefined {
  if (!hasError || focusGiven.has(form)) return undefined;
  focusGiven.add(form);
  return true;
}

/** The id, name, validity class, ARIA links and focus a control inside a FieldFrame needs. */
export function controlProps(form: FormState, name: string, baseClass: string, help: ComponentChildren) {
  const error = form.errors[name];
  const fieldId = `f-${name}`;
  return {
    id: fieldId,
    name,
    class: `${baseClass}${error ? " is-invalid" : ""}`,
    autofocus: takeFocus(form, Boolean(error)),
    "aria-invalid": error ? ("true" as const) : undefined,
    "aria-describedby": error ? `${fieldId}-error` : help ? `${fieldId}-help` : undefined,
  };
}

export function Field({
  form,
  name,
  label,
  type = "text",
  required,
  maxLength,
  help,
  autoComplete,
}: FieldProps) {
  return (
    <FieldFrame form={form} name={name} label={label} required={required} help={help}>
      <input
        {...controlProps(form, name, "form-control", help)}
        type={type}
        value={type === "password" ? "" : (form.values[name] ?? "")}
        required={required}
        maxLength={maxLength}
        autoComplete={autoComplete}
      />
    </FieldFrame>
  );
}

export function TextArea({
  form,
  name,
  label,
  required,
  maxLength,
  rows = 6,
  help,
}: FieldProps & { rows?: number }) {
  return (
    <FieldFrame form={form} name={name} label={label} required={required} help={help}>
      <textarea
        {...controlProps(form, name, "form-control", help)}
        rows={rows}
        required={required}
        maxLength={maxLength}
      >
        {form.values[name] ?? ""}
      </textarea>
    </FieldFrame>
  );
}

export function Select({
  form,
  name,
  label,
  options,
  required,
  help,
}: {
  form: FormState;
  name: string;
  label: string;
  options: { value: string; label: string }[];
  required?: boolean;
  help?: ComponentChildren;
}) {
  const current = form.values[name] ?? "";
  return (
    <FieldFrame form={form} name={name} label={label} required={required} help={help}>
      <select {...controlProps(form, name, "form-select", help)} required={required}>
        {options.map((o) => (
          <option value={o.value} selected={o.value === current}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldFrame>
  );
}

/** The form-wide error (for example a duplicate), shown above the fields. */
export function FormAlert({ form, children }: { form: FormState; children?: ComponentChildren }) {
  const message = form.errors._form;
  if (!message && !children) return null;
  return (
    <div class="alert alert-danger" role="alert">
      {message}
      {message && form.conflictLink && (
        <>
          {" "}
          <a href={form.conflictLink.href}>{form.conflictLink.text}</a>
        </>
      )}
      {children}
    </div>
  );
}

/** What the list components read of a list query; scope and owner are set on lists with an "All users" scope. */
export interface ListQueryView {
  q: string;
  sort: string;
  dir: "asc" | "desc";
  scope?: string;
  owner?: number | undefined;
}

/** The scope's query parameters to carry over in links and forms (none for the default, "mine"). */
export function scopeParams(query: { scope?: string; owner?: number | undefined }): Record<string, string> {
  if (query.scope !== "all") return {};
  return query.owner === undefined ? { scope: "all" } : { scope: "all", owner: String(query.owner) };
}

/**
 * The "Mine / All users" toggle of a list, for managers and admins, and the owner filter's chip when the
 * list shows one owner's rows.
 */
export function ScopeToggle({
  path,
  scope,
  owner,
  ownerEmail,
}: {
  path: string;
  scope: "mine" | "all";
  owner?: number | undefined;
  ownerEmail?: string | undefined;
}) {
  const { t } = useI18n();
  return (
    <div class="d-flex flex-wrap align-items-center gap-2 mb-3">
      <div class="btn-group btn-group-sm" role="group" aria-label={t("components.whoseRows")}>
        <a
          class={`btn ${scope === "mine" ? "btn-secondary" : "btn-outline-secondary"}`}
          href={path}
          aria-current={scope === "mine" ? "true" : undefined}
        >
          {t("components.mine")}
        </a>
        <a
          class={`btn ${scope === "all" ? "btn-secondary" : "btn-outline-secondary"}`}
          href={withQuery(path, { scope: "all" })}
          aria-current={scope === "all" && owner === undefined ? "true" : undefined}
        >
          {t("components.allUsers")}
        </a>
      </div>
      {scope === "all" && owner !== undefined && (
        <span class="badge text-bg-light border text-wrap text-break" data-testid="owner-filter">
          {t("components.ownerIs", { owner: ownerEmail ?? t("components.userN", { id: owner }) })}{" "}
          <a href={withQuery(path, { scope: "all" })}>
            <i class="bi bi-x-lg" aria-hidden="true" />
            <span class="visually-hidden">{t("components.showEveryOwner")}</span>
          </a>
        </span>
      )}
      {scope === "all" && <span class="text-body-secondary small">{t("components.othersReadOnly")}</span>}
    </div>
  );
}

/** An owner cell: their email, linking to the list narrowed to them. */
export function OwnerCell({ path, ownerId, email }: { path: string; ownerId: number; email: string }) {
  return (
    <td class="text-break" data-label={useI18n().t("components.owner")}>
      <a href={withQuery(path, { scope: "all", owner: ownerId })} class="link-secondary">
        {email}
      </a>
    </td>
  );
}

export function withQuery(path: string, params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const query = search.toString();
  return query ? `${path}?${query}` : path;
}

export function Pager({
  page,
  path,
  params,
}: {
  page: Page<unknown>;
  path: string;
  params: Record<string, string>;
}) {
  if (page.cursors) return <CursorPager page={page} cursors={page.cursors} path={path} params={params} />;
  const { locale, t } = useI18n();
  if (page.pages <= 1) return null;
  const link = (n: number) => withQuery(path, { ...params, page: n });
  return (
    <nav aria-label={t("common.pages")} class="d-flex align-items-center gap-3 flex-wrap">
      <ul class="pagination mb-0">
        <li class={`page-item${page.page <= 1 ? " disabled" : ""}`}>
          <a class="page-link" href={link(page.page - 1)} aria-label={t("common.previousPage")}>
            <i class="bi bi-chevron-left" aria-hidden="true" /> {t("common.previous")}
          </a>
        </li>
        <li class="page-item active" aria-current="page">
          <span class="page-link">
            {page.page} / {page.pages}
          </span>
        </li>
        <li class={`page-item${page.page >= page.pages ? " disabled" : ""}`}>
          <a class="page-link" href={link(page.page + 1)} aria-label={t("common.nextPage")}>
            {t("common.next")} <i class="bi bi-chevron-right" aria-hidden="true" />
          </a>
        </li>
      </ul>
      <span class="text-body-secondary small">
        {t("common.inAll", { total: formatNumber(locale, page.total) })}
      </span>
    </nav>
  );
}

/** Previous / Next by keyset cursor (src/shared/pagination.ts), with "N matching" (or "10,000+"). */
function CursorPager({
  page,
  cursors,
  path,
  params,
}: {
  page: Page<unknown>;
  cursors: Cursors;
  path: string;
  params: Record<string, string>;
}) {
  const { locale, t } = useI18n();
  if (!cursors.prev && !cursors.next && page.total <= page.items.length) return null;
  const item = (label: "previous" | "next", href: string | null) => (
    <li class={`page-item${href ? "" : " disabled"}`}>
      <a
        class="page-link"
        href={href ?? "#"}
        aria-label={t(`common.${label}Page`)}
        aria-disabled={href ? undefined : "true"}
      >
        {label === "previous" && <i class="bi bi-chevron-left" aria-hidden="true" />} {t(`common.${label}`)}{" "}
        {label === "next" && <i class="bi bi-chevron-right" aria-hidden="true" />}
      </a>
    </li>
  );
  return (
    <nav aria-label={t("common.pages")} class="d-flex align-items-center gap-3 flex-wrap">
      <ul class="pagination mb-0">
        {item("previous", cursors.prev ? withQuery(path, { ...params, before: cursors.prev }) : null)}
        {item("next", cursors.next ? withQuery(path, { ...params, after: cursors.next }) : null)}
      </ul>
      <span class="text-body-secondary small">
        {t("components.matching", { n: `${formatNumber(locale, page.total)}${page.capped ? "+" : ""}` })}
      </span>
    </nav>
  );
}

export function SortHeader({
  label,
  column,
  path,
  query,
  class: className,
}: {
  label: string;
  column: string;
  path: string;
  query: ListQueryView;
  class?: string;
}) {
  const active = query.sort === column;
  const dir = active && query.dir === "asc" ? "desc" : "asc";
  const icon = active
    ? query.dir === "asc"
      ? "bi-sort-up"
      : "bi-sort-down"
    : "bi-arrow-down-up text-body-tertiary";
  return (
    <th
      scope="col"
      class={className}
      aria-sort={active ? (query.dir === "asc" ? "ascending" : "descending") : undefined}
    >
      <a
        class="link-body-emphasis text-decoration-none"
        href={withQuery(path, { q: query.q, sort: column, dir, ...scopeParams(query) })}
      >
        {label} <i class={`bi ${icon}`} aria-hidden="true" />
      </a>
    </th>
  );
}

export function SearchForm({ path, query, label }: { path: string; query: ListQueryView; label: string }) {
  const { t } = useI18n();
  const scope = scopeParams(query);
  return (
    <form method="get" action={path} class="d-flex gap-2 mb-3" role="search">
      <input type="hidden" name="sort" value={query.sort} />
      <input type="hidden" name="dir" value={query.dir} />
      {scope.scope && <input type="hidden" name="scope" value={scope.scope} />}
      {scope.owner && <input type="hidden" name="owner" value={scope.owner} />}
      <label class="visually-hidden" for="q">
        {label}
      </label>
      <input
        id="q"
        type="search"
        name="q"
        class="form-control"
        placeholder={label}
        value={query.q}
        maxLength={200}
      />
      <button type="submit" class="btn btn-outline-secondary">
        <i class="bi bi-search" aria-hidden="true" /> {t("common.search")}
      </button>
      {query.q && (
        <a class="btn btn-link" href={withQuery(path, scope)}>
          {t("common.clear")}
        </a>
      )}
    </form>
  );
}

export function EmptyState({
  icon,
  title,
  children,
}: {
  icon: string;
  title: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="text-center py-5 border rounded-3 bg-body-tertiary">
      <i class={`bi ${icon} display-5 text-body-secondary`} aria-hidden="true" />
      <h2 class="h5 mt-3">{title}</h2>
      <div class="text-body-secondary">{children}</div>
    </div>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="d-flex flex-wrap justify-content-between align-items-center gap-2 mb-3">
      <h1 class="h3 mb-0">{title}</h1>
      <div class="d-flex gap-2 flex-wrap">{children}</div>
    </div>
  );
}

/** A confirmation page for a destructive action: says what will happen and posts on confirm. */
export function ConfirmForm({
  csrfToken,
  action,
  cancelHref,
  button,
  children,
}: {
  csrfToken: string;
  action: string;
  cancelHref: string;
  button: string;
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  return (
    <div class="card border-danger">
      <div class="card-body">
        {children}
        <form method="post" action={action} class="d-flex gap-2 mt-3">
          <CsrfField token={csrfToken} />
          <button type="submit" class="btn btn-danger">
            <i class="bi bi-trash" aria-hidden="true" /> {button}
          </button>
          <a class="btn btn-outline-secondary" href={cancelHref}>
            {t("common.cancel")}
          </a>
        </form>
      </div>
    </div>
  );
}

export function DefinitionList({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="row mb-0">
      {items.map(([term, value]) => (
        <>
          <dt class="col-sm-3">{term}</dt>
          <dd class="col-sm-9 pre-wrap">{value}</dd>
        </>
      ))}
    </dl>
  );
}

/**
 * The body of a searchable, sortable list page: the search box, then either an empty state (a different one
 * when a search found nothing) or the table and its pager.
 */
export function SearchableList({
  path,
  query,
  page,
  searchLabel,
  noMatch,
  empty,
  head,
  children,
}: {
  path: string;
  query: ListQueryView;
  page: Page<unknown>;
  searchLabel: string;
  /** What to say when a search found nothing, e.g. "No recipients match your search". */
  noMatch: string;
  /** The empty state when there is nothing at all yet. */
  empty: ComponentChildren;
  /** The header cells. */
  head: ComponentChildren;
  /** The rows. */
  children: ComponentChildren;
}) {
  const { t } = useI18n();
  return (
    <>
      <SearchForm path={path} query={query} label={searchLabel} />
      {page.total === 0 && query.q ? (
        <EmptyState icon="bi-search" title={noMatch}>
          {t("common.tryAnotherBefore")}
          <a href={path}>{t("common.showAll")}</a>.
        </EmptyState>
      ) : page.total === 0 ? (
        empty
      ) : (
        <>
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table table-hover mb-0 table-cards">
              <thead>
                <tr>{head}</tr>
              </thead>
              <tbody>{children}</tbody>
            </table>
          </div>
          <Pager
            page={page}
            path={path}
            params={{ q: query.q, sort: query.sort, dir: query.dir, ...scopeParams(query) }}
          />
        </>
      )}
    </>
  );
}

/** Edit and delete buttons at the end of a list row; `label` names the row for screen readers. */
export function RowActions({ base, label }: { base: string; label: string }) {
  const { t } = useI18n();
  return (
    <td class="text-end text-nowrap">
      <a class="btn btn-sm btn-outline-secondary" href={`${base}/edit`}>
        <i class="bi bi-pencil" aria-hidden="true" />
        <span class="visually-hidden">{t("common.edit", { label })}</span>
      </a>{" "}
      <a class="btn btn-sm btn-outline-danger" href={`${base}/delete`}>
        <i class="bi bi-trash" aria-hidden="true" />
        <span class="visually-hidden">{t("common.delete", { label })}</span>
      </a>
    </td>
  );
}

export const ActionsHeader = () => (
  <th scope="col" class="text-end">
    <span class="visually-hidden">{useI18n().t("common.actions")}</span>
  </th>
);
