/**
 * The default CopyBuilder: a run's subject and body as they are, plain text, From SMTP_FROM, each copy with
 * its own To, Message-ID and (with unsubscribe links) List-Unsubscribe header and body link. Used where no
 * templates are wired (tests of the engine alone); runtime.ts wires templates/copies.ts.
 */
import {
  envelopeAddress,
  listHeaders,
  type PreparedMessage,
  prepareMessage,
  unsubscribeExtras,
} from "./message.js";
import type { CopyBuilder, PreparedCopies, UnsubscribeLinks, WorkerStore } from "./ports.js";

export class PlainCopies implements CopyBuilder {
  constructor(
    private readonly store: Pick<WorkerStore, "runContent">,
    private readonly from: string,
    private readonly unsubscribe: UnsubscribeLinks | undefined,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async prepare(runId: number): Promise<PreparedCopies | undefined> {
    const content = await this.store.runContent(runId);
    if (!content) return undefined;
    const message = await prepareMessage({
      from: this.from,
      subject: content.subject,
      body: content.body,
      date: this.now(),
      headers: listHeaders(content.mailingId, this.from, this.unsubscribe !== undefined),
      ...(this.unsubscribe ? { unsubscribeFooter: this.unsubscribe.footer } : {}),
    });
    return plainCopies(message, content.subject, this.from, this.unsubscribe);
  }
}

/** Copies of a message prepared once, To being the bare address or what `toOf` makes of the delivery. */
export function plainCopies(
  message: PreparedMessage,
  subject: string,
  from: string,
  unsubscribe: UnsubscribeLinks | undefined,
  toOf: (delivery: { id: number; email: string }) => string = (d) => d.email,
  load: PreparedCopies["load"] = async () => {},
): PreparedCopies {
  return {
    subject,
    fromHeader: from,
    envelopeFrom: envelopeAddress(from),
    load,
    copy(delivery, messageId) {
      const extras = unsubscribe && unsubscribeExtras(unsubscribe.linksFor(delivery.id));
      return message.forRecipient(toOf(delivery), messageId, extras);
    },
  };
}
