/**
 * Reading request-log rows (`request_logs`, ADMIN_API.md `GET /v2/logs`). The contract fixes the
 * table, not every column name, so each value is looked up under its likely spellings. Pure.
 */
import type { LogRow } from '../../api/types'

export function pick(row: LogRow, ...names: string[]): unknown {
  for (const n of names) {
    const v = row[n]
    if (v !== undefined && v !== null && v !== '') return v
  }
  return undefined
}

export function num(row: LogRow, ...names: string[]): number | undefined {
  const v = pick(row, ...names)
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  return undefined
}

export const logTime = (r: LogRow) => pick(r, 'at', 'created_at', 'ts', 'time', 'timestamp', 'started_at')
export const logStatus = (r: LogRow) => num(r, 'status', 'status_code', 'http_status')
export const logLatency = (r: LogRow) => num(r, 'latency_ms', 'duration_ms', 'elapsed_ms')
export const logTtfb = (r: LogRow) => num(r, 'ttfb_ms', 'first_byte_ms', 'time_to_first_byte_ms')
export const logIn = (r: LogRow) => num(r, 'input_tokens', 'prompt_tokens')
export const logOut = (r: LogRow) => num(r, 'output_tokens', 'completion_tokens')
/** The model that served the request (the requested one when it was not rewritten or never sent). */
export const logModel = (r: LogRow) => pick(r, 'model_used', 'model', 'model_requested') as string | undefined
export const logModelRequested = (r: LogRow) => pick(r, 'model_requested', 'model') as string | undefined
export const logAccount = (r: LogRow) => pick(r, 'account_label', 'account_id', 'account') as string | undefined
export const logKey = (r: LogRow) => pick(r, 'key_name', 'key_id', 'api_key_id') as string | undefined
export const logIp = (r: LogRow) => pick(r, 'ip', 'client_ip', 'remote_addr') as string | undefined
export const logError = (r: LogRow) => pick(r, 'error_class', 'error_kind', 'error_code', 'error') as string | undefined

/** Normalizer rules fired: an array, a JSON array string or a comma-separated string. */
export function logRules(r: LogRow): string[] {
  const v = pick(r, 'normalizer_rules', 'rules_fired', 'normalize_rules', 'rules')
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
  if (typeof v === 'string') {
    const s = v.trim()
    if (s.startsWith('[')) {
      try {
        const a: unknown = JSON.parse(s)
        if (Array.isArray(a)) return a.map(String)
      } catch {
        /* fall through to comma split */
      }
    }
    return s.split(',').map((x) => x.trim()).filter(Boolean)
  }
  return []
}

export function statusType(s: number | undefined): 'success' | 'warning' | 'error' | 'default' {
  if (s === undefined) return 'default'
  if (s < 300) return 'success'
  if (s < 500 && s !== 429) return 'warning'
  return 'error'
}
