import { describe, expect, it } from 'vitest'
import { bucketize, NONE_KEY, normalizeStats } from '../src/api/stats'
import { fmtCountdown, fmtMs, fmtNumber, fmtPercent, toCsv } from '../src/utils/format'
import { isIpOrCidr } from '../src/utils/ip'
import { parseFeed } from '../src/views/accounts/parseFeed'
import { diffSettings, validateSettings } from '../src/views/settings/validate'
import { logRules } from '../src/views/logs/fields'

describe('normalizeStats', () => {
  it('reads the gateway shape (store::LogStats): total, p90, by_model/by_account/by_hour, null keys', () => {
    const s = normalizeStats({
      range: { from: '2026-11-25T04:00:00Z', to: '2026-11-26T04:00:00Z' },
      total: 5, success: 4, errors: 1, success_rate: 0.8, input_tokens: 10, output_tokens: 20,
      latency_ms: { p50: 100, p90: 900, p99: 1000 }, ttfb_ms: { p50: 10, p90: 90, p99: null },
      by_model: [{ key: 'claude-sonnet-4.5', requests: 4, errors: 0, input_tokens: 8, output_tokens: 16 }],
      by_account: [{ key: 'acc_1', requests: 3, errors: 0, input_tokens: 1, output_tokens: 1 }, { key: null, requests: 2, errors: 1, input_tokens: 0, output_tokens: 0 }],
      by_hour: [{ hour: '2026-11-26T02:00:00Z', requests: 5, errors: 1, input_tokens: 10, output_tokens: 20 }],
    })
    expect(s).toMatchObject({ requests: 5, success: 4, errors: 1, successRate: 0.8, inputTokens: 10, outputTokens: 20 })
    expect(s.latency).toEqual({ p50: 100, p90: 900, p95: null, p99: 1000 })
    expect(s.ttfb.p99).toBeNull()
    expect(s.perModel[0]).toMatchObject({ key: 'claude-sonnet-4.5', success: 4 })
    expect(s.perAccount.map((b) => b.key)).toEqual(['acc_1', NONE_KEY])
    expect(s.series).toEqual([{ t: Date.parse('2026-11-26T02:00:00Z'), requests: 5, success: 4, errors: 1 }])
  })

  it('fills empty hours for 24h and sums hours into local days for 7d', () => {
    const now = Date.parse('2026-11-26T04:30:00Z')
    const hour = (h: string, requests: number, errors: number) => ({ t: Date.parse(h), requests, errors, success: requests - errors })
    const series = [hour('2026-11-26T01:00:00Z', 3, 1), hour('2026-11-26T04:00:00Z', 2, 0)]
    const day = bucketize(series, '24h', now)
    expect(day).toHaveLength(24)
    expect(day[23]).toMatchObject({ t: Date.parse('2026-11-26T04:00:00Z'), requests: 2 })
    expect(day[20]).toMatchObject({ t: Date.parse('2026-11-26T01:00:00Z'), requests: 3, errors: 1 })
    expect(day.reduce((a, b) => a + b.requests, 0)).toBe(5)
    const week = bucketize([...series, hour('2026-11-19T05:00:00Z', 7, 0)], '7d', now)
    expect(week).toHaveLength(7)
    expect(week.reduce((a, b) => a + b.requests, 0)).toBe(12)
    expect(bucketize([], '30d', now)).toHaveLength(30)
  })

  it('reads the documented flat shape', () => {
    const s = normalizeStats({
      range: '24h',
      total_requests: 10,
      errors: 2,
      success_rate: 0.8,
      input_tokens: 100,
      output_tokens: 50,
      latency_ms: { p50: 120, p95: 800, p99: 1500 },
      ttfb_ms: { p50: 40, p95: 90, p99: 100 },
      series: [{ t: '2026-11-26T01:00:00Z', requests: 4, errors: 1 }, { t: '2026-11-26T00:00:00Z', requests: 6, errors: 1 }],
      per_model: [{ model: 'claude-sonnet-4.5', requests: 10, errors: 2, input_tokens: 100, output_tokens: 50 }],
      per_account: [{ account_id: 'a1', label: 'main', requests: 10, errors: 2 }],
    })
    expect(s.requests).toBe(10)
    expect(s.success).toBe(8)
    expect(s.successRate).toBe(0.8)
    expect(s.latency).toEqual({ p50: 120, p90: null, p95: 800, p99: 1500 })
    expect(s.ttfb.p50).toBe(40)
    expect(s.series.map((b) => b.requests)).toEqual([6, 4]) // sorted by time
    expect(s.series[0]!.success).toBe(5)
    expect(s.perModel[0]).toMatchObject({ key: 'claude-sonnet-4.5', requests: 10, success: 8, errors: 2 })
    expect(s.perAccount[0]).toMatchObject({ key: 'a1', label: 'main' })
  })

  it('reads a totals-nested shape, a percentage rate and keyed breakdowns; empty input is zeros', () => {
    const s = normalizeStats({ totals: { requests: 4, success: 3, success_rate: 75 }, tokens: { input: 7, output: 8 }, per_model: { m1: { requests: 4 } } })
    expect(s.successRate).toBe(0.75)
    expect(s.errors).toBe(1)
    expect(s.inputTokens + s.outputTokens).toBe(15)
    expect(s.perModel[0]!.key).toBe('m1')
    const e = normalizeStats(undefined)
    expect(e.requests).toBe(0)
    expect(e.successRate).toBeNull()
    expect(e.latency.p50).toBeNull()
  })
})

