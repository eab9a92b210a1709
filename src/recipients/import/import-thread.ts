/**
 * Where an upload's import runs. Inline (tests, in-memory databases): in the caller, finished when run()
 * resolves. In a worker thread (`postpilot serve`): the upload is first spooled to a temporary file (no
 * database work), then a thread of its own, on its own connection, imports it and updates the import's
 * row, which the result page polls; run() resolves once the thread is started, so parsing a million rows
 * and each batch's synchronous SQLite write never run on the web's event loop.
 */
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import type { Actor } from "../../shared/actor.js";
import type { CsvSource } from "./csv.js";
import type { ImportThreadData } from "./import-thread.main.js";

/** One upload's import, after its row was created. */
export interface UploadJob {
  actor: Actor;
  jobId: number;
  updateExisting: boolean;
  listId?: number | undefined;
}

export interface ImportRunner {
  /** `failed` marks the job's row as stopped, for a thread that dies before its import could say so. */
  run(job: UploadJob, input: CsvSource, failed: (error: Error) => Promise<void>): Promise<void>;
}

export function threadImportRunner(options: {
  database: ImportThreadData["database"];
  /** An import that failed unexpectedly (its row says so already). */
  onError: (error: Error) => void;
  entry?: URL;
}): ImportRunner {
  const dir = path.join(tmpdir(), "postpilot-imports");
  return {
    async run(job, input, failed) {
      mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${job.jobId}-${randomBytes(8).toString("hex")}.csv`);
      const inputError = await spool(input, file);
      const data: ImportThreadData = { database: options.database, job, file, inputError };
      const thread = new Worker(options.entry ?? defaultEntry(), { workerData: data });
      let failure: Error | null = null;
      thread.on("error", (error) => {
        failure = error;
        options.onError(error);
      });
      thread.on("exit", (code) => {
        void rm(file, { force: true });
        if (failure || code !== 0)
          void failed(failure ?? new Error(`the import thread exited with code ${code}`)).catch(
            options.onError,
          );
      });
    },
  };
}

/**
 * Writes the upload to `file`; an error of the upload itself (cut off, too large) is returned, with the
 * bytes before it kept in the file (a pipeline would destroy the file stream and lose them).
 */
async function spool(input: CsvSource, file: string): Promise<string | null> {
  const out = createWriteStream(file);
  let inputError: string | null = null;
  try {
    for await (const chunk of input) if (!out.write(chunk)) await once(out, "drain");
  } catch (error) {
    inputError = error instanceof Error ? error.message : String(error);
  }
  out.end();
  await once(out, "finish");
  return inputError;
}

function defaultEntry(): URL {
  const source = import.meta.url.endsWith(".ts");
  return new URL(source ? "./import-thread.main.ts" : "./import-thread.main.js", import.meta.url);
}
