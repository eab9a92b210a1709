/**
 * The layout PostPilot ships (inserted by migration 011 as a shared layout). A single 600 px column of
 * tables (what Outlook renders), system fonts, light by default with a dark variant for the clients that
 * honour prefers-color-scheme (Apple Mail, Outlook for Mac, some Gmail apps); juice inlines the light
 * colours, the media query stays in <style>. Frozen with the migration: change the default in a new one.
 */
import type { Kysely } from "kysely";

/** Inserts the shipped layout (a shared one: owner_id null). */
// biome-ignore lint/suspicious/noExplicitAny: migrations are frozen and must not depend on app types
export async function insertDefaultLayout(db: Kysely<any>): Promise<void> {
  const now = new Date().toISOString();
  await db
    .insertInto("layouts")
    .values({
      owner_id: null,
      name: "PostPilot default",
      html: DEFAULT_LAYOUT_HTML,
      text: DEFAULT_LAYOUT_TEXT,
      created_at: now,
      updated_at: now,
    })
    .execute();
}

export const DEFAULT_LAYOUT_HTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>{{ subject }}</title>
<style>
  body { margin: 0; padding: 0; background: #f3f4f6; }
  .outer { width: 100%; background: #f3f4f6; padding: 24px 0; }
  .card { max-width: 600px; width: 100%; background: #ffffff; border-radius: 8px; }
  .content { padding: 32px 32px 16px; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 16px; line-height: 1.55; color: #1f2937; }
  .content h1 { font-size: 24px; line-height: 1.25; margin: 0 0 16px; color: #111827; }
  .content h2 { font-size: 20px; line-height: 1.3; margin: 24px 0 12px; color: #111827; }
  .content p { margin: 0 0 16px; }
  .content a { color: #2563eb; }
  .content img { max-width: 100%; height: auto; }
  .footer { padding: 16px 32px 32px; font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; font-size: 12px; line-height: 1.5; color: #6b7280; }
  .footer a { color: #6b7280; }
  @media (prefers-color-scheme: dark) {
    body, .outer { background: #111827 !important; }
    .card { background: #1f2937 !important; }
    .content, .content h1, .content h2 { color: #f3f4f6 !important; }
    .content a { color: #93c5fd !important; }
    .footer, .footer a { color: #9ca3af !important; }
  }
  @media (max-width: 620px) {
    .content { padding: 24px 20px 12px !important; }
    .footer { padding: 12px 20px 24px !important; }
  }
</style>
</head>
<body>
<table role="presentation" class="outer" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td align="center">
<table role="presentation" class="card" width="600" cellpadding="0" cellspacing="0" border="0">
<tr><td class="content">
{{ content }}
</td></tr>
<tr><td class="footer">
{% if view_in_browser_url != blank %}<a href="{{ view_in_browser_url }}">View in your browser</a><br>{% endif %}
You receive this because you are on {{ sender.name }}'s list. <a href="{{ unsubscribe_url }}">Unsubscribe</a>.
{% if sender.postal_address != blank %}<br>{{ sender.postal_address }}{% endif %}
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

export const DEFAULT_LAYOUT_TEXT = `{{ content }}

--
You receive this because you are on {{ sender.name }}'s list.
Unsubscribe: {{ unsubscribe_url }}
{% if sender.postal_address != blank %}{{ sender.postal_address }}
{% endif %}`;
