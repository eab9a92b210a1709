/**
 * A message rendered outside a run (preview, test send) exactly as a run would render it: the same
 * compile and the same values, for one of the owner's recipients or the sample one. And the checks a
 * message's templates pass before it is saved.
 */
import { valuesFor } from "../custom-fields/custom-fields.service.js";
import type { Executor } from "../db/database.js";
import type { Layout, Message } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { checkTemplates, describeProblem, sampleContext } from "../templates/check.js";
import { compileMessage, type RenderedMessage, type TemplateContext } from "../templates/compile.js";
import { recipientOf, senderOf } from "../templates/copies.js";
import type { MessageInput } from "./messages.schemas.js";

export interface RenderedPreview extends RenderedMessage {
  from: string;
  /** Whose values filled it: a recipient's address, or "sample values". */
  renderedFor: string;
}

/** The layout a message may use: the owner's own or a shared one; null when none is chosen. */
export async function visibleLayout(
  db: Executor,
  actor: Actor,
  layoutId: number | null,
): Promise<Layout | null> {
  if (layoutId === null) return null;
  const layout = await db
    .selectFrom("layouts")
    .selectAll()
    .where("id", "=", layoutId)
    .where((eb) => eb.or([eb("owner_id", "is", null), eb("owner_id", "=", actor.id)]))
    .executeTakeFirst();
  if (!layout) throw new ValidationError({ layout_id: "Choose a layout from the list." });
  return layout;
}

/** Refuses templates that do not parse or use unknown variables or filters, naming line and column. */
export function checkMessage(input: MessageInput, fieldKeys: readonly string[] = []): void {
  const problems = checkTemplates(
    [
      { field: "subject", source: input.subject, html: false },
      { field: "body", source: input.body, html: input.format !== "text" },
    ],
    sampleContext(fieldKeys),
  );
  if (problems.length === 0) return;
  const errors: Record<string, string> = {};
  for (const p of problems) errors[p.field] ??= describeProblem(p);
  throw new ValidationError(errors, "A template has a mistake; see the highlighted fields.");
}

export async function renderMessage(
  db: Executor,
  actor: Actor,
  message: Message,
  options: { recipientId: number | null; senderId?: number | null; from: string; unsubscribeFooter: string },
): Promise<RenderedPreview> {
  const layout = await visibleLayout(db, actor, message.layout_id).catch(() => null);
  const context: TemplateContext = sampleContext();
  const keys = await fieldKeys(db, actor);
  context.recipient.fields = Object.fromEntries(keys.map((k) => [k, ""]));
  let renderedFor = "sample values";
  if (options.recipientId !== null) {
    const r = await db
      .selectFrom("recipients")
      .select(["email", "full_name", "comment"])
      .where("id", "=", options.recipientId)
      .where("owner_id", "=", actor.id)
      .executeTakeFirst();
    if (!r) throw new NotFoundError("Recipient not found");
    const fields = await valuesFor({ db }, actor, [options.recipientId]);
    context.recipient = recipientOf(r.email, r.full_name, r.comment, fields.get(options.recipientId) ?? {});
    renderedFor = r.email;
  }
  let from = options.from;
  let postal = context.sender.postal_address;
  if (options.senderId) {
    const sender = await db
      .selectFrom("senders")
      .select(["from_name", "from_email", "postal_address"])
      .where("id", "=", options.senderId)
      .executeTakeFirst();
    if (!sender) throw new NotFoundError("Sender not found");
    from = `"${sender.from_name.replace(/["\\]/g, "")}" <${sender.from_email}>`;
    postal = sender.postal_address;
  }
  context.sender = senderOf(from, postal);
  const compiled = compileMessage({
    format: message.format,
    subject: message.subject,
    body: message.body,
    layout: layout ? { html: layout.html, text: layout.text } : null,
    unsubscribeFooter: options.unsubscribeFooter,
  });
  return { ...compiled.render(context), from, renderedFor };
}

/** The keys of the actor's custom fields (`recipient.fields.key` in templates). */
export async function fieldKeys(db: Executor, actor: Actor): Promise<string[]> {
  const rows = await db.selectFrom("custom_fields").select("key").where("owner_id", "=", actor.id).execute();
  return rows.map((r) => r.key);
}
