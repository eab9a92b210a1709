/**
 * The delivery engine's UnsubscribeLinks port: each copy's one-click URL (PUBLIC_URL + /u/TOKEN), the
 * optional mailto (UNSUBSCRIBE_MAILTO) and the footer text for messages without the placeholder. The mailto
 * is per copy, unsubscribe+TOKEN@domain: mail arriving there (process-bounce, the IMAP poller) unsubscribes
 * that delivery's address (bounces/incoming.service.ts).
 */
import type { UnsubscribeLinks } from "../delivery/ports.js";
import { UnsubscribeTokens } from "./unsubscribe-token.js";

export const UNSUBSCRIBE_PATH = "/u/";

export interface UnsubscribeLinkOptions {
  key: string;
  /** PUBLIC_URL, or http://localhost:PORT when it is unset (fine for trying out, wrong for real sending). */
  baseUrl: string;
  mailto: string | undefined;
  footer: string;
}

export function unsubscribeLinks(options: UnsubscribeLinkOptions): UnsubscribeLinks {
  const tokens = new UnsubscribeTokens(options.key);
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    footer: options.footer,
    linksFor(deliveryId) {
      const token = tokens.tokenFor(deliveryId);
      return {
        url: `${base}${UNSUBSCRIBE_PATH}${token}`,
        mailto: options.mailto ? `mailto:${mailtoFor(options.mailto, token)}?subject=unsubscribe` : null,
      };
    },
  };
}

/** unsubscribe@example.com + TOKEN → unsubscribe+TOKEN@example.com (the token is a valid dot-atom). */
export function mailtoFor(address: string, token: string): string {
  const at = address.lastIndexOf("@");
  return `${address.slice(0, at)}+${token}${address.slice(at)}`;
}

const MAILTO_TOKEN = /\+([A-Za-z0-9_-]{1,16}\.[A-Za-z0-9_-]{22})@/;

/** The unsubscribe token in an address such as unsubscribe+TOKEN@example.com, or null. */
export function mailtoToken(address: string): string | null {
  return MAILTO_TOKEN.exec(address)?.[1] ?? null;
}
