/** SQL for mailings' audiences: their rules, and how many recipients an audience has now. */
import type { Executor } from "../db/database.js";
import type { AudienceKind, AudienceMode } from "../db/schema.js";
import type { AudienceInput } from "./audience.schemas.js";
import { audienceWhere, loadAudience } from "./audience.sql.js";

export interface AudienceCount {
  /** Recipients the audience resolves to now (suppressed ones included: they get a `suppressed` delivery). */
  total: number;
  /** Of them, those on the owner's suppression list. */
  suppressed: number;
}

export class AudienceRepository {
  constructor(private readonly db: Executor) {}

  /** The mailing's rules as the editor shows them. The caller has checked the mailing is the actor's. */
  async rulesOf(mailingId: number): Promise<AudienceInput> {
    const rows = await this.db
      .selectFrom("mailing_audiences")
      .select(["mode", "kind", "list_id", "segment_id"])
      .where("mailing_id", "=", mailingId)
      .orderBy("id")
      .execute();
    const pick = (mode: AudienceMode, kind: AudienceKind) =>
      rows
        .filter((r) => r.mode === mode && r.kind === kind)
        .map((r) => (kind === "list" ? r.list_id! : r.segment_id!));
    return {
      all: rows.some((r) => r.kind === "all"),
      lists: pick("include", "list"),
      segments: pick("include", "segment"),
      exclude_lists: pick("exclude", "list"),
      exclude_segments: pick("exclude", "segment"),
    };
  }

  /** Replaces the mailing's rules (call inside a transaction). */
  async replace(mailingId: number, audience: AudienceInput): Promise<void> {
    await this.db.deleteFrom("mailing_audiences").where("mailing_id", "=", mailingId).execute();
    const rows = [
      ...(audience.all
        ? [{ mode: "include" as const, kind: "all" as const, list_id: null, segment_id: null }]
        : []),
      ...audience.lists.map((id) => ({
        mode: "include" as const,
        kind: "list" as const,
        list_id: id,
        segment_id: null,
      })),
      ...audience.segments.map((id) => ({
        mode: "include" as const,
        kind: "segment" as const,
        list_id: null,
        segment_id: id,
      })),
      ...audience.exclude_lists.map((id) => ({
        mode: "exclude" as const,
        kind: "list" as const,
        list_id: id,
        segment_id: null,
      })),
      ...audience.exclude_segments.map((id) => ({
        mode: "exclude" as const,
        kind: "segment" as const,
        list_id: null,
        segment_id: id,
      })),
    ];
    if (rows.length === 0) return;
    await this.db
      .insertInto("mailing_audiences")
      .values(rows.map((r) => ({ ...r, mailing_id: mailingId })))
      .execute();
  }

  /** How many recipients a run created now would get (the same expression as run creation). */
  async count(mailingId: number, ownerId: number, now: Date): Promise<AudienceCount> {
    const audience = await loadAudience(this.db, mailingId, ownerId);
    const row = await this.db
      .selectFrom("recipients")
      .leftJoin("suppressions", (join) =>
        join
          .on("suppressions.owner_id", "=", ownerId)
          .onRef("suppressions.email_normalized", "=", "recipients.email_normalized"),
      )
      .where(audienceWhere(audience, now))
      .select((eb) => [
        eb.fn.countAll<number>().as("total"),
        eb.fn.count<number>("suppressions.id").as("suppressed"),
      ])
      .executeTakeFirstOrThrow();
    return { total: Number(row.total), suppressed: Number(row.suppressed) };
  }

  /** How many live rules (besides the picked recipients) each mailing has. */
  async liveMailings(mailingIds: number[]): Promise<Set<number>> {
    if (mailingIds.length === 0) return new Set();
    const rows = await this.db
      .selectFrom("mailing_audiences")
      .select("mailing_id")
      .distinct()
      .where("mailing_id", "in", mailingIds)
      .execute();
    return new Set(rows.map((r) => r.mailing_id));
  }
}
