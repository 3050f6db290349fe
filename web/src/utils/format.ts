/**
 * Display formatting shared by every page: thousands separators, durations in ms/s,
 * relative times (with the absolute time for the hover title), percentages. Pure.
 */

export function fmtNumber(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—'
  return new Intl.NumberFormat(locale).format(n)
}

/** Compact form for KPI cards: 12.3K, 4.5M. */
export function fmtCompact(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—'
  return new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(n)
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

export function fmtPercent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return '—'
  return `${(ratio * 100).toFixed(digits)}%`
}

export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined || v === '') return null
  if (v instanceof Date) return v
  if (typeof v === 'number') return new Date(v < 1e12 ? v * 1000 : v)
  if (typeof v === 'string') {
    const d = new Date(/^\d+$/.test(v) ? Number(v) * (v.length <= 10 ? 1000 : 1) : v)
    return Number.isNaN(d.getTime()) ? null : d
  }
  return null
}

export function fmtDateTime(v: unknown, locale?: string): string {
  const d = toDate(v)
  if (!d) return '—'
  return d.toLocaleString(locale, { hour12: false })
}

/** "3 min ago" / "in 2 h", localised through Intl.RelativeTimeFormat. */
export function fmtRelative(v: unknown, locale?: string, now: number = Date.now()): string {
  const d = toDate(v)
  if (!d) return '—'
  const diff = d.getTime() - now
  const abs = Math.abs(diff)
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  if (abs < 45_000) return rtf.format(Math.round(diff / 1000), 'second')
  if (abs < 45 * 60_000) return rtf.format(Math.round(diff / 60_000), 'minute')
  if (abs < 22 * 3_600_000) return rtf.format(Math.round(diff / 3_600_000), 'hour')
  if (abs < 26 * 86_400_000) return rtf.format(Math.round(diff / 86_400_000), 'day')
  if (abs < 320 * 86_400_000) return rtf.format(Math.round(diff / (30 * 86_400_000)), 'month')
  return rtf.format(Math.round(diff / (365 * 86_400_000)), 'year')
}

/** "1h 12m" countdown until `v`; null once passed. */
export function fmtCountdown(v: unknown, now: number = Date.now()): string | null {
  const d = toDate(v)
  if (!d) return null
  let s = Math.floor((d.getTime() - now) / 1000)
  if (s <= 0) return null
  const days = Math.floor(s / 86400)
  s -= days * 86400
  const h = Math.floor(s / 3600)
  s -= h * 3600
  const m = Math.floor(s / 60)
  s -= m * 60
  if (days > 0) return `${days}d ${h}h`
  if (h > 0) return `${h}h ${m}m`
  if (m > 0) return `${m}m ${s}s`
  return `${s}s`
}

/** Triggers a browser download of a JSON/text document. */
export function downloadText(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

export function toCsv(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown): string => {
    if (v === null || v === undefined) return ''
    const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n')
}
