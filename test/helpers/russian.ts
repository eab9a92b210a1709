/** For tests of Russian pages: what English is left on a page a Russian speaker sees. */

export const RU = { "accept-language": "ru-RU,ru;q=0.9,en;q=0.8" };

/** Names and codes that stay as they are in any language. */
export const ALLOWED = new Set([
  "PostPilot",
  "Accept-Language",
  "English",
  "SMTP",
  "URL",
  "API",
  "JSON",
  "CSV",
  "DKIM",
  "Europe",
  "Moscow",
  "name",
  "example",
  "com",
]);

/** The visible text of a page (tags, scripts and styles dropped) and its attributes people read. */
export function visibleText(html: string): string {
  const readable = [...html.matchAll(/(?:aria-label|placeholder|title)="([^"]*)"/g)].map((m) => m[1]);
  const body = html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<style[\s\S]*?<\/style>/g, " ")
    .replace(/<select[\s\S]*?<\/select>/g, " ") // options are zone names and language names
    .replace(/<[^>]+>/g, " ");
  return `${body} ${readable.join(" ")}`.replace(/&[a-z#0-9]+;/g, " ");
}

/** Latin words left on a Russian page, apart from the allowed ones and email addresses. */
export function englishLeft(html: string, alsoAllowed: readonly string[] = []): string[] {
  const text = visibleText(html).replace(/\S+@\S+/g, " ");
  return [...new Set(text.match(/[A-Za-z][A-Za-z'-]+/g) ?? [])].filter(
    (w) => !ALLOWED.has(w) && !alsoAllowed.includes(w),
  );
}

/** What a key looks like if one leaked: "accounts.login.title". */
export const KEY = /\b[a-z]+\.[a-z]+(?:\.[a-zA-Z_]+)*\b/;
