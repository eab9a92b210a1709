/** Input schemas for bounce reports from outside: the generic JSON webhook. */
import { z } from "zod";
import { email, optionalText } from "../shared/fields.js";

export const BOUNCE_TYPES = ["hard", "soft", "complaint"] as const;

export const bounceWebhookSchema = z.object({
  email: email(),
  type: z.enum(BOUNCE_TYPES, { error: "Choose hard, soft or complaint." }),
  reason: optionalText("Reason", 1000),
  delivery_id: z.coerce
    .number({ error: "Must be a delivery id." })
    .int("Must be a delivery id.")
    .positive("Must be a delivery id.")
    .optional(),
});

export type BounceWebhookInput = z.output<typeof bounceWebhookSchema>;
