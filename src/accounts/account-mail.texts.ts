/**
 * The texts of account emails (confirmation, password reset, "someone tried to register"). Pure. Links
 * carry the raw token; no email ever carries a password. Each is in its recipient's language (src/i18n).
 */
import { type Locale, translator } from "../i18n/index.js";

export const CONFIRM_TTL_MS = 24 * 3600_000;
export const RESET_TTL_MS = 3600_000;

export interface EmailText {
  subject: string;
  body: string;
}

/** An absolute link on this site: `base` is PUBLIC_URL, or the origin the request came to. */
export function siteLink(base: string, path: string, token?: string): string {
  // Relative to the base's path, so a PUBLIC_URL under a folder (https://host/postpilot) keeps it.
  const url = new URL(path.replace(/^\//, ""), base.endsWith("/") ? base : `${base}/`);
  if (token !== undefined) url.searchParams.set("token", token);
  return url.toString();
}

export function confirmEmail(link: string, locale?: Locale | null): EmailText {
  const t = translator(locale);
  return {
    subject: t("mail.confirm.subject"),
    body: [t("mail.hello"), "", t("mail.confirm.body"), "", link, "", t("mail.confirm.after")].join("\n"),
  };
}

export function resetEmail(link: string, locale?: Locale | null): EmailText {
  const t = translator(locale);
  return {
    subject: t("mail.reset.subject"),
    body: [t("mail.hello"), "", t("mail.reset.body"), "", link, "", t("mail.reset.after")].join("\n"),
  };
}

export function alreadyRegisteredEmail(
  loginLink: string,
  forgotLink: string,
  locale?: Locale | null,
): EmailText {
  const t = translator(locale);
  return {
    subject: t("mail.already.subject"),
    body: [
      t("mail.hello"),
      "",
      t("mail.already.body"),
      "",
      t("mail.already.login"),
      loginLink,
      "",
      t("mail.already.forgot"),
      forgotLink,
      "",
      t("mail.already.after"),
    ].join("\n"),
  };
}

/** To the owner of an account someone keeps failing to log in to. */
export function failedLoginsEmail(failures: number, locale?: Locale | null): EmailText {
  const t = translator(locale);
  return {
    subject: t("mail.failed.subject"),
    body: [t("mail.hello"), "", t("mail.failed.body", { count: failures }), t("mail.failed.after")].join(
      "\n",
    ),
  };
}
