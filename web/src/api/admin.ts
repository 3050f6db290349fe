/**
 * Typed calls for every admin endpoint the console uses (ADMIN_API.md). Views call these,
 * never `request` with a literal path, so the list of endpoints lives in one place.
 */
import { pickList, pickTotal, request } from './client'
import type {
  Account,
  AccountPatch,
  AccountProfile,
  ApiKey,
  AuditEntry,
  BlockedIp,
  DeviceStart,
  DriftReport,
  DeviceStatusResp,
  DiagnoseReport,
  FeedResult,
  LoginResp,
  LogRow,
  NewAccount,
  NewKey,
  Settings,
  SocialProvider,
  SocialStart,
  SystemInfo,
} from './types'

export type Query = Record<string, string | number | boolean | undefined | null>

export const session = {
  login: (password: string) =>
    request<LoginResp>('/v2/login', { method: 'POST', body: { password }, noAuthRedirect: true }),
  logout: () => request<void>('/v2/logout', { method: 'POST', noAuthRedirect: true }),
  changePassword: (old_password: string, new_password: string) =>
    request<void>('/v2/password', { method: 'POST', body: { old_password, new_password } }),
  system: () => request<SystemInfo>('/v2/system'),
}

export const accounts = {
  /** Every account matching the filters: the server pages at most 500 per call, so this follows the pages. */
  list: async (q: Query = {}) => {
    const all: Account[] = []
    for (let page = 1; page <= 40; page++) {
      const resp = await request<unknown>('/v2/accounts', { query: { ...q, page, per_page: 500 } })
      const rows = pickList<Account>(resp, 'accounts')
      all.push(...rows)
      if (rows.length < 500 || all.length >= pickTotal(resp, all.length)) break
    }
    return all
  },
  get: (id: string) => request<Account>(`/v2/accounts/${encodeURIComponent(id)}`),
  create: (a: NewAccount) => request<Account>('/v2/accounts', { method: 'POST', body: a }),
  feed: (list: NewAccount[]) => request<FeedResult>('/v2/accounts/feed', { method: 'POST', body: { accounts: list } }),
  import: (doc: string) =>
    request<FeedResult>('/v2/accounts/import', { method: 'POST', raw: { data: doc, contentType: 'application/json' } }),
  /** kiro-cli's data.sqlite3, sent as it is (the gateway reads its auth_kv and state tables). */
  importSqlite: (db: ArrayBuffer) =>
    request<FeedResult>('/v2/accounts/import', { method: 'POST', raw: { data: db, contentType: 'application/vnd.sqlite3' } }),
  export: () => request<unknown>('/v2/accounts/export'),
  patch: (id: string, p: AccountPatch) =>
    request<Account>(`/v2/accounts/${encodeURIComponent(id)}`, { method: 'PATCH', body: p }),
  remove: (id: string) => request<void>(`/v2/accounts/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  refresh: (id: string) => request<unknown>(`/v2/accounts/${encodeURIComponent(id)}/refresh`, { method: 'POST' }),
  usage: (id: string) => request<unknown>(`/v2/accounts/${encodeURIComponent(id)}/usage`, { method: 'POST' }),
  diagnose: (id: string) => request<DiagnoseReport>(`/v2/accounts/${encodeURIComponent(id)}/diagnose`, { method: 'POST' }),
  profiles: async (id: string) =>
    (await request<{ profiles?: AccountProfile[] }>(`/v2/accounts/${encodeURIComponent(id)}/profiles`)).profiles ?? [],
  pickProfile: (id: string, profileArn: string) =>
    request<Account>(`/v2/accounts/${encodeURIComponent(id)}/profile`, { method: 'POST', body: { profile_arn: profileArn } }),
}

export const device = {
  start: (body: { region?: string; start_url?: string }) =>
    request<DeviceStart>('/v2/auth/start', { method: 'POST', body }),
  status: (authId: string) => request<DeviceStatusResp>(`/v2/auth/status/${encodeURIComponent(authId)}`),
}

/** Kiro GitHub / Google sign-in: start gives the link, finish takes the pasted kiro:// address. */
export const social = {
  start: (body: { provider: SocialProvider; region?: string; label?: string }) =>
    request<SocialStart>('/v2/auth/social/start', { method: 'POST', body }),
  finish: (login_id: string, callback_url: string) =>
    request<Account>('/v2/auth/social/finish', { method: 'POST', body: { login_id, callback_url } }),
}

/** PATCH body for a key; `null` clears a limit. */
export type KeyPatch = { name?: string; enabled?: boolean; models?: string[] | null; rpm?: number | null; max_concurrency?: number | null; expires_at?: string | null }

export const keys = {
  list: async () => pickList<ApiKey>(await request('/v2/keys'), 'keys'),
  /** The answer holds the secret once; its field name is normalised by `secretOf`. */
  create: (k: NewKey) => request<Record<string, unknown>>('/v2/keys', { method: 'POST', body: k }),
  patch: (id: string, p: KeyPatch) =>
    request<ApiKey>(`/v2/keys/${encodeURIComponent(id)}`, { method: 'PATCH', body: p }),
  remove: (id: string) => request<void>(`/v2/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
}

/** The one-time secret in a key-creation answer: `secret`, `key` (string) or `api_key`. */
export function secretOf(resp: Record<string, unknown>): string {
  for (const k of ['secret', 'key', 'api_key', 'token', 'value']) {
    const v = resp[k]
    if (typeof v === 'string' && v) return v
  }
  const nested = resp.key
  if (nested && typeof nested === 'object') return secretOf(nested as Record<string, unknown>)
  return ''
}

export const settings = {
  get: () => request<Settings>('/v2/settings'),
  put: (s: Settings) => request<Settings>('/v2/settings', { method: 'PUT', body: s }),
}

export const logs = {
  list: async (q: Query) => {
    const resp = await request<unknown>('/v2/logs', { query: q })
    const rows = pickList<LogRow>(resp, 'logs')
    return { rows, total: pickTotal(resp, rows.length) }
  },
  get: (id: string | number) => request<LogRow>(`/v2/logs/${encodeURIComponent(String(id))}`),
  stats: (range: string) => request<unknown>('/v2/logs/stats', { query: { range } }),
  cleanup: (older_than_days: number) =>
    request<Record<string, unknown>>('/v2/logs/cleanup', { method: 'POST', body: { older_than_days } }),
}

/** Upstream drift (issue 22): what the upstream sent that this build does not know. */
export const upstream = {
  drift: () => request<DriftReport>('/v2/upstream/drift'),
  resetDrift: () => request<void>('/v2/upstream/drift', { method: 'DELETE' }),
}

export const ips = {
  blocked: async () => pickList<BlockedIp>(await request('/v2/ips/blocked'), 'blocked', 'ips'),
  /** `confirm_self_block`: required when the range holds the caller's own address. */
  block: (b: { ip: string; reason?: string; expires_at?: string; confirm_self_block?: boolean }) =>
    request<unknown>('/v2/ips/block', { method: 'POST', body: b }),
  unblock: (ip: string) => request<unknown>('/v2/ips/unblock', { method: 'POST', body: { ip } }),
}

export const audit = {
  list: async (q: Query = {}) => {
    const resp = await request<unknown>('/v2/audit', { query: q })
    const rows = pickList<AuditEntry>(resp, 'audit', 'entries')
    return { rows, total: pickTotal(resp, rows.length) }
  },
}

export async function health(): Promise<{ ok: boolean; reason?: string }> {
  try {
    const res = await fetch('/healthz', { cache: 'no-store' })
    if (res.ok) return { ok: true }
    const body = (await res.json().catch(() => ({}))) as { reason?: string; status?: string }
    return { ok: false, reason: body.reason ?? body.status ?? `HTTP ${res.status}` }
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) }
  }
}
