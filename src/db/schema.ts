/**
 * Table types: one per table, with Selectable / Insertable / Updateable aliases.
 * Timestamps are ISO-8601 UTC strings ("2026-11-24T12:00:00.000Z") in both dialects, so ordering and
 * comparison are the same on SQLite and PostgreSQL.
 */
import type { Generated, Insertable, Selectable, Updateable } from "kysely";

export type Role = "user" | "manager" | "admin";

export interface UserTable {
  id: Generated<number>;
  email: string;
  email_normalized: string;
  password_hash: string;
  name: string;
  time_zone: string;
  role: Role;
  email_confirmed_at: string | null;
  blocked_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  id_hash: string;
  user_id: number;
  created_at: string;
  expires_at: string;
  last_seen_at: string;
}

export interface RecipientTable {
  id: Generated<number>;
  owner_id: number;
  email: string;
  email_normalized: string;
  full_name: string;
  comment: string;
  created_at: string;
  updated_at: string;
}

export interface MessageTable {
  id: Generated<number>;
  owner_id: number;
  subject: string;
  body: string;
  created_at: string;
  updated_at: string;
}

export type Periodicity = "once" | "daily" | "weekly" | "monthly";
export type MailingStatus = "created" | "running" | "completed";

export interface MailingTable {
  id: Generated<number>;
  owner_id: number;
  name: string;
  message_id: number;
  first_send_at: string;
  end_at: string;
  periodicity: Periodicity;
  time_zone: string;
  status: MailingStatus;
  disabled_at: string | null;
  /** The next planned run (UTC), or null when none is planned. Kept by the scheduler. */
  next_run_at: string | null;
  last_run_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MailingRecipientTable {
  mailing_id: number;
  recipient_id: number;
}

export interface Tables {
  users: UserTable;
  sessions: SessionTable;
  recipients: RecipientTable;
  messages: MessageTable;
  mailings: MailingTable;
  mailing_recipients: MailingRecipientTable;
}

export type User = Selectable<UserTable>;
export type NewUser = Insertable<UserTable>;
export type UserUpdate = Updateable<UserTable>;
export type Session = Selectable<SessionTable>;
export type Recipient = Selectable<RecipientTable>;
export type NewRecipient = Insertable<RecipientTable>;
export type RecipientUpdate = Updateable<RecipientTable>;
export type Message = Selectable<MessageTable>;
export type NewMessage = Insertable<MessageTable>;
export type MessageUpdate = Updateable<MessageTable>;
export type Mailing = Selectable<MailingTable>;
export type NewMailing = Insertable<MailingTable>;
export type MailingUpdate = Updateable<MailingTable>;
