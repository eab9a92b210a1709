/** Message pages: list (search, sort, pages), detail, create, edit, delete with confirmation. */
import type { FastifyInstance } from "fastify";
import type { Services } from "../container.js";
import type { Message } from "../db/schema.js";
import { ConflictError } from "../shared/errors.js";
import { LIMITS } from "../shared/fields.js";
import { formatInZone } from "../shared/time.js";
import {
  ActionsHeader,
  ConfirmForm,
  CsrfField,
  EmptyState,
  emptyForm,
  Field,
  FormAlert,
  type FormState,
  PageHeader,
  RowActions,
  SearchableList,
  SortHeader,
  TextArea,
} from "../web/components.js";
import {
  idParam,
  redirectWith,
  requireUser,
  sendPage,
  type ViewContext,
  viewContext,
} from "../web/context.js";
import { formBody, handleForm } from "../web/forms.js";
import { renderPage } from "../web/layout.js";

type ListResult = Awaited<ReturnType<Services["messages"]["list"]>>;
type MailingRef = { id: number; name: string };

function MailingLinks({ mailings }: { mailings: MailingRef[] }) {
  return (
    <ul class="mb-0">
      {mailings.map((m) => (
        <li>
          <a href={`/mailings/${m.id}`}>{m.name}</a>
        </li>
      ))}
    </ul>
  );
}

function listPage(ctx: ViewContext, result: ListResult, zone: string) {
  const { query } = result;
  return renderPage(
    ctx,
    "Messages",
    <>
      <PageHeader title="Messages">
        <a class="btn btn-primary" href="/messages/new">
          <i class="bi bi-plus-lg" aria-hidden="true" /> New message
        </a>
      </PageHeader>
      <SearchableList
        path="/messages"
        query={query}
        page={result}
        searchLabel="Search by subject or text"
        noMatch="No messages match your search"
        empty={
          <EmptyState icon="bi-envelope-paper" title="No messages yet">
            A message is the subject and text a mailing sends.{" "}
            <a href="/messages/new">Write your first message</a>.
          </EmptyState>
        }
        head={
          <>
            <SortHeader label="Subject" column="subject" path="/messages" query={query} />
            <SortHeader
              label="Created"
              column="created_at"
              path="/messages"
              query={query}
              class="d-none d-sm-table-cell"
            />
            <ActionsHeader />
          </>
        }
      >
        {result.items.map((m) => (
          <tr>
            <td class="text-truncate-cell">
              <a href={`/messages/${m.id}`}>{m.subject}</a>
            </td>
            <td class="text-nowrap d-none d-sm-table-cell">{formatInZone(m.created_at, zone)}</td>
            <RowActions base={`/messages/${m.id}`} label={m.subject} />
          </tr>
        ))}
      </SearchableList>
    </>,
  );
}

function formPage(ctx: ViewContext, form: FormState, message?: Message) {
  const title = message ? "Edit message" : "New message";
  return renderPage(
    ctx,
    title,
    <>
      <PageHeader title={title} />
      <div class="card">
        <div class="card-body">
          <FormAlert form={form} />
          <form method="post" action={message ? `/messages/${message.id}/edit` : "/messages/new"} novalidate>
            <CsrfField token={ctx.csrfToken} />
            <Field
              form={form}
              name="subject"
              label="Subject"
              required
              maxLength={LIMITS.subject}
              help="One line."
            />
            <TextArea
              form={form}
              name="body"
              label="Body"
              required
              maxLength={LIMITS.body}
              rows={12}
              help={
                <>
                  Plain text. Write <code>{"{{unsubscribe_url}}"}</code> where each recipient's unsubscribe
                  link should go; without it, a short unsubscribe line is added at the end.
                </>
              }
            />
            <div class="d-flex gap-2">
              <button type="submit" class="btn btn-primary">
                {message ? "Save changes" : "Create message"}
              </button>
              <a class="btn btn-outline-secondary" href={message ? `/messages/${message.id}` : "/messages"}>
                Cancel
              </a>
            </div>
          </form>
        </div>
      </div>
    </>,
  );
}

