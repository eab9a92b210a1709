/**
 * The OpenAPI 3.1 document, generated from the routes the API registered and the zod schemas they use,
 * served at /api/openapi.json; and /api/docs, Swagger UI served from node_modules (no CDN).
 */
import { createRequire } from "node:module";
import path from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { audienceSchema } from "../audiences/audience.schemas.js";
import { bounceWebhookSchema } from "../bounces/bounces.schemas.js";
import { newLayoutSchema } from "../layouts/layouts.schemas.js";
import { listSchema, membersChangeSchema } from "../lists/lists.schemas.js";
import { initialPickedSchema, initialRecipientsSchema, mailingSchema } from "../mailings/mailings.schemas.js";
import { messageSchema, previewSchema, testSendSchema } from "../messages/messages.schemas.js";
import { UPSERT_MAX } from "../recipients/recipients.bulk.js";
import { recipientSchema } from "../recipients/recipients.schemas.js";
import { segmentSchema } from "../segments/segments.schemas.js";
import { senderSchema } from "../senders/senders.schemas.js";
import { suppressionSchema } from "../suppression/suppression.schemas.js";
import {
  createWebhookSchema,
  resendWebhookSchema,
  updateWebhookSchema,
} from "../webhooks/webhooks.schemas.js";
import { API_RATE_LIMIT, type Operation } from "./router.js";
import * as s from "./schemas.js";
import { webhookPayloads } from "./webhook-payloads.js";

type JsonSchema = Record<string, unknown>;

const outputs = z.registry<{ id: string }>();
const named: [string, z.ZodType][] = [
  ["Recipient", s.recipientOut],
  ["RecipientList", s.recipientListOut],
  ["Message", s.messageOut],
  ["MessageList", s.messageListOut],
  ["Mailing", s.mailingOut],
  ["MailingList", s.mailingListOut],
  ["Run", s.runOut],
  ["RunDetails", s.runDetailsOut],
  ["RunList", s.runListOut],
  ["Attempt", s.attemptOut],
  ["Delivery", s.deliveryOut],
  ["DeliveryList", s.deliveryListOut],
  ["Stats", s.statsOut],
  ["Report", s.reportOut],
  ["Me", s.meOut],
  ["User", s.userOut],
  ["UserList", s.userListOut],
  ["Suppression", s.suppressionOut],
  ["SuppressionList", s.suppressionListOut],
  ["SuppressionStatus", s.suppressionStatusOut],
  ["BounceOutcome", s.bounceOutcomeOut],
  ["Layout", s.layoutOut],
  ["LayoutList", s.layoutListOut],
  ["Sender", s.senderOut],
  ["SenderList", s.senderListOut],
  ["Problem", s.problemOut],
  ["Preview", s.previewOut],
  ["TestSend", s.testSendOut],
  ["List", s.listOut],
  ["ListList", s.listListOut],
  ["Members", s.membersOut],
  ["Segment", s.segmentOut],
  ["SegmentList", s.segmentListOut],
  ["SegmentCount", s.segmentCountOut],
  ["Audience", s.audienceOut],
  ["BulkRow", s.bulkRowOut],
  ["MailingRecipient", s.mailingRecipientOut],
  ["MailingRecipientList", s.mailingRecipientListOut],
  ["PickedAdded", s.pickedAddedOut],
  ["PickedRemoved", s.pickedRemovedOut],
  ["BulkResult", s.bulkResultOut],
  ["WebhookEndpoint", s.webhookEndpointOut],
  ["WebhookEndpointList", s.webhookEndpointListOut],
  ["WebhookCreated", s.webhookCreatedOut],
  ["WebhookEvent", s.webhookEventOut],
  ["WebhookAttempt", s.webhookAttemptOut],
  ["WebhookAttemptList", s.webhookAttemptListOut],
  ["WebhookEndpointDetails", s.webhookEndpointDetailsOut],
];
for (const [id, schema] of named) outputs.add(schema, { id });

