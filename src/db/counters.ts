/**
 * Counters for the home page figures, kept exact by database triggers in the same transaction as every
 * write to recipients and mailings (services, the scheduler, workers, bulk SQL, imports): one place, so a
 * new code path cannot forget them. Rows are (owner_id, name, value); owner_id 0 is all users.
 *   mailings         — mailings of the owner
 *   active_mailings  — of them, status 'running'
 *   recipients       — distinct normalized addresses (per owner a recipient row is one address, as
 *                      recipients are unique on (owner_id, email_normalized); for all users the distinct
 *                      count is kept through counter_emails: how many owners have each address)
 * SQLite triggers are row-level; since migration 024c they do not keep counter_emails: an address is new
 * (or gone) for all users when no other recipient row has it (recipients_email_idx; SQLite has one writer).
 * The SQLite trigger SQL below is what migration 019 created; 024c replaced the recipient ones. PostgreSQL triggers are statement-level over transition tables, so an
 * INSERT … SELECT of a million rows updates each counter once, not a million times.
 * The trigger SQL lives here and in migration 024c; `recount` rebuilds every counter from the data.
 */
import { type Kysely, sql } from "kysely";

export type CounterName = "mailings" | "active_mailings" | "recipients";
export const COUNTER_NAMES: CounterName[] = ["mailings", "active_mailings", "recipients"];

/** Upserts `delta` into (owner, name) for SQLite trigger bodies. */
const sqliteAdd = (owner: string, name: CounterName, delta: string, where = "") =>
  `insert into counters (owner_id, name, value) select ${owner}, '${name}', ${delta} where ${where || "true"}
     on conflict (owner_id, name) do update set value = value + excluded.value;`;

const sqliteRecipientIn = (row: "new") => `
  ${sqliteAdd(`${row}.owner_id`, "recipients", "1")}
  insert into counter_emails (email, owners) values (${row}.email_normalized, 1)
    on conflict (email) do update set owners = owners + 1;
  ${sqliteAdd("0", "recipients", "1", `(select owners from counter_emails where email = ${row}.email_normalized) = 1`)}`;

const sqliteRecipientOut = (row: "old") => `
  ${sqliteAdd(`${row}.owner_id`, "recipients", "-1")}
  update counter_emails set owners = owners - 1 where email = ${row}.email_normalized;
  ${sqliteAdd("0", "recipients", "-1", `(select owners from counter_emails where email = ${row}.email_normalized) = 0`)}
  delete from counter_emails where email = ${row}.email_normalized and owners = 0;`;

const sqliteMailing = (row: "new" | "old", sign: "1" | "-1") => `
  ${sqliteAdd(`${row}.owner_id`, "mailings", sign)}
  ${sqliteAdd("0", "mailings", sign)}
  ${sqliteAdd(`${row}.owner_id`, "active_mailings", sign, `${row}.status = 'running'`)}
  ${sqliteAdd("0", "active_mailings", sign, `${row}.status = 'running'`)}`;

const SQLITE_TRIGGERS = [
  `create trigger counters_recipients_insert after insert on recipients begin ${sqliteRecipientIn("new")} end`,
  `create trigger counters_recipients_delete after delete on recipients begin ${sqliteRecipientOut("old")} end`,
  `create trigger counters_recipients_update after update of owner_id, email_normalized on recipients
     when old.owner_id is not new.owner_id or old.email_normalized is not new.email_normalized
     begin ${sqliteRecipientOut("old")} ${sqliteRecipientIn("new")} end`,
  `create trigger counters_mailings_insert after insert on mailings begin ${sqliteMailing("new", "1")} end`,
  `create trigger counters_mailings_delete after delete on mailings begin ${sqliteMailing("old", "-1")} end`,
  `create trigger counters_mailings_update after update of owner_id, status on mailings
     when old.owner_id is not new.owner_id or old.status is not new.status
     begin ${sqliteMailing("old", "-1")} ${sqliteMailing("new", "1")} end`,
];

/** PostgreSQL: `deltas` is a query of (owner_id, name, delta) rows; adds them, each counter once. */
const pgAdd = (deltas: string) => `
  insert into counters (owner_id, name, value)
    select owner_id, name, sum(delta) from (${deltas}) d group by owner_id, name having sum(delta) <> 0
    order by owner_id, name
  on conflict (owner_id, name) do update set value = counters.value + excluded.value;`;

