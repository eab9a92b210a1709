/**
 * bench:scale's engine for "healthz during 1M run creation": a worker thread with its own database
 * connection, as serve's engine thread has, that prepares the runs "Send now" created (RunPreparer.tick) and
 * reports how long each chunk's transaction took (on SQLite, how long it held the write lock).
 */
import { parentPort, workerData } from "node:worker_threads";
import { Database } from "../src/db/database.js";
import { RunPreparation } from "../src/delivery/preparation.store.js";
import { RunPreparer } from "../src/delivery/preparer.js";

const { file, url } = workerData as { file?: string; url?: string };
const database = url ? Database.postgres(url) : Database.sqlite(file!);
const preparation = new RunPreparation(database);
const chunkMs: number[] = [];
const byPhase: Record<string, number[]> = {};
const chunk = preparation.chunk.bind(preparation);
preparation.chunk = async (runId, now) => {
  // Which phase this chunk is (read outside the timed transaction).
  const phase = await database.db
    .selectFrom("runs")
    .select("preparing")
    .where("id", "=", runId)
    .executeTakeFirst();
  const started = performance.now();
  try {
    return await chunk(runId, now);
  } finally {
    const ms = performance.now() - started;
    chunkMs.push(ms);
    const key = phase?.preparing ?? "done";
    byPhase[key] = [...(byPhase[key] ?? []), ms];
  }
};
const started = Date.now();
const runs = await new RunPreparer({ preparation, intervalMs: 1_000 }).tick();
const sorted = [...chunkMs].sort((a, b) => a - b);
parentPort!.postMessage({
  runs,
  ms: Date.now() - started,
  chunks: sorted.length,
  chunkSize: preparation.chunkSize,
  chunkP50Ms: Math.round(sorted[Math.floor(sorted.length * 0.5)] ?? 0),
  chunkP99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
  chunkMaxMs: Math.round(sorted.at(-1) ?? 0),
  slowestMs: sorted.slice(-5).map(Math.round),
  phases: Object.fromEntries(
    Object.entries(byPhase).map(([phase, ms]) => [
      phase,
      {
        chunks: ms.length,
        maxMs: Math.round(Math.max(...ms)),
        meanMs: Math.round(ms.reduce((a, b) => a + b, 0) / ms.length),
      },
    ]),
  ),
});
await database.close();
