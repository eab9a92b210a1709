/**
 * Idempotency-Key for API writes: the first response to (user, key) is stored with a hash of the request;
 * the same key again returns that response (header Idempotent-Replayed: true) instead of applying the call
 * twice, and the same key with another request is a 422. Keys are kept 24 hours.
 */
import { createHash } from "node:crypto";
import type { Database } from "../db/database.js";
import { ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const KEY = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function requestHash(method: string, path: string, body: unknown): string {
  return createHash("sha256")
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest("hex");
}

export class IdempotencyKeys {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Checks the header's value: printable ASCII, 1 to 255 characters. */
  static parse(value: string | string[] | undefined): string | undefined {
    if (value === undefined) return undefined;
    const key = Array.isArray(value) ? value[0] : value;
    if (key === undefined || !KEY.test(key)) {
      throw new ValidationError({
        "Idempotency-Key": "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces.",
      });
    }
    return key;
  }

  /** The stored response of this key (unexpired), or undefined; a 422 when it was used for another request. */
  async find(userId: number, key: string, hash: string): Promise<StoredResponse | undefined> {
    const since = iso(new Date(this.clock.now().getTime() - IDEMPOTENCY_TTL_MS));
    await this.database.db.deleteFrom("api_idempotency_keys").where("created_at", "<", since).execute();
    const row = await this.database.db
      .selectFrom("api_idempotency_keys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.request_hash !== hash) {
      throw new ValidationError({
        "Idempotency-Key": "This Idempotency-Key was used for a different request in the last 24 hours.",
      });
    }
    return { status: Number(row.status), body: row.body === "" ? undefined : JSON.parse(row.body) };
  }

  /** Stores the first response; a concurrent call that stored first wins (its row is kept). */
  async store(userId: number, key: string, hash: string, response: StoredResponse): Promise<void> {
    await this.database.db
      .insertInto("api_idempotency_keys")
      .values({
        user_id: userId,
        key,
        request_hash: hash,
        status: response.status,
        body: response.body === undefined ? "" : JSON.stringify(response.body),
        created_at: iso(this.clock.now()),
      })
      .onConflict((oc) => oc.columns(["user_id", "key"]).doNothing())
      .execute();
  }
}