/** Recipients leaving (old_rows) and arriving (new_rows); either may be an empty relation. */
const pgRecipients = (oldRows: string, newRows: string) => `
  ${pgAdd(`select owner_id, 'recipients' as name, -1 as delta from ${oldRows}
           union all select owner_id, 'recipients', 1 from ${newRows}`)}
  with change as (
    select email, sum(d) as d from (
      select email_normalized as email, -1 as d from ${oldRows}
      union all select email_normalized, 1 from ${newRows}) c
    group by email having sum(d) <> 0 order by email
  ), applied as (
    insert into counter_emails (email, owners) select email, d from change
    on conflict (email) do update set owners = counter_emails.owners + excluded.owners
    returning email, owners
  ), flips as (
    select case when a.owners = 0 then -1 when a.owners = c.d then 1 else 0 end as delta
    from applied a join change c using (email)
  )
  ${pgAdd("select 0 as owner_id, 'recipients' as name, delta from flips")}
  delete from counter_emails where owners = 0 and email in (select email_normalized from ${oldRows});`;

const pgMailings = (oldRows: string, newRows: string) =>
  pgAdd(`select v.o as owner_id, v.n as name, m.d as delta from (
    select owner_id, status, -1 as d from ${oldRows} union all select owner_id, status, 1 from ${newRows}
  ) m cross join lateral (values (m.owner_id, 'mailings'), (0, 'mailings'),
    (case when m.status = 'running' then m.owner_id end, 'active_mailings'),
    (case when m.status = 'running' then 0 end, 'active_mailings')) v(o, n)
  where v.o is not null`);

const EMPTY_RECIPIENTS = "(select null::integer as owner_id, null::text as email_normalized where false) e";
const EMPTY_MAILINGS = "(select null::integer as owner_id, null::text as status where false) e";

const pgFunction = (name: string, body: string) => `
  create function ${name}() returns trigger language plpgsql as $$
  begin
    ${body}
    return null;
  end $$`;

const PG_TRIGGERS = [
  pgFunction("counters_recipients_insert", pgRecipients(EMPTY_RECIPIENTS, "new_rows")),
  pgFunction("counters_recipients_delete", pgRecipients("old_rows", EMPTY_RECIPIENTS)),
  pgFunction(
    "counters_recipients_update",
    pgRecipients(
      "(select o.owner_id, o.email_normalized from old_rows o join new_rows n using (id) where o.owner_id <> n.owner_id or o.email_normalized <> n.email_normalized) oc",
      "(select n.owner_id, n.email_normalized from new_rows n join old_rows o using (id) where o.owner_id <> n.owner_id or o.email_normalized <> n.email_normalized) nc",
    ),
  ),
  pgFunction("counters_mailings_insert", pgMailings(EMPTY_MAILINGS, "new_rows")),
  pgFunction("counters_mailings_delete", pgMailings("old_rows", EMPTY_MAILINGS)),
  pgFunction(
    "counters_mailings_update",
    pgMailings(
      "(select o.owner_id, o.status from old_rows o join new_rows n using (id) where o.owner_id <> n.owner_id or o.status <> n.status) oc",
      "(select n.owner_id, n.status from new_rows n join old_rows o using (id) where o.owner_id <> n.owner_id or o.status <> n.status) nc",
    ),
  ),
  `create trigger counters_recipients_insert after insert on recipients referencing new table as new_rows
     for each statement execute function counters_recipients_insert()`,
  `create trigger counters_recipients_delete after delete on recipients referencing old table as old_rows
     for each statement execute function counters_recipients_delete()`,
  `create trigger counters_recipients_update after update on recipients
     referencing old table as old_rows new table as new_rows
     for each statement execute function counters_recipients_update()`,
  `create trigger counters_mailings_insert after insert on mailings referencing new table as new_rows
     for each statement execute function counters_mailings_insert()`,
  `create trigger counters_mailings_delete after delete on mailings referencing old table as old_rows
     for each statement execute function counters_mailings_delete()`,
  `create trigger counters_mailings_update after update on mailings
     referencing old table as old_rows new table as new_rows
     for each statement execute function counters_mailings_update()`,
];

// biome-ignore lint/suspicious/noExplicitAny: used by the frozen migration as well as the app
export async function createCounterTriggers(db: Kysely<any>, dialect: "sqlite" | "postgres"): Promise<void> {
  for (const statement of dialect === "sqlite" ? SQLITE_TRIGGERS : PG_TRIGGERS) {
    await sql.raw(statement).execute(db);
  }
}