// Request bodies are the forms' schemas. Their JSON Schema comes from zod; which fields are required is
// stated here, because fields that default to "" (or to "all") look required to the converter.
const inputs: [string, z.ZodType, string[]][] = [
  ["RecipientInput", recipientSchema, ["email"]],
  ["RecipientBulkInput", z.array(recipientSchema).min(1).max(UPSERT_MAX), []],
  ["MessageInput", messageSchema, ["subject", "body"]],
  ["PreviewInput", previewSchema, []],
  ["TestSendInput", testSendSchema, []],
  ["SuppressionInput", suppressionSchema, ["email"]],
  ["LayoutInput", newLayoutSchema, ["name", "html"]],
  ["SenderInput", senderSchema, ["from_name", "from_email", "postal_address"]],
  ["BounceWebhookInput", bounceWebhookSchema, ["email", "type"]],
  ["ListInput", listSchema, ["name"]],
  ["MembersInput", membersChangeSchema, []],
  ["SegmentInput", segmentSchema, ["name", "definition"]],
  ["AudienceInput", audienceSchema, []],
  ["WebhookInput", createWebhookSchema, ["url", "events"]],
  ["WebhookPatch", updateWebhookSchema, []],
  ["WebhookResendInput", resendWebhookSchema, ["event_id"]],
  [
    "MailingInput",
    z.object({ ...mailingSchema.in.shape, ...initialRecipientsSchema.shape, ...initialPickedSchema.shape }),
    ["name", "message_id", "first_send_at", "end_at", "periodicity", "time_zone"],
  ],
];
const PATCH_OF: Record<string, string> = {
  RecipientPatch: "RecipientInput",
  MessagePatch: "MessageInput",
  MailingPatch: "MailingInput",
  SenderPatch: "SenderInput",
  LayoutPatch: "LayoutInput",
};
const INPUT_NOTES: Record<string, Record<string, string>> = {
  LayoutInput: {
    html: "Must contain {{ content }}. Checked as strict Liquid: a problem is a 422 naming its line and column.",
    text: "Must contain {{ content }}; absent or empty: {{ content }}.",
    shared: "Admins only, when creating: shared with every user. Cannot be changed later.",
  },
  MailingInput: {
    first_send_at: "2026-12-01T09:00 (in time_zone) or an instant with an offset.",
    end_at: "After first_send_at, in the future.",
    time_zone: "An IANA time zone such as Europe/Berlin.",
    recipient_mode: "Which of your recipients the new mailing starts with (default all).",
    recipient_q: "With recipient_mode matching: the search text.",
    recipient_ids: "Start with exactly these recipients (with recipient_emails; leave recipient_mode out).",
    recipient_emails: "Start with exactly the recipients with these addresses (with recipient_ids).",
    sender_id: "A sender identity's id (GET /senders); absent or null: the default From (SMTP_FROM).",
    window_days:
      "Sending window: ISO weekdays its runs may send on (1 = Monday … 7 = Sunday); empty: any time.",
    window_start: "Sending window start, HH:MM in time_zone (with window_days).",
    window_end: "Sending window end, HH:MM in time_zone, after window_start.",
  },
};

function bare(schema: JsonSchema): JsonSchema {
  const { $schema: _, $id: __, ...rest } = schema;
  return rest;
}

