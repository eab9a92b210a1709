/**
 * SQL for demo data and fixtures: whether the database is empty, bulk inserts of every kind of row, and
 * full reads for a dump. Only the demo service uses it, inside one transaction.
 */
import type { Executor } from "../db/database.js";
import type {
  Mailing,
  Message,
  NewDelivery,
  NewMailing,
  NewMessage,
  NewPost,
  NewRecipient,
  NewRun,
  NewUser,
  Post,
  Recipient,
  Run,
  User,
} from "../db/schema.js";

const CHUNK = 500;

export class DemoRepository {
  constructor(private readonly db: Executor) {}

  /** Row counts of the tables a demo or a fixture load writes to. */
  async counts(): Promise<Record<"users" | "recipients" | "messages" | "mailings" | "posts", number>> {
    const count = async (table: "users" | "recipients" | "messages" | "mailings" | "posts") =>
      Number(
        (
          await this.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const [users, recipients, messages, mailings, posts] = await Promise.all([
      count("users"),
      count("recipients"),
      count("messages"),
      count("mailings"),
      count("posts"),
    ]);
    return { users, recipients, messages, mailings, posts };
  }

  insertUser(user: NewUser): Promise<User> {
    return this.db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
  }

  async insertRecipients(rows: NewRecipient[]): Promise<Recipient[]> {
    const out: Recipient[] = [];
    for (let i = 0; i < rows.length; i += CHUNK)
      out.push(
        ...(await this.db
          .insertInto("recipients")
          .values(rows.slice(i, i + CHUNK))
          .returningAll()
          .execute()),
      );
    return out;
  }

  /** The shipped layout (the first shared one), or null when an admin removed every shared layout. */
  async defaultLayoutId(): Promise<number | null> {
    const row = await this.db
      .selectFrom("layouts")
      .select("id")
      .where("owner_id", "is", null)
      .orderBy("id")
      .executeTakeFirst();
    return row?.id ?? null;
  }

  insertMessage(message: NewMessage): Promise<Message> {
    return this.db.insertInto("messages").values(message).returningAll().executeTakeFirstOrThrow();
  }

  insertMailing(mailing: NewMailing): Promise<Mailing> {
    return this.db.insertInto("mailings").values(mailing).returningAll().executeTakeFirstOrThrow();
  }

  async addMembers(mailingId: number, recipientIds: number[]): Promise<void> {
    for (let i = 0; i < recipientIds.length; i += CHUNK) {
      const rows = recipientIds
        .slice(i, i + CHUNK)
        .map((recipient_id) => ({ mailing_id: mailingId, recipient_id }));
      await this.db.insertInto("mailing_recipients").values(rows).execute();
    }
  }

  /** A finished run with its deliveries, as the worker would have left it. */
  async insertRun(run: NewRun, deliveries: Omit<NewDelivery, "run_id">[]): Promise<Run> {
    const row = await this.db.insertInto("runs").values(run).returningAll().executeTakeFirstOrThrow();
    for (let i = 0; i < deliveries.length; i += CHUNK) {
      const chunk = deliveries.slice(i, i + CHUNK).map((d) => ({ ...d, run_id: row.id }));
      await this.db.insertInto("deliveries").values(chunk).execute();
    }
    return row;
  }

  insertPost(post: NewPost): Promise<Post> {
    return this.db.insertInto("posts").values(post).returningAll().executeTakeFirstOrThrow();
  }

  // Reads for a dump

  users(): Promise<User[]> {
    return this.db.selectFrom("users").selectAll().orderBy("id").execute();
  }
  recipients(): Promise<Recipient[]> {
    return this.db.selectFrom("recipients").selectAll().orderBy("id").execute();
  }
  messages(): Promise<Message[]> {
    return this.db.selectFrom("messages").selectAll().orderBy("id").execute();
  }
  mailings(): Promise<Mailing[]> {
    return this.db.selectFrom("mailings").selectAll().orderBy("id").execute();
  }
  members(): Promise<{ mailing_id: number; recipient_id: number }[]> {
    return this.db
      .selectFrom("mailing_recipients")
      .selectAll()
      .orderBy("mailing_id")
      .orderBy("recipient_id")
      .execute();
  }
  posts(): Promise<Post[]> {
    return this.db.selectFrom("posts").selectAll().orderBy("id").execute();
  }

  // Conflicts for a load

  async existingEmails(normalized: string[]): Promise<string[]> {
    if (normalized.length === 0) return [];
    const rows = await this.db
      .selectFrom("users")
      .select("email_normalized")
      .where("email_normalized", "in", normalized)
      .execute();
    return rows.map((r) => r.email_normalized);
  }

  async existingSlugs(slugs: string[]): Promise<string[]> {
    if (slugs.length === 0) return [];
    const rows = await this.db.selectFrom("posts").select("slug").where("slug", "in", slugs).execute();
    return rows.map((r) => r.slug);
  }
}