describe('parseFeed', () => {
  it('parses JSON lines with per-row validation', () => {
    const rows = parseFeed('{"client_id":"c","client_secret":"s","refresh_token":"r1"}\n{"auth_method":"builder_id","refresh_token":"r2"}\nnot json')
    expect(rows[0]!.account).toMatchObject({ auth_method: 'builder_id', refresh_token: 'r1' })
    expect(rows[1]!.error).toMatch(/client_id/)
    expect(rows[2]).toMatchObject({ line: 3, error: 'refresh_token contains spaces' })
  })

  it('parses a JSON array, camelCase aliases, CSV with header and bare token lines', () => {
    expect(parseFeed('[{"refreshToken":"x","authMethod":"social"}]')[0]!.account).toMatchObject({ auth_method: 'social', refresh_token: 'x' })
    const csv = parseFeed('label,client_id,client_secret,refresh_token\nmain,c,s,r\nbad,c,s')
    expect(csv[0]!.account).toMatchObject({ label: 'main', client_id: 'c', refresh_token: 'r' })
    expect(csv[1]!.error).toMatch(/columns/)
    const bare = parseFeed('aorAAAtoken1\nc,s,r\n# comment\n')
    expect(bare.map((r) => r.account?.auth_method)).toEqual(['social', 'builder_id'])
  })

  it('rejects an unknown auth method and a missing refresh token', () => {
    expect(parseFeed('{"auth_method":"oauth","refresh_token":"r"}')[0]!.error).toMatch(/auth_method/)
    expect(parseFeed('{"label":"x"}')[0]!.error).toMatch(/refresh_token/)
  })
})

describe('ip validation', () => {
  it('accepts addresses and CIDRs of both families', () => {
    for (const ok of ['203.0.113.7', '198.51.100.0/24', '0.0.0.0/0', '::1', '2001:db8::/32', 'fe80::1:2', '::ffff:192.0.2.1']) expect(isIpOrCidr(ok), ok).toBe(true)
  })
  it('rejects garbage', () => {
    for (const bad of ['', '256.1.1.1', '1.2.3', '1.2.3.4/33', '01.2.3.4', '2001:db8::/129', 'abc', '1::2::3', '1.2.3.4/24/1', 'example.com']) expect(isIpOrCidr(bad), bad).toBe(false)
  })
})

describe('settings', () => {
  it('validates ranges and sends only changed names', () => {
    expect(validateSettings({ logRetentionDays: 0, ipRateLimitWindow: 1.5, ipRateLimitMax: 100, apiKey: 'has space' })).toEqual({
      logRetentionDays: 'settings.errRetention',
      ipRateLimitWindow: 'settings.errWindow',
      apiKey: 'settings.errApiKey',
    })
    expect(validateSettings({ logRetentionDays: 30, apiKey: '' })).toEqual({})
    expect(validateSettings({ apiKey: 'abc' })).toEqual({})
    expect(diffSettings({ debugLog: false, logRetentionDays: 30 }, { debugLog: true, logRetentionDays: 30 }, ['debugLog', 'logRetentionDays'])).toEqual({ debugLog: true })
  })
})

describe('format', () => {
  it('formats numbers, durations, percentages, countdowns and CSV', () => {
    expect(fmtNumber(1234567, 'en')).toBe('1,234,567')
    expect(fmtNumber(undefined)).toBe('—')
    expect(fmtMs(850)).toBe('850 ms')
    expect(fmtMs(1530)).toBe('1.53 s')
    expect(fmtPercent(0.9876)).toBe('98.8%')
    expect(fmtCountdown(new Date(10_000 + 3_725_000), 10_000)).toBe('1h 2m')
    expect(fmtCountdown(new Date(0), 10_000)).toBeNull()
    expect(toCsv([{ a: 'x,y', b: 1 }, { a: 'q"t' }], ['a', 'b'])).toBe('a,b\n"x,y",1\n"q""t",')
  })
  it('reads normalizer rules in any common form', () => {
    expect(logRules({ id: 1, normalizer_rules: ['merge_turns'] })).toEqual(['merge_turns'])
    expect(logRules({ id: 1, normalizer_rules: '["a","b"]' })).toEqual(['a', 'b'])
    expect(logRules({ id: 1, rules_fired: 'a, b' })).toEqual(['a', 'b'])
    expect(logRules({ id: 1 })).toEqual([])
  })
})
