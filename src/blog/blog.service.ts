/**
 * The blog: admins write posts (Markdown, optional image, published or draft); anyone reads the
 * published ones. Public reads are cached under the "blog" version key, which every write bumps.
 */
import type { Cache } from "../cache/cache.js";
import { Versioned } from "../cache/versioned.js";
import type { Database } from "../db/database.js";
import { isUniqueViolation } from "../db/database.js";
import type { Post } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.js";
import { type Page, pageOf } from "../shared/pagination.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { type AdminPostRow, BlogRepository } from "./blog.repository.js";
import { blogPageQuery, type PostInput, postSchema, slugify } from "./blog.schemas.js";
import { detectImageType, type ImageStore, MAX_IMAGE_BYTES } from "./images.js";
import { excerpt, renderMarkdown } from "./markdown.js";

export const BLOG_PAGE_SIZE = 10;
const BLOG_TTL_MS = 10 * 60_000;
const SCOPE = "blog";
/** Random home page posts are picked among this many newest ones. */
const RANDOM_POOL = 100;

export type PostCard = Pick<Post, "id" | "title" | "slug" | "image_path" | "image_alt" | "published_at"> & {
  excerpt: string;
};

/** An uploaded file as the web layer read it: its bytes, or the fact that it went over the limit. */
export type ImageUpload = { data: Buffer } | { tooLarge: true };

export interface BlogDeps {
  cache: Cache;
  images: ImageStore;
  clock?: Clock;
}

const card = (post: Post): PostCard => ({
  id: post.id,
  title: post.title,
  slug: post.slug,
  image_path: post.image_path,
  image_alt: post.image_alt,
  published_at: post.published_at,
  excerpt: excerpt(post.body_markdown),
});

export class BlogService {
  private readonly posts: BlogRepository;
  private readonly cache: Versioned;
  private readonly clock: Clock;
  readonly images: ImageStore;

  constructor(database: Database, deps: BlogDeps) {
    this.posts = new BlogRepository(database.db);
    this.cache = new Versioned(deps.cache);
    this.images = deps.images;
    this.clock = deps.clock ?? systemClock;
  }

  // Public reads

  async publishedPage(rawQuery: unknown): Promise<Page<PostCard>> {
    const { page } = blogPageQuery.parse(rawQuery ?? {});
    return this.cache.getOrLoad(SCOPE, `page:${page}`, BLOG_TTL_MS, async () => {
      const { items, total } = await this.posts.listPublished(BLOG_PAGE_SIZE, (page - 1) * BLOG_PAGE_SIZE);
      return pageOf(items.map(card), total, page, BLOG_PAGE_SIZE);
    });
  }

  /** Up to `count` published posts picked at random (for the home page). */
  async random(count = 3): Promise<PostCard[]> {
    const pool = await this.cache.getOrLoad(SCOPE, "pool", BLOG_TTL_MS, async () =>
      (await this.posts.latestPublished(RANDOM_POOL)).map(card),
    );
    const picked = [...pool];
    for (let i = picked.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [picked[i], picked[j]] = [picked[j]!, picked[i]!];
    }
    return picked.slice(0, count);
  }

  /**
   * A published post, counting the view (one atomic UPDATE … RETURNING). The rendered body is cached by
   * the post's id and last change. Admins may also look at drafts, which are not counted.
   */
  async view(actor: Actor | null, slug: string): Promise<{ post: Post; html: string; draft: boolean }> {
    let post = await this.posts.countView(slug);
    const draft = !post;
    if (!post && actor?.role === "admin") post = await this.posts.findBySlug(slug);
    if (!post) throw new NotFoundError("Post not found");
    const current = post;
    const html = await this.cache.getOrLoad(
      SCOPE,
      `html:${post.id}:${post.updated_at}`,
      BLOG_TTL_MS,
      async () => renderMarkdown(current.body_markdown),
    );
    return { post, html, draft };
  }

  openImage(name: string) {
    return this.images.open(name);
  }

  // Admin

  async listAll(actor: Actor, rawQuery: unknown): Promise<Page<AdminPostRow>> {
    requireAdmin(actor);
    const { page } = blogPageQuery.parse(rawQuery ?? {});
    const { items, total } = await this.posts.listAll(25, (page - 1) * 25);
    return pageOf(items, total, page, 25);
  }

