/** SQL for mailings' audiences: their rules, and how many recipients an audience has now. */
import type { Executor } from "../db/database.js";
import { boundedCount } from "../db/keyset.js";
import type { AudienceKind, AudienceMode } from "../db/schema.js";
import type { AudienceInput } from "./audience.schemas.js";
import { audienceWhere, loadAudience } from "./audience.sql.js";

export interface AudienceCount {
  /** Recipients the audience resolves to now (suppressed ones included: they get a `suppressed` delivery). */
  total: number;
  /** Of them, those on the owner's suppression list. */
  suppressed: number;
}

export interface LiveRule {
  mode: AudienceMode;
  kind: AudienceKind;
}

/** True when the rules are "all my recipients" with nothing excluded: the owner's recipients counter is the count. */
export const isEveryone = (rules: LiveRule[]): boolean =>
  rules.some((r) => r.mode === "include" && r.kind === "all") && !rules.some((r) => r.mode === "exclude");

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

  /**
   * At most `cap` of the audience (the suppressed included, as in `count`): the list pages' "about N now",
   * shown "10,000+" when capped, so a page of mailings never counts a large audience in full.
   */
  async boundedTotal(
    mailingId: number,
    ownerId: number,
    now: Date,
    cap: number,
  ): Promise<{ total: number; capped: boolean }> {
    const audience = await loadAudience(this.db, mailingId, ownerId);
    return boundedCount(this.db, this.db.selectFrom("recipients").where(audienceWhere(audience, now)), cap);
  }

  /** Each listed mailing's live rules (mode and kind); a mailing without any is not in the map. */
  async liveRules(mailingIds: number[]): Promise<Map<number, LiveRule[]>> {
    const rules = new Map<number, LiveRule[]>();
    if (mailingIds.length === 0) return rules;
    const rows = await this.db
      .selectFrom("mailing_audiences")
      .select(["mailing_id", "mode", "kind"])
      .where("mailing_id", "in", mailingIds)
      .execute();
    for (const { mailing_id, ...rule } of rows)
      rules.set(mailing_id, [...(rules.get(mailing_id) ?? []), rule]);
    return rules;
  }
}
