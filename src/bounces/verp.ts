/**
 * VERP: with SMTP_RETURN_PATH=bounces@example.com, each mailing copy's envelope sender is
 * bounces+<token>@example.com, so a bounce names its delivery by the address it came back to, even when
 * it quotes nothing of the message. The token is the delivery id (base 36) and the first 10 bytes of
 * HMAC-SHA256(key, "verp:" + id) in hex: lower case only (some servers fold the local part's case),
 * unguessable without the key (the unsubscribe secret, with its own purpose prefix), nothing stored.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ReturnPath } from "../delivery/ports.js";

const MAC_BYTES = 10;
const TOKEN = /\+([0-9a-z]{1,11})-([0-9a-f]{20})@/i;

export class VerpTokens {
  constructor(private readonly key: string) {
    if (key.length < 32) throw new Error("The VERP key must be at least 32 characters");
  }

  tokenFor(deliveryId: number): string {
    return `${deliveryId.toString(36)}-${this.mac(deliveryId).toString("hex")}`;
  }

  /** The delivery an address such as bounces+<token>@example.com names, or null (no token, wrong MAC). */
  deliveryOf(address: string): number | null {
    const match = TOKEN.exec(address);
    if (!match) return null;
    const id = Number.parseInt(match[1]!.toLowerCase(), 36);
    if (!Number.isSafeInteger(id) || id < 1) return null;
    const given = Buffer.from(match[2]!.toLowerCase(), "hex");
    const expected = this.mac(id);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
  }

  private mac(deliveryId: number): Buffer {
    return createHmac("sha256", this.key).update(`verp:${deliveryId}`).digest().subarray(0, MAC_BYTES);
  }
}

/** The delivery engine's ReturnPath port: bounces@example.com → bounces+<token>@example.com per delivery. */
export function verpReturnPath(tokens: VerpTokens, address: string): ReturnPath {
  const at = address.lastIndexOf("@");
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  return { envelopeFor: (deliveryId) => `${local}+${tokens.tokenFor(deliveryId)}@${domain}` };
}
