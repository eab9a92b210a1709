/**
 * Profiling aid (not a benchmark): PROFILE_FILE=<a kept bench:scale SQLite file> (or PROFILE_DATABASE_URL=<the
 * PostgreSQL database bench:scale seeded>) PROFILE_URL=/ node
 * --cpu-prof dist/bench/bench/profile-page.js — signs the bench user in and requests one page 300 times in
 * process, printing the mean; the CPU profile shows where a request's time goes.
 */
import { randomBytes } from "node:crypto";
import { NoCache } from "../src/cache/index.js";
import { createServices } from "../src/container.js";
import { Database } from "../src/db/database.js";
import { buildApp } from "../src/web/app.js";
import { signIn } from "./sign-in.js";

const database = process.env.PROFILE_DATABASE_URL
  ? Database.postgres(process.env.PROFILE_DATABASE_URL)
  : Database.sqlite(process.env.PROFILE_FILE!);
const services = createServices(database, { cache: new NoCache(), prepareRuns: "engine" });
const app = await buildApp({ services, sessionSecret: randomBytes(32).toString("hex") });
const cookie = await signIn(app, "user@bench.test", "bench password 123");
const url = process.env.PROFILE_URL ?? "/";
const times = Number(process.env.PROFILE_TIMES ?? 300);
for (let i = 0; i < 20; i++) await app.inject({ method: "GET", url, headers: { cookie } });
const started = performance.now();
for (let i = 0; i < times; i++) {
  const res = await app.inject({ method: "GET", url, headers: { cookie } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
}
console.log(`${url}: ${((performance.now() - started) / times).toFixed(2)} ms a request`);
await app.close();
await database.close();
