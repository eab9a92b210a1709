/**
 * A message compiled for sending: subject, body and layout parsed once, the Markdown turned into HTML, the
 * layout wrapped around the body, CSS inlined (juice) and the text part derived from the HTML (html-to-text,
 * links kept as `text [url]`), all before the first copy. A copy then only renders the parsed templates
 * with its recipient's values. Liquid tags are shielded from the HTML tools (protect.ts). No I/O.
 */
import { convert } from "html-to-text";
import juice from "juice";
import MarkdownIt from "markdown-it";
import { liquid } from "./liquid.js";
import { shield } from "./protect.js";

export const MESSAGE_FORMATS = ["text", "markdown", "html"] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];

// The author's own Markdown, for their own email: raw HTML is theirs to use (unlike the blog's).
const md = new MarkdownIt({ html: true, linkify: true, typographer: false });

export interface LayoutSource {
  html: string;
  text: string;
}

export interface MessageSource {
  format: MessageFormat;
  subject: string;
  body: string;
  layout: LayoutSource | null;
  /**
   * Appended when neither the body nor the layout places `unsubscribe_url` (its own `{{unsubscribe_url}}`
   * marks the link); undefined when copies carry no unsubscribe link.
   */
  unsubscribeFooter?: string | undefined;
}

/** What a template sees. `recipient.fields` holds the owner's custom fields. */
export interface TemplateContext {
  recipient: {
    email: string;
    full_name: string;
    first_name: string;
    comment: string;
    fields: Record<string, string | number | boolean | null>;
  };
  mailing: { name: string };
  sender: { name: string; email: string; postal_address: string };
  unsubscribe_url: string;
  view_in_browser_url: string;
  /** The send time in the mailing's zone, ISO-8601 with its offset (the `date` filter keeps the offset). */
  now: string;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  /** Null for plain-text messages (they go out single-part). */
  html: string | null;
}

export interface CompiledMessage {
  readonly format: MessageFormat;
  render(context: TemplateContext): RenderedMessage;
}

const CONTENT = /\{\{-?\s*content\s*(\|\s*raw\s*)?-?\}\}/;
const CONTENT_ALL = new RegExp(CONTENT.source, "g");
const UNSUBSCRIBE = /\bunsubscribe_url\b/;

export function compileMessage(source: MessageSource): CompiledMessage {
  const subject = liquid.text.parse(source.subject);
  const placesLink =
    UNSUBSCRIBE.test(source.body) ||
    (source.layout ? UNSUBSCRIBE.test(source.layout.html + source.layout.text) : false);
  const footer = placesLink ? undefined : source.unsubscribeFooter;

  if (source.format === "text") {
    let text = source.layout ? wrap(source.layout.text, source.body) : source.body;
    if (footer !== undefined) text = `${text.replace(/\s+$/, "")}\n\n${textFooter(footer)}\n`;
    const body = liquid.text.parse(text);
    return {
      format: source.format,
      render(context) {
        const renderedSubject = oneLine(liquid.text.renderSync(subject, context));
        return {
          subject: renderedSubject,
          text: liquid.text.renderSync(body, { ...context, subject: renderedSubject }),
          html: null,
        };
      },
    };
  }

  const bodyHtml = source.format === "markdown" ? markdownToHtml(source.body) : source.body;
  let html = source.layout ? wrap(source.layout.html, bodyHtml) : bodyHtml;
  let text = source.layout ? wrap(source.layout.text, htmlToText(bodyHtml)) : htmlToText(bodyHtml);
  if (footer !== undefined) {
    html = withHtmlFooter(html, footer);
    text = `${text.replace(/\s+$/, "")}\n\n${textFooter(footer)}\n`;
  }
  const htmlTemplate = liquid.html.parse(inlineCss(html));
  const textTemplate = liquid.text.parse(text);
  return {
    format: source.format,
    render(context) {
      const renderedSubject = oneLine(liquid.text.renderSync(subject, context));
      const scope = { ...context, subject: renderedSubject };
      return {
        subject: renderedSubject,
        text: liquid.text.renderSync(textTemplate, scope),
        html: liquid.html.renderSync(htmlTemplate, scope),
      };
    },
  };
}

/** The layout around the content: the body's source takes the place of `{{ content }}`. */
function wrap(layout: string, content: string): string {
  return CONTENT.test(layout) ? layout.replace(CONTENT_ALL, () => content) : `${layout}\n${content}`;
}

export function markdownToHtml(source: string): string {
  const s = shield(source);
  return s.restore(md.render(s.text));
}

function htmlToText(html: string): string {
  const s = shield(html);
  const text = convert(s.text, {
    wordwrap: 78,
    selectors: [
      ...["h1", "h2", "h3", "h4", "h5", "h6"].map((selector) => ({
        selector,
        options: { uppercase: false },
      })),
      { selector: "a", options: { hideLinkHrefIfSameAsText: true } },
      { selector: "img", format: "skip" },
      { selector: "style", format: "skip" },
      { selector: "title", format: "skip" },
    ],
  });
  return s.restore(text);
}

function inlineCss(html: string): string {
  const s = shield(html);
  return s.restore(
    juice(s.text, {
      preserveMediaQueries: true,
      preserveImportant: true,
      applyWidthAttributes: false,
      applyHeightAttributes: false,
    }),
  );
}

function textFooter(footer: string): string {
  return footer.includes("{{unsubscribe_url}}")
    ? footer.replaceAll("{{unsubscribe_url}}", "{{ unsubscribe_url }}")
    : `${footer} {{ unsubscribe_url }}`;
}

function withHtmlFooter(html: string, footer: string): string {
  const escaped = footer.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const link = '<a href="{{ unsubscribe_url }}">{{ unsubscribe_url }}</a>';
  const text = escaped.includes("{{unsubscribe_url}}")
    ? escaped.replaceAll("{{unsubscribe_url}}", link)
    : `${escaped} ${link}`;
  const p = `<p style="font-size:12px;line-height:1.5;color:#6b7280;margin:24px 0 0">${text}</p>`;
  return /<\/body>/i.test(html) ? html.replace(/<\/body>/i, `${p}\n</body>`) : `${html}\n${p}\n`;
}

/** A rendered subject on one line (a value with a line break must not start a new header). */
function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ").trim();
}
