/**
 * Normalises the answer of `GET /v2/logs/stats` (ADMIN_API.md: "totals, success rate, tokens,
 * latency percentiles, per model / per account / per hour series") into one shape for the
 * dashboard. The contract names the contents but not the field names, so this accepts the
 * flat and the `totals`-nested spellings documented in web/README.md. Pure.
 */

export interface Percentiles {
  p50: number | null
  /** The gateway reports p90; other servers may report p95. Either is the "tail" shown. */
  p90: number | null
  p95: number | null
  p99: number | null
}

export interface Bucket {
  /** Start of the bucket, epoch milliseconds. */
  t: number
  requests: number
  success: number
  errors: number
}

export interface Breakdown {
  key: string
  label: string
  requests: number
  success: number
  errors: number
  inputTokens: number
  outputTokens: number
}

export interface DashboardStats {
  requests: number
  success: number
  errors: number
  /** 0..1, null when there were no requests. */
  successRate: number | null
  inputTokens: number
  outputTokens: number
  latency: Percentiles
  ttfb: Percentiles
  series: Bucket[]
  perModel: Breakdown[]
  perAccount: Breakdown[]
}

type Obj = Record<string, unknown>

/** Key of the group of rows without a model/account (the gateway sends `key: null`). */
export const NONE_KEY = '∅'

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function num(o: Obj | undefined, ...keys: string[]): number | undefined {
  if (!o) return undefined
  for (const k of keys) {
    const v = o[k]
    if (typeof v === 'number' && Number.isFinite(v)) return v
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v)
  }
  return undefined
}

function percentiles(v: unknown, root: Obj, prefix: string): Percentiles {
  const o = isObj(v) ? v : undefined
  return {
    p50: num(o, 'p50', 'p50_ms', '50') ?? num(root, `${prefix}_p50_ms`, `${prefix}_p50`) ?? null,
    p90: num(o, 'p90', 'p90_ms', '90') ?? num(root, `${prefix}_p90_ms`, `${prefix}_p90`) ?? null,
    p95: num(o, 'p95', 'p95_ms', '95') ?? num(root, `${prefix}_p95_ms`, `${prefix}_p95`) ?? null,
    p99: num(o, 'p99', 'p99_ms', '99') ?? num(root, `${prefix}_p99_ms`, `${prefix}_p99`) ?? null,
  }
}

function toEpoch(v: unknown): number | undefined {
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v
  if (typeof v === 'string') {
    const t = Date.parse(v)
    return Number.isNaN(t) ? undefined : t
  }
  return undefined
}

function breakdown(list: unknown, keyField: string[], labelField: string[]): Breakdown[] {
  let items: [string | undefined, unknown][] = []
  if (Array.isArray(list)) items = list.map((x) => [undefined, x])
  else if (isObj(list)) items = Object.entries(list)
  const out: Breakdown[] = []
  for (const [mapKey, raw] of items) {
    if (!isObj(raw)) continue
    let key = mapKey
    for (const f of keyField) if (key === undefined && raw[f] !== undefined && raw[f] !== null) key = String(raw[f])
    // A null key groups requests that never reached an account (rejected before selection).
    if (key === undefined) key = NONE_KEY
    let label = key
    for (const f of labelField) if (typeof raw[f] === 'string' && raw[f]) { label = raw[f] as string; break }
    const requests = num(raw, 'requests', 'total', 'count') ?? 0
    const errors = num(raw, 'errors', 'error', 'failed', 'failures') ?? Math.max(0, requests - (num(raw, 'success', 'succeeded', 'ok') ?? requests))
    const success = num(raw, 'success', 'succeeded', 'ok') ?? Math.max(0, requests - errors)
    out.push({
      key,
      label,
      requests,
      success,
      errors,
      inputTokens: num(raw, 'input_tokens', 'prompt_tokens', 'tokens_in') ?? 0,
      outputTokens: num(raw, 'output_tokens', 'completion_tokens', 'tokens_out') ?? 0,
    })
  }
  return out.sort((a, b) => b.requests - a.requests)
}