function componentSchemas(): Record<string, JsonSchema> {
  const uri = (id: string) => `#/components/schemas/${id}`;
  const out = z.toJSONSchema(outputs, { io: "output", uri, unrepresentable: "any" }).schemas;
  const schemas: Record<string, JsonSchema> = {};
  for (const [id, schema] of Object.entries(out)) schemas[id] = bare(schema as JsonSchema);
  for (const [id, schema, required] of inputs) {
    const json = bare(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema);
    const properties = json.properties as Record<string, JsonSchema>;
    for (const [field, note] of Object.entries(INPUT_NOTES[id] ?? {})) {
      if (properties[field]) properties[field].description = note;
    }
    schemas[id] = { ...json, required };
  }
  for (const [patch, input] of Object.entries(PATCH_OF)) {
    const { required: _, ...rest } = schemas[input]!;
    schemas[patch] = rest;
  }
  // A mailing's recipients change on their own paths (PATCH refuses these fields with a 422).
  const mailingPatch = schemas.MailingPatch as { properties: Record<string, unknown> };
  mailingPatch.properties = Object.fromEntries(
    Object.entries(mailingPatch.properties).filter(([name]) => !name.startsWith("recipient_")),
  );
  return schemas;
}

const PROBLEMS: Record<number, [string, string]> = {
  401: ["Unauthorized", "No token, a malformed or revoked token, or its user is blocked."],
  403: ["Forbidden", "Not allowed for your role (a manager blocking an admin, say)."],
  404: ["NotFound", "Not found, or it belongs to someone else."],
  409: ["Conflict", "Conflicts with existing data (a duplicate, a row in use, a run still sending)."],
  413: ["TooLarge", "The request body is too large."],
  422: ["Invalid", "Invalid input: `errors` lists each field with its message."],
  429: ["TooManyRequests", "Too many requests with this token: wait Retry-After seconds."],
  500: ["ServerError", "An unexpected error (logged; no details are shown)."],
};

/** Sent with every answer to a token's request (IETF draft-ietf-httpapi-ratelimit-headers names). */
const RATE_LIMIT_HEADERS = {
  "RateLimit-Limit": { description: "Requests this token may make per window.", schema: { type: "integer" } },
  "RateLimit-Remaining": { description: "Requests left in the current window.", schema: { type: "integer" } },
  "RateLimit-Reset": { description: "Seconds until the window starts afresh.", schema: { type: "integer" } },
};

const problemRef = (status: number) => ({ $ref: `#/components/responses/${PROBLEMS[status]![0]}` });

function responses(): Record<string, JsonSchema> {
  const result: Record<string, JsonSchema> = {};
  for (const [status, [name, description]] of Object.entries(PROBLEMS)) {
    result[name] = {
      description,
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      ...(status === "429"
        ? {
            headers: {
              "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } },
              ...RATE_LIMIT_HEADERS,
            },
          }
        : {}),
    };
  }
  return result;
}

function queryParameters(query: z.ZodObject | undefined): JsonSchema[] {
  if (!query) return [];
  const json = z.toJSONSchema(query, { io: "output", unrepresentable: "any" }) as JsonSchema;
  return Object.entries(json.properties as Record<string, JsonSchema>).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return { name, in: "query", required: false, schema: rest, ...(description ? { description } : {}) };
  });
}

