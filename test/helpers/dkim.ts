/** DKIM verification for tests: mailauth's dkimVerify with a stub DNS holding the given TXT records. */
import { dkimVerify } from "mailauth";

/** TXT records by name, as `dkim-keygen` prints them (one value each). */
export type TxtRecords = Record<string, string>;

/** DNS splits a long TXT value into strings of at most 255 characters; the verifier joins them. */
function stubResolver(records: TxtRecords) {
  return async (name: string, type: string): Promise<string[][]> => {
    const value = type === "TXT" ? records[name.toLowerCase()] : undefined;
    if (value === undefined)
      throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
    return [value.match(/.{1,255}/g) ?? []];
  };
}

/** The result of each DKIM signature of the message ("pass", "fail", "neutral", …) and its domain. */
export async function verifyDkim(raw: Buffer | string, records: TxtRecords) {
  const { results } = await dkimVerify(Buffer.from(raw), { resolver: stubResolver(records) });
  return results.map((r) => ({ status: r.status.result, domain: r.signingDomain }));
}

/** The h= tag of the message's DKIM-Signature: the header names it covers, lower case. */
export function signedHeaders(raw: Buffer | string): string[] {
  const text = Buffer.from(raw).toString("latin1");
  const field = /^DKIM-Signature:(.*(?:\r\n[ \t].*)*)/im.exec(text)?.[1] ?? "";
  const h = /\bh=([^;]*)/.exec(field.replace(/\r\n[ \t]/g, ""))?.[1] ?? "";
  return h
    .split(":")
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
}
