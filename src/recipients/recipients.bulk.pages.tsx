/**
 * The recipients page's bulk actions: the first post says what will happen to how many recipients and asks
 * to confirm; the confirmed post does it (or sends the CSV). Bad input goes back to the filtered list.
 */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import { ValidationError } from "../shared/errors.js";
import { CsrfField, PageHeader, withQuery } from "../web/components.js";
import { redirectWith, requireUser, sendPage, type ViewContext, viewContext } from "../web/context.js";
import { formBody } from "../web/forms.js";
import { renderPage } from "../web/layout.js";
import type { BulkPreview } from "./recipients.bulk.js";

function sentence(p: BulkPreview): string {
  const n = `${p.count.toLocaleString("en-US")} recipient${p.count === 1 ? "" : "s"}`;
  switch (p.input.action) {
    case "add_to_list":
      return `Add ${n} to “${p.list!.name}”?`;
    case "remove_from_list":
      return `Remove ${n} from “${p.list!.name}”?`;
    case "delete":
      return `Delete ${n}?`;
    case "export":
      return `Export ${n} as CSV?`;
  }
}

function confirmPage(ctx: ViewContext, p: BulkPreview, back: string) {
  const { input } = p;
  const danger = input.action === "delete";
  return renderPage(
    ctx,
    sentence(p),
    <>
      <PageHeader title={sentence(p)} />
      <div class={`card ${danger ? "border-danger" : ""}`}>
        <div class="card-body">
          <p>
            {input.scope === "matching"
              ? "Every recipient matching your filter, on every page."
              : "The recipients you ticked."}{" "}
            {danger && "They are deleted permanently and removed from every list and mailing."}
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
              {danger ? "Delete" : input.action === "export" ? "Download CSV" : "Confirm"}
            </button>
            <a class="btn btn-outline-secondary" href={back}>
              Cancel
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
