/** Input schemas for sender identities, shared by the admin pages, the API and the CLI. */
import { z } from "zod";
import { email, LIMITS, singleLine } from "../shared/fields.js";

export const SENDER_LIMITS = { postalAddress: 500, postalLines: 6 } as const;

const anEmail = email();

/** An optional address: "" or absent is none (null); anything else must be an email. */
const optionalEmail = (label: string) =>
  z
    .preprocess((v) => (v === undefined || v === null ? "" : v), z.string({ error: `${label} is not text.` }))
    .transform((v) => v.trim())
    .refine((v) => v.length <= LIMITS.email, `${label} must be at most ${LIMITS.email} characters.`)
    .refine(
      (v) => v === "" || anEmail.safeParse(v).success,
      `${label}: enter a valid email address, like name@example.com, or leave it empty.`,
    )
    .transform((v) => (v === "" ? null : v));

/** A postal address: a few lines, as it should be printed under the mail (line ends kept, trimmed). */
const postalAddress = z
  .string({ error: "Postal address is required." })
  .transform((v) =>
    v
      .replace(/\r\n?/g, "\n")
      .split("\n")
      .map((line) => line.trim())
      .join("\n")
      .trim(),
  )
  .refine((v) => v !== "", "Postal address is required: bulk mail must carry the sender's postal address.")
  .refine(
    (v) => v.length <= SENDER_LIMITS.postalAddress,
    `Postal address must be at most ${SENDER_LIMITS.postalAddress} characters.`,
  )
  .refine(
    (v) => v.split("\n").length <= SENDER_LIMITS.postalLines,
    `Postal address must be at most ${SENDER_LIMITS.postalLines} lines.`,
  )
  .refine((v) => !v.includes("\u0000"), "Postal address contains a character that is not allowed.");

export const senderSchema = z.object({
  from_name: singleLine("From name", LIMITS.name),
  from_email: email("From address"),
  reply_to: optionalEmail("Reply-To"),
  postal_address: postalAddress,
});

export type SenderInput = z.output<typeof senderSchema>;
