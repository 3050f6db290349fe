/**
 * App-wide state without a store library: theme choice (light/dark/system, remembered),
 * system info from `GET /v2/system` (version, demo mode, default-password flag) and the
 * health dot fed by `/healthz`.
 */
import { computed, reactive, ref } from 'vue'
import { health, session } from '../api/admin'
import { getToken } from '../api/client'
import type { SystemInfo } from '../api/types'

export type ThemeChoice = 'light' | 'dark' | 'system'
const THEME_KEY = 'claude-api.theme'

function readTheme(): ThemeChoice {
  const v = typeof localStorage !== 'undefined' ? localStorage.getItem(THEME_KEY) : null
  return v === 'light' || v === 'dark' ? v : 'system'
}

const media = typeof window !== 'undefined' && window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null
const systemDark = ref(media?.matches ?? false)
media?.addEventListener('change', (e) => (systemDark.value = e.matches))

export const themeChoice = ref<ThemeChoice>(readTheme())
export const isDark = computed(() => (themeChoice.value === 'system' ? systemDark.value : themeChoice.value === 'dark'))

export function setTheme(t: ThemeChoice): void {
  themeChoice.value = t
  if (t === 'system') localStorage.removeItem(THEME_KEY)
  else localStorage.setItem(THEME_KEY, t)
}

export const system = reactive<{ info: SystemInfo | null; loaded: boolean; healthy: boolean | null; healthReason: string }>({
  info: null,
  loaded: false,
  healthy: null,
  healthReason: '',
})

/** Loads `/v2/system`; until it answers (or when it fails) no version / demo badge is shown. */
export async function loadSystem(): Promise<void> {
  if (!getToken()) return
  try {
    system.info = await session.system()
  } catch {
    system.info = null
  } finally {
    system.loaded = true
  }
}

export async function checkHealth(): Promise<void> {
  const h = await health()
  system.healthy = h.ok
  system.healthReason = h.reason ?? ''
}

/** Set right after a login that answered `must_change_password`, until the password changes. */
export const mustChangePassword = ref(false)
export const showDefaultPasswordBanner = computed(() => mustChangePassword.value || system.info?.must_change_password === true)
