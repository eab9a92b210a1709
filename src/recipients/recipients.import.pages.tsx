/**
 * Recipient import and export pages: the CSV upload form, the import's progress (JSON polled by app.js) and
 * result, and the CSV download. The upload is imported while it streams in, inside the request (it sends no
 * mail); the import's row, updated as batches commit, is what the progress and result pages show.
 */
import type { MultipartFile } from "@fastify/multipart";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { RecipientImport } from "../db/schema.js";
import { formatNumber, type Translate, translateMessage } from "../i18n/index.js";
import { formatInZone } from "../shared/time.js";
import { CsrfField, DefinitionList, type FormState, PageHeader, withQuery } from "../web/components.js";
import { requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { renderPage } from "../web/layout.js";
import type { ImportProblem } from "./import/import.service.js";

export const MAX_IMPORT_BYTES = 50 * 1024 * 1024;
const MB = MAX_IMPORT_BYTES / 1024 / 1024;

/** The upload's file part, found by reading the form's fields up to it (see readUpload). */
const uploads = new WeakMap<FastifyRequest, MultipartFile | undefined>();

/**
 * Reads the form's fields, which come before the file, into req.body (so the CSRF check sees _csrf), and
 * keeps the file part unread: the handler streams it into the import only after the CSRF check passed.
 */
async function readUpload(req: FastifyRequest): Promise<void> {
  requireUser(req);
  if (!req.isMultipart()) return;
  const file = await req.file({
    limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, fieldSize: 1024 },
  });
  const body: Record<string, string> = {};
  for (const [name, part] of Object.entries(file?.fields ?? {})) {
    const first = Array.isArray(part) ? part[0] : part;
    if (first?.type === "field") body[name] = String(first.value);
  }
  req.body = body;
  uploads.set(req, file);
}

/** The file's bytes; an upload over the limit ends with a message people understand. */
async function* fileBytes(file: MultipartFile): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of file.file) yield chunk as Buffer;
  } catch (error) {
    if ((error as { code?: string }).code === "FST_REQ_FILE_TOO_LARGE")
      throw new Error(`the file is larger than ${MB} MB`);
    throw error;
  }
}

function statusBadge(t: Translate, job: RecipientImport) {
  const [label, style] =
    job.status === "done"
      ? [t("imports.status.done"), "success"]
      : job.status === "failed"
        ? [t("imports.status.failed"), "danger"]
        : [t("imports.status.running"), "info"];
  return <span class={`badge text-bg-${style}`}>{label}</span>;
}

/** One count of the progress line: app.js rewrites the span's number, the words around it stay. */
function ProgressCount({
  t,
  name,
  value,
  last,
}: {
  t: Translate;
  name: string;
  value: string;
  last?: boolean;
}) {
  // The words around the number differ by language ("12 rows read", "прочитано строк: 12").
  const [before, after] = t(`imports.progress.${name}`, { n: "\u0000" }).split("\u0000");
  return (
    <>
      {before}
      <span data-count={name}>{value}</span>
      {after}
      {!last && " · "}
    </>
  );
}

function ProgressBox({ ctx, job, pollKey }: { ctx: ViewContext; job?: RecipientImport; pollKey?: string }) {
  const t = ctx.t;
  const n = (value: number) => formatNumber(ctx.locale, value);
  const pct = job?.bytes_total
    ? Math.min(100, Math.round((Number(job.bytes_read) / job.bytes_total) * 100))
    : 0;
  return (
    <div
      id="import-progress"
      class="card mt-3"
      hidden={!job}
      data-import-progress={pollKey ? withQuery("/recipients/import/progress", { key: pollKey }) : undefined}
      aria-live="polite"
    >
      <div class="card-body">
        <p class="mb-2">
          <span class="spinner-border spinner-border-sm me-2" aria-hidden="true" />
          {t("imports.progress.text")}
        </p>
        <div class="progress mb-2" role="progressbar" aria-label={t("imports.progress.label")}>
          <div class="progress-bar" data-bar="read" data-width={String(pct)} />
        </div>
        <div class="small text-body-secondary">
          <ProgressCount t={t} name="rows" value={n(job?.rows ?? 0)} />
          <ProgressCount t={t} name="added" value={n(job?.added ?? 0)} />
          <ProgressCount t={t} name="updated" value={n(job?.updated ?? 0)} />
          <ProgressCount t={t} name="skipped" value={n(job?.skipped ?? 0)} />
          <ProgressCount t={t} name="invalid" value={n(job?.invalid ?? 0)} last />
        </div>
      </div>
    </div>
  );
}

