import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import en from '../src/i18n/en.json'
import zhCN from '../src/i18n/zh-CN.json'
import { ACCOUNT_STATUSES } from '../src/api/types'
import { DEFAULTS } from '../src/views/settings/validate'

type Tree = { [k: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv)
  }
  return out
}

const enKeys = flatten(en as Tree)
const zhKeys = flatten(zhCN as Tree)
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? sourceFiles(p) : /\.(ts|vue)$/.test(f) ? [p] : []
  })
}

describe('i18n', () => {
  it('zh-CN and en have exactly the same keys', () => {
    const missingInZh = [...enKeys.keys()].filter((k) => !zhKeys.has(k))
    const missingInEn = [...zhKeys.keys()].filter((k) => !enKeys.has(k))
    expect(missingInZh).toEqual([])
    expect(missingInEn).toEqual([])
  })

  it('every message uses the same placeholders in both languages and none is empty', () => {
    for (const [k, v] of enKeys) {
      expect(v.trim(), k).not.toBe('')
      expect(placeholders(zhKeys.get(k) ?? ''), k).toEqual(placeholders(v))
    }
  })

  it('no message holds characters vue-i18n would parse as syntax (@, |, stray braces)', () => {
    for (const [k, v] of [...enKeys, ...zhKeys]) {
      expect(/[@|]/.test(v), `${k}: ${v}`).toBe(false)
      expect(v.replace(/\{\w+\}/g, ''), k).not.toMatch(/[{}]/)
    }
  })

  it('every literal key used in the source exists', () => {
    const used = new Set<string>()
    for (const f of sourceFiles(join(__dirname, '../src'))) {
      const text = readFileSync(f, 'utf8')
      for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]!)
      for (const m of text.matchAll(/'(settings\.err\w+)'/g)) used.add(m[1]!)
    }
    expect(used.size).toBeGreaterThan(100)
    expect([...used].filter((k) => !enKeys.has(k))).toEqual([])
  })

  it('every setting has a label and a help text (settings/SettingField.vue builds their keys)', () => {
    for (const n of Object.keys(DEFAULTS)) {
      expect(enKeys.has(`settings.${n}`), n).toBe(true)
      expect(enKeys.has(`settings.${n}Help`), n).toBe(true)
    }
  })

  it('every account status and device end state has a label', () => {
    for (const s of ACCOUNT_STATUSES) expect(enKeys.has(`status.${s}`), s).toBe(true)
    for (const s of ['expired', 'denied', 'error']) expect(enKeys.has(`device.status_${s}`), s).toBe(true)
  })
})
