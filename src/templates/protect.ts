/**
 * Liquid tags shielded from the HTML tools (markdown-it, juice, html-to-text) that would otherwise escape,
 * wrap, upper-case or re-quote them: each `{{ … }}` / `{% … %}` becomes a letters-and-digits marker, and
 * comes back afterwards. Done once per run (or per save), never per copy.
 */
const TAG = /\{\{-?[\s\S]*?-?\}\}|\{%-?[\s\S]*?-?%\}/g;
const MARKER = /LQx(\d+)xQL/g;

export interface Shielded {
  text: string;
  restore(text: string): string;
}

export function shield(source: string): Shielded {
  const tags: string[] = [];
  const text = source.replace(TAG, (tag) => {
    tags.push(tag);
    return `LQx${tags.length - 1}xQL`;
  });
  return { text, restore: (out) => out.replace(MARKER, (m, i) => tags[Number(i)] ?? m) };
}

/** Whether a template uses a variable (by name, as `{{ name` or inside a tag); a cheap textual test. */
export function mentions(source: string, name: string): boolean {
  return new RegExp(`(\\{\\{-?|\\{%-?)[^}%]*\\b${name}\\b`).test(source);
}

/** Whether a text has any Liquid at all. */
export function hasLiquid(source: string): boolean {
  TAG.lastIndex = 0;
  return /\{\{|\{%/.test(source);
}
