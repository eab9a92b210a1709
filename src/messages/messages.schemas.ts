/** Input schemas for messages, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { bodyText, email, id, LIMITS, listQuery, singleLine } from "../shared/fields.js";
import { MESSAGE_FORMATS } from "../templates/compile.js";

export { MESSAGE_FORMATS };

export const FORMAT_LABELS: Record<(typeof MESSAGE_FORMATS)[number], string> = {
  text: "Plain text",
  markdown: "Markdown",
  html: "HTML",
};

export const messageSchema = z.object({
  subject: singleLine("Subject", LIMITS.subject),
  body: bodyText("Body", LIMITS.body),
  format: z.preprocess(
    (v) => (v === "" || v === undefined ? "text" : v),
    z.enum(MESSAGE_FORMATS, { error: "Choose plain text, Markdown or HTML." }),
  ),
  layout_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()),
});

export const MESSAGE_SORTS = ["subject", "created_at"] as const;
export const messageListQuery = listQuery(MESSAGE_SORTS, "created_at");

/** A preview: for one of the owner's recipients, or sample values when none is given. */
export const previewSchema = z.object({
  recipient_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()),
  /** As a mailing with this sender identity sends it (its From, postal address); default SMTP_FROM. */
  sender_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()).default(null),
});

export const MAX_TEST_ADDRESSES = 5;

/** A test send: to the user's own address when `to` is empty, else up to 5 addresses (comma or line separated). */
export const testSendSchema = z.object({
  to: z
    .preprocess(
      (v) =>
        Array.isArray(v)
          ? v
          : typeof v === "string"
            ? v
                .split(/[\s,;]+/)
                .map((s) => s.trim())
                .filter(Boolean)
            : v === undefined || v === null
              ? []
              : v,
      z.array(email("Address")).max(MAX_TEST_ADDRESSES, `At most ${MAX_TEST_ADDRESSES} addresses.`),
    )
    .default([]),
  recipient_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()).default(null),
  sender_id: z.preprocess((v) => (v === "" || v === undefined ? null : v), id.nullable()).default(null),
});

export type MessageInput = z.output<typeof messageSchema>;
export type MessageListQuery = z.output<typeof messageListQuery>;