  async get(actor: Actor, id: number): Promise<Post> {
    requireAdmin(actor);
    const post = await this.posts.findById(id);
    if (!post) throw new NotFoundError("Post not found");
    return post;
  }

  async create(actor: Actor, input: unknown, upload?: ImageUpload): Promise<Post> {
    requireAdmin(actor);
    const data = parseInput(postSchema, input);
    const image = checkImage(upload);
    const now = iso(this.clock.now());
    const imagePath = image ? await this.images.save(image.data, image.ext) : null;
    try {
      const post = await this.insertWithSlug(data, (slug) => ({
        author_id: actor.id,
        title: data.title,
        slug,
        body_markdown: data.body_markdown,
        image_path: imagePath,
        image_alt: imagePath ? data.image_alt : "",
        published_at: data.published ? now : null,
        created_at: now,
        updated_at: now,
      }));
      await this.cache.bump(SCOPE);
      return post;
    } catch (error) {
      if (imagePath) await this.images.remove(imagePath);
      throw error;
    }
  }

  async update(actor: Actor, id: number, input: unknown, upload?: ImageUpload): Promise<Post> {
    const existing = await this.get(actor, id);
    const data = parseInput(postSchema, input);
    const image = checkImage(upload);
    const now = iso(this.clock.now());
    const imagePath = image ? await this.images.save(image.data, image.ext) : null;
    const keepImage = !imagePath && !data.remove_image;
    let updated: Post | undefined;
    try {
      updated = await this.posts.update(id, {
        title: data.title,
        slug: data.slug || existing.slug,
        body_markdown: data.body_markdown,
        image_path: imagePath ?? (keepImage ? existing.image_path : null),
        image_alt: imagePath || keepImage ? data.image_alt : "",
        published_at: data.published ? (existing.published_at ?? now) : null,
        updated_at: now,
      });
    } catch (error) {
      if (imagePath) await this.images.remove(imagePath);
      if (isUniqueViolation(error)) throw slugTaken();
      throw error;
    }
    if (!updated) throw new NotFoundError("Post not found");
    if (existing.image_path && updated.image_path !== existing.image_path)
      await this.images.remove(existing.image_path);
    await this.cache.bump(SCOPE);
    return updated;
  }

  async delete(actor: Actor, id: number): Promise<void> {
    requireAdmin(actor);
    const deleted = await this.posts.delete(id);
    if (!deleted) throw new NotFoundError("Post not found");
    if (deleted.image_path) await this.images.remove(deleted.image_path);
    await this.cache.bump(SCOPE);
  }

  /** Posts were written behind the service's back (fixtures): drop what is cached. */
  async invalidate(): Promise<void> {
    await this.cache.bump(SCOPE);
  }

  /** Inserts with the given slug, or with the title's slug plus -2, -3… when that one is taken. */
  private async insertWithSlug(
    data: PostInput,
    row: (slug: string) => Parameters<BlogRepository["insert"]>[0],
  ) {
    const base = data.slug || slugify(data.title);
    for (let n = 1; ; n++) {
      const slug = n === 1 ? base : `${base}-${n}`;
      try {
        return await this.posts.insert(row(slug));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (data.slug || n >= 50) throw slugTaken();
      }
    }
  }
}

function requireAdmin(actor: Actor): void {
  if (actor.role !== "admin") throw new NotFoundError();
}

function slugTaken(): ConflictError {
  return new ConflictError("Another post already uses this address. Choose another one.", "slug");
}

function checkImage(upload: ImageUpload | undefined) {
  if (!upload) return null;
  if ("tooLarge" in upload) {
    throw new ValidationError({
      image: `The image is larger than ${MAX_IMAGE_BYTES / 1024 / 1024} MB. Choose a smaller one.`,
    });
  }
  if (upload.data.length === 0) return null;
  const ext = detectImageType(upload.data);
  if (!ext) {
    throw new ValidationError({
      image: "This file is not a JPEG, PNG or WebP image. Choose a picture in one of those formats.",
    });
  }
  return { data: upload.data, ext };
}
