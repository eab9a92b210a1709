/**
 * Signup forms with double opt-in. Submitting a list's form stores a pending signup (time, IP) and queues a
 * confirmation email through the account-mail queue (sent by its loop, never in the request). Until the
 * link is confirmed the person is not a recipient, so no mailing can reach them. Confirming creates (or
 * finds) the recipient, sets the fields they gave and adds them to the list, recording time and IP.
 * The answer to a submission is the same whether or not the address is known or already subscribed.
 */

import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { AccountEmailsRepository } from "../accounts/account-emails.repository.js";
import { CustomFieldsRepository } from "../custom-fields/custom-fields.repository.js";
import { parseFieldValue, type StoredValue } from "../custom-fields/field-values.js";
import type { Database } from "../db/database.js";
import type { CustomField, List } from "../db/schema.js";
import type { Locale } from "../i18n/index.js";
import { ListsRepository } from "../lists/lists.repository.js";
import { NotFoundError, ValidationError } from "../shared/errors.js";
import { email, LIMITS, normalizeEmail, optionalSingleLine } from "../shared/fields.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { fieldErrorsOf } from "../shared/validation.js";
import { subscriberConfirmed } from "../webhooks/webhooks.events.js";
import { SignupRepository } from "./signup.repository.js";
import { signupConfirmEmail } from "./signup-mail.texts.js";

const TOKEN_TTL_MS = 7 * 86_400_000;
/** At most this many confirmation emails per address and list per hour; more get the same answer, no mail. */
const PER_ADDRESS_PER_HOUR = 3;
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

export interface SignupForm {
  list: List;
  fields: CustomField[];
}

export type ConfirmResult = { list: List; redirect: string | null };

export class SignupService {
  constructor(
    private readonly database: Database,
    private readonly options: {
      clock?: Clock;
      /** Where links point (PUBLIC_URL, else the address PostPilot listens on); never a request's Host. */
      linkBaseUrl?: string | (() => string) | undefined;
      /** Told after a confirmation added a recipient (the home page's figures). */
      changed?: (ownerId: number) => void | Promise<void>;
    } = {},
  ) {}

  private get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** The public form of a list (404 when it has none). */
  async form(slug: string): Promise<SignupForm> {
    const list =
      typeof slug === "string" && slug.length <= 80
        ? await new ListsRepository(this.database.db).findBySlug(slug)
        : undefined;
    if (!list?.signup_enabled) throw new NotFoundError("This signup form does not exist.");
    const chosen = new Set(JSON.parse(list.signup_fields) as string[]);
    const fields = (
      await new CustomFieldsRepository(this.database.db).all({ id: list.owner_id, role: "user" })
    ).filter((f) => chosen.has(f.key));
    return { list, fields };
  }

  /** Where links point: PUBLIC_URL, or the address PostPilot listens on (never the request's Host header). */
  base(): string {
    const base = this.options.linkBaseUrl;
    return (typeof base === "function" ? base() : (base ?? "http://localhost")).replace(/\/+$/, "");
  }

