/**
 * The entry of one upload's import thread (see import-thread.ts): on its own database connection it
 * imports the spooled file into the job's row, then closes the connection and ends.
 */
import { createReadStream } from "node:fs";
import { workerData } from "node:worker_threads";
import { Database } from "../../db/database.js";
import { RecipientImportService } from "./import.service.js";
import type { UploadJob } from "./import-thread.js";

/** What the thread is given (by threadImportRunner in import-thread.ts). */
export interface ImportThreadData {
  database: { databaseUrl: string | undefined; dataDir: string };
  job: UploadJob;
  file: string;
  /** The upload failed while being spooled (e.g. too large): the import stops after the bytes read. */
  inputError: string | null;
}

const { database: where, job, file, inputError } = workerData as ImportThreadData;

async function* spooled(): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(file, { highWaterMark: 64 * 1024 })) yield chunk as Buffer;
  if (inputError) throw new Error(inputError);
}

// The web's thread has applied the migrations; this is a second connection to the same database.
const database = Database.open(where);
try {
  await new RecipientImportService(database).runUpload(job, spooled());
} finally {
  await database.close();
}
