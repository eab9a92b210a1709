/**
 * The delivery engine's UnsubscribeLinks port: each copy's one-click URL (PUBLIC_URL + /u/TOKEN), the
 * optional mailto (UNSUBSCRIBE_MAILTO) and the footer text for messages without the placeholder.
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
        mailto: options.mailto ? `mailto:${options.mailto}?subject=unsubscribe%20${token}` : null,
      };
    },
  };
}
