/** SQL for the home page figures: one user's, or (for an admin) everyone's. */
import type { Executor } from "../db/database.js";

export interface Figures {
  mailings: number;
  activeMailings: number;
  uniqueRecipients: number;
}

export class DashboardRepository {
  constructor(private readonly db: Executor) {}

  /** ownerId null means across all users. Unique recipients are distinct normalized addresses. */
  async figures(ownerId: number | null): Promise<Figures> {
    const [mailings, recipients] = await Promise.all([
      this.db
        .selectFrom("mailings")
        .$if(ownerId !== null, (qb) => qb.where("owner_id", "=", ownerId!))
        .select((eb) => [
          eb.fn.countAll<number>().as("all"),
          eb.fn.count<number>(eb.case().when("status", "=", "running").then(1).end()).as("active"),
        ])
        .executeTakeFirstOrThrow(),
      this.db
        .selectFrom("recipients")
        .$if(ownerId !== null, (qb) => qb.where("owner_id", "=", ownerId!))
        .select((eb) => eb.fn.count<number>("email_normalized").distinct().as("unique"))
        .executeTakeFirstOrThrow(),
    ]);
    return {
      mailings: Number(mailings.all),
      activeMailings: Number(mailings.active),
      uniqueRecipients: Number(recipients.unique),
    };
  }
}
