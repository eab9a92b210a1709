/**
 * Demo data and fixtures. `seed` fills an empty database with a believable demo (accounts, recipients,
 * messages, mailings in every status with their runs and deliveries, blog posts with pictures); `dump` and
 * `load` move users, recipients, messages, mailings and posts between databases. Each write is one
 * transaction: a refused or failed load leaves nothing behind.
 */
import { randomBytes } from "node:crypto";
import { hashPassword } from "../accounts/password.js";
import type { BlogService } from "../blog/blog.service.js";
import type { ImageStore } from "../blog/images.js";
import type { Database } from "../db/database.js";
import type { NewDelivery, Role } from "../db/schema.js";
import { summarize } from "../delivery/summary.js";
import { ConflictError } from "../shared/errors.js";
import { normalizeEmail } from "../shared/fields.js";
import { type Clock, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { DemoRepository } from "./demo.repository.js";
import { DEMO_ACCOUNTS, FAILURES, FIRST_NAMES, LAST_NAMES, MESSAGES, POSTS } from "./demo-data.js";
import { type Fixtures, fixturesSchema } from "./fixtures.schemas.js";
import { gradientPng } from "./png.js";

export interface SeedResult {
  accounts: { role: Role; email: string; password: string }[];
  counts: Record<string, number>;
}

export type LoadResult = Record<"users" | "recipients" | "messages" | "mailings" | "posts", number>;

const DAY = 86_400_000;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export class DemoService {
  private readonly images: ImageStore;
  private readonly clock: Clock;

  constructor(
    private readonly database: Database,
    private readonly deps: { blog: BlogService; clock?: Clock },
  ) {
    this.images = deps.blog.images;
    this.clock = deps.clock ?? systemClock;
  }

  /** Fills an empty database with the demo; refuses (and writes nothing) when any data exists. */
  async seed(): Promise<SeedResult> {
    const before = await new DemoRepository(this.database.db).counts();
    assertEmpty(before);
    const passwords = DEMO_ACCOUNTS.map(() => randomBytes(9).toString("base64url"));
    const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
    const images = await Promise.all(POSTS.map((p) => this.images.save(gradientPng(...p.colors), "png")));
    try {
      const counts = await this.database.db.transaction().execute(async (tx) => {
        const repo = new DemoRepository(tx);
        assertEmpty(await repo.counts());
        return this.seedRows(repo, hashes, images);
      });
      await this.deps.blog.invalidate();
      return {
        accounts: DEMO_ACCOUNTS.map((a, i) => ({ role: a.role, email: a.email, password: passwords[i]! })),
        counts,
      };
    } catch (error) {
      await Promise.all(images.map((name) => this.images.remove(name)));
      throw error;
    }
  }

  private async seedRows(repo: DemoRepository, hashes: string[], images: string[]) {
    const now = this.clock.now().getTime();
    const today = Math.floor(now / DAY) * DAY;
    const counts = { users: 0, recipients: 0, messages: 0, mailings: 0, runs: 0, deliveries: 0, posts: 0 };
    const users = [];
    for (const [i, account] of DEMO_ACCOUNTS.entries()) {
      const created = iso(now - 30 * DAY + i * HOUR);
      users.push(
        await repo.insertUser({
          email: account.email,
          email_normalized: normalizeEmail(account.email),
          name: account.name,
          password_hash: hashes[i]!,
          time_zone: account.time_zone,
          role: account.role,
          email_confirmed_at: created,
          blocked_at: null,
          created_at: created,
          updated_at: created,
        }),
      );
      counts.users++;
    }

    // Every account, the admin and the manager included, has data of its own: the first login (the admin's)
    // is not an empty app.
    for (const [u, owner] of users.entries()) {
      const stamp = iso(now - 25 * DAY);
      const recipients = await repo.insertRecipients(
        Array.from({ length: 24 }, (_, i) => {
          const first = FIRST_NAMES[i % FIRST_NAMES.length]!;
          const last = LAST_NAMES[(i * 3 + u) % LAST_NAMES.length]!;
          const email = `${first}.${last}@example.net`.toLowerCase();
          return {
            owner_id: owner.id,
            email,
            email_normalized: email,
            full_name: `${first} ${last}`,
            comment: i % 5 === 0 ? "Met at the spring fair" : "",
            created_at: stamp,
            updated_at: stamp,
          };
        }),
      );
      counts.recipients += recipients.length;
      const messages = [];
      for (const { layout, ...m } of MESSAGES) {
        messages.push(
          await repo.insertMessage({
            owner_id: owner.id,
            ...m,
            layout_id: layout ? await repo.defaultLayoutId() : null,
            created_at: stamp,
            updated_at: stamp,
          }),
        );
        counts.messages++;
      }
      const ids = recipients.map((r) => r.id);

      // Future: a one-off in a week.
      const futureAt = today + 7 * DAY + 9 * HOUR;
      const future = await repo.insertMailing({
        owner_id: owner.id,
        name: "Spring newsletter",
        message_id: messages[0]!.id,
        first_send_at: iso(futureAt),
        end_at: iso(futureAt + DAY),
        periodicity: "once",
        time_zone: "UTC",
        status: "created",
        disabled_at: null,
        next_run_at: iso(futureAt),
        last_run_at: null,
        created_at: iso(now - DAY),
        updated_at: iso(now - DAY),
      });
      await repo.addMembers(future.id, ids);

      // Running daily: started three days ago at 08:00 UTC, one run per day so far.
      const dailyFirst = today - 3 * DAY + 8 * HOUR;
      const occurrences: number[] = [];
      for (let t = dailyFirst; t <= now; t += DAY) occurrences.push(t);
      const daily = await repo.insertMailing({
        owner_id: owner.id,
        name: "Daily tips",
        message_id: messages[1]!.id,
        first_send_at: iso(dailyFirst),
        end_at: iso(today + 30 * DAY + 8 * HOUR),
        periodicity: "daily",
        time_zone: "UTC",
        status: "running",
        disabled_at: null,
        next_run_at: iso(occurrences.at(-1)! + DAY),
        last_run_at: iso(occurrences.at(-1)!),
        created_at: iso(dailyFirst - DAY),
        updated_at: iso(dailyFirst - DAY),
      });
      await repo.addMembers(daily.id, ids);
      for (const [k, t] of occurrences.entries()) {
        await this.seedRun(repo, daily.id, messages[1]!, recipients, t, (i) => (i + k + u) % 7 === 0);
        counts.runs++;
        counts.deliveries += recipients.length;
      }

      // Completed: a one-off sent twenty days ago.
      const doneAt = today - 20 * DAY + 10 * HOUR;
      const done = await repo.insertMailing({
        owner_id: owner.id,
        name: "Winter sale",
        message_id: messages[2]!.id,
        first_send_at: iso(doneAt),
        end_at: iso(doneAt + HOUR),
        periodicity: "once",
        time_zone: "UTC",
        status: "completed",
        disabled_at: null,
        next_run_at: null,
        last_run_at: iso(doneAt),
        created_at: iso(doneAt - 2 * DAY),
        updated_at: iso(doneAt - 2 * DAY),
      });
      const half = recipients.slice(0, 16);
      await repo.addMembers(
        done.id,
        half.map((r) => r.id),
      );
      await this.seedRun(repo, done.id, messages[2]!, half, doneAt, (i) => u === 1 && i === 3);
      counts.runs++;
      counts.deliveries += half.length;
      counts.mailings += 3;
    }

    const admin = users[0]!;
    for (const [i, p] of POSTS.entries()) {
      const at = iso(now - (POSTS.length - i) * 4 * DAY);
      await repo.insertPost({
        author_id: admin.id,
        title: p.title,
        slug: p.title
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, "-")
          .replace(/^-|-$/g, ""),
        body_markdown: p.body,
        image_path: images[i]!,
        image_alt: "A soft colour gradient",
        published_at: p.published ? at : null,
        view_count: p.published ? 17 + i * 11 : 0,
        created_at: at,
        updated_at: at,
      });
      counts.posts++;
    }
    return counts;
  }

  /** A finished run at `at`: every recipient delivered, except those `fails` picks (with real replies). */
  private async seedRun(
    repo: DemoRepository,
    mailingId: number,
    message: { subject: string; body: string },
    recipients: { id: number; email: string }[],
    at: number,
    fails: (index: number) => boolean,
  ) {
    const deliveries: Omit<NewDelivery, "run_id">[] = recipients.map((r, i) => {
      const sentAt = iso(at + 1_000 + i * 250);
      const failure = fails(i) ? FAILURES[i % FAILURES.length]! : null;
      return {
        recipient_id: r.id,
        email: r.email,
        status: failure ? "failed" : "sent",
        tries: failure ? (failure.code < 500 ? 6 : 1) : 1,
        next_attempt_at: iso(at),
        lease_owner: null,
        lease_expires_at: null,
        last_code: failure ? failure.code : 250,
        last_enhanced: failure ? failure.enhanced : "2.0.0",
        last_text: failure ? failure.text : "250 2.0.0 Ok: queued",
        message_id: failure ? null : `<demo-${mailingId}-${at}-${r.id}@postpilot.example>`,
        created_at: iso(at),
        sent_at: failure ? null : sentAt,
        updated_at: sentAt,
      };
    });
    const failed = deliveries.filter((d) => d.status === "failed");
    const codes = new Map<number, number>();
    for (const d of deliveries) codes.set(d.last_code!, (codes.get(d.last_code!) ?? 0) + 1);
    const groups = new Map<string, { code: number; enhanced: string; text: string; count: number }>();
    for (const d of failed) {
      const key = `${d.last_code} ${d.last_enhanced}`;
      const group = groups.get(key) ?? {
        code: d.last_code!,
        enhanced: d.last_enhanced!,
        text: d.last_text!,
        count: 0,
      };
      group.count++;
      groups.set(key, group);
    }
    const response = summarize(
      [...codes].map(([code, count]) => ({ code, count })),
      [...groups.values()],
    );
    await repo.insertRun(
      {
        mailing_id: mailingId,
        trigger: "schedule",
        actor_user_id: null,
        status: failed.length === 0 ? "success" : "failure",
        scheduled_for: iso(at),
        subject: message.subject,
        body: message.body,
        total_count: deliveries.length,
        sent_count: deliveries.length - failed.length,
        failed_count: failed.length,
        response: JSON.stringify(response),
        started_at: iso(at),
        finished_at: iso(at + 1_000 + deliveries.length * 250),
        created_at: iso(at),
      },
      deliveries,
    );
  }

  /** Everything fixtures hold, with images inlined, in a form `load` accepts. */
  async dump(): Promise<Fixtures> {
    const repo = new DemoRepository(this.database.db);
    const defaultLayout = await repo.defaultLayoutId();
    const [users, recipients, messages, mailings, members, posts] = await Promise.all([
      repo.users(),
      repo.recipients(),
      repo.messages(),
      repo.mailings(),
      repo.members(),
      repo.posts(),
    ]);
    const membersOf = new Map<number, number[]>();
    for (const m of members)
      membersOf.set(m.mailing_id, [...(membersOf.get(m.mailing_id) ?? []), m.recipient_id]);
    return {
      format: "postpilot-fixtures",
      version: 1,
      users: users.map((u) => ({
        ref: u.id,
        email: u.email,
        name: u.name,
        password_hash: u.password_hash,
        time_zone: u.time_zone,
        role: u.role,
        email_confirmed_at: u.email_confirmed_at,
        blocked_at: u.blocked_at,
        created_at: u.created_at,
        updated_at: u.updated_at,
      })),
      recipients: recipients.map(({ id, owner_id, email_normalized: _, ...r }) => ({
        ref: id,
        owner: owner_id,
        ...r,
      })),
      messages: messages.map(({ id, owner_id, layout_id, ...m }) => ({
        ref: id,
        owner: owner_id,
        ...m,
        layout: layout_id !== null && layout_id === defaultLayout ? ("default" as const) : null,
      })),
      mailings: mailings.map(({ id, owner_id, message_id, ...m }) => ({
        ref: id,
        owner: owner_id,
        message: message_id,
        ...m,
        recipients: membersOf.get(id) ?? [],
      })),
      posts: await Promise.all(
        posts.map(async ({ id: _, author_id, image_path, ...p }) => {
          const bytes = image_path ? await this.images.read(image_path) : null;
          const ext = image_path?.split(".").pop() as "png" | "jpg" | "webp" | undefined;
          return {
            author: author_id,
            ...p,
            image: bytes && ext ? { ext, base64: bytes.toString("base64") } : null,
          };
        }),
      ),
    };
  }

  /**
   * Loads fixtures in one transaction. Rows that would clash with existing ones (a user's email, a post's
   * address) are all reported in one ConflictError, and then nothing is loaded.
   */
  async load(input: unknown): Promise<LoadResult> {
    const data = parseInput(fixturesSchema, input);
    const conflicts = await this.conflicts(data);
    if (conflicts.length > 0) throw loadConflict(conflicts);
    const saved: string[] = [];
    try {
      const images = await Promise.all(
        data.posts.map(async (p) => {
          if (!p.image) return null;
          const name = await this.images.save(Buffer.from(p.image.base64, "base64"), p.image.ext);
          saved.push(name);
          return name;
        }),
      );
      const result = await this.database.db.transaction().execute(async (tx) => {
        const repo = new DemoRepository(tx);
        // Checked again inside the transaction: another load may have landed meanwhile.
        const late = await this.conflicts(data, repo);
        if (late.length > 0) throw loadConflict(late);
        return this.loadRows(repo, data, images);
      });
      await this.deps.blog.invalidate();
      return result;
    } catch (error) {
      await Promise.all(saved.map((name) => this.images.remove(name)));
      throw error;
    }
  }

  private async loadRows(
    repo: DemoRepository,
    data: Fixtures,
    images: (string | null)[],
  ): Promise<LoadResult> {
    const users = new Map<number, number>();
    const recipients = new Map<number, number>();
    const messages = new Map<number, number>();
    const need = (map: Map<number, number>, ref: number, what: string) => {
      const found = map.get(ref);
      if (found === undefined) throw loadConflict([`${what} ${ref} is referred to but not in the file`]);
      return found;
    };
    for (const { ref, ...u } of data.users) {
      const row = await repo.insertUser({ ...u, email_normalized: normalizeEmail(u.email) });
      users.set(ref, row.id);
    }
    const recipientRefs = data.recipients.map((r) => r.ref);
    const inserted = await repo.insertRecipients(
      data.recipients.map(({ ref: _, owner, ...r }) => ({
        ...r,
        owner_id: need(users, owner, "user"),
        email_normalized: normalizeEmail(r.email),
      })),
    );
    for (const [i, row] of inserted.entries()) recipients.set(recipientRefs[i]!, row.id);
    const defaultLayout = await repo.defaultLayoutId();
    for (const { ref, owner, layout, ...m } of data.messages) {
      const row = await repo.insertMessage({
        ...m,
        layout_id: layout === "default" ? defaultLayout : null,
        owner_id: need(users, owner, "user"),
      });
      messages.set(ref, row.id);
    }
    for (const { ref: _, owner, message, recipients: members, ...m } of data.mailings) {
      const row = await repo.insertMailing({
        ...m,
        owner_id: need(users, owner, "user"),
        message_id: need(messages, message, "message"),
      });
      await repo.addMembers(
        row.id,
        members.map((r) => need(recipients, r, "recipient")),
      );
    }
    for (const [i, { author, image: _, ...p }] of data.posts.entries()) {
      await repo.insertPost({
        ...p,
        author_id: author === null ? null : (users.get(author) ?? null),
        image_path: images[i] ?? null,
      });
    }
    return {
      users: data.users.length,
      recipients: data.recipients.length,
      messages: data.messages.length,
      mailings: data.mailings.length,
      posts: data.posts.length,
    };
  }

  private async conflicts(data: Fixtures, repo = new DemoRepository(this.database.db)): Promise<string[]> {
    const problems: string[] = [];
    const emails = data.users.map((u) => normalizeEmail(u.email));
    for (const email of duplicates(emails)) problems.push(`user ${email} appears more than once in the file`);
    for (const email of await repo.existingEmails([...new Set(emails)]))
      problems.push(`user ${email} already exists`);
    const slugs = data.posts.map((p) => p.slug);
    for (const slug of duplicates(slugs))
      problems.push(`post /blog/${slug} appears more than once in the file`);
    for (const slug of await repo.existingSlugs([...new Set(slugs)]))
      problems.push(`post /blog/${slug} already exists`);
    const byOwner = new Set<string>();
    for (const r of data.recipients) {
      const key = `${r.owner}:${normalizeEmail(r.email)}`;
      if (byOwner.has(key)) problems.push(`recipient ${r.email} appears twice for user ${r.owner}`);
      byOwner.add(key);
    }
    return problems;
  }
}

function duplicates(values: string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

function loadConflict(problems: string[]): ConflictError {
  const list = problems.map((p) => `  - ${p}`).join("\n");
  return new ConflictError(`Nothing was loaded: ${problems.length} conflict(s):\n${list}`);
}

function assertEmpty(counts: Record<string, number>): void {
  const nonEmpty = Object.entries(counts).filter(([, n]) => n > 0);
  if (nonEmpty.length === 0) return;
  const what = nonEmpty.map(([table, n]) => `${n} ${table}`).join(", ");
  throw new ConflictError(
    `The database is not empty (${what}): seed-demo only fills an empty database. ` +
      "Point DATA_DIR or DATABASE_URL at a new one, or use load-fixtures to add data.",
  );
}
