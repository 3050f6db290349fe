/**
 * The dashboard's view of `GET /v2/logs/stats` (`LogStats`, generated from the gateway's
 * `store::LogStats`): totals, success rate, tokens, latency and TTFB percentiles, and the per
 * model / per account / per hour series, with hours as epoch milliseconds for the chart. Pure.
 */
import type { GroupStats, LogStats, Percentiles } from './generated'

export type { Percentiles }

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

/** Key of the group of rows without a model/account (the gateway sends `key: null`). */
export const NONE_KEY = '∅'

function breakdown(groups: GroupStats[]): Breakdown[] {
  return groups
    .map((g) => {
      const key = g.key ?? NONE_KEY
      return { key, label: key, requests: g.requests, errors: g.errors, success: g.requests - g.errors, inputTokens: g.input_tokens, outputTokens: g.output_tokens }
    })
    .sort((a, b) => b.requests - a.requests)
}

export function toDashboard(s: LogStats): DashboardStats {
  return {
    requests: s.total,
    success: s.success,
    errors: s.errors,
    successRate: s.total > 0 ? s.success_rate : null,
    inputTokens: s.input_tokens,
    outputTokens: s.output_tokens,
    latency: s.latency_ms,
    ttfb: s.ttfb_ms,
    series: s.by_hour
      .map((h) => ({ t: Date.parse(h.hour), requests: h.requests, errors: h.errors, success: h.requests - h.errors }))
      .sort((a, b) => a.t - b.t),
    perModel: breakdown(s.by_model),
    perAccount: breakdown(s.by_account),
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
