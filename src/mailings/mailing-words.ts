/**
 * The words of mailings and runs in the page's language (issue 16): counts with their nouns, repeats,
 * statuses, sending windows and times. The stored values stay English; only what people read changes.
 */

import type { Periodicity } from "../db/schema.js";
import { describeWindow, parseSendWindow, type WindowWords } from "../delivery/window.js";
import { formatNumber, type Locale, type Translate } from "../i18n/index.js";
import { formatInZone } from "../shared/time.js";

/** A count with its noun: t(key) chooses the plural by `count` and shows `n` as the language writes it. */
export function counted(t: Translate, locale: Locale, key: string, n: number): string {
  return t(key, { count: n, n: formatNumber(locale, n) });
}

/** A mailing's recipient count as lists show it: "10,000+ recipients" when the count was capped. */
export function recipientsText(
  t: Translate,
  locale: Locale,
  m: { recipient_count: number; recipient_count_capped?: boolean },
): string {
  return m.recipient_count_capped
    ? t("mailings.recipientCapped", { n: formatNumber(locale, m.recipient_count) })
    : counted(t, locale, "mailings.recipientCount", m.recipient_count);
}

export function periodicityText(t: Translate, periodicity: Periodicity): string {
  return t(`mailings.periodicity.${periodicity}`);
}

export function windowWords(t: Translate): WindowWords {
  return {
    everyDay: t("mailings.window.everyDay"),
    days: [1, 2, 3, 4, 5, 6, 7].map((d) => t(`mailings.window.days.${d}`)),
  };
}

/** A stored sending window in words, or "Any time". */
export function windowText(t: Translate, stored: string | null): string {
  const window = parseSendWindow(stored);
  return window ? describeWindow(window, windowWords(t)) : t("mailings.window.anyTime");
}

/** A time in a zone with the month in the page's language (English keeps the default format). */
export function timeIn(
  locale: Locale,
  value: string | null | undefined,
  zone: string,
  options: { seconds?: boolean } = {},
): string {
  return formatInZone(value, zone, locale === "en" ? options : { ...options, locale });
}