  /**
   * Takes a submission. Bad input throws a ValidationError (the form shows it); otherwise the answer is
   * always the same. A filled honeypot is accepted silently and does nothing. The confirmation email is in
   * `locale`, the language the visitor's browser asks for.
   */
  async submit(slug: string, input: Record<string, unknown>, ip: string, locale?: Locale): Promise<void> {
    const { list, fields } = await this.form(slug);
    const schema = z.object({
      email: email(),
      full_name: list.signup_ask_name
        ? optionalSingleLine("Name", LIMITS.name)
        : z
            .any()
            .optional()
            .transform(() => ""),
    });
    const errors: Record<string, string> = {};
    const parsed = schema.safeParse(input);
    if (!parsed.success) Object.assign(errors, fieldErrorsOf(parsed.error));
    const values: Record<string, StoredValue> = {};
    for (const f of fields) {
      const name = `field_${f.key}`;
      const v = parseFieldValue(f.type, f.label, input[name]);
      if (!v.ok) errors[name] = v.message;
      else if (v.value) values[f.key] = v.value;
    }
    if (!parsed.success || Object.keys(errors).length > 0) throw new ValidationError(errors);
    if (typeof input.website === "string" && input.website !== "") return; // the honeypot: a robot
    const now = this.clock.now();
    const emailNormalized = normalizeEmail(parsed.data.email);
    const repo = new SignupRepository(this.database.db);
    const hourAgo = iso(new Date(now.getTime() - 3_600_000));
    if ((await repo.recentFor(list.id, emailNormalized, hourAgo)) >= PER_ADDRESS_PER_HOUR) return;
    const token = randomBytes(32).toString("base64url");
    const link = `${this.base()}/subscribe/${encodeURIComponent(list.slug)}/confirm?token=${token}`;
    await this.database.db.transaction().execute(async (tx) => {
      await new SignupRepository(tx).insert({
        list_id: list.id,
        email: parsed.data.email,
        email_normalized: emailNormalized,
        full_name: parsed.data.full_name,
        fields: JSON.stringify(values),
        token_hash: hash(token),
        ip: ip.slice(0, 64),
        created_at: iso(now),
        expires_at: iso(new Date(now.getTime() + TOKEN_TTL_MS)),
      });
      await new AccountEmailsRepository(tx).enqueue(
        {
          userId: null,
          to: parsed.data.email,
          ...signupConfirmEmail(list.name, link, locale),
        },
        iso(now),
      );
    });
  }

  /** The signup behind a link, for the confirmation page (a link scanner's GET changes nothing). */
  async pending(slug: string, token: unknown): Promise<{ list: List; confirmed: boolean }> {
    const { list } = await this.form(slug);
    const signup = await this.find(list, token);
    return { list, confirmed: signup.confirmed_at !== null };
  }

  /** Confirms a signup: the recipient is created or found, gets the fields, and joins the list. Idempotent. */
  async confirm(slug: string, token: unknown, ip: string): Promise<ConfirmResult> {
    const { list, fields } = await this.form(slug);
    const signup = await this.find(list, token);
    const result = { list, redirect: list.signup_redirect_url };
    if (signup.confirmed_at) return result;
    const now = iso(this.clock.now());
    await this.database.db.transaction().execute(async (tx) => {
      const repo = new SignupRepository(tx);
      const { recipient } = await repo.findOrCreateRecipient(
        list.owner_id,
        { email: signup.email, email_normalized: signup.email_normalized, full_name: signup.full_name },
        now,
      );
      if (!(await repo.confirm(signup.id, now, ip.slice(0, 64), recipient.id))) return;
      await subscriberConfirmed(
        tx,
        { ownerId: list.owner_id, email: signup.email, recipientId: recipient.id, listId: list.id },
        this.clock.now(),
      );
      const given = JSON.parse(signup.fields) as Record<string, StoredValue>;
      await new CustomFieldsRepository(tx).write(
        fields
          .filter((f) => given[f.key])
          .map((f) => ({ recipientId: recipient.id, fieldId: f.id, value: given[f.key]! })),
      );
      await repo.addMember(list.id, recipient.id, now);
    });
    await this.options.changed?.(list.owner_id);
    return result;
  }

  private async find(list: List, token: unknown) {
    const invalid = new ValidationError({
      token: "This confirmation link is not valid or has expired. Subscribe again to get a new one.",
    });
    if (typeof token !== "string" || !TOKEN_FORMAT.test(token)) throw invalid;
    const signup = await new SignupRepository(this.database.db).findByToken(hash(token));
    if (!signup || signup.list_id !== list.id) throw invalid;
    if (!signup.confirmed_at && Date.parse(signup.expires_at) < this.clock.now().getTime()) throw invalid;
    return signup;
  }
}