function detailPage(ctx: ViewContext, m: Message, mailings: MailingRef[], zone: string) {
  return renderPage(
    ctx,
    m.subject,
    <>
      <PageHeader title={m.subject}>
        <a class="btn btn-outline-primary" href={`/messages/${m.id}/edit`}>
          <i class="bi bi-pencil" aria-hidden="true" /> Edit
        </a>
        <a class="btn btn-outline-danger" href={`/messages/${m.id}/delete`}>
          <i class="bi bi-trash" aria-hidden="true" /> Delete
        </a>
      </PageHeader>
      <p class="text-body-secondary">
        Created {formatInZone(m.created_at, zone)} · updated {formatInZone(m.updated_at, zone)}
      </p>
      <div class="card mb-3">
        <div class="card-body pre-wrap">{m.body}</div>
      </div>
      <h2 class="h5">Used by</h2>
      {mailings.length === 0 ? (
        <p class="text-body-secondary">No mailing sends this message yet.</p>
      ) : (
        <MailingLinks mailings={mailings} />
      )}
      <p class="mt-3">
        <a href="/messages">
          <i class="bi bi-arrow-left" aria-hidden="true" /> All messages
        </a>
      </p>
    </>,
  );
}

function deletePage(ctx: ViewContext, m: Message, mailings: MailingRef[], error?: string) {
  return renderPage(
    ctx,
    "Delete message",
    <>
      <PageHeader title={`Delete “${m.subject}”?`} />
      {error && (
        <div class="alert alert-danger" role="alert">
          {error}
        </div>
      )}
      {mailings.length > 0 ? (
        <div class="card border-warning">
          <div class="card-body">
            <p>
              This message cannot be deleted while mailings send it. Delete these mailings, or edit them to
              send another message, first:
            </p>
            <MailingLinks mailings={mailings} />
            <a class="btn btn-outline-secondary mt-3" href={`/messages/${m.id}`}>
              Back to the message
            </a>
          </div>
        </div>
      ) : (
        <ConfirmForm
          csrfToken={ctx.csrfToken}
          action={`/messages/${m.id}/delete`}
          cancelHref={`/messages/${m.id}`}
          button="Delete message"
        >
          <p class="mb-0">The message will be deleted permanently. No mailing uses it.</p>
        </ConfirmForm>
      )}
    </>,
  );
}

export function messageRoutes(app: FastifyInstance, services: Services): void {
  const { messages } = services;

  app.get("/messages", async (req, reply) => {
    const user = requireUser(req);
    const result = await messages.list(user, req.query);
    return sendPage(reply, listPage(viewContext(req, reply), result, user.time_zone));
  });

  app.get("/messages/new", async (req, reply) => {
    requireUser(req);
    return sendPage(reply, formPage(viewContext(req, reply), emptyForm));
  });

  app.post("/messages/new", async (req, reply) => {
    const user = requireUser(req);
    return handleForm(
      req,
      reply,
      async () => {
        const m = await messages.create(user, formBody(req));
        return redirectWith(reply, `/messages/${m.id}`, "success", "Message created.");
      },
      (form) => formPage(viewContext(req, reply), form),
    );
  });

  app.get("/messages/:id", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    const mailings = await messages.mailingsUsing(user, m.id);
    return sendPage(reply, detailPage(viewContext(req, reply), m, mailings, user.time_zone));
  });

  app.get("/messages/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    return sendPage(
      reply,
      formPage(viewContext(req, reply), { values: { subject: m.subject, body: m.body }, errors: {} }, m),
    );
  });

  app.post("/messages/:id/edit", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    return handleForm(
      req,
      reply,
      async () => {
        await messages.update(user, m.id, formBody(req));
        return redirectWith(reply, `/messages/${m.id}`, "success", "Message saved.");
      },
      (form) => formPage(viewContext(req, reply), form, m),
    );
  });

  app.get("/messages/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    const mailings = await messages.mailingsUsing(user, m.id);
    return sendPage(reply, deletePage(viewContext(req, reply), m, mailings));
  });

  app.post("/messages/:id/delete", async (req, reply) => {
    const user = requireUser(req);
    const m = await messages.get(user, idParam(req.params));
    try {
      await messages.delete(user, m.id);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const mailings = await messages.mailingsUsing(user, m.id);
      return sendPage(reply, deletePage(viewContext(req, reply), m, mailings, error.message), 409);
    }
    return redirectWith(reply, "/messages", "success", "Message deleted.");
  });
}
