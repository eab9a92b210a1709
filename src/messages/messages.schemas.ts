/** Input schemas for messages, shared by the HTML forms, the API and the CLI. */
import { z } from "zod";
import { bodyText, LIMITS, listQuery, singleLine } from "../shared/fields.js";

export const messageSchema = z.object({
  subject: singleLine("Subject", LIMITS.subject),
  body: bodyText("Body", LIMITS.body),
});

export const MESSAGE_SORTS = ["subject", "created_at"] as const;
export const messageListQuery = listQuery(MESSAGE_SORTS, "created_at");

export type MessageInput = z.output<typeof messageSchema>;
export type MessageListQuery = z.output<typeof messageListQuery>;
