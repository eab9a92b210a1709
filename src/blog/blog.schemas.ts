/** Blog input: a post's fields (title, slug, Markdown body, published) and the list's page. */
import { z } from "zod";
import { LIMITS, optionalSingleLine, optionalText, requiredText, singleLine } from "../shared/fields.js";

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const SLUG_MAX = 100;

export const postSchema = z.object({
  title: singleLine("Title", LIMITS.subject),
  slug: optionalText("Address", SLUG_MAX).refine(
    (v) => v === "" || SLUG.test(v),
    "Use lowercase letters, digits and single dashes, like spring-news.",
  ),
  body_markdown: requiredText("Text", LIMITS.body),
  // An HTML checkbox sends "on" when ticked and nothing otherwise.
  published: z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean()),
  // What the image shows, for screen readers (alt text); empty for a decorative image.
  image_alt: optionalSingleLine("Image description", 200),
  remove_image: z.preprocess((v) => v === "on" || v === "true" || v === true, z.boolean()),
});
export type PostInput = z.output<typeof postSchema>;

export const blogPageQuery = z.object({ page: z.coerce.number().int().min(1).max(100_000).catch(1) });

/** A slug from a title: "Spring news: 20% off!" → "spring-news-20-off". */
export function slugify(title: string): string {
  const slug = title
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
    .replace(/-+$/g, "");
  return slug || "post";
}
