/**
 * Parses the "Paste" tab of the add-accounts dialog into `POST /v2/accounts/feed` items, with a
 * per-row verdict shown before submit. Accepts a JSON array (or `{"accounts":[…]}`), JSON lines,
 * CSV with a header row naming the fields, or header-less lines of `client_id,client_secret,
 * refresh_token` (Builder ID) or a bare refresh token (social/Kiro). Pure.
 */
import type { AuthMethod, NewAccount } from '../../api/types'

export interface FeedRow {
  /** 1-based line or item number, for messages. */
  line: number
  account?: NewAccount
  error?: string
}

const FIELDS = ['label', 'auth_method', 'client_id', 'client_secret', 'refresh_token', 'access_token', 'expires_at', 'region', 'profile_arn', 'start_url', 'enabled'] as const
const METHODS: AuthMethod[] = ['builder_id', 'idc', 'social']

/** Common aliases from other tools' exports (camelCase Kiro/Amazon Q token files). */
const ALIASES: Record<string, string> = {
  refreshToken: 'refresh_token',
  accessToken: 'access_token',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  expiresAt: 'expires_at',
  profileArn: 'profile_arn',
  startUrl: 'start_url',
  authMethod: 'auth_method',
  name: 'label',
}

export function validateAccount(raw: Record<string, unknown>): { account?: NewAccount; error?: string } {
  const o: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(raw)) {
    const key = ALIASES[k] ?? k
    if ((FIELDS as readonly string[]).includes(key) && v !== '' && v !== null && v !== undefined) o[key] = v
  }
  if (typeof o.refresh_token !== 'string' || !o.refresh_token.trim()) return { error: 'refresh_token is required' }
  if (/\s/.test(o.refresh_token.trim())) return { error: 'refresh_token contains spaces' }
  let method = typeof o.auth_method === 'string' ? o.auth_method.toLowerCase() : ''
  if (method === 'idc' || method === 'iam') method = 'idc'
  else if (method === 'builderid' || method === 'builder-id') method = 'builder_id'
  if (!method) method = o.client_id && o.client_secret ? (o.start_url ? 'idc' : 'builder_id') : 'social'
  if (!METHODS.includes(method as AuthMethod)) return { error: `unknown auth_method "${String(o.auth_method)}"` }
  if ((method === 'builder_id' || method === 'idc') && (!o.client_id || !o.client_secret)) {
    return { error: `${method} needs client_id and client_secret` }
  }
  if (typeof o.enabled === 'string') o.enabled = o.enabled.toLowerCase() !== 'false' && o.enabled !== '0'
  for (const k of FIELDS) if (k !== 'enabled' && o[k] !== undefined && typeof o[k] !== 'string') o[k] = String(o[k])
  return { account: { ...(o as Partial<NewAccount>), auth_method: method as AuthMethod, refresh_token: String(o.refresh_token).trim() } }
}

function splitCsvLine(line: string): string[] {
  const out: string[] = []
  let cur = ''
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++ }
      else if (c === '"') quoted = false
      else cur += c
    } else if (c === '"') quoted = true
    else if (c === ',' || c === '\t') { out.push(cur.trim()); cur = '' }
    else cur += c
  }
  out.push(cur.trim())
  return out
}

function fromObjects(list: unknown[]): FeedRow[] {
  return list.map((item, i) => {
    if (!item || typeof item !== 'object' || Array.isArray(item)) return { line: i + 1, error: 'not an object' }
    return { line: i + 1, ...validateAccount(item as Record<string, unknown>) }
  })
}

function jsonLine(l: string, n: number): FeedRow {
  try {
    const v: unknown = JSON.parse(l)
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { line: n, error: 'not an object' }
    return { line: n, ...validateAccount(v as Record<string, unknown>) }
  } catch (e) {
    return { line: n, error: `invalid JSON: ${e instanceof Error ? e.message : String(e)}` }
  }
}

export function parseFeed(text: string): FeedRow[] {
  const trimmed = text.trim()
  if (!trimmed) return []
  if (trimmed.startsWith('[') || (trimmed.startsWith('{') && !trimmed.includes('\n{'))) {
    try {
      const v: unknown = JSON.parse(trimmed)
      if (Array.isArray(v)) return fromObjects(v)
      const accounts = (v as { accounts?: unknown }).accounts
      return fromObjects(Array.isArray(accounts) ? accounts : [v])
    } catch {
      /* not one JSON document: fall through to line formats */
    }
  }
  const lines = text.split(/\r?\n/).map((l, i) => ({ l: l.trim(), n: i + 1 })).filter((x) => x.l && !x.l.startsWith('#'))
  if (!lines.length) return []
  const first = lines[0]!.l.startsWith('{') ? [] : splitCsvLine(lines[0]!.l)
  const header = first.map((h) => ALIASES[h] ?? h)
  if (header.includes('refresh_token')) {
    return lines.slice(1).map(({ l, n }) => {
      const cells = splitCsvLine(l)
      if (cells.length !== header.length) return { line: n, error: `expected ${header.length} columns, got ${cells.length}` }
      return { line: n, ...validateAccount(Object.fromEntries(header.map((h, i) => [h, cells[i]]))) }
    })
  }
  return lines.map(({ l, n }) => {
    if (l.startsWith('{')) return jsonLine(l, n)
    const cells = splitCsvLine(l)
    if (cells.length === 1) return { line: n, ...validateAccount({ refresh_token: cells[0] }) }
    if (cells.length === 3) return { line: n, ...validateAccount({ client_id: cells[0], client_secret: cells[1], refresh_token: cells[2] }) }
    return { line: n, error: `expected 1 or 3 columns, got ${cells.length}` }
  })
}
