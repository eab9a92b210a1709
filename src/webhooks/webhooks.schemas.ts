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

/**
 * Event types that are batched (up to BATCH_LIMIT per request), by family: consecutive events of one
 * family go together. There is one per delivery, and one per address of a suppression import.
 */
export const BATCH_FAMILIES: Readonly<Record<string, string>> = {
  "delivery.sent": "delivery",
  "delivery.failed": "delivery",
  "recipient.suppressed": "suppression",
};

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

const description = z.string().trim().max(200, "The description is too long (200 characters at most).");
const events = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, { error: "Unknown event type." }), {
    error: "Choose at least one event.",
  })
  .min(1, "Choose at least one event.")
  .transform((chosen) => [...new Set(chosen)]);

export const createWebhookSchema = z.object({
  url: webhookUrl,
  description: description.default(""),
  events,
  /** Admins only: every user's events. */
  all_users: z.boolean().default(false),
});

export type CreateWebhookInput = z.input<typeof createWebhookSchema>;

/**
 * A change of an endpoint (API PATCH, the edit form, the CLI): only the fields given. A new URL passes the
 * SSRF check again; enabled: true after an automatic disable starts its retries afresh.
 */
export const updateWebhookSchema = z
  .strictObject(
    {
      url: webhookUrl.optional(),
      description: description.optional(),
      events: events.optional(),
      enabled: z.boolean({ error: "enabled is true or false." }).optional(),
    },
    // An unknown field (all_users, secret…) is refused, not silently ignored: it cannot be changed here.
    {
      error: (issue) =>
        issue.code === "unrecognized_keys"
          ? `Only url, description, events and enabled can be changed (not ${issue.keys.join(", ")}).`
          : undefined,
    },
  )
  .refine((v) => Object.values(v).some((x) => x !== undefined), {
    message: "Give at least one of url, description, events, enabled.",
    path: ["_form"],
  });

export type UpdateWebhookInput = z.output<typeof updateWebhookSchema>;

export const resendWebhookSchema = z.object({
  event_id: z
    .number({ error: "Give the event's id (a number)." })
    .int()
    .positive("Give the event's id (a number)."),
});
