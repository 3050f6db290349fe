import { describe, expect, it } from 'vitest'
import { bucketize, NONE_KEY, toDashboard } from '../src/api/stats'
import { fmtCountdown, fmtMs, fmtNumber, fmtPercent, toCsv } from '../src/utils/format'
import { isIpOrCidr } from '../src/utils/ip'
import { parseFeed } from '../src/views/accounts/parseFeed'
import { diffSettings, validateSettings } from '../src/views/settings/validate'

describe('toDashboard', () => {
  it('reads LogStats: total, p90, by_model/by_account/by_hour, null keys', () => {
    const s = toDashboard({
      range: { from: '2026-11-25T04:00:00Z', to: '2026-11-26T04:00:00Z' },
      total: 5, success: 4, errors: 1, success_rate: 0.8, input_tokens: 10, output_tokens: 20,
      latency_ms: { p50: 100, p90: 900, p99: 1000 }, ttfb_ms: { p50: 10, p90: 90, p99: null },
      by_model: [{ key: 'claude-sonnet-4.5', requests: 4, errors: 0, input_tokens: 8, output_tokens: 16 }],
      by_account: [{ key: 'acc_1', requests: 3, errors: 0, input_tokens: 1, output_tokens: 1 }, { key: null, requests: 2, errors: 1, input_tokens: 0, output_tokens: 0 }],
      by_hour: [{ hour: '2026-11-26T02:00:00Z', requests: 5, errors: 1, input_tokens: 10, output_tokens: 20 }],
    })
    expect(s).toMatchObject({ requests: 5, success: 4, errors: 1, successRate: 0.8, inputTokens: 10, outputTokens: 20 })
    expect(s.latency).toEqual({ p50: 100, p90: 900, p99: 1000 })
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

  it('has no success rate without requests', () => {
    const none = { p50: null, p90: null, p99: null }
    const e = toDashboard({ range: { from: '2026-11-25T04:00:00Z', to: '2026-11-26T04:00:00Z' }, total: 0, success: 0, errors: 0, success_rate: 0, input_tokens: 0, output_tokens: 0, latency_ms: none, ttfb_ms: none, by_model: [], by_account: [], by_hour: [] })
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
})
