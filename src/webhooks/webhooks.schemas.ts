/** What a webhook endpoint is made of, shared by the web form, the JSON API and the CLI. */
import { z } from "zod";

export const WEBHOOK_EVENT_TYPES = [
  "run.started",
  "run.finished",
  "delivery.sent",
  "delivery.failed",
  "delivery.bounced",
  "recipient.unsubscribed",
  "recipient.suppressed",
  "subscriber.confirmed",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Event types that are batched (up to BATCH_LIMIT per request): there is one per delivery. */
export const BATCHED_TYPES: readonly string[] = ["delivery.sent", "delivery.failed"];

export const webhookUrl = z
  .string({ error: "Enter the URL to send events to." })
  .trim()
  .min(1, "Enter the URL to send events to.")
  .max(2000, "The URL is too long (2,000 characters at most).")
  .refine((v) => {
    try {
      const url = new URL(v);
      return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
    } catch {
      return false;
    }
  }, "Enter an http:// or https:// URL.")
  .refine((v) => {
    try {
      const url = new URL(v);
      return url.username === "" && url.password === "";
    } catch {
      return true;
    }
  }, "The URL must not contain a user name or password.");

export const createWebhookSchema = z.object({
  url: webhookUrl,
  description: z
    .string()
    .trim()
    .max(200, "The description is too long (200 characters at most).")
    .default(""),
  events: z
    .array(z.enum(WEBHOOK_EVENT_TYPES, { error: "Unknown event type." }), {
      error: "Choose at least one event.",
    })
    .min(1, "Choose at least one event.")
    .transform((events) => [...new Set(events)]),
  /** Admins only: every user's events. */
  all_users: z.boolean().default(false),
});

export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

export const updateWebhookSchema = z.object({ enabled: z.boolean() });

export const resendWebhookSchema = z.object({
  event_id: z
    .number({ error: "Give the event's id (a number)." })
    .int()
    .positive("Give the event's id (a number)."),
});