export function normalizeStats(raw: unknown): DashboardStats {
  const root: Obj = isObj(raw) ? raw : {}
  const totals: Obj = isObj(root.totals) ? root.totals : isObj(root.total) ? root.total : root
  const requests = num(totals, 'requests', 'total_requests', 'total', 'count') ?? num(root, 'total_requests', 'requests') ?? 0
  const explicitErrors = num(totals, 'errors', 'error', 'failed', 'error_count') ?? num(root, 'errors', 'error_count')
  const explicitSuccess = num(totals, 'success', 'succeeded', 'success_count') ?? num(root, 'success', 'success_count')
  const success = explicitSuccess ?? (explicitErrors !== undefined ? Math.max(0, requests - explicitErrors) : requests)
  const errors = explicitErrors ?? Math.max(0, requests - success)
  let rate = num(totals, 'success_rate') ?? num(root, 'success_rate')
  if (rate !== undefined && rate > 1) rate = rate / 100 // a percentage
  const successRate = rate ?? (requests > 0 ? success / requests : null)
  const tokens = isObj(root.tokens) ? root.tokens : isObj(totals.tokens) ? totals.tokens : undefined
  const inputTokens = num(tokens, 'input', 'input_tokens', 'in') ?? num(totals, 'input_tokens', 'prompt_tokens') ?? num(root, 'input_tokens') ?? 0
  const outputTokens = num(tokens, 'output', 'output_tokens', 'out') ?? num(totals, 'output_tokens', 'completion_tokens') ?? num(root, 'output_tokens') ?? 0
  const latency = percentiles(root.latency_ms ?? root.latency ?? totals.latency_ms ?? totals.latency, root, 'latency')
  const ttfb = percentiles(root.ttfb_ms ?? root.ttfb ?? totals.ttfb_ms ?? totals.ttfb, root, 'ttfb')

  const rawSeries = root.series ?? root.by_hour ?? root.per_hour ?? root.hourly ?? root.timeline ?? root.buckets
  const series: Bucket[] = []
  if (Array.isArray(rawSeries)) {
    for (const b of rawSeries) {
      if (!isObj(b)) continue
      const t = toEpoch(b.t ?? b.ts ?? b.time ?? b.hour ?? b.bucket ?? b.start ?? b.date)
      if (t === undefined) continue
      const r = num(b, 'requests', 'total', 'count') ?? 0
      const e = num(b, 'errors', 'error', 'failed') ?? Math.max(0, r - (num(b, 'success', 'succeeded') ?? r))
      series.push({ t, requests: r, errors: e, success: num(b, 'success', 'succeeded') ?? Math.max(0, r - e) })
    }
    series.sort((a, b) => a.t - b.t)
  }

  return {
    requests,
    success,
    errors,
    successRate,
    inputTokens,
    outputTokens,
    latency,
    ttfb,
    series,
    perModel: breakdown(root.by_model ?? root.per_model ?? root.models, ['model', 'name', 'key'], ['model', 'name']),
    perAccount: breakdown(root.by_account ?? root.per_account ?? root.accounts, ['account_id', 'id', 'account', 'key'], ['label', 'account_label', 'name']),
  }
}

export type Range = '24h' | '7d' | '30d'

/**
 * Buckets for the requests chart: 24 hourly buckets for 24h, daily (local midnight) buckets
 * for 7d/30d. The gateway reports hours and omits empty ones, so missing buckets become zeros
 * and hours are summed into days.
 */
export function bucketize(series: Bucket[], range: Range, now: number = Date.now()): Bucket[] {
  const out: Bucket[] = []
  if (range === '24h') {
    const hour = 3_600_000
    const end = Math.floor(now / hour) * hour
    for (let i = 23; i >= 0; i--) out.push({ t: end - i * hour, requests: 0, success: 0, errors: 0 })
  } else {
    const days = range === '7d' ? 7 : 30
    const today = new Date(now)
    today.setHours(0, 0, 0, 0)
    for (let i = days - 1; i >= 0; i--) {
      const d = new Date(today)
      d.setDate(d.getDate() - i)
      out.push({ t: d.getTime(), requests: 0, success: 0, errors: 0 })
    }
  }
  for (const b of series) {
    // The last bucket whose start is <= b.t holds it; hours of the range that start before the
    // first whole day (7d/30d) are counted in the first bucket.
    let idx = 0
    for (let i = out.length - 1; i >= 0; i--) if (out[i]!.t <= b.t) { idx = i; break }
    const target = out[idx]
    if (!target) continue
    target.requests += b.requests
    target.success += b.success
    target.errors += b.errors
  }
  return out
}
