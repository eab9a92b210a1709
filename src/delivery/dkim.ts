/**
 * DKIM: signs a finished RFC 5322 message (relaxed/relaxed, rsa-sha256) and makes the key pair and DNS
 * record for `postpilot dkim-keygen`. Pure: the key comes in as a PEM string; no files, no DNS.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import sign from "nodemailer/lib/dkim/sign";

/** Signs one finished message: returns it with a DKIM-Signature header in front. */
export type MessageSigner = (raw: Buffer) => Buffer;

export interface DkimKey {
  domain: string;
  selector: string;
  /** PEM (PKCS#8 or PKCS#1) RSA private key. */
  privateKey: string;
}

/**
 * The headers covered, whichever of them a message has. List-Unsubscribe-Post must be signed for RFC 8058
 * one-click unsubscribe to be honoured.
 */
export const SIGNED_HEADERS = [
  "From",
  "To",
  "Subject",
  "Date",
  "Message-ID",
  "MIME-Version",
  "Content-Type",
  "List-Unsubscribe",
  "List-Unsubscribe-Post",
  "List-Id",
].join(":");

/**
 * A signer for one key. The PEM is parsed once, here: parsing it costs about three times the RSA signature
 * itself, which is why this calls nodemailer's header signer directly with a KeyObject instead of its
 * stream DKIM class or mailauth's dkimSign (those take ~1.5 ms a message with a PEM, see the README).
 */
export function dkimSigner(key: DkimKey): MessageSigner {
  const privateKey = privateKeyFrom(key.privateKey);
  return (raw) => {
    const split = headerEnd(raw);
    const head = raw.subarray(0, split);
    const bodyHash = createHash("sha256")
      .update(relaxedBody(raw.subarray(split)))
      .digest("base64");
    const field = sign(headerLines(head), "sha256", bodyHash, {
      domainName: key.domain,
      keySelector: key.selector,
      privateKey,
      headerFieldNames: SIGNED_HEADERS,
    });
    if (!field) throw new Error("DKIM signing failed");
    return Buffer.concat([Buffer.from(`${field}\r\n`, "latin1"), raw]);
  };
}

/**
 * Signs with the key of the message's From domain when one is configured (a sender identity on another
 * domain, its key made by `dkim-keygen --domain` into the same folder), else with the main key (DKIM_DOMAIN).
 */
export function signerByFromDomain(main: DkimKey, others: DkimKey[]): MessageSigner {
  const byDomain = new Map<string, MessageSigner>();
  for (const key of others)
    if (!byDomain.has(key.domain.toLowerCase())) byDomain.set(key.domain.toLowerCase(), dkimSigner(key));
  const fallback = dkimSigner(main);
  byDomain.set(main.domain.toLowerCase(), fallback);
  return (raw) => {
    const head = raw.subarray(0, headerEnd(raw)).toString("latin1");
    const from = /^From:[^\r\n]*(?:\r\n[ \t][^\r\n]*)*/im.exec(head)?.[0] ?? "";
    const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.replace(/\r\n[ \t]/g, " "))?.[1]?.toLowerCase() ?? "";
    return (byDomain.get(domain) ?? fallback)(raw);
  };
}

/** Parses a PEM private key and checks it is RSA (rsa-sha256); throws a message meant for people. */
export function privateKeyFrom(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch {
    throw new Error("is not a PEM private key");
  }
  if (key.asymmetricKeyType !== "rsa")
    throw new Error(`is a ${key.asymmetricKeyType} key; DKIM here needs RSA`);
  return key;
}

/** A new 2048-bit RSA key pair: the private key as PKCS#8 PEM, and the TXT record that publishes it. */
export function generateDkimKey(): { privateKey: string; txt: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "der" },
  });
  return { privateKey, txt: `v=DKIM1; k=rsa; p=${publicKey.toString("base64")}` };
}

/** The TXT record for a private key already on disk. */
export function dkimTxtRecord(pem: string): string {
  const der = createPublicKey(privateKeyFrom(pem)).export({ type: "spki", format: "der" });
  return `v=DKIM1; k=rsa; p=${der.toString("base64")}`;
}

/** Where the record lives in DNS. */
export function dkimRecordName(domain: string, selector: string): string {
  return `${selector}._domainkey.${domain}`;
}

/** Where the blank line is: the header block includes its last CRLF, the body starts after the blank line. */
function headerEnd(raw: Buffer): number {
  const at = raw.indexOf("\r\n\r\n");
  return at < 0 ? raw.length : at + 2;
}

/** The header block as nodemailer's signer wants it: one entry per field, folded lines kept together. */
function headerLines(head: Buffer): { key: string; line: string }[] {
  const lines: { key: string; line: string }[] = [];
  for (const line of head.toString("latin1").split("\r\n")) {
    if (line === "") continue;
    const last = lines.at(-1);
    if (/^[ \t]/.test(line) && last) last.line += `\r\n${line}`;
    else lines.push({ key: line.slice(0, line.indexOf(":")).trim().toLowerCase(), line });
  }
  return lines;
}

/**
 * Relaxed body canonicalisation (RFC 6376 3.4.4): whitespace runs become one space, trailing whitespace
 * goes, empty lines at the end go, and a non-empty body ends with one CRLF.
 */
function relaxedBody(body: Buffer): Buffer {
  // The blank line separating head and body is not part of the body.
  const text = body.subarray(2).toString("latin1");
  const lines = text.split("\r\n").map((line) => line.replace(/[ \t]+/g, " ").replace(/ $/, ""));
  while (lines.length > 0 && lines.at(-1) === "") lines.pop();
  return Buffer.from(lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`, "latin1");
}
