/**
 * Admin pages for the blog: list, new, edit, delete. Forms are multipart (for the image); the body is read
 * in a preValidation hook, admins only, so the app's CSRF check sees the posted fields like any form's.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { Post } from "../db/schema.js";
import { formatNumber } from "../i18n/index.js";
import { NotFoundError } from "../shared/errors.js";
import { id, LIMITS } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import {
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  Pager,
  TextArea,
} from "../web/components.js";
import { redirectWith, requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import { SLUG_MAX } from "./blog.schemas.js";
import type { ImageUpload } from "./blog.service.js";
import { MAX_IMAGE_BYTES } from "./images.js";

const uploads = new WeakMap<FastifyRequest, ImageUpload>();

function requireAdmin(req: FastifyRequest) {
  const user = requireUser(req);
  if (user.role !== "admin") throw new NotFoundError();
  return user;
}

/** Reads a multipart post form into req.body (fields) and `uploads` (the image, at most 5 MB). */
async function readMultipart(req: FastifyRequest): Promise<void> {
  requireAdmin(req);
  if (!req.isMultipart()) return;
  const fields: Record<string, string> = {};
  const parts = req.parts({ limits: { fileSize: MAX_IMAGE_BYTES, files: 1, fields: 20 } });
  try {
    for await (const part of parts) {
      if (part.type === "field") {
        fields[part.fieldname] = String(part.value);
      } else if (part.fieldname !== "image") {
        part.file.resume();
      } else {
        const data = await part.toBuffer();
        if (part.filename || data.length > 0) uploads.set(req, { data });
      }
    }
  } catch (error) {
    if ((error as { code?: string }).code !== "FST_REQ_FILE_TOO_LARGE") throw error;
    // The rest of the request is not read: the form is shown again with the message (and the fields so far).
    uploads.set(req, { tooLarge: true });
  }
  req.body = fields;
}

function ImageField({ form, post }: { form: FormState; post?: Post | undefined }) {
  const error = form.errors.image;
  const { t } = useI18n();
  return (
    <div class="mb-3">
      <label class="form-label" for="f-image">
        {t("blog.form.image")}
      </label>
      {post?.image_path && (
        <div class="d-flex align-items-center gap-3 mb-2">
          <img
            src={`/blog/images/${post.image_path}`}
            alt={post.image_alt}
            class="rounded border post-thumb"
          />
          <div class="form-check">
            <input class="form-check-input" type="checkbox" name="remove_image" id="f-remove_image" />
            <label class="form-check-label" for="f-remove_image">
              {t("blog.form.removeImage")}
            </label>
          </div>
        </div>
      )}
      <input
        id="f-image"
        name="image"
        type="file"
        accept="image/jpeg,image/png,image/webp"
        class={`form-control${error ? " is-invalid" : ""}`}
        aria-invalid={error ? "true" : undefined}
        aria-describedby={error ? "f-image-error" : "f-image-help"}
      />
      {error ? (
        <div id="f-image-error" class="invalid-feedback">
          {error}
        </div>
      ) : (
        <div id="f-image-help" class="form-text">
          {post?.image_path ? t("blog.form.imageHelpReplace") : t("blog.form.imageHelp")}
        </div>
      )}
      <div class="mt-2">
        <Field
          form={form}
          name="image_alt"
          label={t("blog.form.imageAlt")}
          maxLength={200}
          help={t("blog.form.imageAltHelp")}
        />
      </div>
    </div>
  );
}

function formPage(ctx: ViewContext, form: FormState, post?: Post) {
  const { t } = ctx;
  const title = post ? t("blog.form.editTitle") : t("blog.form.newTitle");
  const published = post ? form.values.published === "on" : form.values.published === "on";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title}>
        {post?.published_at && (
          <a class="btn btn-outline-secondary" href={`/blog/${post.slug}`}>
            <i class="bi bi-eye" aria-hidden="true" /> {t("blog.form.view")}
          </a>
        )}
      </PageHeader>
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form
            method="post"
            action={post ? `/admin/blog/${post.id}/edit` : "/admin/blog/new"}
            enctype="multipart/form-data"
            novalidate
          >
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="title"
              label={t("blog.form.title")}
              required
              maxLength={LIMITS.subject}
            />
            <Field
              form={form}
              name="slug"
              label={t("blog.form.address")}
              maxLength={SLUG_MAX}
              help={
                post ? t("blog.form.addressHelpEdit", { slug: post.slug }) : t("blog.form.addressHelpNew")
              }
            />
            <TextArea
              form={form}
              name="body_markdown"
              label={t("blog.form.text")}
              required
              maxLength={LIMITS.body}
              rows={14}
              help={t("blog.form.textHelp")}
            />
            <ImageField form={form} post={post} />
            <div class="form-check mb-3">
              <input
                class="form-check-input"
                type="checkbox"
                name="published"
                id="f-published"
                checked={published}
              />
              <label class="form-check-label" for="f-published">
                {t("blog.form.published")}
              </label>
            </div>
            <button class="btn btn-primary" type="submit">
              {post ? t("blog.form.save") : t("blog.form.create")}
            </button>{" "}
            <a class="btn btn-outline-secondary" href="/admin/blog">
              {t("common.cancel")}
            </a>
          </form>
        </div>
      </div>
    </>,
  );
}

const postValues = (p: Post) => ({
  title: p.title,
  slug: p.slug,
  body_markdown: p.body_markdown,
  image_alt: p.image_alt,
  published: p.published_at ? "on" : undefined,
});

