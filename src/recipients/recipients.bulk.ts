/**
 * Bulk actions on the recipients page: add to a list, remove from a list, delete or export, on the ticked
 * rows or on every row matching the current filter. preview() says how many (the confirmation states the
 * count); apply() does it. "Every matching row" is one INSERT … SELECT or DELETE … IN, never loaded.
 */
import type { Database } from "../db/database.js";
import type { Recipient } from "../db/schema.js";
import { ListsRepository } from "../lists/lists.repository.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, ValidationError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { fieldErrorsOf, parseInput } from "../shared/validation.js";
import { type ColumnMap, mapColumns, unescapeFormula } from "./import/columns.js";
import { CsvError, readCsv } from "./import/csv.js";
import { RecipientsRepository } from "./recipients.repository.js";
import { type BulkInput, bulkSchema, type RecipientFilter, recipientSchema } from "./recipients.schemas.js";
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

  /** POST /recipients/bulk: see upsertRecipients. */
  async upsert(actor: Actor, rows: unknown): Promise<UpsertResult> {
    const result = await upsertRecipients(this.database, actor, rows, this.clock);
    if (result.created + result.updated > 0) await this.changed(actor.id);
    return result;
  }
}

export function filterOf(input: Pick<BulkInput, "q" | "list">): RecipientFilter {
  return { q: input.q, list: input.list };
}

const plural = (n: number) => `${n.toLocaleString("en-US")} recipient${n === 1 ? "" : "s"}`;

/** Rows per transaction of an upsert: a chunk is applied whole or not at all. */
export const UPSERT_CHUNK = 1_000;
/** Rows per upsert call (the API's POST /recipients/bulk). */
export const UPSERT_MAX = 10_000;

export type UpsertStatus = "created" | "updated" | "unchanged" | "invalid";
export interface UpsertRow {
  index: number;
  status: UpsertStatus;
  id?: number;
  errors?: { field: string; message: string }[];
}
export interface UpsertResult {
  created: number;
  updated: number;
  unchanged: number;
  invalid: number;
  results: UpsertRow[];
}

/**
 * Creates or updates recipients by email (unique per owner, ignoring case and spaces), each row checked
 * with the recipient form's schema. An invalid row is reported by its index and skipped; a valid row with
 * a known email changes only the fields it sends. One transaction per UPSERT_CHUNK rows; a repeated email
 * in one call is the same recipient (its later rows update the first).
 */
export async function upsertRecipients(
  database: Database,
  actor: Actor,
  input: unknown,
  clock: Clock = systemClock,
): Promise<UpsertResult> {
  const rows = typeof input === "string" ? await csvRows(input) : input;
  if (!Array.isArray(rows)) {
    throw new ValidationError({
      _form: "Send a JSON array of recipients (objects with an email), or CSV with Content-Type text/csv.",
    });
  }
  if (rows.length === 0) throw new ValidationError({ _form: "Send at least one recipient." });
  if (rows.length > UPSERT_MAX) {
    throw new ValidationError({
      _form: `Send at most ${UPSERT_MAX.toLocaleString("en-US")} recipients per call (you sent ${rows.length.toLocaleString("en-US")}).`,
    });
  }
  const result: UpsertResult = { created: 0, updated: 0, unchanged: 0, invalid: 0, results: [] };
  for (let start = 0; start < rows.length; start += UPSERT_CHUNK) {
    const chunk = rows.slice(start, start + UPSERT_CHUNK);
    const now = iso(clock.now());
    const outcomes = await database.db
      .transaction()
      .execute((tx) => upsertChunk(new RecipientsRepository(tx), actor, chunk, start, now));
    for (const row of outcomes) {
      result[row.status] += 1;
      result.results.push(row);
    }
  }
  return result;
}

interface Fields {
  email: string;
  full_name: string;
  comment: string;
}

interface Stored {
  id?: number;
  fields: Fields;
  dirty: boolean;
  /** Rows of a new email, given the id once it is inserted. */
  rows: UpsertRow[];
}
interface ValidRow {
  row: UpsertRow;
  sent: Record<string, unknown>;
  data: Fields;
  normalized: string;
}

/**
 * One chunk, set-based: every row checked in memory, one SELECT of the known emails, one multi-row INSERT
 * of the new ones and one UPDATE per recipient that changed (a repeated email folds into one write).
 * Another call may create one of the "new" emails between the SELECT and the INSERT (two syncs at once,
 * PostgreSQL): the INSERT skips it (ON CONFLICT DO NOTHING on recipients_owner_email_uq), and its rows are
 * applied to the row that won, re-read, as updated or unchanged. The INSERT goes in email order and the
 * UPDATEs in id order, so two such calls lock rows in the same order and cannot deadlock.
 * Exported for the test that gives it a stale first read (the race made certain on either dialect).
 */
