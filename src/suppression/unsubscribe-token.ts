/**
 * Unsubscribe tokens: base64url(delivery id) + "." + the first 16 bytes of HMAC-SHA256(key, "unsubscribe:" +
 * id), base64url. Unguessable without the key, tied to one delivery, nothing stored; checked in constant time.
 * The key is the `unsubscribe-secret` file in DATA_DIR, which the web app and every worker read.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const MAC_BYTES = 16;

export class UnsubscribeTokens {
  /** `purpose` keeps tokens for different uses apart (an unsubscribe token never opens a hosted copy). */
  constructor(
    private readonly key: string,
    private readonly purpose = "unsubscribe",
  ) {
    if (key.length < 32) throw new Error("The unsubscribe key must be at least 32 characters");
  }

  tokenFor(deliveryId: number): string {
    const id = Buffer.from(String(deliveryId)).toString("base64url");
    return `${id}.${this.mac(deliveryId).toString("base64url")}`;
  }

  /** The delivery id a token names, or null when it is malformed or its MAC is wrong. */
  verify(token: string): number | null {
    const match = /^([A-Za-z0-9_-]{1,16})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (!match) return null;
    const idText = Buffer.from(match[1]!, "base64url").toString();
    if (!/^[1-9][0-9]{0,14}$/.test(idText)) return null;
    const id = Number(idText);
    const given = Buffer.from(match[2]!, "base64url");
    const expected = this.mac(id);
    return given.length === expected.length && timingSafeEqual(given, expected) ? id : null;
  }

  private mac(deliveryId: number): Buffer {
    return createHmac("sha256", this.key)
      .update(`${this.purpose}:${deliveryId}`)
      .digest()
      .subarray(0, MAC_BYTES);
  }
}

/** The unsubscribe key: generated on first start and kept in the data folder (like the session secret). */
export function unsubscribeSecret(dataDir: string): string {
  const file = path.join(dataDir, "unsubscribe-secret");
  if (existsSync(file)) {
    const secret = readFileSync(file, "utf8").trim();
    if (secret.length >= 32) return secret;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  // wx: two processes starting at once must not each write a different key; the loser reads the winner's.
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
    return secret;
  } catch {
    return readFileSync(file, "utf8").trim();
  }
}