export function blogAdminRoutes(app: FastifyInstance, services: Services): void {
  const { blog } = services;
  const multipart = { preValidation: readMultipart };

  app.get("/admin/blog", async (req, reply) => {
    const user = requireAdmin(req);
    const page = await blog.listAll(user, req.query);
    const ctx = viewContext(req, reply);
    const { t, locale } = ctx;
    const body = (
      <>
        <PageHeader title={t("blog.admin.title")}>
          <a class="btn btn-outline-secondary" href="/blog">
            <i class="bi bi-journal-text" aria-hidden="true" /> {t("blog.admin.public")}
          </a>
          <a class="btn btn-primary" href="/admin/blog/new">
            <i class="bi bi-plus-lg" aria-hidden="true" /> {t("blog.form.newTitle")}
          </a>
        </PageHeader>
        {page.total === 0 ? (
          <EmptyState icon="bi-journal-text" title={t("blog.empty")}>
            <a href="/admin/blog/new">{t("blog.admin.writeFirst")}</a>.
          </EmptyState>
        ) : (
          <>
            <div class="table-responsive bg-body rounded-3 border mb-3">
              <table class="table table-hover mb-0">
                <thead>
                  <tr>
                    <th scope="col">{t("blog.form.title")}</th>
                    <th scope="col">{t("blog.admin.state")}</th>
                    <th scope="col" class="text-end">
                      {t("blog.admin.views")}
                    </th>
                    <th scope="col" class="d-none d-md-table-cell">
                      {t("blog.admin.author")}
                    </th>
                    <th scope="col" class="text-end">
                      <span class="visually-hidden">{t("common.actions")}</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((p) => (
                    <tr>
                      <td class="text-truncate-cell">
                        <a href={`/blog/${p.slug}`}>{p.title}</a>
                      </td>
                      <td class="text-nowrap">
                        {p.published_at ? (
                          <span class="badge text-bg-success">
                            {t("blog.admin.publishedAt", {
                              when: formatInZone(p.published_at, user.time_zone, { locale }),
                            })}
                          </span>
                        ) : (
                          <span class="badge text-bg-secondary">{t("blog.admin.draft")}</span>
                        )}
                      </td>
                      <td class="text-end" data-testid={`views-${p.id}`}>
                        {formatNumber(locale, p.view_count)}
                      </td>
                      <td class="d-none d-md-table-cell">{p.author_email ?? "—"}</td>
                      <td class="text-end text-nowrap">
                        <a class="btn btn-sm btn-outline-secondary" href={`/admin/blog/${p.id}/edit`}>
                          <i class="bi bi-pencil" aria-hidden="true" />
                          <span class="visually-hidden">{t("common.edit", { label: p.title })}</span>
                        </a>{" "}
                        <a class="btn btn-sm btn-outline-danger" href={`/admin/blog/${p.id}/delete`}>
                          <i class="bi bi-trash" aria-hidden="true" />
                          <span class="visually-hidden">{t("common.delete", { label: p.title })}</span>
                        </a>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager page={page} path="/admin/blog" params={{}} />
          </>
        )}
      </>
    );
    return sendPage(reply, renderPage(ctx, t("blog.admin.title"), body));
  });

  app.get("/admin/blog/new", async (req, reply) => {
    requireAdmin(req);
    return sendPage(reply, formPage(viewContext(req, reply), { ...emptyForm, values: { published: "on" } }));
  });

  app.post("/admin/blog/new", multipart, async (req, reply) => {
    const user = requireAdmin(req);
    return handleForm(
      req,
      reply,
      async () => {
        const post = await blog.create(user, formBody(req), uploads.get(req));
        return redirectWith(reply, "/admin/blog", "success", `Post “${post.title}” created.`);
      },
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  app.get<{ Params: { id: string } }>("/admin/blog/:id/edit", async (req, reply) => {
    const user = requireAdmin(req);
    const post = await blog.get(user, parseId(req.params.id));
    return sendPage(reply, formPage(viewContext(req, reply), { values: postValues(post), errors: {} }, post));
  });

  app.post<{ Params: { id: string } }>("/admin/blog/:id/edit", multipart, async (req, reply) => {
    const user = requireAdmin(req);
    const post = await blog.get(user, parseId(req.params.id));
    return handleForm(
      req,
      reply,
      async () => {
        const saved = await blog.update(user, post.id, formBody(req), uploads.get(req));
        return redirectWith(reply, "/admin/blog", "success", `Post “${saved.title}” saved.`);
      },
      (form) => formPage(viewContext(req, reply), form, post),
    );
  });

  app.get<{ Params: { id: string } }>("/admin/blog/:id/delete", async (req, reply) => {
    const user = requireAdmin(req);
    const post = await blog.get(user, parseId(req.params.id));
    const ctx = viewContext(req, reply);
    const { t } = ctx;
    const body = (
      <>
        <PageHeader title={t("blog.delete.title")} />
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/admin/blog/${post.id}/delete`}
          cancelHref="/admin/blog"
          button={t("blog.delete.title")}
        >
          <p class="mb-0">
            {t("blog.delete.before")}
            <strong>{post.title}</strong>
            {t("blog.delete.after", { slug: post.slug })}
          </p>
        </ConfirmForm>
      </>
    );
    return sendPage(reply, renderPage(ctx, t("blog.delete.title"), body));
  });

  app.post<{ Params: { id: string } }>("/admin/blog/:id/delete", async (req, reply) => {
    const user = requireAdmin(req);
    const post = await blog.get(user, parseId(req.params.id));
    await blog.delete(user, post.id);
    return redirectWith(reply, "/admin/blog", "success", `Post “${post.title}” deleted.`);
  });
}

function parseId(raw: string): number {
  const parsed = id.safeParse(raw);
  if (!parsed.success) throw new NotFoundError();
  return parsed.data;
}
