/** The double opt-in email of a public signup form, in the visitor's language (Accept-Language at signup). */

import type { EmailText } from "../accounts/account-mail.texts.js";
import { type Locale, translator } from "../i18n/index.js";

export function signupConfirmEmail(listName: string, link: string, locale?: Locale | null): EmailText {
  const t = translator(locale);
  return {
    subject: t("signupMail.subject", { list: listName }),
    body: [
      t("mail.hello"),
      "",
      t("signupMail.body", { list: listName }),
      t("signupMail.open"),
      "",
      link,
      "",
      t("signupMail.after"),
    ].join("\n"),
  };
}
