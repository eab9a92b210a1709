/** SQL for blog posts. Public reads see published posts only; writes are the service's (admins'). */
import type { Executor } from "../db/database.js";
import type { NewPost, Post, PostUpdate } from "../db/schema.js";

export type PostSummary = Pick<Post, "id" | "title" | "slug" | "image_path" | "published_at"> & {
  body_markdown: string;
};
export type AdminPostRow = Post & { author_email: string | null };

export class BlogRepository {
  constructor(private readonly db: Executor) {}

  async listPublished(limit: number, offset: number): Promise<{ items: Post[]; total: number }> {
    const base = this.db.selectFrom("posts").where("published_at", "is not", null);
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .orderBy("published_at", "desc")
        .orderBy("id", "desc")
        .limit(limit)
        .offset(offset)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** The newest published posts, for picking random ones for the home page. */
  latestPublished(limit: number): Promise<Post[]> {
    return this.db
      .selectFrom("posts")
      .selectAll()
      .where("published_at", "is not", null)
      .orderBy("published_at", "desc")
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
  }

  /** Counts a view and returns the post in one statement: concurrent views never lose an increment. */
  countView(slug: string): Promise<Post | undefined> {
    return this.db
      .updateTable("posts")
      .set((eb) => ({ view_count: eb("view_count", "+", 1) }))
      .where("slug", "=", slug)
      .where("published_at", "is not", null)
      .returningAll()
      .executeTakeFirst();
  }

  findBySlug(slug: string): Promise<Post | undefined> {
    return this.db.selectFrom("posts").selectAll().where("slug", "=", slug).executeTakeFirst();
  }

  findById(id: number): Promise<Post | undefined> {
    return this.db.selectFrom("posts").selectAll().where("id", "=", id).executeTakeFirst();
  }

  async listAll(limit: number, offset: number): Promise<{ items: AdminPostRow[]; total: number }> {
    const [items, total] = await Promise.all([
      this.db
        .selectFrom("posts")
        .leftJoin("users", "users.id", "posts.author_id")
        .selectAll("posts")
        .select("users.email as author_email")
        .orderBy("posts.created_at", "desc")
        .orderBy("posts.id", "desc")
        .limit(limit)
        .offset(offset)
        .execute(),
      this.db
        .selectFrom("posts")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  insert(post: NewPost): Promise<Post> {
    return this.db.insertInto("posts").values(post).returningAll().executeTakeFirstOrThrow();
  }

  update(id: number, changes: PostUpdate): Promise<Post | undefined> {
    return this.db.updateTable("posts").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  delete(id: number): Promise<Post | undefined> {
    return this.db.deleteFrom("posts").where("id", "=", id).returningAll().executeTakeFirst();
  }

  all(): Promise<Post[]> {
    return this.db.selectFrom("posts").selectAll().orderBy("id").execute();
  }

  slugsIn(slugs: string[]): Promise<string[]> {
    if (slugs.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom("posts")
      .select("slug")
      .where("slug", "in", slugs)
      .execute()
      .then((rows) => rows.map((r) => r.slug));
  }
}
