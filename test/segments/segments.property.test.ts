/**
 * A segment's SQL (on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set) against filtering the same
 * rows in memory, for random recipients, lists, field values, deliveries and definitions.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.js";
import type { Condition, SegmentDefinition } from "../../src/segments/segments.schemas.js";
import { SegmentsService } from "../../src/segments/segments.service.js";
import { testDatabase } from "../helpers/db.js";
import { createMessage, createUser } from "../helpers/fixtures.js";

const NOW = new Date("2026-12-02T12:00:00.000Z");
const DOMAINS = ["a.test", "b.test", "mail.a.test", "ab.test"];
const WORDS = ["ann", "bob", "Ann", "x_y", "50%", ""];

type Person = {
  local: string;
  domain: string;
  name: string;
  comment: string;
  lists: boolean[];
  age: number | null;
  plan: string | null;
  since: string | null;
  vip: boolean | null;
  /** Deliveries: which mailing (0 or 1), sent or failed, days ago, bounced. */
  deliveries: { mailing: number; sent: boolean; daysAgo: number; bounced: boolean }[];
};

const person: fc.Arbitrary<Person> = fc.record({
  local: fc.constantFrom("ann", "bob", "cy", "x_y", "a%b"),
  domain: fc.constantFrom(...DOMAINS),
  name: fc.constantFrom(...WORDS),
  comment: fc.constantFrom(...WORDS),
  lists: fc.tuple(fc.boolean(), fc.boolean()).map((t) => [...t]),
  age: fc.option(fc.integer({ min: -5, max: 60 }), { nil: null }),
  plan: fc.option(fc.constantFrom("pro", "free", "Pro"), { nil: null }),
  since: fc.option(fc.constantFrom("2026-01-01", "2026-06-15", "2025-12-31"), { nil: null }),
  vip: fc.option(fc.boolean(), { nil: null }),
  deliveries: fc.array(
    fc.record({
      mailing: fc.integer({ min: 0, max: 1 }),
      sent: fc.boolean(),
      daysAgo: fc.integer({ min: 0, max: 40 }),
      bounced: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
});

const condition: fc.Arbitrary<Condition> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("text" as const),
      column: fc.constantFrom("email" as const, "full_name" as const, "comment" as const),
      op: fc.constantFrom("contains" as const, "is" as const, "ends_with_domain" as const),
      value: fc.constantFrom("ann", "a.test", "ANN", "x_y", "%", "@a.test", "50%"),
    }),
  },
  fc.record({
    kind: fc.constant("list" as const),
    op: fc.constantFrom("in" as const, "not_in" as const),
    list_id: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({
    kind: fc.constant("field" as const),
    key: fc.constant("age"),
    op: fc.constantFrom("eq" as const, "ne" as const, "lt" as const, "gt" as const, "set" as const),
    value: fc.integer({ min: -5, max: 60 }).map(String),
  }),
  fc.record({
    kind: fc.constant("field" as const),
    key: fc.constantFrom("plan", "since", "vip"),
    op: fc.constantFrom("eq" as const, "ne" as const, "lt" as const, "gt" as const, "set" as const),
    value: fc.constantFrom("pro", "free", "2026-06-15", "yes", "no"),
  }),
  fc.record({ kind: fc.constant("received" as const), mailing_id: fc.integer({ min: 0, max: 1 }) }),
  fc.record({ kind: fc.constant("bounced" as const) }),
  fc.record({ kind: fc.constant("quiet" as const), days: fc.integer({ min: 1, max: 45 }) }),
);

const definition = fc.record({
  match: fc.constantFrom("all" as const, "any" as const),
  conditions: fc.array(condition, { minLength: 1, maxLength: 4 }),
});

const TYPES: Record<string, "number" | "text" | "date" | "yes_no"> = {
  age: "number",
  plan: "text",
  since: "date",
  vip: "yes_no",
};

/** The same meanings as segment.sql.ts, on plain objects. */
function matches(
  p: Person & { email: string },
  c: Condition,
  listIds: number[],
  mailingIds: number[],
): boolean {
  switch (c.kind) {
    case "text": {
      const col = (
        c.column === "email" ? p.email : c.column === "full_name" ? p.name : p.comment
      ).toLowerCase();
      const v = c.value.toLowerCase();
      if (c.op === "contains") return col.includes(v);
      if (c.op === "is") return col === v;
      const d = v.replace(/^@+/, "");
      return col.endsWith(`@${d}`) || col.endsWith(`.${d}`);
    }
    case "list": {
      const member = p.lists[listIds.indexOf(c.list_id)] === true;
      return c.op === "in" ? member : !member;
    }
    case "field": {
      const raw = {
        age: p.age,
        plan: p.plan,
        since: p.since,
        vip: p.vip === null ? null : p.vip ? "yes" : "no",
      }[c.key as "age"];
      if (c.op === "set") return raw !== null;
      const type = TYPES[c.key]!;
      let value: string | number | null = c.value;
      if (type === "number")
        value = Number.isFinite(Number(c.value)) && c.value !== "" ? Number(c.value) : null;
      if (type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(c.value)) value = null;
      if (type === "yes_no") value = c.value === "yes" || c.value === "no" ? c.value : null;
      if (value === null) return false;
      const eq = raw !== null && raw === value;
      if (c.op === "eq") return eq;
      if (c.op === "ne") return !eq;
      if (raw === null) return false;
      return c.op === "lt" ? raw < (value as typeof raw) : raw > (value as typeof raw);
    }
    case "received":
      return p.deliveries.some((d) => d.sent && mailingIds[d.mailing] === c.mailing_id);
    case "bounced":
      return p.deliveries.some((d) => d.bounced);
    case "quiet":
      return !p.deliveries.some((d) => d.sent && d.daysAgo * 86_400_000 + 1000 <= c.days * 86_400_000);
  }
}

const base = {
  comment: "",
  lists: [false, false],
  age: null,
  plan: null,
  since: null,
  vip: null,
  deliveries: [],
};
const edgePeople: Person[] = [
  { ...base, local: "ann", domain: "mail.a.test", name: "50% off", age: 30, since: "2025-12-31" },
  {
    ...base,
    local: "bob",
    domain: "ab.test",
    name: "500 off",
    deliveries: [{ mailing: 0, sent: true, daysAgo: 10, bounced: false }],
  },
  {
    ...base,
    local: "x_y",
    domain: "a.test",
    name: "",
    age: 31,
    deliveries: [{ mailing: 1, sent: true, daysAgo: 9, bounced: true }],
  },
  { ...base, local: "xay", domain: "b.test", name: "" },
];

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});
afterAll(async () => {
  await database.close();
});

