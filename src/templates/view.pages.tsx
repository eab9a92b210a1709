/**
 * GET /v/:token: a delivery's hosted copy, without login. The author's HTML is served sandboxed (no
 * scripts, nothing loaded but inline styles and images); a plain-text message as text. A link that
 * leads nowhere says so in the reader's language (Accept-Language: nobody is signed in here).
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { translator } from "../i18n/index.js";
import { requestLocale } from "../web/context.js";

const SANDBOX = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:";

export function viewRoutes(app: FastifyInstance, services: Services): void {
  app.get("/v/:token", async (req, reply) => {
    const { token } = req.params as { token: string };
    const copy = await services.view.copyOf(token);
    reply.header("cache-control", "private, no-store").header("content-security-policy", SANDBOX);
    reply.header("x-robots-tag", "noindex");
    if (!copy) {
      return reply
        .code(404)
        .type("text/plain; charset=utf-8")
        .send(translator(requestLocale(req))("view.invalid"));
    }
    if (copy.html === null)
      return reply.type("text/plain; charset=utf-8").send(`${copy.subject}\n\n${copy.text}`);
    return reply.type("text/html; charset=utf-8").send(copy.html);
  });
}
