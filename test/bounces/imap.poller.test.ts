import { createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { BounceService } from "../../src/bounces/bounces.service.js";
import { ImapPoller } from "../../src/bounces/imap.poller.js";
import { IncomingMailService } from "../../src/bounces/incoming.service.js";
import type { ImapConfig } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { eventually } from "../delivery/support.js";
import { testDatabase } from "../helpers/db.js";

/** A port where nothing listens (taken, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe(ImapPoller.name, () => {
  let database: Database;
  let sut: ImapPoller | undefined;
  afterEach(async () => {
    await sut?.stop();
    await database?.close();
  });

  async function poller(config: Partial<ImapConfig>, logger?: ConstructorParameters<typeof ImapPoller>[2]) {
    database = await testDatabase();
    const incoming = new IncomingMailService(new BounceService(database, { hardLimit: 1, softLimit: 3 }), {
      unsubscribe: async () => ({ state: "invalid" }) as const,
    });
    return new ImapPoller(
      {
        host: "127.0.0.1",
        port: await closedPort(),
        secure: false,
        user: "bounces",
        password: "the-secret-password",
        mailbox: "INBOX",
        intervalMs: 30,
        processedFolder: "PostPilot/Processed",
        ignoredFolder: "PostPilot/Ignored",
        timeoutMs: 1_000,
        ...config,
      },
      incoming,
      logger,
    );
  }

  it("says plainly that the server is down, naming the mailbox but never the password", async () => {
    sut = await poller({});
    const error = (await sut.pollOnce().catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(/^bounce mailbox bounces@127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(error.message).not.toContain("the-secret-password");
  });

  it("keeps polling after failures, logging each as a warning, and stops when asked", async () => {
    const warnings: string[] = [];
    sut = await poller({}, { info() {}, error() {}, warn: (obj) => warnings.push(JSON.stringify(obj)) });
    sut.start();
    await eventually(() => warnings.length >= 2, { timeoutMs: 10_000 });
    await sut.stop();
    expect(warnings[0]).toContain("ECONNREFUSED");
    expect(warnings.join()).not.toContain("the-secret-password");
  });
});
