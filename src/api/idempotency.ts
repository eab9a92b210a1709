/**
 * Idempotency-Key for API writes: the first response to (user, key) is stored with a hash of the request;
 * the same key again returns that response (header Idempotent-Replayed: true) instead of applying the call
 * twice, and the same key with another request is a 422. Keys are kept 24 hours.
 *
 * The key is claimed before the call runs (a row with status 0, "in progress", inserted or not by the unique
 * (user_id, key)), so of two concurrent calls with one key exactly one applies; the other gets a 409 "in
 * progress" (retry later for the replay). A call that fails gives its claim back.
 */
import { createHash } from "node:crypto";
import type { Database } from "../db/database.js";
import { ConflictError, ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** The status of a claimed key whose call has not answered yet. */
const IN_PROGRESS = 0;
const IN_PROGRESS_MESSAGE =
  "A request with this Idempotency-Key is still in progress: retry in a moment for its response.";
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

  /**
   * Claims the key for this request: "claimed" when this call is the first (run it, then `complete` or
   * `release`), or the stored response to replay. A 409 while the first call is still running; a 422 when
   * the key was used for another request.
   */
  async claim(userId: number, key: string, hash: string): Promise<"claimed" | StoredResponse> {
    const since = iso(new Date(this.clock.now().getTime() - IDEMPOTENCY_TTL_MS));
    await this.database.db.deleteFrom("api_idempotency_keys").where("created_at", "<", since).execute();
    const inserted = await this.database.db
      .insertInto("api_idempotency_keys")
      .values({
        user_id: userId,
        key,
        request_hash: hash,
        status: IN_PROGRESS,
        body: "",
        created_at: iso(this.clock.now()),
      })
      .onConflict((oc) => oc.columns(["user_id", "key"]).doNothing())
      .returning("key")
      .executeTakeFirst();
    if (inserted) return "claimed";
    const row = await this.database.db
      .selectFrom("api_idempotency_keys")
      .selectAll()
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .executeTakeFirst();
    // Released between the insert and this read: the caller may simply retry.
    if (!row) throw new ConflictError(IN_PROGRESS_MESSAGE, "Idempotency-Key");
    if (row.request_hash !== hash) {
      throw new ValidationError({
        "Idempotency-Key": "This Idempotency-Key was used for a different request in the last 24 hours.",
      });
    }
    if (Number(row.status) === IN_PROGRESS) throw new ConflictError(IN_PROGRESS_MESSAGE, "Idempotency-Key");
    return { status: Number(row.status), body: row.body === "" ? undefined : JSON.parse(row.body) };
  }

  /** Stores the first call's response on its claim. */
  async complete(userId: number, key: string, response: StoredResponse): Promise<void> {
    await this.database.db
      .updateTable("api_idempotency_keys")
      .set({
        status: response.status,
        body: response.body === undefined ? "" : JSON.stringify(response.body),
      })
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .execute();
  }

  /** Gives a failed call's claim back, so a retry with the key runs it again. */
  async release(userId: number, key: string): Promise<void> {
    await this.database.db
      .deleteFrom("api_idempotency_keys")
      .where("user_id", "=", userId)
      .where("key", "=", key)
      .where("status", "=", IN_PROGRESS)
      .execute();
  }
}
