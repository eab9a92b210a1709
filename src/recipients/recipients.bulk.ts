/**
 * Bulk actions on the recipients page: add to a list, remove from a list, delete or export, on the ticked
 * rows or on every row matching the current filter. preview() says how many (the confirmation states the
 * count); apply() does it. "Every matching row" is one INSERT … SELECT or DELETE … IN, never loaded.
 */
import type { Database } from "../db/database.js";
import { ListsRepository } from "../lists/lists.repository.js";
import type { Actor } from "../shared/actor.js";
import { ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { RecipientsRepository } from "./recipients.repository.js";
import { type BulkInput, bulkSchema, type RecipientFilter } from "./recipients.schemas.js";
import type { RecipientsChanged } from "./recipients.service.js";

export interface BulkPreview {
  input: BulkInput;
  count: number;
  list?: { id: number; name: string };
}

export class RecipientBulkService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    private readonly changed: RecipientsChanged = () => {},
  ) {}

  async preview(actor: Actor, rawInput: unknown): Promise<BulkPreview> {
    const input = parseInput(bulkSchema, rawInput);
    const recipients = new RecipientsRepository(this.database.db);
    let list: { id: number; name: string } | undefined;
    if (input.action === "add_to_list" || input.action === "remove_from_list") {
      const found = await new ListsRepository(this.database.db).findById(actor, input.target_list!);
      if (!found) throw new ValidationError({ target_list: "Choose one of your lists." });
      list = { id: found.id, name: found.name };
    }
    const count =
      input.scope === "matching"
        ? await recipients.countMatching(actor, filterOf(input))
        : (await recipients.ownedIds(actor, input.ids)).length;
    if (count === 0) throw new ValidationError({ ids: "No recipients to act on." });
    return { input, count, ...(list ? { list } : {}) };
  }

  /** Does a previewed add, remove or delete; returns the message to show. */
  async apply(actor: Actor, rawInput: unknown): Promise<string> {
    const { input, list } = await this.preview(actor, rawInput);
    const now = iso(this.clock.now());
    const message = await this.database.db.transaction().execute(async (tx) => {
      const recipients = new RecipientsRepository(tx);
      const lists = new ListsRepository(tx);
      const ids = input.scope === "ticked" ? await recipients.ownedIds(actor, input.ids) : undefined;
      const matching = recipients.matchingIdsQuery(actor, filterOf(input));
      switch (input.action) {
        case "add_to_list": {
          const n = ids
            ? await lists.addIds(list!.id, ids, now)
            : await lists.addQuery(list!.id, matching, now);
          return `${plural(n)} added to “${list!.name}”.`;
        }
        case "remove_from_list": {
          const n = ids ? await lists.removeIds(list!.id, ids) : await lists.removeQuery(list!.id, matching);
          return `${plural(n)} removed from “${list!.name}”.`;
        }
        case "delete": {
          const n = ids
            ? await recipients.deleteIds(actor, ids)
            : await recipients.deleteMatching(actor, filterOf(input));
          return `${plural(n)} deleted.`;
        }
        case "export":
          throw new ValidationError({ action: "Export is a download." });
      }
    });
    await this.changed(actor.id);
    return message;
  }
}

export function filterOf(input: Pick<BulkInput, "q" | "list">): RecipientFilter {
  return { q: input.q, list: input.list };
}

const plural = (n: number) => `${n.toLocaleString("en-US")} recipient${n === 1 ? "" : "s"}`;
