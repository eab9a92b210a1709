/**
 * Fixture rows inserted directly with Kysely: users, messages, recipients, mailings and their members.
 * Works on any Kysely<Tables> (tests, benches); every helper returns the inserted rows.
 */
import type { Insertable, Kysely } from "kysely";
import type { Mailing, Message, Periodicity, Recipient, Tables, User } from "../../src/db/schema.js";

type Db = Kysely<Tables>;
const stamp = () => new Date().toISOString();
let sequence = 0;

export async function createUser(db: Db, overrides: Partial<Omit<User, "id">> = {}): Promise<User> {
  const n = ++sequence;
  const email = overrides.email ?? `user${n}-${Date.now()}@example.com`;
  return db
    .insertInto("users")
    .values({
      email,
      email_normalized: email.toLowerCase(),
      password_hash: "x",
      name: `User ${n}`,
      time_zone: "UTC",
      role: "user",
      email_confirmed_at: stamp(),
      blocked_at: null,
      created_at: stamp(),
      updated_at: stamp(),
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function createMessage(
  db: Db,
  ownerId: number,
  overrides: Partial<Omit<Message, "id" | "owner_id">> = {},
): Promise<Message> {
  return db
    .insertInto("messages")
    .values({
      owner_id: ownerId,
      subject: "News from us",
      body: "Hello,\nhere is what is new.\n\nBye",
      created_at: stamp(),
      updated_at: stamp(),
      ...overrides,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Recipients from a list of addresses, or `count` generated ones (r1@example.test…), in chunks. */
export async function createRecipients(
  db: Db,
  ownerId: number,
  emails: string[] | number,
): Promise<Recipient[]> {
  const list =
    typeof emails === "number" ? Array.from({ length: emails }, (_, i) => `r${i + 1}@example.test`) : emails;
  const rows: Recipient[] = [];
  for (let i = 0; i < list.length; i += 1000) {
    const chunk = list.slice(i, i + 1000).map((email) => ({
      owner_id: ownerId,
      email,
      email_normalized: email.trim().toLowerCase(),
      full_name: "",
      comment: "",
      created_at: stamp(),
      updated_at: stamp(),
    }));
    rows.push(...(await db.insertInto("recipients").values(chunk).returningAll().execute()));
  }
  return rows;
}

export interface MailingFixture {
  ownerId: number;
  messageId: number;
  recipientIds?: number[];
  name?: string;
  first_send_at?: string;
  end_at?: string;
  periodicity?: Periodicity;
  time_zone?: string;
  status?: Mailing["status"];
  next_run_at?: string | null;
  last_run_at?: string | null;
  disabled_at?: string | null;
}

export async function createMailing(db: Db, f: MailingFixture): Promise<Mailing> {
  const first = f.first_send_at ?? new Date(Date.now() - 60_000).toISOString();
  const mailing = await db
    .insertInto("mailings")
    .values({
      owner_id: f.ownerId,
      name: f.name ?? "Test mailing",
      message_id: f.messageId,
      first_send_at: first,
      end_at: f.end_at ?? new Date(Date.parse(first) + 365 * 86_400_000).toISOString(),
      periodicity: f.periodicity ?? "once",
      time_zone: f.time_zone ?? "UTC",
      status: f.status ?? "created",
      disabled_at: f.disabled_at ?? null,
      next_run_at: f.next_run_at === undefined ? first : f.next_run_at,
      last_run_at: f.last_run_at ?? null,
      created_at: stamp(),
      updated_at: stamp(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const ids = f.recipientIds ?? [];
  for (let i = 0; i < ids.length; i += 2000) {
    await db
      .insertInto("mailing_recipients")
      .values(ids.slice(i, i + 2000).map((recipient_id) => ({ mailing_id: mailing.id, recipient_id })))
      .execute();
  }
  return mailing;
}

/** A user with a message, `recipients` recipients and a mailing of them all. */
export async function seedMailing(
  db: Db,
  options: { recipients: string[] | number; message?: Partial<Omit<Message, "id" | "owner_id">> } & Partial<
    Omit<MailingFixture, "ownerId" | "messageId" | "recipientIds">
  >,
) {
  const { recipients: emails, message: messageFields, ...mailingFields } = options;
  const user = await createUser(db);
  const message = await createMessage(db, user.id, messageFields);
  const recipients = await createRecipients(db, user.id, emails);
  const mailing = await createMailing(db, {
    ownerId: user.id,
    messageId: message.id,
    recipientIds: recipients.map((r) => r.id),
    ...mailingFields,
  });
  return { user, message, recipients, mailing };
}

/**
 * A worker's heartbeat row, as a running worker writes it (another process's, for the pages and the service
 * that read sending's state): running now unless told otherwise.
 */
export async function insertWorkerBeat(
  db: Db,
  beat: Partial<Insertable<Tables["delivery_workers"]>> = {},
): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto("delivery_workers")
    .values({
      worker_id: "w1",
      host: "h",
      pid: 1,
      state: "running",
      reason: null,
      paused_until: null,
      started_at: now,
      heartbeat_at: now,
      ...beat,
    })
    .execute();
}
