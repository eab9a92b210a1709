/**
 * A layout around sample content, rendered as a real copy would be (compileMessage with sampleContext), for
 * the layout pages' preview. Pure: no I/O. The HTML it returns is the user's own and must only ever be shown
 * sandboxed (layouts.pages.tsx serves it with `Content-Security-Policy: sandbox`).
 */
import { checkTemplates, describeProblem, sampleContext } from "../templates/check.js";
import { compileMessage } from "../templates/compile.js";

/** The words of the sample message, in the reader's language (the pages take them from layouts.sample). */
export interface SampleWords {
  subject: string;
  /** With the Liquid variable of the recipient's first name. */
  greeting: string;
  paragraph: string;
  link: string;
}

export const ENGLISH_SAMPLE: SampleWords = {
  subject: "Sample subject",
  greeting: "Hello {{ recipient.first_name }},",
  paragraph:
    "This is where your message goes. A paragraph of sample text shows how the layout frames it: its width,\nits fonts and its colours.",
  link: "A link in the message",
};

/** What the preview shows where a message goes. */
export function sampleBody(words: SampleWords): string {
  return `<h1>${words.greeting}</h1>
<p>${words.paragraph}</p>
<p><a href="https://example.com/">${words.link}</a></p>`;
}

export interface LayoutPreview {
  /** The rendered HTML part, or null when the layout has a problem. */
  html: string | null;
  text: string | null;
  /** "HTML: Line 3, column 5: unknown variable: recipent.name" */
  problems: string[];
}

export function previewLayout(
  layout: { html: string; text: string },
  words: SampleWords = ENGLISH_SAMPLE,
  now = new Date(),
): LayoutPreview {
  const context = sampleContext([], now);
  const problems = checkTemplates(
    [
      { field: "html", source: layout.html, html: true, layout: true },
      { field: "text", source: layout.text, html: false, layout: true },
    ],
    context,
  ).map((p) => `${p.field === "html" ? "HTML" : "Text"}: ${describeProblem(p)}`);
  if (problems.length > 0) return { html: null, text: null, problems };
  try {
    const rendered = compileMessage({
      format: "html",
      subject: words.subject,
      body: sampleBody(words),
      layout,
    }).render(context);
    return { html: rendered.html, text: rendered.text, problems: [] };
  } catch (error) {
    return { html: null, text: null, problems: [error instanceof Error ? error.message : String(error)] };
  }
}
