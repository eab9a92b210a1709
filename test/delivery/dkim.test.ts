import { createPrivateKey } from "node:crypto";
import DKIM from "nodemailer/lib/dkim";
import { describe, expect, it } from "vitest";
import {
  dkimRecordName,
  dkimSigner,
  dkimTxtRecord,
  generateDkimKey,
  SIGNED_HEADERS,
} from "../../src/delivery/dkim.js";
import { prepareMessage } from "../../src/delivery/message.js";
import { signedHeaders, verifyDkim } from "../helpers/dkim.js";

const DOMAIN = "postpilot.test";
const SELECTOR = "s2026";
const key = generateDkimKey();
const records = { [dkimRecordName(DOMAIN, SELECTOR)]: key.txt };
const sut = dkimSigner({ domain: DOMAIN, selector: SELECTOR, privateKey: key.privateKey });

async function copy(body = "Hello,\n\nthis is the news.\n", subject = "News of the month") {
  const prepared = await prepareMessage({
    from: `PostPilot <news@${DOMAIN}>`,
    subject,
    body,
    date: new Date("2026-12-01T10:00:00Z"),
  });
  return prepared.forRecipient("reader@example.com", `postpilot.1.2@${DOMAIN}`);
}

/** A copy with the per-recipient unsubscribe headers, stamped the way forRecipient stamps To. */
function withUnsubscribe(raw: Buffer): Buffer {
  const headers = [
    "List-Unsubscribe: <https://postpilot.test/u/abc123>, <mailto:unsubscribe@postpilot.test?subject=abc123>",
    "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
    "List-Id: News <news.postpilot.test>",
  ];
  return Buffer.concat([Buffer.from(`${headers.join("\r\n")}\r\n`), raw]);
}

const tamper = (raw: Buffer, from: string, to: string) =>
  Buffer.from(raw.toString("latin1").replace(from, to), "latin1");

describe(dkimSigner.name, () => {
  it("signs a copy so that it verifies against the TXT record dkim-keygen prints", async () => {
    const signed = sut(await copy());

    expect(signed.toString().startsWith("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")).toBe(true);
    expect(await verifyDkim(signed, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
    expect(signedHeaders(signed)).toEqual([
      "from",
      "to",
      "subject",
      "date",
      "message-id",
      "mime-version",
      "content-type",
    ]);
  });

  it("covers List-Unsubscribe, List-Unsubscribe-Post and List-Id when the copy has them", async () => {
    const signed = sut(withUnsubscribe(await copy()));

    expect(await verifyDkim(signed, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
    expect(signedHeaders(signed)).toEqual(
      expect.arrayContaining(["list-unsubscribe", "list-unsubscribe-post", "list-id"]),
    );
    const changed = tamper(signed, "u/abc123>", "u/evil>");
    expect((await verifyDkim(changed, records))[0]?.status).toBe("fail");
  });

  it("fails once the Subject or the body is changed", async () => {
    const signed = sut(withUnsubscribe(await copy()));

    expect(
      (await verifyDkim(tamper(signed, "News of the month", "News of the week"), records))[0]?.status,
    ).toBe("fail");
    // mailauth calls a body that no longer matches bh= "neutral" (body hash did not verify).
    expect(
      (await verifyDkim(tamper(signed, "this is the news", "this is fake news"), records))[0]?.status,
    ).not.toBe("pass");
  });

  it("signs encoded subjects and bodies (UTF-8, long lines, trailing blank lines and spaces)", async () => {
    const body = `Grüße,  \n\n${"ein langer Absatz mit Umlauten äöü ".repeat(40)}\n\t\n\n\n`;
    const signed = sut(await copy(body, "Neuigkeiten für Dezember 🎄"));

    expect(await verifyDkim(signed, records)).toEqual([{ status: "pass", domain: DOMAIN }]);
  });

  it("produces the same bytes as nodemailer's DKIM stream signer", async () => {
    const raw = withUnsubscribe(await copy("Hello  \n\n  spaced   out\t\n\n\n"));
    const stream = new DKIM({
      domainName: DOMAIN,
      keySelector: SELECTOR,
      privateKey: createPrivateKey(key.privateKey),
      headerFieldNames: SIGNED_HEADERS,
    }).sign(raw);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);

    expect(sut(raw).equals(Buffer.concat(chunks))).toBe(true);
  });

  it("publishes the public half of the key", () => {
    expect(dkimTxtRecord(key.privateKey)).toBe(key.txt);
    expect(key.txt).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/]+=*$/);
    expect(createPrivateKey(key.privateKey).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
