/**
 * "View in browser": the hosted copy of one delivery, found by its token (no login), rendered from the
 * run's snapshot and the recipient's values as the worker rendered it. Links in it are relative to this
 * site when PUBLIC_URL is unset.
 */
import type { Database } from "../db/database.js";
import { unsubscribeLinks } from "../suppression/unsubscribe-links.js";
import type { RenderedMessage } from "./compile.js";
import { baseContextOf, compileRun, contextFor, runMessage } from "./copies.js";
import { RecipientValues } from "./recipient-values.js";
import { ViewLinks } from "./view-links.js";

export class ViewService {
  private readonly view: ViewLinks;
  private readonly links: ReturnType<typeof unsubscribeLinks>;

  constructor(
    private readonly database: Database,
    options: { key: string; baseUrl: string; from: string; footer: string },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.view = new ViewLinks(options.key, options.baseUrl);
    this.links = unsubscribeLinks({
      key: options.key,
      baseUrl: options.baseUrl,
      mailto: undefined,
      footer: options.footer,
    });
    this.from = options.from;
  }

  private readonly from: string;

  /** The rendered copy, or null when the token is wrong or the delivery is gone. */
  async copyOf(token: string): Promise<RenderedMessage | null> {
    const deliveryId = this.view.verify(token);
    if (deliveryId === null) return null;
    const delivery = await this.database.db
      .selectFrom("deliveries")
      .select(["id", "run_id", "email"])
      .where("id", "=", deliveryId)
      .executeTakeFirst();
    if (!delivery) return null;
    const run = await runMessage(this.database.db, delivery.run_id);
    if (!run) return null;
    const [row] = await new RecipientValues(this.database.db).forDeliveries([delivery.id], run.ownerId);
    const compiled = compileRun(run, this.links.footer);
    // A snapshot that does not compile went out as its literal text: so it is shown.
    if (!compiled) return { subject: run.subject, text: run.body, html: null };
    const base = baseContextOf(run, run.fromHeader ?? this.from, this.now());
    const context = contextFor(base, delivery.email, row, this.links.linksFor(delivery.id).url, "");
    return compiled.render(context);
  }
}
