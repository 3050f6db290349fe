/**
 * vue-i18n setup: zh-CN and English, the choice remembered in localStorage, the initial
 * language taken from the browser. Naive UI's own locale follows (see App.vue).
 *
 * The messages are plain JSON catalogs (en.json, zh-CN.json), the format vue-i18n and
 * translation tools read as they are. en.json is the schema: the compiler rejects a zh-CN
 * catalog that lacks one of its keys, and tests/i18n.test.ts checks both directions, the
 * placeholders and that no message holds vue-i18n syntax.
 */
import { createI18n } from 'vue-i18n'
import en from './en.json'
import zhCN from './zh-CN.json'

export type Locale = 'en' | 'zh-CN'
/** The shape every catalog has: that of en.json. */
export type MessageSchema = typeof en
const LOCALE_KEY = 'claude-api.locale'

function initialLocale(): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(LOCALE_KEY) : null
  if (saved === 'en' || saved === 'zh-CN') return saved
  const nav = typeof navigator !== 'undefined' ? navigator.language : 'en'
  return nav.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: initialLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zhCN },
})

export function setLocale(l: Locale): void {
  i18n.global.locale.value = l
  localStorage.setItem(LOCALE_KEY, l)
  document.documentElement.lang = l
}
