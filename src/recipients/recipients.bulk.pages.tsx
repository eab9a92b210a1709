/**
 * The recipients page's bulk actions: the first post says what will happen to how many recipients and asks
 * to confirm; the confirmed post does it (or sends the CSV). Bad input goes back to the filtered list.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { formatNumber } from "../i18n/index.js";
import { ValidationError } from "../shared/errors.js";
import { CsrfField, PageHeader, withQuery } from "../web/components.js";
import { redirectWith, requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import type { BulkPreview } from "./recipients.bulk.js";

function sentence(ctx: ViewContext, p: BulkPreview): string {
  const values = { count: p.count, n: formatNumber(ctx.locale, p.count), list: p.list?.name ?? "" };
  switch (p.input.action) {
    case "add_to_list":
      return ctx.t("recipients.bulk.add", values);
    case "remove_from_list":
      return ctx.t("recipients.bulk.remove", values);
    case "delete":
      return ctx.t("recipients.bulk.delete", values);
    case "export":
      return ctx.t("recipients.bulk.export", values);
  }
}

function confirmPage(ctx: ViewContext, p: BulkPreview, back: string) {
  const { input } = p;
  const danger = input.action === "delete";
  const t = ctx.t;
  return renderPage(
    ctx,
    sentence(ctx, p),
    <>
      <PageHeader title={sentence(ctx, p)} />
      <div class={`card ${danger ? "border-danger" : ""}`}>
        <div class="card-body">
          <p>
            {input.scope === "matching" ? t("recipients.bulk.matching") : t("recipients.bulk.ticked")}{" "}
            {danger && t("recipients.bulk.deleteWarning")}
          </p>
          <form method="post" action="/recipients/bulk/confirm" class="d-flex gap-2">
            <CsrfField token={ctx.csrfToken} />
            <input type="hidden" name="action" value={input.action} />
            <input type="hidden" name="scope" value={input.scope} />
            <input type="hidden" name="q" value={input.q} />
            <input type="hidden" name="list" value={input.list === undefined ? "" : String(input.list)} />
            <input
              type="hidden"
              name="target_list"
              value={input.target_list === undefined ? "" : String(input.target_list)}
            />
            {input.scope === "ticked" &&
              input.ids.map((id) => <input type="hidden" name="ids" value={String(id)} />)}
            <button type="submit" class={`btn ${danger ? "btn-danger" : "btn-primary"}`}>
              {danger
                ? t("recipients.bulk.deleteButton")
                : input.action === "export"
                  ? t("recipients.bulk.download")
                  : t("recipients.bulk.confirm")}
            </button>
            <a class="btn btn-outline-secondary" href={back}>
              {t("common.cancel")}
            </a>
          </form>
        </div>
      </div>
    </>,
  );
}

/** Back to the list as it was filtered. */
function backTo(body: Record<string, unknown>): string {
  const str = (v: unknown) => (typeof v === "string" ? v.slice(0, 200) : undefined);
  return withQuery("/recipients", { q: str(body.q), list: str(body.list) });
}

export function recipientBulkRoutes(app: FastifyInstance, services: Services): void {
  const { recipientBulk } = services;

  app.post("/recipients/bulk", async (req, reply) => {
    const user = requireUser(req);
    const body = formBody(req);
    try {
      const preview = await recipientBulk.preview(user, body);
      return sendPage(reply, confirmPage(viewContext(req, reply), preview, backTo(body)));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return redirectWith(reply, backTo(body), "danger", Object.values(error.fieldErrors).join(" "));
    }
  });

  app.post("/recipients/bulk/confirm", async (req, reply) => {
    const user = requireUser(req);
    const body = formBody(req);
    try {
      if (body.action === "export") {
        const { input } = await recipientBulk.preview(user, body);
        const date = new Date().toISOString().slice(0, 10);
        return reply
          .type("text/csv; charset=utf-8")
          .header("content-disposition", `attachment; filename="recipients-${date}.csv"`)
          .header("cache-control", "no-store")
          .send(
            services.recipientExport.stream(user, {
              bom: true,
              ...(input.scope === "ticked"
                ? { ids: input.ids }
                : { filter: { q: input.q, list: input.list } }),
            }),
          );
      }
      const message = await recipientBulk.apply(user, body);
      return redirectWith(reply, backTo(body), "success", message);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return redirectWith(reply, backTo(body), "danger", Object.values(error.fieldErrors).join(" "));
    }
  });
}