function formPage(
  ctx: ViewContext,
  form: FormState,
  key: string,
  recent: RecipientImport[],
  zone: string,
  lists: { id: number; name: string }[],
) {
  // The route's own errors are English (a multipart form does not pass through handleForm).
  const error = form.errors.file && translateMessage(ctx.locale, form.errors.file);
  const t = ctx.t;
  const n = (value: number) => formatNumber(ctx.locale, value);
  return renderPage(
    ctx,
    t("imports.title"),
    <>
      <PageHeader title={t("imports.title")}>
        <a class="btn btn-outline-secondary" href="/recipients/export.csv">
          <i class="bi bi-download" aria-hidden="true" /> {t("recipients.list.export")}
        </a>
      </PageHeader>
      <div class="card">
        <div class="card-body">
          <p>
            {t("imports.introBefore", { mb: MB })}
            <code>email</code>
            {t("imports.introRequired")}
            <code>full name</code>
            {t("imports.introAnd")}
            <code>comment</code>
            {t("imports.introAfter")}
          </p>
          {form.errors._form && (
            <div class="alert alert-danger" role="alert">
              {translateMessage(ctx.locale, form.errors._form)}
            </div>
          )}
          <form
            method="post"
            action="/recipients/import"
            enctype="multipart/form-data"
            data-import-form
            novalidate
          >
            {/* The fields come before the file: the server reads them first, then streams the file. */}
            <CsrfField token={ctx.csrfToken} />
            <input type="hidden" name="key" value={key} />
            <div class="form-check mb-3">
              <input
                class="form-check-input"
                type="checkbox"
                name="update_existing"
                id="f-update_existing"
                checked={form.values.update_existing === "on"}
              />
              <label class="form-check-label" for="f-update_existing">
                {t("imports.updateExisting")}
              </label>
              <div class="form-text">{t("imports.updateExistingHelp")}</div>
            </div>
            {lists.length > 0 && (
              <div class="mb-3">
                <label class="form-label" for="f-list_id">
                  {t("imports.list")}
                </label>
                <select id="f-list_id" name="list_id" class="form-select">
                  <option value="">{t("imports.noList")}</option>
                  {lists.map((l) => (
                    <option value={String(l.id)} selected={form.values.list_id === String(l.id)}>
                      {l.name}
                    </option>
                  ))}
                </select>
                <div class="form-text">{t("imports.listHelp")}</div>
              </div>
            )}
            <div class="mb-3">
              <label class="form-label" for="f-file">
                {t("imports.file")}
                <span class="text-danger ms-1" aria-hidden="true">
                  *
                </span>
              </label>
              <input
                id="f-file"
                name="file"
                type="file"
                accept=".csv,text/csv"
                required
                class={`form-control${error ? " is-invalid" : ""}`}
                aria-invalid={error ? "true" : undefined}
                aria-describedby={error ? "f-file-error" : undefined}
              />
              {error && (
                <div id="f-file-error" class="invalid-feedback">
                  {error}
                </div>
              )}
            </div>
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                <i class="bi bi-upload" aria-hidden="true" /> {t("imports.submit")}
              </button>
              <a class="btn btn-outline-secondary" href="/recipients">
                {t("common.cancel")}
              </a>
            </div>
          </form>
          <ProgressBox ctx={ctx} pollKey={key} />
        </div>
      </div>
      {recent.length > 0 && (
        <>
          <h2 class="h5 mt-4">{t("imports.recent")}</h2>
          <div class="table-responsive bg-body rounded-3 border">
            <table class="table mb-0">
              <thead>
                <tr>
                  <th scope="col">{t("imports.started")}</th>
                  <th scope="col">{t("imports.fileColumn")}</th>
                  <th scope="col">{t("imports.statusColumn")}</th>
                  <th scope="col" class="text-end">
                    {t("imports.added")}
                  </th>
                  <th scope="col" class="text-end">
                    {t("imports.updated")}
                  </th>
                  <th scope="col" class="text-end">
                    {t("imports.skipped")}
                  </th>
                  <th scope="col" class="text-end">
                    {t("imports.invalid")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {recent.map((job) => (
                  <tr>
                    <td class="text-nowrap">
                      <a href={withQuery("/recipients/import/result", { key: job.key })}>
                        {formatInZone(job.created_at, zone, { locale: ctx.locale })}
                      </a>
                    </td>
                    <td>{job.file_name || "—"}</td>
                    <td>{statusBadge(t, job)}</td>
                    <td class="text-end">{n(job.added)}</td>
                    <td class="text-end">{n(job.updated)}</td>
                    <td class="text-end">{n(job.skipped)}</td>
                    <td class="text-end">{n(job.invalid)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>,
  );
}

function resultPage(ctx: ViewContext, job: RecipientImport, problems: ImportProblem[], zone: string) {
  const t = ctx.t;
  const n = (value: number) => formatNumber(ctx.locale, value);
  const count = (key: string, value: number) => t(`imports.summary.${key}`, { count: value, n: n(value) });
  const title = job.file_name
    ? t("imports.resultTitle", { file: job.file_name })
    : t("imports.resultTitleCsv");
  const problemCount = job.skipped + job.invalid;
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title}>
        <a class="btn btn-outline-primary" href="/recipients/import">
          <i class="bi bi-upload" aria-hidden="true" /> {t("imports.another")}
        </a>
      </PageHeader>
      {job.status === "running" && <ProgressBox ctx={ctx} job={job} pollKey={job.key} />}
      {job.status === "done" && (
        <div class="alert alert-success" role="status">
          {t("imports.summary.text", {
            added: count("added", job.added),
            updated: count("updated", job.updated),
            skipped: count("skipped", job.skipped),
            invalid: count("invalid", job.invalid),
          })}
        </div>
      )}
      {job.status === "failed" && (
        <div class="alert alert-danger" role="alert">
          {translateMessage(ctx.locale, job.error ?? "")}
        </div>
      )}
      <div class="card my-3">
        <div class="card-body">
          <DefinitionList
            items={[
              [t("imports.statusColumn"), statusBadge(t, job)],
              [t("imports.started"), formatInZone(job.created_at, zone, { locale: ctx.locale })],
              [
                t("imports.existing"),
                job.update_existing ? t("imports.existingUpdated") : t("imports.existingKept"),
              ],
              [t("imports.rowsRead"), n(job.rows)],
              [t("imports.added"), n(job.added)],
              [t("imports.updated"), n(job.updated)],
              [t("imports.skippedDuplicates"), n(job.skipped)],
              [t("imports.invalid"), n(job.invalid)],
            ]}
          />
        </div>
      </div>
      {problems.length > 0 && (
        <>
          <h2 class="h5">{t("imports.problems")}</h2>
          <p class="text-body-secondary">
            {problems.length < problemCount
              ? t("imports.problemsFirst", { first: n(problems.length), total: n(problemCount) })
              : t("imports.problemsAll")}
          </p>
          <div class="table-responsive bg-body rounded-3 border mb-3">
            <table class="table table-sm mb-0">
              <thead>
                <tr>
                  <th scope="col" class="text-end">
                    {t("imports.line")}
                  </th>
                  <th scope="col">{t("recipients.email")}</th>
                  <th scope="col">{t("imports.problem")}</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p) => (
                  <tr>
                    <td class="text-end">{p.line}</td>
                    <td class="text-break">{p.email || <span class="text-body-secondary">—</span>}</td>
                    <td>{translateMessage(ctx.locale, p.reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <a href="/recipients">
        <i class="bi bi-arrow-left" aria-hidden="true" /> {t("recipients.detail.all")}
      </a>
    </>,
  );
}

async function showForm(
  req: FastifyRequest,
  reply: FastifyReply,
  services: Services,
  form: FormState,
  status = 200,
): Promise<FastifyReply> {
  const user = requireUser(req);
  const imports = services.recipientImport;
  const [recent, lists] = await Promise.all([imports.recent(user), services.lists.all(user)]);
  return sendPage(
    reply,
    formPage(viewContext(req, reply), form, imports.newKey(), recent, user.time_zone, lists),
    status,
  );
}

const keyOf = (query: unknown) => {
  const key = (query as { key?: unknown }).key;
  return typeof key === "string" ? key : "";
};

export function recipientImportRoutes(app: FastifyInstance, services: Services): void {
  const imports = services.recipientImport;

  app.get("/recipients/import", async (req, reply) =>
    showForm(req, reply, services, { values: {}, errors: {} }),
  );

  app.post("/recipients/import", { preValidation: readUpload }, async (req, reply) => {
    const user = requireUser(req);
    const body = (req.body ?? {}) as Record<string, string>;
    const values = { update_existing: body.update_existing, list_id: body.list_id };
    const listId = /^\d{1,9}$/.test(body.list_id ?? "") ? Number(body.list_id) : undefined;
    const file = uploads.get(req);
    if (!file?.filename) {
      file?.file.resume();
      return showForm(
        req,
        reply,
        services,
        { values, errors: { file: "Choose a CSV file to import." } },
        422,
      );
    }
    const length = Number(req.headers["content-length"]);
    if (length > MAX_IMPORT_BYTES + 64 * 1024) {
      file.file.resume();
      const errors = { file: `The file is larger than ${MB} MB. Split it into smaller files.` };
      return showForm(req, reply, services, { values, errors }, 413);
    }
    const job = await imports.importUpload(
      user,
      {
        key: body.key ?? "",
        fileName: file.filename.slice(0, 255),
        updateExisting: body.update_existing === "on",
        listId,
        bytesTotal: Number.isFinite(length) && length > 0 ? length : null,
      },
      fileBytes(file),
    );
    return reply.redirect(withQuery("/recipients/import/result", { key: job.key }), 303);
  });

  app.get("/recipients/import/progress", async (req, reply) => {
    const user = requireUser(req);
    const key = keyOf(req.query);
    const job = key ? await imports.find(user, key) : undefined;
    reply.header("cache-control", "no-store");
    if (!job) return { started: false };
    return {
      started: true,
      done: job.status !== "running",
      status: job.status,
      rows: job.rows,
      added: job.added,
      updated: job.updated,
      skipped: job.skipped,
      invalid: job.invalid,
      percent: job.bytes_total
        ? Math.min(100, Math.round((Number(job.bytes_read) / job.bytes_total) * 100))
        : null,
      result: withQuery("/recipients/import/result", { key: job.key }),
    };
  });

  app.get("/recipients/import/result", async (req, reply) => {
    const user = requireUser(req);
    const job = await imports.get(user, keyOf(req.query));
    return sendPage(reply, resultPage(viewContext(req, reply), job, imports.problemsOf(job), user.time_zone));
  });

  app.get("/recipients/export.csv", async (req, reply) => {
    const user = requireUser(req);
    const date = new Date().toISOString().slice(0, 10);
    return reply
      .type("text/csv; charset=utf-8")
      .header("content-disposition", `attachment; filename="recipients-${date}.csv"`)
      .header("cache-control", "no-store")
      .send(services.recipientExport.stream(user, { bom: true }));
  });
}
