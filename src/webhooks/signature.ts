/**
 * Webhook signatures, Stripe's scheme: X-PostPilot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 * "<t>.<body>")>. The timestamp is signed with the body, so a receiver can refuse old replays.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-PostPilot-Signature";
export const ID_HEADER = "X-PostPilot-Webhook-Id";

export function signatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/** Whether a header signs the body with the secret, within `toleranceS` of now (the README's snippet). */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  now: Date,
  toleranceS = 300,
): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now.getTime() / 1000 - t) > toleranceS || !parts.v1) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(parts.v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A new endpoint's secret: shown once, then only used to sign. */
export function newSecret(): string {
  return `whsec_${randomBytes(24).toString("base64url")}`;
}

export function newUid(prefix: "evt" | "bat"): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}
