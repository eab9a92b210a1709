/**
 * One webhook POST: to an address checked by the SSRF guard at connect time, with a deadline for the whole
 * exchange (10 s by default), no redirect followed (a 3xx is a failure like any non-2xx), and at most
 * EXCERPT_BYTES of the response kept (the rest is not read: the socket is closed).
 */
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { WebhookOutcome } from "../db/schema.js";
import { guardedLookup, isPrivateAddress } from "./address-guard.js";

export const EXCERPT_BYTES = 4096;

export interface PostResult {
  outcome: WebhookOutcome;
  statusCode: number | null;
  excerpt: string;
  error: string | null;
  durationMs: number;
}

export interface PostOptions {
  timeoutMs: number;
  allowPrivate: boolean;
  /** Aborts the request (the dispatcher stopping): it ends at once as a connection failure. */
  signal?: AbortSignal;
}

export function postWebhook(
  url: string,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<PostResult> {
  const started = performance.now();
  const done = (r: Omit<PostResult, "durationMs">): PostResult => ({
    ...r,
    durationMs: Math.round(performance.now() - started),
  });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve(done({ outcome: "refused", statusCode: null, excerpt: "", error: "Invalid URL" }));
    }
    const host = target.hostname.replace(/^\[|\]$/g, "");
    // An IP literal is connected to without a lookup: check it here.
    if (!options.allowPrivate && isIP(host) && isPrivateAddress(host)) {
      return resolve(
        done({
          outcome: "refused",
          statusCode: null,
          excerpt: "",
          error: `${host} is a private or local address`,
        }),
      );
    }
    const client = target.protocol === "https:" ? https : target.protocol === "http:" ? http : null;
    if (!client)
      return resolve(done({ outcome: "refused", statusCode: null, excerpt: "", error: "Not http(s)" }));
    let settled = false;
    const finish = (r: Omit<PostResult, "durationMs">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(done(r));
    };
    const request = client.request(target, {
      method: "POST",
      headers: {
        ...headers,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "PostPilot-Webhooks/1",
      },
      lookup: guardedLookup(options.allowPrivate),
      agent: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const timer = setTimeout(() => {
      finish({
        outcome: "timeout",
        statusCode: null,
        excerpt: "",
        error: `No answer within ${options.timeoutMs} ms`,
      });
      request.destroy();
    }, options.timeoutMs);
    request.on("error", (error: Error & { code?: string }) => {
      const refused = error.code === "EWEBHOOKREFUSED";
      finish({
        outcome: refused ? "refused" : "connection",
        statusCode: null,
        excerpt: "",
        error: error.message,
      });
    });
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const complete = () => {
        const code = response.statusCode ?? 0;
        const excerpt = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString("utf8");
        finish({
          outcome: code >= 200 && code < 300 ? "ok" : "http_error",
          statusCode: code,
          excerpt,
          error: null,
        });
        response.destroy();
      };
      response.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= EXCERPT_BYTES) complete();
      });
      response.on("end", complete);
      response.on("error", complete);
    });
    request.end(body);
  });
}
