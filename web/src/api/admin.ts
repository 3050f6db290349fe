/**
 * Typed calls for every admin endpoint the console uses (ADMIN_API.md). Views call these,
 * never `request` with a literal path, so the list of endpoints lives in one place.
 */
import { request } from './client'
import type {
  Account,
  ApiKey,
  AccountList,
  AccountPatch,
  AuditList,
  BlockedIp,
  BlockedList,
  BlockRequest,
  CreatedKey,
  Deleted,
  DeviceLoginRequest,
  DeviceLoginStart,
  DeviceStatusResp,
  DiagnoseReport,
  Done,
  DriftReport,
  FeedResult,
  KeyList,
  KeyPatch,
  LogList,
  LoginAnswer,
  LogRow,
  LogStats,
  NewAccount,
  NewKey,
  PasswordChanged,
  ProfileList,
  Settings,
  SettingsUpdate,
  SocialLoginRequest,
  SocialLoginStart,
  SystemInfo,
} from './types'

export type Query = Record<string, string | number | boolean | undefined | null>

export const session = {
  login: (password: string) =>
    request<LoginAnswer>('/v2/login', { method: 'POST', body: { password }, noAuthRedirect: true }),
  logout: () => request<Done>('/v2/logout', { method: 'POST', noAuthRedirect: true }),
  changePassword: (old_password: string, new_password: string) =>
    request<PasswordChanged>('/v2/password', { method: 'POST', body: { old_password, new_password } }),
  system: () => request<SystemInfo>('/v2/system'),
}

export const accounts = {
  /** Every account matching the filters: the server pages at most 500 per call, so this follows the pages. */
  list: async (q: Query = {}) => {
    const all: Account[] = []
    for (let page = 1; page <= 40; page++) {
      const resp = await request<AccountList>('/v2/accounts', { query: { ...q, page, per_page: 500 } })
      all.push(...resp.accounts)
      if (resp.accounts.length < resp.per_page || all.length >= resp.total) break
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
  remove: (id: string) => request<Done>(`/v2/accounts/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  refresh: (id: string) => request<Account>(`/v2/accounts/${encodeURIComponent(id)}/refresh`, { method: 'POST' }),
  usage: (id: string) => request<Account>(`/v2/accounts/${encodeURIComponent(id)}/usage`, { method: 'POST' }),
  diagnose: (id: string) => request<DiagnoseReport>(`/v2/accounts/${encodeURIComponent(id)}/diagnose`, { method: 'POST' }),
  profiles: async (id: string) =>
    (await request<ProfileList>(`/v2/accounts/${encodeURIComponent(id)}/profiles`)).profiles,
  pickProfile: (id: string, profileArn: string) =>
    request<Account>(`/v2/accounts/${encodeURIComponent(id)}/profile`, { method: 'POST', body: { profile_arn: profileArn } }),
}

export const device = {
  start: (body: DeviceLoginRequest) => request<DeviceLoginStart>('/v2/auth/start', { method: 'POST', body }),
  status: (authId: string) => request<DeviceStatusResp>(`/v2/auth/status/${encodeURIComponent(authId)}`),
}

/** Kiro GitHub / Google sign-in: start gives the link, finish takes the pasted kiro:// address. */
export const social = {
  start: (body: SocialLoginRequest) => request<SocialLoginStart>('/v2/auth/social/start', { method: 'POST', body }),
  finish: (login_id: string, callback_url: string) =>
    request<Account>('/v2/auth/social/finish', { method: 'POST', body: { login_id, callback_url } }),
}

export const keys = {
  list: async () => (await request<KeyList>('/v2/keys')).keys,
  /** The answer holds the secret, shown this once. */
  create: (k: NewKey) => request<CreatedKey>('/v2/keys', { method: 'POST', body: k }),
  patch: (id: string, p: KeyPatch) => request<ApiKey>(`/v2/keys/${encodeURIComponent(id)}`, { method: 'PATCH', body: p }),
  remove: (id: string) => request<Done>(`/v2/keys/${encodeURIComponent(id)}`, { method: 'DELETE' }),
}

export const settings = {
  get: () => request<Settings>('/v2/settings'),
  put: (s: SettingsUpdate) => request<Settings>('/v2/settings', { method: 'PUT', body: s }),
}

export const logs = {
  list: async (q: Query) => {
    const resp = await request<LogList>('/v2/logs', { query: q })
    return { rows: resp.logs, total: resp.total }
  },
  get: (id: string | number) => request<LogRow>(`/v2/logs/${encodeURIComponent(String(id))}`),
  stats: (range: string) => request<LogStats>('/v2/logs/stats', { query: { range } }),
  cleanup: (older_than_days: number) => request<Deleted>('/v2/logs/cleanup', { method: 'POST', body: { older_than_days } }),
}

/** Upstream drift (issue 22): what the upstream sent that this build does not know. */
export const upstream = {
  drift: () => request<DriftReport>('/v2/upstream/drift'),
  resetDrift: () => request<void>('/v2/upstream/drift', { method: 'DELETE' }),
}

export const ips = {
  blocked: async () => (await request<BlockedList>('/v2/ips/blocked')).blocked,
  /** `confirm_self_block`: required when the range holds the caller's own address. */
  block: (b: BlockRequest) => request<BlockedIp>('/v2/ips/block', { method: 'POST', body: b }),
  unblock: (ip: string) => request<Done>('/v2/ips/unblock', { method: 'POST', body: { ip } }),
}

export const audit = {
  list: async (q: Query = {}) => {
    const resp = await request<AuditList>('/v2/audit', { query: q })
    return { rows: resp.entries, total: resp.total }
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
