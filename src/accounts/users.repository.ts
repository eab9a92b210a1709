/** SQL for users. */

import { sql } from "kysely";
import type { Executor } from "../db/database.js";
import type { NewUser, Role, User, UserUpdate } from "../db/schema.js";
import { likePattern, PAGE_SIZE } from "../shared/pagination.js";

export class UsersRepository {
  constructor(private readonly db: Executor) {}

  findById(id: number): Promise<User | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  findByEmail(emailNormalized: string): Promise<User | undefined> {
    return this.db
      .selectFrom("users")
      .selectAll()
      .where("email_normalized", "=", emailNormalized)
      .executeTakeFirst();
  }

  insert(user: NewUser, db: Executor = this.db): Promise<User> {
    return db.insertInto("users").values(user).returningAll().executeTakeFirstOrThrow();
  }

  update(id: number, changes: UserUpdate): Promise<User | undefined> {
    return this.db.updateTable("users").set(changes).where("id", "=", id).returningAll().executeTakeFirst();
  }

  async delete(id: number): Promise<boolean> {
    const result = await this.db.deleteFrom("users").where("id", "=", id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async count(): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countByRole(role: Role): Promise<number> {
    const row = await this.db
      .selectFrom("users")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("role", "=", role)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async list(query: { q: string; page: number }): Promise<{ items: User[]; total: number }> {
    const base = this.search(query.q);
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .orderBy("created_at", "asc")
        .orderBy("id", "asc")
        .limit(PAGE_SIZE)
        .offset((query.page - 1) * PAGE_SIZE)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** The API's keyset page of users in id order, over the primary key. */
  async listKeyset(
    q: string,
    dir: "asc" | "desc",
    afterId: number | null,
    limit: number,
  ): Promise<{ items: User[]; total: number }> {
    const base = this.search(q);
    const [items, total] = await Promise.all([
      base
        .selectAll()
        .$if(afterId !== null, (qb) => qb.where("id", dir === "asc" ? ">" : "<", afterId!))
        .orderBy("id", dir)
        .limit(limit + 1)
        .execute(),
      base.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  private search(q: string) {
    return this.db
      .selectFrom("users")
      .$if(q !== "", (qb) =>
        qb.where((eb) =>
          eb.or([
            eb("email_normalized", "like", likePattern(q)),
            eb(sql`lower(name)`, "like", likePattern(q)),
          ]),
        ),
      );
  }
}
