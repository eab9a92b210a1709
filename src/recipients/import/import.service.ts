/**
 * Recipient import from CSV: reads the stream record by record, checks each row with the same schema as the
 * form, and writes a batch at a time in its own transaction. Duplicates (in the file or among the owner's
 * recipients) and invalid rows are counted and the first of them reported with their line numbers.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { UsersRepository } from "../../accounts/users.repository.js";
import { CustomFieldsRepository } from "../../custom-fields/custom-fields.repository.js";
import { parseFieldValue, type StoredValue } from "../../custom-fields/field-values.js";
import type { Database, Tx } from "../../db/database.js";
import { isUniqueViolation } from "../../db/database.js";
import type { CustomField, RecipientImport } from "../../db/schema.js";
import { ListsRepository } from "../../lists/lists.repository.js";
import type { Actor } from "../../shared/actor.js";
import { ConflictError, NotFoundError } from "../../shared/errors.js";
import { normalizeEmail } from "../../shared/fields.js";
import { type Clock, iso, systemClock } from "../../shared/time.js";
import { fieldErrorsOf, parseInput } from "../../shared/validation.js";
import { recipientSchema } from "../recipients.schemas.js";
import { type ColumnMap, mapColumns, unescapeFormula } from "./columns.js";
import { CsvError, type CsvSource, readCsv } from "./csv.js";
import { RecipientImportRepository } from "./import.repository.js";
import { ImportStaging, type StagedRow } from "./import.staging.js";
import type { ImportRunner, UploadJob } from "./import-thread.js";

export interface ImportProblem {
  line: number;
  email: string;
  reason: string;
}

export interface ImportSummary {
  /** Data rows read (blank lines and the header not counted). */
  rows: number;
  added: number;
  updated: number;
  /** Duplicates: of an earlier line, or (without "update existing") of a recipient the owner has. */
  skipped: number;
  invalid: number;
  /** The first problems in line order; skipped + invalid is how many there were. */
  problems: ImportProblem[];
  /** Why the import stopped early, or null when it read the whole file. Batches before it stay imported. */
  error: string | null;
  bytesRead: number;
}

export interface ImportOptions {
  updateExisting?: boolean;
  /** One of the actor's lists: every valid row (new or already a recipient) is put in it. */
  listId?: number | undefined;
  batchSize?: number;
  maxProblems?: number;
  /** Called after each batch commits (and once at the end), e.g. to show progress. */
  onProgress?: (summary: ImportSummary) => void | Promise<void>;
}

/**
 * Rows per batch, each batch one short transaction: on SQLite ~15 ms of write lock, at most ~50 ms on this
 * loaded 2-core machine (5,000 rows took up to 140 ms, no faster overall); on PostgreSQL one COPY and one
 * INSERT … SELECT, so bigger batches pay off.
 */
export const IMPORT_BATCH_SIZE = { sqlite: 2_000, postgres: 20_000 } as const;
export const MAX_PROBLEMS = 100;
/** A running import whose row has not moved for this long died with its process. */
const STALE_MS = 2 * 60_000;

const uploadSchema = z.object({
  key: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, "The upload form expired: reload the page and try again."),
  fileName: z.string().max(255).catch(""),
  updateExisting: z.boolean(),
  bytesTotal: z.number().int().nonnegative().nullable(),
  listId: z.number().int().positive().optional(),
});

type FieldEntry = { fieldId: number; value: StoredValue };
/** One batch as read: the valid rows, their custom field values by line, the invalid rows' problems. */
type Batch = { rows: StagedRow[]; fields: Map<number, FieldEntry[]>; problems: ImportProblem[] };
type FieldColumn = { index: number; field: CustomField };

const emptySummary = (): ImportSummary => ({
  rows: 0,
  added: 0,
  updated: 0,
  skipped: 0,
  invalid: 0,
  problems: [],
  error: null,
  bytesRead: 0,
});

/** Marks errors thrown by the input stream (an upload cut off, a read error), not by the database. */
class InputError extends Error {}

async function* counted(input: CsvSource, summary: ImportSummary) {
  try {
    for await (const chunk of input) {
      summary.bytesRead += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.byteLength;
      yield chunk;
    }
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error));
  }
}