export interface CounterChange {
  ownerId: number;
  name: string;
  before: number;
  after: number;
}

/**
 * Rebuilds every counter (and counter_emails) from the data; run it inside a transaction. Returns the
 * counters whose value changed.
 */
// biome-ignore lint/suspicious/noExplicitAny: used by the frozen migration as well as the app
export async function recount(db: Kysely<any>): Promise<CounterChange[]> {
  const before = await readAll(db);
  await sql`delete from counters`.execute(db);
  await sql`delete from counter_emails`.execute(db);
  await sql`insert into counter_emails (email, owners)
    select email_normalized, count(*) from recipients group by email_normalized`.execute(db);
  await sql`insert into counters (owner_id, name, value)
    select owner_id, 'mailings', count(*) from mailings group by owner_id
    union all select 0, 'mailings', count(*) from mailings having count(*) > 0
    union all select owner_id, 'active_mailings', count(*) from mailings where status = 'running' group by owner_id
    union all select 0, 'active_mailings', count(*) from mailings where status = 'running' having count(*) > 0
    union all select owner_id, 'recipients', count(*) from recipients group by owner_id
    union all select 0, 'recipients', count(*) from counter_emails having count(*) > 0`.execute(db);
  const after = await readAll(db);
  const keys = new Set([...before.keys(), ...after.keys()]);
  const changes: CounterChange[] = [];
  for (const key of keys) {
    const b = before.get(key) ?? 0;
    const a = after.get(key) ?? 0;
    if (a === b) continue;
    const [ownerId, name] = key.split(":");
    changes.push({ ownerId: Number(ownerId), name: name!, before: b, after: a });
  }
  return changes.sort((x, y) => x.ownerId - y.ownerId || x.name.localeCompare(y.name));
}

// biome-ignore lint/suspicious/noExplicitAny: see recount
async function readAll(db: Kysely<any>): Promise<Map<string, number>> {
  const { rows } = await sql<{ owner_id: number; name: string; value: number | string }>`
    select owner_id, name, value from counters`.execute(db);
  return new Map(rows.map((r) => [`${r.owner_id}:${r.name}`, Number(r.value)]));
}

export interface RunCountChange {
  runId: number;
  /** A delivery status (run_counts), or "chart" (run_minutes: its sent and failed, summed). */
  name: string;
  before: number;
  after: number;
}

/**
 * Rebuilds each run's counts by status (run_counts, migration 028) from its deliveries, and the per-minute
 * chart (run_minutes, migration 031) of runs whose deliveries are all still there (not pruned by
 * retention, whose chart outlives them); run it inside a transaction. Returns what changed.
 */
// biome-ignore lint/suspicious/noExplicitAny: beside recount, on the same untyped executor
export async function recountRuns(db: Kysely<any>): Promise<RunCountChange[]> {
  const read = async () => {
    const { rows } = await sql<{ run_id: number; name: string; n: number | string }>`
      select run_id, status as name, n from run_counts
      union all select run_id, 'chart', sum(sent + failed) from run_minutes group by run_id`.execute(db);
    return new Map(rows.map((r) => [`${r.run_id}:${r.name}`, Number(r.n)]));
  };
  const before = await read();
  await sql`delete from run_counts`.execute(db);
  await sql`insert into run_counts (run_id, status, n)
    select run_id, status, count(*) from deliveries group by run_id, status`.execute(db);
  const whole = sql`(select id from runs where pruned_at is null)`;
  await sql`delete from run_minutes where run_id in ${whole}`.execute(db);
  const minute = sql.raw("substr(coalesce(sent_at, updated_at), 1, 16)");
  await sql`insert into run_minutes (run_id, minute, sent, failed)
    select run_id, ${minute}, sum(case when status = 'sent' then 1 else 0 end),
           sum(case when status = 'failed' then 1 else 0 end)
    from deliveries where status in ('sent', 'failed') and run_id in ${whole}
    group by run_id, ${minute}`.execute(db);
  const after = await read();
  const changes: RunCountChange[] = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [b, a] = [before.get(key) ?? 0, after.get(key) ?? 0];
    if (a === b) continue;
    const [runId, name] = key.split(":");
    changes.push({ runId: Number(runId), name: name!, before: b, after: a });
  }
  return changes.sort((x, y) => x.runId - y.runId || x.name.localeCompare(y.name));
}
