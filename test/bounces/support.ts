/** Bounce tests: a mailing sent through a worker into the local outbox, and DSNs made from our fixtures. */
import { readFileSync } from "node:fs";
import type { Database } from "../../src/db/database.js";
import { OutboxMailer } from "../../src/delivery/outbox.mailer.js";
import { KyselyRunsStore } from "../../src/delivery/runs.store.js";
import { KyselySuppressionCheck } from "../../src/suppression/suppression.check.js";
import { deliveriesOf, fastConfig, finishedRun, makeWorker } from "../delivery/support.js";

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** A fixture report about one of our messages: its original Message-ID and address replaced. */
export function reportAbout(name: string, messageId: string, email: string, fixtureEmail: string): string {
  return fixture(name)
    .replace(/postpilot\.12\.34\d@example\.org/g, messageId)
    .replaceAll(fixtureEmail, email);
}

/** Creates a run of the mailing and sends it into the outbox; returns the run and its deliveries. */
export async function sendRun(database: Database, mailingId: number, userId: number) {
  const created = await new KyselyRunsStore(database).createRun({
    mailingId,
    trigger: "web",
    actorUserId: userId,
    scheduledFor: new Date().toISOString(),
    now: new Date(),
  });
  if (!("run" in created)) throw new Error(`no run: ${created.skipped}`);
  const pending = (await deliveriesOf(database, created.run.id)).some((d) => d.status === "pending");
  if (pending) {
    const worker = makeWorker(database, new OutboxMailer(database.db), fastConfig(), {
      suppression: new KyselySuppressionCheck(database.db),
    });
    worker.start();
    try {
      await finishedRun(database, created.run.id);
    } finally {
      await worker.stop();
    }
  }
  return { run: created.run, deliveries: await deliveriesOf(database, created.run.id) };
}