/** Header columns named like a custom field's key (ignoring case and edge spaces), not already taken. */
function customFieldColumns(header: string[], columns: ColumnMap, fields: CustomField[]): FieldColumn[] {
  const taken = new Set([columns.email, columns.full_name, columns.comment]);
  const byKey = new Map(fields.map((f) => [f.key, f]));
  const found: FieldColumn[] = [];
  const seen = new Set<number>();
  header.forEach((name, index) => {
    const field = byKey.get(name.trim().toLowerCase());
    if (field && !taken.has(index) && !seen.has(field.id)) {
      seen.add(field.id);
      found.push({ index, field });
    }
  });
  return found;
}

export class RecipientImportService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    /** Told after an import wrote rows (the home page figures count recipients). */
    private readonly changed: (ownerId: number) => void | Promise<void> = () => {},
    /** Where an upload's import runs (import-thread.ts); by default inline, in the caller. */
    runner?: ImportRunner,
  ) {
    this.runner = runner ?? { run: (job, input) => this.runUpload(job, input) };
  }

  private readonly runner: ImportRunner;

  /** The user an operator's command names by email (the CLI imports and exports on their behalf). */
  async ownerByEmail(email: string): Promise<Actor> {
    const user = await new UsersRepository(this.database.db).findByEmail(normalizeEmail(email));
    if (!user) throw new NotFoundError(`There is no user with the email ${email}.`);
    return { id: user.id, role: user.role };
  }

  /** A fresh key for an upload form; the page polls the import's progress by it. */
  newKey(): string {
    return randomBytes(18).toString("base64url");
  }

  /** Imports a CSV stream into the actor's recipients. Never throws for bad input: the summary says. */
  async importCsv(actor: Actor, input: CsvSource, options: ImportOptions = {}): Promise<ImportSummary> {
    if (
      options.listId !== undefined &&
      !(await new ListsRepository(this.database.db).findById(actor, options.listId))
    ) {
      return { ...emptySummary(), error: "The chosen list was not found: nothing was imported." };
    }
    const customFields = await new CustomFieldsRepository(this.database.db).all(actor);
    return this.withStaging((staging) => this.importInto(staging, actor, input, customFields, options));
  }

  /** The import's staging tables, on one connection held for the whole import (see import.staging.ts). */
  private async withStaging<T>(work: (staging: ImportStaging) => Promise<T>): Promise<T> {
    const run = async (staging: ImportStaging) => {
      try {
        return await work(staging);
      } finally {
        await staging.close().catch(() => {});
      }
    };
    if (this.database.dialect === "postgres")
      return this.database.withPgConnection(async (client, db) => run(await ImportStaging.open(db, client)));
    return run(await ImportStaging.open(this.database.db));
  }

  private async importInto(
    staging: ImportStaging,
    actor: Actor,
    input: CsvSource,
    customFields: CustomField[],
    options: ImportOptions,
  ): Promise<ImportSummary> {
    const batchSize = options.batchSize ?? IMPORT_BATCH_SIZE[this.database.dialect];
    const maxProblems = options.maxProblems ?? MAX_PROBLEMS;
    const summary = emptySummary();
    let columns: ColumnMap | null = null;
    let fieldColumns: FieldColumn[] = [];
    let batch: StagedRow[] = [];
    let fields = new Map<number, FieldEntry[]>();
    let problems: ImportProblem[] = [];
    let flushedAt = 0;
    let lastLine = 1;

    // While one batch is being written, the next one is read: one write in flight at a time, in order.
    let writing: Promise<void> = Promise.resolve();
    const flush = async () => {
      await writing;
      const job: Batch = { rows: batch, fields, problems };
      batch = [];
      fields = new Map();
      problems = [];
      flushedAt = summary.rows;
      const write = {
        actor,
        columns: columns!,
        updateExisting: options.updateExisting ?? false,
        listId: options.listId,
        maxProblems,
      };
      writing = this.writeBatch(staging, job, write, summary).then(async () => {
        // Problems found while reading this batch, merged with its duplicates in line order.
        job.problems.sort((a, b) => a.line - b.line);
        for (const p of job.problems) if (summary.problems.length < maxProblems) summary.problems.push(p);
        await options.onProgress?.(summary);
      });
      writing.catch(() => {}); // awaited at the next flush or at the end
    };
    const finish = async () => {
      await flush();
      await writing;
    };

    try {
      for await (const record of readCsv(counted(input, summary))) {
        lastLine = record.line;
        if (!columns) {
          columns = mapColumns(record.fields);
          if (!columns)
            throw new CsvError(
              `Line ${record.line}: the header row must name an email column (it has: ${record.fields.join(", ").slice(0, 200) || "nothing"}).`,
              record.line,
            );
          fieldColumns = customFieldColumns(record.fields, columns, customFields);
          continue;
        }
        if (record.fields.every((f) => f.trim() === "")) continue;
        summary.rows++;
        const cell = (index: number | undefined) =>
          index === undefined ? "" : unescapeFormula(record.fields[index] ?? "");
        const raw = {
          email: cell(columns.email),
          full_name: cell(columns.full_name),
          comment: cell(columns.comment),
        };
        const parsed = recipientSchema.safeParse(raw);
        const values: FieldEntry[] = [];
        const fieldProblems: string[] = [];
        for (const { index, field } of fieldColumns) {
          const value = parseFieldValue(field.type, field.label, cell(index));
          if (!value.ok) fieldProblems.push(value.message);
          else if (value.value !== null) values.push({ fieldId: field.id, value: value.value });
        }
        if (!parsed.success || fieldProblems.length > 0) {
          summary.invalid++;
          const reason = [
            ...(parsed.success ? [] : Object.values(fieldErrorsOf(parsed.error))),
            ...fieldProblems,
          ].join(" ");
          problems.push({ line: record.line, email: raw.email.trim().slice(0, 254), reason });
        } else {
          // Duplicates of earlier lines are found by the staging tables, not a set of every address here.
          const { email, full_name, comment } = parsed.data;
          batch.push({
            line: record.line,
            email,
            email_normalized: normalizeEmail(email),
            full_name,
            comment,
          });
          if (values.length > 0) fields.set(record.line, values);
        }
        // Every batchSize rows, valid or not, so a file of mostly bad rows still shows progress.
        if (summary.rows - flushedAt >= batchSize) await flush();
      }
      if (!columns) throw new CsvError("The file is empty: it needs a header row naming an email column.", 1);
      await finish();
    } catch (error) {
      if (error instanceof CsvError) {
        await finish();
        summary.error = `${error.message} The import stopped there; rows before it were imported.`;
      } else if (error instanceof InputError) {
        await finish();
        summary.error = `Reading the file failed after line ${lastLine} (${error.message}). The import stopped there; rows before it were imported.`;
      } else throw error;
    }
    return summary;
  }

  /**
   * One batch: staged and checked against the lines before it outside the write lock, then one short
   * transaction looks up the owner's existing addresses and writes, so added and updated are exact.
   */
  private async writeBatch(
    staging: ImportStaging,
    batch: Batch,
    write: {
      actor: Actor;
      columns: ColumnMap;
      updateExisting: boolean;
      listId: number | undefined;
      maxProblems: number;
    },
    summary: ImportSummary,
  ): Promise<void> {
    if (batch.rows.length === 0) return;
    const { actor, columns, updateExisting, listId } = write;
    const now = iso(this.clock.now());
    await staging.stage(batch.rows);
    const update = updateExisting
      ? { full_name: columns.full_name !== undefined, comment: columns.comment !== undefined }
      : null;
    const room = write.maxProblems - summary.problems.length;
    const { counts, staged } = await staging.transaction(async (tx) => {
      const counts = await staging.write(tx, actor, now, update);
      if (batch.fields.size > 0) await this.writeFields(tx, staging, actor, batch, updateExisting);
      if (listId !== undefined) await staging.addToList(tx, actor, listId, now);
      return { counts, staged: await staging.problems(tx, room, updateExisting) };
    });
    await staging.clear();
    await this.changed(actor.id);
    const firsts = batch.rows.length - counts.duplicates;
    summary.added += firsts - counts.existing;
    summary.skipped += counts.duplicates;
    if (updateExisting) summary.updated += counts.existing;
    else summary.skipped += counts.existing;
    for (const p of staged)
      batch.problems.push({
        line: p.line,
        email: p.email,
        reason:
          p.firstLine === null
            ? "Already in your recipients: left as it is."
            : `Same email as line ${p.firstLine}.`,
      });
  }

  /** Custom field values of the rows written (new ones, and existing ones when updating). */
  private async writeFields(
    tx: Tx,
    staging: ImportStaging,
    actor: Actor,
    batch: Batch,
    updateExisting: boolean,
  ): Promise<void> {
    const written = await staging.writtenLines(tx, updateExisting);
    const rows = batch.rows.filter((r) => batch.fields.has(r.line) && written.has(r.line));
    if (rows.length === 0) return;
    const ids = await new RecipientImportRepository(tx).idsByEmail(
      actor,
      rows.map((r) => r.email_normalized),
    );
    await new CustomFieldsRepository(tx).write(
      rows.flatMap((r) =>
        batch.fields.get(r.line)!.map((f) => ({
          recipientId: ids.get(r.email_normalized)!,
          fieldId: f.fieldId,
          value: f.value,
        })),
      ),
    );
  }

  /**
   * An upload from the web page: the import's row is created first (so the page can poll it by key), then
   * the runner imports it (inline by default; in a worker thread under `postpilot serve`), updating the row
   * as batches commit. Returns the row as it is once the runner has it.
   */
  async importUpload(
    actor: Actor,
    upload: {
      key: string;
      fileName: string;
      updateExisting: boolean;
      bytesTotal: number | null;
      listId?: number | undefined;
    },
    input: CsvSource,
  ): Promise<RecipientImport> {
    const data = parseInput(uploadSchema, upload);
    const repo = new RecipientImportRepository(this.database.db);
    let job: RecipientImport;
    try {
      job = await repo.createJob(actor, {
        key: data.key,
        file_name: data.fileName,
        update_existing: data.updateExisting ? 1 : 0,
        bytes_total: data.bytesTotal,
        created_at: iso(this.clock.now()),
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError("This upload was already sent.");
      throw error;
    }
    await this.runner.run(
      { actor, jobId: job.id, updateExisting: data.updateExisting, listId: data.listId },
      input,
      () => this.markFailed(actor, job.id),
    );
    return this.get(actor, data.key);
  }

  /** Imports an upload whose row exists, keeping the row up to date; the row holds the summary at the end. */
  async runUpload(job: UploadJob, input: CsvSource): Promise<void> {
    const { actor } = job;
    const repo = new RecipientImportRepository(this.database.db);
    const progress = (s: ImportSummary) => ({
      bytes_read: s.bytesRead,
      rows: s.rows,
      added: s.added,
      updated: s.updated,
      skipped: s.skipped,
      invalid: s.invalid,
      problems: JSON.stringify(s.problems),
    });
    try {
      const summary = await this.importCsv(actor, input, {
        updateExisting: job.updateExisting,
        listId: job.listId,
        onProgress: (s) => repo.updateJob(actor, job.jobId, progress(s), iso(this.clock.now())),
      });
      const now = iso(this.clock.now());
      const status = summary.error ? "failed" : "done";
      await repo.updateJob(
        actor,
        job.jobId,
        { ...progress(summary), status, error: summary.error, finished_at: now },
        now,
      );
    } catch (error) {
      await this.markFailed(actor, job.jobId);
      throw error;
    }
  }

  private async markFailed(actor: Actor, jobId: number): Promise<void> {
    const now = iso(this.clock.now());
    const message = "The import stopped because of an unexpected error; rows before it were imported.";
    await new RecipientImportRepository(this.database.db).updateJob(
      actor,
      jobId,
      { status: "failed", error: message, finished_at: now },
      now,
    );
  }

  /** The actor's import with this key. */
  async get(actor: Actor, key: string): Promise<RecipientImport> {
    const job = await this.find(actor, key);
    if (!job) throw new NotFoundError("Import not found");
    return job;
  }

  /** The actor's import with this key, if any; a running one that stopped moving is reported as interrupted. */
  async find(actor: Actor, key: string): Promise<RecipientImport | undefined> {
    const job = await new RecipientImportRepository(this.database.db).findJob(actor, key);
    if (job?.status !== "running") return job;
    const stale = Date.parse(job.updated_at) < this.clock.now().getTime() - STALE_MS;
    return stale
      ? {
          ...job,
          status: "failed",
          error: "The import was interrupted (the server stopped). Rows imported before that stay.",
        }
      : job;
  }

  recent(actor: Actor, limit = 5): Promise<RecipientImport[]> {
    return new RecipientImportRepository(this.database.db).recentJobs(actor, limit);
  }

  problemsOf(job: RecipientImport): ImportProblem[] {
    try {
      const parsed: unknown = JSON.parse(job.problems);
      return Array.isArray(parsed) ? (parsed as ImportProblem[]) : [];
    } catch {
      return [];
    }
  }
}
