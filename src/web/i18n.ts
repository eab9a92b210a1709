/**
 * The language of the page being rendered, for shared components that take no ViewContext (pager, search
 * form, row actions): the Layout provides it, useI18n() reads it. Pages read ctx.t.
 */
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import { DEFAULT_LOCALE, type Locale, type Translate, translator } from "../i18n/index.js";

export interface I18nValue {
  locale: Locale;
  t: Translate;
}

export const I18nContext = createContext<I18nValue>({
  locale: DEFAULT_LOCALE,
  t: translator(DEFAULT_LOCALE),
});

export function useI18n(): I18nValue {
  return useContext(I18nContext);
}
