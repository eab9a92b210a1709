/**
 * bench:scale's web server: the real app on its own thread with its own database connection, as `serve`
 * runs it in its own process, so autocannon (on the main thread) does not share the web's event loop and
 * the figures are the server's, not the load generator's. Posts its address; closes on "close".
 */
import { parentPort, workerData } from "node:worker_threads";
import { NoCache } from "../src/cache/index.js";
import { createServices } from "../src/container.js";
import { Database } from "../src/db/database.js";
import { buildApp } from "../src/web/app.js";

const { file, url, secret } = workerData as { file?: string; url?: string; secret: string };
const database = url ? Database.postgres(url) : Database.sqlite(file!);
const services = createServices(database, { cache: new NoCache(), prepareRuns: "engine" });
const app = await buildApp({ services, sessionSecret: secret });
const address = await app.listen({ host: "127.0.0.1", port: 0 });
parentPort!.on("message", async (message) => {
  if (message !== "close") return;
  await app.close();
  await database.close();
  parentPort!.postMessage("closed");
});
parentPort!.postMessage(address);
