/**
 * SQLite only: the recipient counter triggers no longer keep counter_emails (an upsert per recipient
 * written, half the cost of an import). Whether an address is new or gone for all users is read from
 * recipients_email_idx instead: another recipient row with the same normalized email exists or not. SQLite
 * has one writer at a time, so that read is exact. counter_emails is emptied here and no longer read on
 * SQLite (PostgreSQL keeps it: its statement-level triggers see a whole statement's rows at once).
 * Frozen: never edit, add a new migration instead.
 */
import { type Kysely, sql } from "kysely";
import type { Dialect } from "./index.js";

const add = (owner: string, delta: string, where = "true") =>
  `insert into counters (owner_id, name, value) select ${owner}, 'recipients', ${delta} where ${where}
     on conflict (owner_id, name) do update set value = value + excluded.value;`;

/** No recipient row but `self` has this address. */
const alone = (email: string, self: string) =>
  `not exists (select 1 from recipients r where r.email_normalized = ${email} and r.id <> ${self})`;

const out = (self: string) =>
  `${add("old.owner_id", "-1")} ${add("0", "-1", alone("old.email_normalized", self))}`;
const into = (self: string) =>
  `${add("new.owner_id", "1")} ${add("0", "1", alone("new.email_normalized", self))}`;

const TRIGGERS = [
  `create trigger counters_recipients_insert after insert on recipients begin ${into("new.id")} end`,
  `create trigger counters_recipients_delete after delete on recipients begin ${out("old.id")} end`,
  `create trigger counters_recipients_update after update of owner_id, email_normalized on recipients
     when old.owner_id is not new.owner_id or old.email_normalized is not new.email_normalized
     begin ${out("new.id")} ${into("new.id")} end`,
];

export function sqliteRecipientCounters(dialect: Dialect) {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
    async up(db: Kysely<any>): Promise<void> {
      if (dialect !== "sqlite") return;
      for (const name of ["insert", "delete", "update"])
        await sql.raw(`drop trigger counters_recipients_${name}`).execute(db);
      for (const statement of TRIGGERS) await sql.raw(statement).execute(db);
      await sql`delete from counter_emails`.execute(db);
    },
  };
}
