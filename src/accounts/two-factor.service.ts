/**
 * Optional two-factor sign-in with TOTP (RFC 6238, otplib): set up with a secret shown once, turned on by a
 * first valid code, which also makes 10 one-time recovery codes (only their SHA-256 is kept). A code is
 * accepted within one 30-second step either way and only once (totp_last_step, compare-and-set). Admins
 * cannot turn it off when REQUIRE_ADMIN_2FA is set.
 */
import { randomBytes } from "node:crypto";
import { generateSecret, generateURI, verify } from "otplib";
import type { Database } from "../db/database.js";
import type { User } from "../db/schema.js";
import type { Actor } from "../shared/actor.js";
import { ConflictError, NotFoundError, ValidationError } from "../shared/errors.js";
import { type Clock, iso, systemClock } from "../shared/time.js";
import { parseInput } from "../shared/validation.js";
import { hashToken } from "./accounts.service.js";
import { verifyPassword } from "./password.js";
import { disableSchema, enableSchema, secondFactorSchema } from "./two-factor.schemas.js";

export const RECOVERY_CODES = 10;
const STEP_SECONDS = 30;
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

export interface TwoFactorSetup {
  secret: string;
  uri: string;
}

export class TwoFactorService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock = systemClock,
    private readonly requireForAdmins = false,
  ) {}

  /** Whether this user must turn on two-factor sign-in before doing anything else. */
  mustEnable(user: User): boolean {
    return this.requireForAdmins && user.role === "admin" && !user.totp_enabled_at;
  }

  /** A new secret, kept until a first code turns it on (until then login does not ask for codes). */
  async start(actor: Actor): Promise<TwoFactorSetup> {
    const user = await this.user(actor);
    if (user.totp_enabled_at) throw new ConflictError("Two-factor sign-in is already on.");
    const secret = generateSecret();
    await this.database.db
      .updateTable("users")
      .set({ totp_secret: secret, updated_at: iso(this.clock.now()) })
      .where("id", "=", user.id)
      .execute();
    return { secret, uri: this.uri(user, secret) };
  }

  /** The setup in progress (secret and link to show again), or null. */
  async pending(actor: Actor): Promise<TwoFactorSetup | null> {
    const user = await this.user(actor);
    if (user.totp_enabled_at || !user.totp_secret) return null;
    return { secret: user.totp_secret, uri: this.uri(user, user.totp_secret) };
  }

  /** Turns it on with a first valid code; returns the recovery codes, shown once. */
  async enable(actor: Actor, input: unknown): Promise<string[]> {
    const { code } = parseInput(enableSchema, input);
    const user = await this.user(actor);
    if (user.totp_enabled_at) throw new ConflictError("Two-factor sign-in is already on.");
    if (!user.totp_secret) throw new ValidationError({ code: "Start the setup first." });
    const step = await this.validStep(user.totp_secret, code);
    if (step === null)
      throw new ValidationError({ code: "That code is not right. Check the time on your phone." });
    const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
    const now = iso(this.clock.now());
    await this.database.db.transaction().execute(async (tx) => {
      await tx
        .updateTable("users")
        .set({ totp_enabled_at: now, totp_last_step: step, updated_at: now })
        .where("id", "=", user.id)
        .execute();
      await tx.deleteFrom("recovery_codes").where("user_id", "=", user.id).execute();
      await tx
        .insertInto("recovery_codes")
        .values(
          codes.map((c) => ({ user_id: user.id, code_hash: hashToken(c), used_at: null, created_at: now })),
        )
        .execute();
    });
    return codes.map((c) => `${c.slice(0, 5)}-${c.slice(5)}`);
  }

  /** Turns it off (the password confirms it is the owner); refused for admins when it is required. */
  async disable(actor: Actor, input: unknown): Promise<void> {
    const { password } = parseInput(disableSchema, input);
    const user = await this.user(actor);
    if (this.requireForAdmins && user.role === "admin")
      throw new ConflictError("Two-factor sign-in is required for admins on this server.");
    if (!(await verifyPassword(user.password_hash, password)))
      throw new ValidationError({ password: "Wrong password." });
    await this.database.db.transaction().execute(async (tx) => {
      await tx
        .updateTable("users")
        .set({
          totp_secret: null,
          totp_enabled_at: null,
          totp_last_step: null,
          updated_at: iso(this.clock.now()),
        })
        .where("id", "=", user.id)
        .execute();
      await tx.deleteFrom("recovery_codes").where("user_id", "=", user.id).execute();
    });
  }

  async recoveryCodesLeft(actor: Actor): Promise<number> {
    const row = await this.database.db
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("user_id", "=", actor.id)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The second step of a login: true when the code (TOTP or an unused recovery code) is right; it is used up. */
  async check(user: User, input: unknown): Promise<boolean> {
    const { code } = parseInput(secondFactorSchema, input);
    if (!user.totp_secret || !user.totp_enabled_at) return false;
    if (/^\d{6}$/.test(code)) {
      const step = await this.validStep(user.totp_secret, code);
      if (step === null) return false;
      // Compare-and-set: a code seen once (or an older one) is refused, even by two requests at once.
      const updated = await this.database.db
        .updateTable("users")
        .set({ totp_last_step: step })
        .where("id", "=", user.id)
        .where((eb) => eb.or([eb("totp_last_step", "is", null), eb("totp_last_step", "<", step)]))
        .executeTakeFirst();
      return Number(updated.numUpdatedRows) === 1;
    }
    const used = await this.database.db
      .updateTable("recovery_codes")
      .set({ used_at: iso(this.clock.now()) })
      .where("user_id", "=", user.id)
      .where("code_hash", "=", hashToken(code))
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(used.numUpdatedRows) === 1;
  }

  private async validStep(secret: string, token: string): Promise<number | null> {
    const epoch = Math.floor(this.clock.now().getTime() / 1000);
    try {
      const result = await verify({ secret, token, epoch, epochTolerance: STEP_SECONDS });
      return result.valid ? Math.floor(epoch / STEP_SECONDS) + (result.delta ?? 0) : null;
    } catch {
      return null;
    }
  }

  private uri(user: User, secret: string): string {
    return generateURI({ issuer: "PostPilot", label: user.email, secret });
  }

  private async user(actor: Actor): Promise<User> {
    const user = await this.database.db
      .selectFrom("users")
      .selectAll()
      .where("id", "=", actor.id)
      .executeTakeFirst();
    if (!user) throw new NotFoundError("Account not found");
    return user;
  }
}

function recoveryCode(): string {
  const bytes = randomBytes(10);
  return Array.from(bytes, (b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join("");
}
