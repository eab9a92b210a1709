/**
 * Public blog pages (no login needed): the list of published posts, a post, and the uploaded images.
 * Pages send an ETag and answer If-None-Match with 304; images never change under a name, so they are
 * cached for a year.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import { NotFoundError } from "../shared/errors.js";
import { formatInZone } from "../shared/time.js";
import { EmptyState, PageHeader, Pager } from "../web/components.js";
import { anonymousContext, type ViewContext, viewContext } from "../web/context.js";
import { sendCacheable } from "../web/http-cache.js";
import { useI18n } from "../web/i18n.js";
import { renderPage } from "../web/layout.js";
import type { PostCard } from "./blog.service.js";

/** Signed out, a page needs no CSRF token (it has no form): none is made, so no cookie is set. */
function publicContext(req: FastifyRequest, reply: FastifyReply): ViewContext {
  if (req.user) return viewContext(req, reply);
  return anonymousContext(req, req.flashes);
}

export const imageUrl = (name: string) => `/blog/images/${name}`;

/** A post as a card: image, title, date and the first lines. Used by the list and the home page. */
export function PostCards({ posts, columns = 3 }: { posts: PostCard[]; columns?: number }) {
  const { locale } = useI18n();
  return (
    <div class={`row row-cols-1 row-cols-md-${columns} g-3 mb-3`}>
      {posts.map((p) => (
        <div class="col">
          <article class="card h-100">
            {p.image_path && (
              <img
                src={imageUrl(p.image_path)}
                class="card-img-top post-card-img"
                alt={p.image_alt}
                loading="lazy"
              />
            )}
            <div class="card-body">
              <h3 class="h5 card-title">
                <a class="stretched-link link-body-emphasis text-decoration-none" href={`/blog/${p.slug}`}>
                  {p.title}
                </a>
              </h3>
              <p class="text-body-secondary small mb-2">{formatInZone(p.published_at, "UTC", { locale })}</p>
              <p class="card-text">{p.excerpt}</p>
            </div>
          </article>
        </div>
      ))}
    </div>
  );
}

export function blogRoutes(app: FastifyInstance, services: Services): void {
  const { blog } = services;

  app.get("/blog", async (req, reply) => {
    const page = await blog.publishedPage(req.query);
    const ctx = publicContext(req, reply);
    const { t } = ctx;
    const body = (
      <>
        <PageHeader title={t("nav.blog")}>
          {req.user?.role === "admin" && (
            <a class="btn btn-outline-primary" href="/admin/blog">
              <i class="bi bi-pencil-square" aria-hidden="true" /> {t("blog.public.manage")}
            </a>
          )}
        </PageHeader>
        {page.total === 0 ? (
          <EmptyState icon="bi-journal-text" title={t("blog.empty")}>
            {t("blog.public.emptyText")}
          </EmptyState>
        ) : (
          <>
            <PostCards posts={page.items} columns={2} />
            <Pager page={page} path="/blog" params={{}} />
          </>
        )}
      </>
    );
    return sendCacheable(req, reply, renderPage(ctx, t("nav.blog"), body), { public: "public, max-age=60" });
  });

  app.get<{ Params: { slug: string } }>("/blog/:slug", async (req, reply) => {
    if (req.params.slug.length > 200) throw new NotFoundError();
    const { post, html, draft } = await blog.view(req.user, req.params.slug);
    const ctx = publicContext(req, reply);
    const { t, locale } = ctx;
    const body = (
      <article class="post mx-auto">
        <p class="mb-2">
          <a href="/blog">
            <i class="bi bi-arrow-left" aria-hidden="true" /> {t("blog.public.all")}
          </a>
        </p>
        <h1 class="h2">{post.title}</h1>
        <p class="text-body-secondary">
          {draft ? (
            <span class="badge text-bg-warning">{t("blog.public.draft")}</span>
          ) : (
            formatInZone(post.published_at, "UTC", { locale })
          )}
          {req.user?.role === "admin" && (
            <a class="ms-3" href={`/admin/blog/${post.id}/edit`}>
              {t("blog.public.edit")}
            </a>
          )}
        </p>
        {post.image_path && (
          <img src={imageUrl(post.image_path)} class="img-fluid rounded mb-4" alt={post.image_alt} />
        )}
        {/* Rendered by markdown-it with raw HTML off and links allow-listed (blog/markdown.ts). */}
        <div class="post-body" dangerouslySetInnerHTML={{ __html: html }} />
      </article>
    );
    const page = renderPage(ctx, post.title, body);
    // no-cache: the browser asks every time (so each view is counted) and gets a 304 when nothing changed.
    if (draft)
      return reply.code(200).type("text/html; charset=utf-8").header("cache-control", "no-store").send(page);
    return sendCacheable(req, reply, page, { public: "public, no-cache" });
  });

  app.get<{ Params: { name: string } }>("/blog/images/:name", async (req, reply) => {
    const image = await blog.openImage(req.params.name);
    if (!image) throw new NotFoundError();
    return reply
      .header("content-type", image.contentType)
      .header("content-length", image.size)
      .header("x-content-type-options", "nosniff")
      .header("content-disposition", "inline")
      .header("cache-control", "public, max-age=31536000, immutable")
      .send(image.stream);
  });
}
