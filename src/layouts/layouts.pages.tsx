/**
 * Layout pages: list (own and shared), detail with a preview, new, edit, delete; and the preview itself,
 * the user's HTML rendered around sample content and served on its own route under a sandboxing CSP, so
 * nothing in it runs or reaches PostPilot's pages (the pages show it only in `<iframe sandbox>`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "../container.js";
import type { Layout } from "../db/schema.js";
import { translateMessage, translator } from "../i18n/index.js";
import { ConflictError } from "../shared/errors.js";
import type { FormState } from "../web/components.js";
import { idParam, redirectWith, requestLocale, requireUser, sendPage, viewContext } from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { type LayoutPreview, previewLayout, type SampleWords } from "./layout-preview.js";
import { LAYOUT_LIMITS } from "./layouts.schemas.js";
import { deletePage, detailPage, formPage, listPage } from "./layouts.views.js";

/**
 * The preview's own policy: an opaque origin with no scripts, plugins, forms or top navigation (sandbox),
 * nothing fetched but inline styles and images (what an email client would show), framed only by our pages.
 */
export const PREVIEW_CSP =
  "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; frame-ancestors 'self'";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function note(lines: string[], tone: "muted" | "error"): string {
  const color = tone === "error" ? "#b91c1c" : "#6b7280";
  const items = lines.map((l) => `<p>${escapeHtml(l)}</p>`).join("");
  return `<!doctype html><meta charset="utf-8"><body style="font:14px/1.5 system-ui,sans-serif;color:${color};padding:16px">${items}</body>`;
}

function sendPreview(reply: FastifyReply, preview: LayoutPreview): FastifyReply {
  const locale = requestLocale(reply.request);
  const body =
    preview.html ??
    note(
      [translator(locale)("layouts.note.fix"), ...preview.problems.map((p) => translateMessage(locale, p))],
      "error",
    );
  return reply
    .code(200)
    .type("text/html; charset=utf-8")
    .header("content-security-policy", PREVIEW_CSP)
    .header("cache-control", "no-store")
    .send(body);
}

/** The sample message's words in the reader's language. */
function sampleWords(req: FastifyRequest): SampleWords {
  const t = translator(requestLocale(req));
  return {
    subject: t("layouts.sample.subject"),
    greeting: t("layouts.sample.greeting", { name: "{{ recipient.first_name }}" }),
    paragraph: t("layouts.sample.paragraph"),
    link: t("layouts.sample.link"),
  };
}

const field = (body: Record<string, unknown>, name: string, max: number) => {
  const v = body[name];
  return typeof v === "string" ? v.slice(0, max) : "";
};

const valuesOf = (l: Pick<Layout, "name" | "html" | "text">): FormState => ({
  values: { name: l.name, html: l.html, text: l.text },
  errors: {},
});

export function layoutRoutes(app: FastifyInstance, { layouts }: Services): void {
  app.get("/layouts", async (req, reply) => {
    const user = requireUser(req);
    return sendPage(reply, listPage(viewContext(req, reply), await layouts.list(user), user));
  });

  app.get("/layouts/new", async (req, reply) => {
    const user = requireUser(req);
    // A new layout starts as a copy of the built-in one: easier to change than to write from nothing.
    const builtin = (await layouts.list(user)).find((l) => l.builtin);
    const form = builtin
      ? valuesOf({ name: "", html: builtin.html, text: builtin.text })
      : { values: { text: "{{ content }}" }, errors: {} };
    return sendPage(reply, formPage(viewContext(req, reply), form));
  });

  app.post("/layouts/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const l = await layouts.create(user, formBody(req));
        return redirectWith(reply, `/layouts/${l.id}`, "success", "Layout created.");
      },
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  // The form's Preview button posts here, into the preview iframe: what is typed, not yet saved.
  app.post("/layouts/preview", async (req, reply) => {
    requireUser(req);
    const t = translator(requestLocale(req));
    const body = formBody(req);
    const html = field(body, "html", LAYOUT_LIMITS.html);
    const text = field(body, "text", LAYOUT_LIMITS.text);
    if (html.trim() === "")
      return sendPreview(reply, { html: note([t("layouts.note.empty")], "muted"), text: null, problems: [] });
    return sendPreview(
      reply,
      previewLayout({ html, text: text.trim() === "" ? "{{ content }}" : text }, sampleWords(req)),
    );
  });

  app.get("/layouts/preview", async (req, reply) => {
    requireUser(req);
    return sendPreview(reply, {
      html: note([translator(requestLocale(req))("layouts.note.press")], "muted"),
      text: null,
      problems: [],
    });
  });

  app.get("/layouts/:id", async (req, reply) => {
    const user = requireUser(req);
    const l = await layouts.get(user, idParam(req.params));
    const usage = await layouts.usage(user, l.id);
    return sendPage(
      reply,
      detailPage(viewContext(req, reply), l, user, previewLayout(l, sampleWords(req)), usage),
    );
  });

  app.get("/layouts/:id/preview", async (req, reply) => {
    const user = requireUser(req);
    return sendPreview(reply, previewLayout(await layouts.get(user, idParam(req.params)), sampleWords(req)));
  });

  app.get("/layouts/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const l = await layouts.editableBy(user, idParam(req.params));
    return sendPage(reply, formPage(viewContext(req, reply), valuesOf(l), l));
  });

  app.post("/layouts/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const l = await layouts.editableBy(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await layouts.update(user, l.id, formBody(req));
        return redirectWith(reply, `/layouts/${l.id}`, "success", "Layout saved.");
      },
      (form) => formPage(viewContext(req, reply), form, l),
    );
  });

  app.get("/layouts/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const l = await layouts.editableBy(user, idParam(req.params));
    const { count } = await layouts.usage(user, l.id);
    return sendPage(reply, deletePage(viewContext(req, reply), l, count));
  });

  app.post("/layouts/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const l = await layouts.editableBy(user, idParam(req.params));
    try {
      await layouts.delete(user, l.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const { count } = await layouts.usage(user, l.id);
      return sendPage(reply, deletePage(viewContext(req, reply), l, count, error.message), 409);
    }
    return redirectWith(reply, "/layouts", "success", `Layout “${l.name}” deleted.`);
  });
}
