/**
 * Shapes of the admin API (ADMIN_API.md). Fields the contract leaves open are optional, and
 * the console renders whatever extra fields a log row or audit entry carries.
 */

export type AccountStatus = 'active' | 'cooling_down' | 'exhausted' | 'needs_login' | 'banned' | 'disabled'
export const ACCOUNT_STATUSES: AccountStatus[] = ['active', 'cooling_down', 'exhausted', 'needs_login', 'banned', 'disabled']

export type AuthMethod = 'builder_id' | 'idc' | 'social'

export interface Quota {
  used: number
  limit: number
  resets_at?: string | null
}

export interface Account {
  id: string
  label?: string | null
  auth_method: AuthMethod
  region?: string | null
  status: AccountStatus
  status_reason?: string | null
  enabled: boolean
  expires_at?: string | null
  last_refresh_at?: string | null
  last_used_at?: string | null
  inflight?: number
  success_count?: number
  error_count?: number
  quota?: Quota | null
  weight?: number
  max_concurrency?: number | null
  proxy_url?: string | null
  last_error?: string | null
  created_at?: string
  /** Region whose Kiro hosts serve the account: its profile ARN's, else mapped from `region`. */
  api_region?: string | null
  /** `runtime` (the 2026 Kiro hosts) or `legacy_q` (fallen back); null when not loaded here. */
  upstream_host?: 'runtime' | 'legacy_q' | null
  /** The account's own profile (IdC, social); Builder ID sends Kiro's service profile instead. */
  profile_arn?: string | null
  /** Model ids of the account's live catalog (ListAvailableModels); null until fetched. */
  models?: string[] | null
}

/** One IAM Identity Center profile (GET /v2/accounts/:id/profiles). */
export interface AccountProfile {
  arn: string
  name?: string | null
  region?: string | null
  selected: boolean
}

/** Body of POST /v2/accounts and the items of /feed. */
export interface NewAccount {
  label?: string
  auth_method: AuthMethod
  client_id?: string
  client_secret?: string
  refresh_token: string
  access_token?: string
  expires_at?: string
  region?: string
  profile_arn?: string
  start_url?: string
  enabled?: boolean
}

export interface AccountPatch {
  label?: string
  enabled?: boolean
  weight?: number
  max_concurrency?: number
  proxy_url?: string | null
}

export interface FeedResult {
  created: string[]
  rejected: { index: number; error: string }[]
}

export interface DeviceStart {
  auth_id: string
  user_code: string
  verification_uri: string
  verification_uri_complete?: string
  expires_in: number
  interval: number
}

/** POST /v2/auth/social/start answer (Kiro GitHub / Google sign-in). */
export interface SocialStart {
  login_id: string
  url: string
  expires_at: string
}
export type SocialProvider = 'github' | 'google'

export type DeviceStatus = 'pending' | 'completed' | 'expired' | 'denied' | 'error'
export interface DeviceStatusResp {
  status: DeviceStatus
  account_id?: string
  error?: string
}

export interface ApiKey {
  id: string
  name: string
  enabled: boolean
  models?: string[] | null
  rpm?: number | null
  max_concurrency?: number | null
  expires_at?: string | null
  created_at?: string
  last_used_at?: string | null
  prefix?: string | null
  requests?: number
  tokens?: number
  usage?: { requests?: number; tokens?: number; input_tokens?: number; output_tokens?: number } | null
}

export interface NewKey {
  name: string
  enabled?: boolean
  models?: string[]
  rpm?: number
  max_concurrency?: number
  expires_at?: string
}

export interface Settings {
  apiKey?: string
  debugLog?: boolean
  enableRequestLog?: boolean
  logRetentionDays?: number
  enableIPRateLimit?: boolean
  ipRateLimitWindow?: number
  ipRateLimitMax?: number
  [other: string]: unknown
}

export interface LogRow {
  id: string | number
  [field: string]: unknown
}

export interface BlockedIp {
  ip: string
  reason?: string | null
  expires_at?: string | null
  created_at?: string | null
}

export interface AuditEntry {
  id?: string | number
  [field: string]: unknown
}

export interface SystemInfo {
  version?: string
  demo?: boolean
  must_change_password?: boolean
  data_dir?: string
}

export interface LoginResp {
  token: string
  expires_at?: string
  must_change_password: boolean
}

/** `POST /v2/accounts/:id/diagnose` (and `claude-server doctor --json`): one account, step by step. */
export type DiagnoseVerdict = 'ok' | 'warn' | 'fail' | 'skipped'
export interface DiagnoseStep {
  name: string
  verdict: DiagnoseVerdict
  ms: number
  detail: string
  upstream?: { status?: number; error_type?: string; reason?: string; message: string; request_id?: string }
  /** Stable advice key (relogin, pick_profile, wrong_region, …); the console shows its own text. */
  code?: string
  advice?: string
}
export interface DiagnoseReport {
  account: { id: string; label: string; auth_method: string; api_region: string; host: string; proxy: boolean }
  verdict: Exclude<DiagnoseVerdict, 'skipped'>
  ms: number
  steps: DiagnoseStep[]
}

/** One kept drift sample (`GET /v2/upstream/drift`): shapes and upstream names only, never content. */
export interface DriftSample {
  at: string
  account: string | null
  detail: string
  shape: string
}

/** One drift kind with its counters and recent samples. */
export interface DriftKindReport {
  kind: string
  count: number
  details: Record<string, number>
  samples: DriftSample[]
  first_seen: string | null
  last_seen: string | null
}

/** `GET /v2/upstream/drift`. */
export interface DriftReport {
  total: number
  kinds: DriftKindReport[]
}
