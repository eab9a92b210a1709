/**
 * Conditional GETs for pages that may be cached: a weak ETag from the page's content and a 304 when the
 * browser already has it. The CSRF token (a new one each render, and every issued one stays valid) is
 * left out of the hash, so a signed-in user's unchanged page still matches.
 */
import { createHash } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export function sendCacheable(
  req: FastifyRequest,
  reply: FastifyReply,
  html: string,
  cacheControl: { public: string },
): FastifyReply {
  const stable = html.replace(/name="_csrf" value="[^"]*"/g, "");
  const etag = `W/"${createHash("sha256").update(stable).digest("base64url").slice(0, 27)}"`;
  // Signed-in pages show the user's name: only the browser may keep them, and must ask again each time.
  // Signed out, the page's language follows Accept-Language, so a shared cache must keep one per language.
  reply
    .header("cache-control", req.user ? "private, no-cache" : cacheControl.public)
    .header("vary", "Cookie, Accept-Language")
    .header("etag", etag);
  const match = req.headers["if-none-match"];
  if (match?.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*")) {
    return reply.code(304).send();
  }
  return reply.code(200).type("text/html; charset=utf-8").send(html);
}
