/**
 * Validation of the original settings (ORIGINAL_DESIGN.md "Settings stored in the database")
 * and the diff that `PUT /v2/settings` receives: only the names that changed. Pure.
 */
import type { Settings } from '../../api/types'

export type SettingName = keyof Settings

export const DEFAULTS: Settings = {
  apiKey: '',
  debugLog: false,
  enableRequestLog: true,
  logRetentionDays: 30,
  enableIPRateLimit: false,
  ipRateLimitWindow: 1,
  ipRateLimitMax: 100,
}

/** Returns an i18n key per invalid field (empty object when valid). */
export function validateSettings(s: Partial<Settings>): Partial<Record<SettingName, string>> {
  const errs: Partial<Record<SettingName, string>> = {}
  const int = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
  if (s.logRetentionDays !== undefined && !int(s.logRetentionDays, 1, 3650)) errs.logRetentionDays = 'settings.errRetention'
  if (s.ipRateLimitWindow !== undefined && !int(s.ipRateLimitWindow, 1, 1440)) errs.ipRateLimitWindow = 'settings.errWindow'
  if (s.ipRateLimitMax !== undefined && !int(s.ipRateLimitMax, 1, 1_000_000)) errs.ipRateLimitMax = 'settings.errMax'
  if (typeof s.apiKey === 'string' && /\s/.test(s.apiKey)) errs.apiKey = 'settings.errApiKey'
  return errs
}

/** The names whose value differs from what the server returned. */
export function diffSettings(before: Partial<Settings>, after: Partial<Settings>, names: readonly SettingName[]): Partial<Settings> {
  const out: Partial<Settings> = {}
  for (const n of names) {
    if (after[n] !== undefined && after[n] !== before[n]) (out as Record<string, unknown>)[n] = after[n]
  }
  return out
}
