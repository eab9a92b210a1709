/**
 * Markdown → HTML for blog posts, safe to put in a page: markdown-it with raw HTML off (any tag in the
 * source is shown as text), and links and images limited to http(s), mailto and site-relative addresses,
 * so `javascript:` and `data:` URLs never become a link. Pure: no I/O.
 */
import MarkdownIt from "markdown-it";

const md = new MarkdownIt({ html: false, linkify: true, typographer: true });

const SAFE_URL = /^(https?:|mailto:|\/(?!\/)|#)/i;

// markdown-it's own check already refuses javascript:/vbscript:/file: and most data: URLs; this narrows it
// to an allow-list. The URL arrives as written (entities decoded, whitespace and controls possible).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is stripped
md.validateLink = (url: string) => SAFE_URL.test(url.replace(/[\u0000-\u0020\u007f-\u009f]/g, ""));

// Links leave the site without the referrer and without access to window.opener.
const defaultLinkOpen =
  md.renderer.rules.link_open ??
  ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const href = token.attrGet("href") ?? "";
  if (/^(https?:)?\/\//i.test(href)) token.attrSet("rel", "nofollow noopener noreferrer");
  return defaultLinkOpen(tokens, idx, options, env, self);
};

export function renderMarkdown(source: string): string {
  return md.render(source);
}

/**
 * Plain text for lists and the home page: the text the rendered post shows (markdown-it's own parse, so
 * `user_name`, `2 * 3` and `<script>` stay as written and only real emphasis or quoting marks go), without
 * headings, code blocks and images. The caller escapes it as any text.
 */
export function excerpt(source: string, max = 200): string {
  const tokens = md.parse(source, {});
  const parts: string[] = [];
  for (const [i, token] of tokens.entries()) {
    if (token.type !== "inline" || tokens[i - 1]?.type === "heading_open") continue;
    for (const child of token.children ?? []) {
      if (child.type === "text" || child.type === "code_inline") parts.push(child.content);
      else if (child.type === "softbreak" || child.type === "hardbreak") parts.push(" ");
    }
    parts.push(" ");
  }
  const text = parts.join("").replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}
