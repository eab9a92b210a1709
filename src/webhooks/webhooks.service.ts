/**
 * Registering webhook endpoints and looking at what was sent to them. The secret is generated here and shown
 * once (the create result); the URL is checked by the SSRF guard before it is saved.
 */

import type { Database } from "../db/database.js";
import type { WebhookAttempt, WebhookEndpoint, WebhookEvent } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { type CursorPage, type CursorQuery, cursorPageOf, startOf } from "../shared/cursor.js";
import { ForbiddenError, NotFoundError, ValidationError } from "../shared/errors.js";
import { type Clock, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { type Resolver, systemResolver, urlProblem } from "./address-guard.js";
import { newSecret } from "./signature.js";
import { WebhooksRepository } from "./webhooks.repository.js";
import { createWebhookSchema, updateWebhookSchema } from "./webhooks.schemas.js";

/** An endpoint as its owner sees it: never its secret. */
export interface EndpointView {
  id: number;
  owner_id: number;
  all_users: boolean;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  disabled_at: string | null;
  disabled_reason: string | null;
  failing_since: string | null;
  next_attempt_at: string | null;
  created_at: string;
}

export function endpointView(e: WebhookEndpoint): EndpointView {
  return {
    id: e.id,
    owner_id: e.owner_id,
    all_users: e.all_users === 1,
    url: e.url,
    description: e.description,
    events: JSON.parse(e.events) as string[],
    enabled: e.enabled === 1,
    disabled_at: e.disabled_at,
    disabled_reason: e.disabled_reason,
    failing_since: e.failing_since,
    next_attempt_at: e.next_attempt_at,
    created_at: e.created_at,
  };
}

export class WebhooksService {
  private readonly repo: WebhooksRepository;

  constructor(
    database: Pick<Database, "db">,
    private readonly options: { allowPrivate: boolean; clock?: Clock; resolve?: Resolver },
  ) {
    this.repo = new WebhooksRepository(database.db);
  }

  private get now(): string {
    return (this.options.clock ?? systemClock).now().toISOString();
  }

  async list(actor: Actor): Promise<EndpointView[]> {
    return (await this.repo.list(actor)).map(endpointView);
  }

  /** The API's keyset pages of endpoints, in id order (see shared/cursor.ts). */
  async listByCursor(actor: Actor, query: CursorQuery): Promise<CursorPage<EndpointView>> {
    const { dir, afterId } = startOf(query);
    const { items, total } = await this.repo.listKeyset(actor, dir, afterId, query.limit);
    const page = cursorPageOf(items, query.limit, dir, total);
    return { ...page, items: page.items.map(endpointView) };
  }

  /** An endpoint's requests (status code, response excerpt), by cursor in id order. */
  async attemptsByCursor(actor: Actor, id: number, query: CursorQuery): Promise<CursorPage<WebhookAttempt>> {
    const endpoint = await this.repo.find(actor, id);
    if (!endpoint) throw new NotFoundError("No such webhook endpoint.");
    const { dir, afterId } = startOf(query);
    const { items, total } = await this.repo.attemptsKeyset(id, dir, afterId, query.limit);
    return cursorPageOf(items, query.limit, dir, total);
  }

  /** Registers an endpoint; the result carries the secret, the only time it is shown. */
  async create(actor: Actor, input: unknown): Promise<{ endpoint: EndpointView; secret: string }> {
    const data = parseInput(createWebhookSchema, input);
    if (data.all_users && actor.role !== "admin")
      throw new ForbiddenError("Only admins may register an endpoint for every user's events.");
    const problem = await urlProblem(
      data.url,
      this.options.allowPrivate,
      this.options.resolve ?? systemResolver,
    );
    if (problem) throw new ValidationError({ url: problem });
    const secret = newSecret();
    // The secret is stored as it is: signing needs it back (an HMAC key cannot be hashed like a password).
    // Encrypting it with a key under DATA_DIR would only help against a database-only leak; tokens and
    // sessions are kept the same way, so it is left for when secrets at rest are encrypted as a whole.
    const endpoint = await this.repo.insert(actor, {
      url: data.url,
      description: data.description,
      events: data.events,
      secret,
      allUsers: data.all_users,
      now: this.now,
    });
    return { endpoint: endpointView(endpoint), secret };
  }

  async get(
    actor: Actor,
    id: number,
  ): Promise<{ endpoint: EndpointView; events: WebhookEvent[]; attempts: WebhookAttempt[] }> {
    const endpoint = await this.repo.find(actor, id);
    if (!endpoint) throw new NotFoundError("No such webhook endpoint.");
    const [events, attempts] = await Promise.all([
      this.repo.recentEvents(id, 50),
      this.repo.recentAttempts(id, 50),
    ]);
    return { endpoint: endpointView(endpoint), events, attempts };
  }

  async setEnabled(actor: Actor, id: number, enabled: boolean): Promise<EndpointView> {
    const updated = await this.repo.setEnabled(actor, id, enabled, this.now);
    if (!updated) throw new NotFoundError("No such webhook endpoint.");
    return endpointView(updated);
  }

  /**
   * Changes an endpoint's URL, description, events or state (only the fields given). A new URL is checked
   * by the SSRF guard like a new endpoint's; enabling it again starts its retries afresh.
   */
  async update(actor: Actor, id: number, input: unknown): Promise<EndpointView> {
    const data = parseInput(updateWebhookSchema, input);
    const endpoint = await this.repo.find(actor, id);
    if (!endpoint) throw new NotFoundError("No such webhook endpoint.");
    if (data.url !== undefined && data.url !== endpoint.url) {
      const problem = await urlProblem(
        data.url,
        this.options.allowPrivate,
        this.options.resolve ?? systemResolver,
      );
      if (problem) throw new ValidationError({ url: problem });
    }
    const updated = await this.repo.update(actor, id, data, this.now);
    if (!updated) throw new NotFoundError("No such webhook endpoint.");
    return endpointView(updated);
  }

  async remove(actor: Actor, id: number): Promise<void> {
    if (!(await this.repo.delete(actor, id))) throw new NotFoundError("No such webhook endpoint.");
  }

  /** Queues one of the endpoint's events again (the page's "Resend"). */
  async resend(actor: Actor, endpointId: number, eventId: number): Promise<WebhookEvent> {
    const endpoint = await this.repo.find(actor, endpointId);
    if (!endpoint) throw new NotFoundError("No such webhook endpoint.");
    const event = await this.repo.findEvent(endpointId, eventId);
    if (!event) throw new NotFoundError("No such event.");
    return this.repo.requeue(event, this.now);
  }
}