function operationObject(op: Operation): JsonSchema {
  const id = outputs.get(op.response ?? z.never())?.id;
  if (op.response && !id) throw new Error(`${op.method} ${op.path}: its response schema has no name`);
  const success = op.produces
    ? {
        description: "OK, streamed.",
        headers: RATE_LIMIT_HEADERS,
        content: Object.fromEntries(
          Object.entries(op.produces).map(([type, description]) => [
            type,
            { schema: { type: "string", description } },
          ]),
        ),
      }
    : op.response
      ? {
          description: "OK",
          headers: {
            ...(op.security ? {} : RATE_LIMIT_HEADERS),
            ...(op.idempotent
              ? {
                  "Idempotent-Replayed": {
                    description:
                      "true when this is the stored response of an earlier call with the same Idempotency-Key.",
                    schema: { type: "string", enum: ["true"] },
                  },
                }
              : {}),
          },
          content: { "application/json": { schema: { $ref: `#/components/schemas/${id}` } } },
        }
      : { description: "Done; no content." };
  const problems = [...new Set([...op.problems, 401, 429, 500])].sort();
  return {
    operationId: `${op.method.toLowerCase()}${op.path.replace(/\/:id/g, "ById").replace(/(?:^|[/-])(\w)/g, (_, c: string) => c.toUpperCase())}`,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: [op.tag],
    ...(op.security ? { security: [{ bounceWebhookToken: [] }] } : {}),
    parameters: [
      ...(op.path.includes(":id")
        ? [{ name: "id", in: "path", required: true, schema: { type: "integer", minimum: 1 } }]
        : []),
      ...queryParameters(op.query),
      ...(op.idempotent
        ? [
            {
              name: "Idempotency-Key",
              in: "header",
              required: false,
              description:
                "Any unique string (a UUID, say): a retry with the same key within 24 hours returns the first response instead of applying the call again.",
              schema: { type: "string", minLength: 1, maxLength: 255 },
            },
          ]
        : []),
    ],
    ...(op.body
      ? {
          requestBody: {
            required: true,
            content: {
              "application/json": { schema: { $ref: `#/components/schemas/${op.body}` } },
              ...(op.csv
                ? {
                    "text/csv": {
                      schema: {
                        type: "string",
                        description:
                          "A header line naming an email column (and optionally name and comment, as the CSV import reads them), then one recipient per line.",
                      },
                    },
                  }
                : {}),
            },
          },
        }
      : {}),
    responses: {
      [String(op.status)]: success,
      ...Object.fromEntries(problems.map((status) => [String(status), problemRef(status)])),
    },
  };
}

export function openApiDocument(operations: Operation[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    const key = op.path.replace(/:(\w+)/g, "{$1}");
    paths[key] ??= {};
    paths[key][op.method.toLowerCase()] = operationObject(op);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "PostPilot API",
      version,
      description: `Recipients, messages, mailings and their runs, as in the web app. Authenticate with a personal API token from your profile page: \`Authorization: Bearer <token>\`. Errors are RFC 9457 problem details.\n\n**Rate limit:** each token may make ${API_RATE_LIMIT} requests a minute (a bulk call such as POST /recipients/bulk with 10,000 rows counts as one). Every answer carries \`RateLimit-Limit\`, \`RateLimit-Remaining\` and \`RateLimit-Reset\` (seconds until the window starts afresh); past the limit the answer is a 429 with \`Retry-After\`.`,
    },
    servers: [{ url: "/api/v1" }],
    security: [{ bearerAuth: [] }],
    tags: ["Recipients", "Messages", "Layouts", "Senders", "Mailings", "Runs", "Account", "Webhooks"].map(
      (name) => ({ name }),
    ),
    paths,
    webhooks: webhookPayloads(),
    components: {
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", description: "A personal API token (pp_…)." },
        bounceWebhookToken: {
          type: "http",
          scheme: "bearer",
          description: "The operator's BOUNCE_WEBHOOK_TOKEN (the bounce webhook only).",
        },
      },
      schemas: componentSchemas(),
      responses: responses(),
    },
  };
}

const require = createRequire(import.meta.url);
const SWAGGER_FILES = new Set(["/swagger-ui.css", "/swagger-ui-bundle.js"]);

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PostPilot API</title>
<link rel="icon" href="/assets/app/favicon.svg">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/assets/app/api-docs.js"></script>
</body>
</html>
`;

/** /api/openapi.json and /api/docs (no token needed: the document holds no data). */
export async function docsRoutes(
  app: FastifyInstance,
  operations: Operation[],
  version: string,
): Promise<void> {
  await app.register(fastifyStatic, {
    root: path.dirname(require.resolve("swagger-ui-dist/package.json")),
    prefix: "/docs/assets/",
    decorateReply: false,
    allowedPath: (pathName) => SWAGGER_FILES.has(pathName),
    maxAge: "1d",
  });
  let document: JsonSchema | null = null;
  app.get("/openapi.json", async () => {
    document ??= openApiDocument(operations, version);
    return document;
  });
  app.get("/docs", async (_req, reply) => reply.type("text/html; charset=utf-8").send(DOCS_PAGE));
}