export async function upsertChunk(
  repository: RecipientsRepository,
  actor: Actor,
  chunk: unknown[],
  start: number,
  now: string,
): Promise<UpsertRow[]> {
  const out: UpsertRow[] = [];
  const valid: ValidRow[] = [];
  for (const [offset, raw] of chunk.entries()) {
    const index = start + offset;
    const parsed = recipientSchema.safeParse(raw);
    if (!parsed.success) {
      const errors = Object.entries(fieldErrorsOf(parsed.error)).map(([field, message]) => ({
        field,
        message,
      }));
      out.push({ index, status: "invalid", errors });
      continue;
    }
    const row: UpsertRow = { index, status: "unchanged" };
    out.push(row);
    const data = parsed.data;
    valid.push({
      row,
      sent: raw as Record<string, unknown>,
      data: { email: data.email, full_name: data.full_name, comment: data.comment },
      normalized: normalizeEmail(data.email),
    });
  }
  const stored = new Map<string, Stored>();
  const known = (recipients: Recipient[]) => {
    for (const recipient of recipients) {
      stored.set(recipient.email_normalized, {
        id: recipient.id,
        fields: { email: recipient.email, full_name: recipient.full_name, comment: recipient.comment },
        dirty: false,
        rows: [],
      });
    }
  };
  known(await repository.findByEmails(actor, [...new Set(valid.map((v) => v.normalized))]));
  const created = applyRows(stored, valid);
  const inserted = await repository.insertManyNew(
    actor,
    created.sort().map((normalized) => ({
      ...stored.get(normalized)!.fields,
      email_normalized: normalized,
      created_at: now,
      updated_at: now,
    })),
  );
  const won = new Set<string>();
  for (const { id, email_normalized } of inserted) {
    won.add(email_normalized);
    for (const row of stored.get(email_normalized)!.rows) row.id = id;
  }
  const lost = created.filter((normalized) => !won.has(normalized));
  if (lost.length > 0) {
    const rereads = await repository.findByEmails(actor, lost);
    if (rereads.length < lost.length) {
      throw new ConflictError(
        "Some of these recipients were created and deleted meanwhile: send the call again.",
      );
    }
    known(rereads);
    const lostSet = new Set(lost);
    applyRows(
      stored,
      valid.filter((v) => lostSet.has(v.normalized)),
    );
  }
  const dirty = [...stored.values()].filter((e) => e.dirty && e.id !== undefined);
  for (const entry of dirty.sort((a, b) => a.id! - b.id!)) {
    await repository.update(actor, entry.id!, { ...entry.fields, updated_at: now });
  }
  return out;
}

/**
 * Applies valid rows, in order, to the stored recipients by email: each row's status, the fields to write,
 * and the emails that are new (their first row creates them, later ones update it).
 */
function applyRows(stored: Map<string, Stored>, valid: ValidRow[]): string[] {
  const created: string[] = [];
  for (const { row, sent, data, normalized } of valid) {
    const current = stored.get(normalized);
    if (!current) {
      row.status = "created";
      stored.set(normalized, { fields: { ...data }, dirty: false, rows: [row] });
      created.push(normalized);
      continue;
    }
    const next: Fields = {
      email: data.email,
      full_name: "full_name" in sent ? data.full_name : current.fields.full_name,
      comment: "comment" in sent ? data.comment : current.fields.comment,
    };
    const same =
      next.email === current.fields.email &&
      next.full_name === current.fields.full_name &&
      next.comment === current.fields.comment;
    row.status = same ? "unchanged" : "updated";
    if (!same) {
      current.fields = next;
      current.dirty = current.id !== undefined;
    }
    if (current.id !== undefined) row.id = current.id;
    else current.rows.push(row);
  }
  return created;
}

/**
 * A CSV upload's rows as the JSON rows of an upsert, with the CSV import's reader and header names (email,
 * name, comment…). Only the columns the header has are sent, so a missing column keeps stored values.
 */
async function csvRows(text: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  let columns: ColumnMap | undefined;
  try {
    for await (const record of readCsv([text])) {
      if (columns === undefined) {
        const found = mapColumns(record.fields);
        if (!found) throw new ValidationError({ _form: "The CSV header names no email column." });
        columns = found;
        continue;
      }
      const row: Record<string, string> = {};
      for (const [column, index] of Object.entries(columns) as [string, number][]) {
        row[column] = unescapeFormula(record.fields[index] ?? "");
      }
      rows.push(row);
      if (rows.length > UPSERT_MAX) break;
    }
  } catch (error) {
    if (error instanceof CsvError)
      throw new ValidationError({ _form: `Line ${error.line}: ${error.message}` });
    throw error;
  }
  return rows;
}
