/** Log lines: pretty one-liners on a terminal, JSON otherwise; the run page's progress polls not logged at info. */
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { createServices } from "../../src/container.js";
import { logDestination } from "../../src/ops/logging.js";
import { buildApp } from "../../src/web/app.js";
import { testDatabase } from "../helpers/db.js";
import { setupAdmin } from "../helpers/web.js";

function collector() {
  const lines: string[] = [];
  let pending = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      pending += String(chunk);
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      lines.push(...parts);
      done();
    },
  });
  return { lines, stream };
}

describe("logDestination", () => {
  it("writes one pretty line per entry on a terminal, with the level and message and no JSON", () => {
    const { lines, stream } = collector();
    const logger = pino({ level: "info" }, logDestination(true, stream));
    logger.info({ runId: 7 }, "run finished");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("run finished");
    expect(lines[0]).toContain("INFO");
    expect(lines[0]).toContain("runId");
    expect(lines[0]!.trim().startsWith("{")).toBe(false);
  });

  it("writes JSON lines otherwise", () => {
    const { lines, stream } = collector();
    const logger = pino({ level: "info" }, logDestination(false, stream));
    logger.info({ runId: 7 }, "run finished");
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: "run finished", runId: 7, level: 30 });
  });
});

describe("request logs", () => {
  it("log a page request at info but not the run page's progress poll", async () => {
    const { lines, stream } = collector();
    const database = await testDatabase();
    const services = createServices(database, {});
    const app = await buildApp({
      services,
      sessionSecret: "test-secret-".repeat(4),
      loggerInstance: pino({ level: "info" }, stream),
    });
    try {
      const admin = await setupAdmin(app);
      await admin.get("/mailings");
      const poll = await admin.get("/runs/12345/progress");
      expect(poll.statusCode).toBe(404);
      const urls = lines.map((l) => JSON.parse(l) as { req?: { url?: string } }).map((e) => e.req?.url);
      expect(urls).toContain("/mailings");
      expect(urls).not.toContain("/runs/12345/progress");
    } finally {
      await app.close();
      await database.close();
    }
  });
});