describe("segment SQL against filtering in memory", () => {
  it("counts and picks the same recipients for random data and definitions", async () => {
    const segments = new SegmentsService(database, { now: () => NOW });
    const db = database.db;
    await fc.assert(
      fc.asyncProperty(fc.array(person, { minLength: 0, maxLength: 12 }), definition, async (people, raw) => {
        const owner = await createUser(db);
        const message = await createMessage(db, owner.id);
        const stamp = NOW.toISOString();
        const listIds: number[] = [];
        for (const n of [0, 1]) {
          const l = await db
            .insertInto("lists")
            .values({
              owner_id: owner.id,
              name: `L${n}`,
              name_normalized: `l${n}`,
              slug: `s-${owner.id}-${n}`,
              created_at: stamp,
              updated_at: stamp,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          listIds.push(l.id);
        }
        const fieldIds: Record<string, number> = {};
        for (const [key, type] of Object.entries(TYPES)) {
          const f = await db
            .insertInto("custom_fields")
            .values({ owner_id: owner.id, key, label: key, type, created_at: stamp })
            .returning("id")
            .executeTakeFirstOrThrow();
          fieldIds[key] = f.id;
        }
        const mailingIds: number[] = [];
        // Three runs per mailing: a recipient has at most one delivery per run.
        const runIds: number[][] = [];
        for (const n of [0, 1]) {
          const m = await db
            .insertInto("mailings")
            .values({
              owner_id: owner.id,
              name: `M${n}`,
              message_id: message.id,
              first_send_at: stamp,
              end_at: "2027-12-02T12:00:00.000Z",
              periodicity: "once",
              time_zone: "UTC",
              status: "completed",
              disabled_at: null,
              next_run_at: null,
              last_run_at: stamp,
              created_at: stamp,
              updated_at: stamp,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          mailingIds.push(m.id);
          runIds.push([]);
          for (let k = 0; k < 3; k++) {
            const r = await db
              .insertInto("runs")
              .values({
                mailing_id: m.id,
                trigger: "web",
                actor_user_id: null,
                status: "success",
                scheduled_for: new Date(NOW.getTime() - k * 60_000).toISOString(),
                subject: "s",
                body: "b",
                total_count: 0,
                sent_count: 0,
                failed_count: 0,
                response: null,
                started_at: stamp,
                finished_at: stamp,
                created_at: stamp,
              })
              .returning("id")
              .executeTakeFirstOrThrow();
            runIds[n]!.push(r.id);
          }
        }
        const rows: (Person & { email: string; id: number })[] = [];
        for (const [i, p] of people.entries()) {
          const email = `${p.local}${i}@${p.domain}`;
          const r = await db
            .insertInto("recipients")
            .values({
              owner_id: owner.id,
              email,
              email_normalized: email.toLowerCase(),
              full_name: p.name,
              comment: p.comment,
              created_at: stamp,
              updated_at: stamp,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          rows.push({ ...p, email, id: r.id });
          for (const [n, inList] of p.lists.entries()) {
            if (inList)
              await db
                .insertInto("list_members")
                .values({ list_id: listIds[n]!, recipient_id: r.id, added_at: stamp })
                .execute();
          }
          const values: [string, string | null, number | null][] = [
            ["age", p.age === null ? null : String(p.age), p.age],
            ["plan", p.plan, null],
            ["since", p.since, null],
            ["vip", p.vip === null ? null : p.vip ? "yes" : "no", null],
          ];
          for (const [key, text, num] of values) {
            if (text !== null) {
              await db
                .insertInto("recipient_fields")
                .values({ recipient_id: r.id, field_id: fieldIds[key]!, value_text: text, value_number: num })
                .execute();
            }
          }
          for (const [k, d] of p.deliveries.entries()) {
            const at = new Date(NOW.getTime() - d.daysAgo * 86_400_000 - 1000).toISOString();
            await db
              .insertInto("deliveries")
              .values({
                run_id: runIds[d.mailing]![k]!,
                recipient_id: r.id,
                email,
                status: d.sent ? "sent" : "failed",
                tries: 1,
                next_attempt_at: at,
                created_at: at,
                sent_at: d.sent ? at : null,
                updated_at: at,
                bounced_at: d.bounced ? at : null,
              })
              .execute();
          }
        }
        // Ids in the generated definition are positions: make them the real list and mailing ids.
        const def: SegmentDefinition = {
          match: raw.match,
          conditions: raw.conditions.map((c) =>
            c.kind === "list"
              ? { ...c, list_id: listIds[c.list_id]! }
              : c.kind === "received"
                ? { ...c, mailing_id: mailingIds[c.mailing_id]! }
                : c,
          ),
        };
        const expected = rows
          .filter((p) => {
            const results = def.conditions.map((c) => matches(p, c, listIds, mailingIds));
            return def.match === "all" ? results.every(Boolean) : results.some(Boolean);
          })
          .map((p) => p.id);
        expect(await segments.ids(owner, def)).toEqual(expected);
        expect((await segments.preview(owner, def, 5)).count).toBe(expected.length);
      }),
      {
        numRuns: 150,
        // The edges named in segment.sql.ts, always tried besides the random cases.
        examples: [
          [
            edgePeople,
            {
              match: "all",
              conditions: [{ kind: "text", column: "email", op: "ends_with_domain", value: "a.test" }],
            },
          ],
          [edgePeople, { match: "all", conditions: [{ kind: "field", key: "age", op: "ne", value: "30" }] }],
          [
            edgePeople,
            {
              match: "any",
              conditions: [{ kind: "text", column: "full_name", op: "contains", value: "50%" }],
            },
          ],
          [
            edgePeople,
            { match: "all", conditions: [{ kind: "text", column: "email", op: "contains", value: "x_y" }] },
          ],
          [edgePeople, { match: "all", conditions: [{ kind: "quiet", days: 10 }] }],
          [
            edgePeople,
            { match: "all", conditions: [{ kind: "field", key: "since", op: "lt", value: "2026-06-15" }] },
          ],
        ],
      },
    );
  }, 120_000);
});
