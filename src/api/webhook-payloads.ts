/**
 * The `webhooks` part of the OpenAPI 3.1 document: what PostPilot POSTs to a registered endpoint, one entry
 * per event type plus the batch that carries delivery events (src/webhooks/README.md explains their life).
 */
import { WEBHOOK_EVENT_TYPES } from "../webhooks/webhooks.schemas.js";

type JsonSchema = Record<string, unknown>;

const str = { type: "string" };
const int = { type: "integer" };
const time = { type: "string", format: "date-time" };
const nullable = (schema: JsonSchema) => ({ anyOf: [schema, { type: "null" }] });

const runData = {
  type: "object",
  required: ["run_id", "mailing_id", "status", "total_count"],
  properties: {
    run_id: int,
    mailing_id: int,
    trigger: str,
    status: { type: "string", enum: ["sending", "success", "failure", "cancelled"] },
    total_count: int,
    sent_count: int,
    failed_count: int,
    started_at: nullable(time),
    finished_at: nullable(time),
  },
};

const deliveryData = {
  type: "object",
  required: ["delivery_id", "run_id", "mailing_id", "email", "status"],
  properties: {
    delivery_id: int,
    run_id: int,
    mailing_id: int,
    recipient_id: nullable(int),
    email: str,
    status: { type: "string", enum: ["sent", "failed", "bounced"] },
    code: nullable(int),
    enhanced: nullable(str),
    text: str,
    at: time,
  },
};

const recipientData = {
  type: "object",
  required: ["email"],
  properties: { email: str, reason: str, source: str, recipient_id: nullable(int), list_id: nullable(int) },
};

const DATA: Record<string, JsonSchema> = {
  "run.started": runData,
  "run.finished": runData,
  "delivery.sent": deliveryData,
  "delivery.failed": deliveryData,
  "delivery.bounced": deliveryData,
  "recipient.unsubscribed": recipientData,
  "recipient.suppressed": recipientData,
  "subscriber.confirmed": recipientData,
};

const eventOf = (type: string, data: JsonSchema): JsonSchema => ({
  type: "object",
  required: ["id", "type", "created_at", "data"],
  properties: {
    id: { type: "string", description: "evt_…: unique per event and endpoint; a resend keeps it." },
    type: { const: type },
    created_at: time,
    data,
  },
});

const headers = {
  "X-PostPilot-Signature": {
    description:
      't=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. Recompute and compare in constant time; refuse a t older than 5 minutes.',
    schema: str,
  },
  "X-PostPilot-Webhook-Id": { description: "The body's id (an event's, or the batch's).", schema: str },
};

function operation(summary: string, schema: JsonSchema): JsonSchema {
  return {
    post: {
      summary,
      parameters: Object.entries(headers).map(([name, h]) => ({ name, in: "header", required: true, ...h })),
      requestBody: { required: true, content: { "application/json": { schema } } },
      responses: {
        "200": { description: "Any 2xx within 10 s: delivered. Anything else (3xx included) is retried." },
      },
    },
  };
}

export function webhookPayloads(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const type of WEBHOOK_EVENT_TYPES)
    out[type] = operation(`The ${type} event`, eventOf(type, DATA[type]!));
  out.batch = operation(
    "Several consecutive events of one kind in one request (up to 100, in order): delivery.sent / delivery.failed of a run, or recipient.suppressed of an import. A lone one is sent as itself.",
    {
      type: "object",
      required: ["id", "type", "created_at", "data"],
      properties: {
        id: { type: "string", description: "bat_…" },
        type: { const: "batch" },
        created_at: time,
        data: {
          type: "object",
          required: ["events"],
          properties: {
            events: {
              type: "array",
              maxItems: 100,
              items: {
                anyOf: [
                  ...["delivery.sent", "delivery.failed"].map((t) => eventOf(t, deliveryData)),
                  eventOf("recipient.suppressed", recipientData),
                ],
              },
            },
          },
        },
      },
    },
  );
  return out;
}
