/**
 * The fixtures file: users (with password hashes), recipients, messages, mailings with their recipients,
 * and blog posts with their images. Rows refer to each other by the ids they had when dumped ("ref");
 * a load gives them new ids.
 */
import { z } from "zod";

const ts = z.iso.datetime({ offset: true });
const ref = z.number().int().positive();

export const fixturesSchema = z.object({
  format: z.literal("postpilot-fixtures"),
  version: z.literal(1),
  users: z.array(
    z.object({
      ref,
      email: z.string().min(3).max(254),
      name: z.string().max(200),
      password_hash: z.string().min(1),
      time_zone: z.string().min(1).max(64),
      role: z.enum(["user", "manager", "admin"]),
      email_confirmed_at: ts.nullable(),
      blocked_at: ts.nullable(),
      created_at: ts,
      updated_at: ts,
    }),
  ),
  recipients: z.array(
    z.object({
      ref,
      owner: ref,
      email: z.string().min(3).max(254),
      full_name: z.string().max(200),
      comment: z.string().max(2000),
      created_at: ts,
      updated_at: ts,
    }),
  ),
  messages: z.array(
    z.object({
      ref,
      owner: ref,
      subject: z.string().min(1).max(200),
      body: z.string().max(100_000),
      format: z.enum(["text", "markdown", "html"]).default("text"),
      /** "default": the shipped layout of the database it is loaded into; users' own layouts do not travel. */
      layout: z.enum(["default"]).nullable().default(null),
      created_at: ts,
      updated_at: ts,
    }),
  ),
  mailings: z.array(
    z.object({
      ref,
      owner: ref,
      message: ref,
      name: z.string().min(1).max(200),
      first_send_at: ts,
      end_at: ts,
      periodicity: z.enum(["once", "daily", "weekly", "monthly"]),
      time_zone: z.string().min(1).max(64),
      status: z.enum(["created", "running", "completed"]),
      disabled_at: ts.nullable(),
      next_run_at: ts.nullable(),
      last_run_at: ts.nullable(),
      created_at: ts,
      updated_at: ts,
      recipients: z.array(ref),
    }),
  ),
  posts: z.array(
    z.object({
      author: ref.nullable(),
      title: z.string().min(1).max(200),
      slug: z.string().min(1).max(100),
      body_markdown: z.string().max(100_000),
      /** The image's bytes in base64, or null. */
      image: z.object({ ext: z.enum(["png", "jpg", "webp"]), base64: z.string() }).nullable(),
      /** The image's description (alt text); older fixtures have none. */
      image_alt: z.string().max(200).default(""),
      published_at: ts.nullable(),
      view_count: z.number().int().min(0),
      created_at: ts,
      updated_at: ts,
    }),
  ),
});

export type Fixtures = z.infer<typeof fixturesSchema>;
