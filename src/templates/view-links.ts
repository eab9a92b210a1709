/**
 * "View in browser" links: PUBLIC_URL + /v/TOKEN, the token an HMAC of the delivery id under the same
 * data-folder key as unsubscribe tokens but another purpose, so neither opens the other's page.
 */
import { UnsubscribeTokens } from "../suppression/unsubscribe-token.js";

export const VIEW_PATH = "/v/";

export class ViewLinks {
  private readonly tokens: UnsubscribeTokens;
  private readonly base: string;

  constructor(key: string, baseUrl: string) {
    this.tokens = new UnsubscribeTokens(key, "view");
    this.base = baseUrl.replace(/\/+$/, "");
  }

  urlFor(deliveryId: number): string {
    return `${this.base}${VIEW_PATH}${this.tokens.tokenFor(deliveryId)}`;
  }

  /** The delivery a token names, or null. */
  verify(token: string): number | null {
    return this.tokens.verify(token);
  }
}
