#!/usr/bin/env node
// Mock of the admin API (ADMIN_API.md) and /v1 for working on the console without a gateway:
// serves web/dist with an SPA fallback and answers every endpoint the console calls, in memory,
// with the response shapes web/README.md documents. Not used by the product or its tests.
//   node scripts/mock-server.mjs [port]   (password: admin, then must change; MOCK_DEMO=1 for demo)
import { createServer } from 'node:http'
import { readFile } from 'node:fs/promises'
import { extname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'

const port = Number(process.argv[2] ?? 4174)
const dist = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'dist')
const now = Date.now()
const iso = (ms) => new Date(ms).toISOString()
let password = 'admin'
let mustChange = true
const tokens = new Set()
const statuses = ['active', 'active', 'active', 'cooling_down', 'exhausted', 'needs_login', 'banned', 'disabled']
let accounts = statuses.map((s, i) => ({
  id: `acc_${String(i + 1).padStart(3, '0')}`, label: i === 0 ? 'main-builder' : `pool-${i + 1}`, auth_method: i % 3 === 2 ? 'social' : 'builder_id',
  region: 'us-east-1', status: s, status_reason: s === 'banned' ? 'AccessDeniedException: account suspended' : s === 'needs_login' ? 'refresh token revoked' : null,
  enabled: s !== 'disabled', expires_at: iso(now + (i + 1) * 1_900_000), last_refresh_at: iso(now - 600_000), last_used_at: iso(now - i * 90_000),
  inflight: i % 3, success_count: 1200 - i * 97, error_count: i * 3, quota: { used: 120 * (i + 1), limit: 1000, resets_at: iso(now + 12 * 86_400_000) },
  weight: 1, max_concurrency: 4, created_at: iso(now - 30 * 86_400_000),
}))
let keys = [{ id: 'key_1', name: 'laptop', enabled: true, models: null, rpm: 60, max_concurrency: 4, expires_at: iso(now + 3 * 86_400_000), created_at: iso(now - 86_400_000), last_used_at: iso(now - 5000), prefix: 'sk-ca-3f9a', updated_at: iso(now) }]
let blocked = [{ ip: '203.0.113.7', reason: 'scanner', expires_at: null, created_at: iso(now - 7200_000) }]
const settings = { apiKey: '', debugLog: false, enableRequestLog: true, logRetentionDays: 30, enableIPRateLimit: false, ipRateLimitWindow: 1, ipRateLimitMax: 100 }
const audit = [{ id: 1, at: iso(now - 60_000), actor: 'admin', action: 'login', target: null, detail: null, ip: '127.0.0.1' }, { id: 2, at: iso(now - 30_000), actor: 'admin', action: 'settings.update', target: null, detail: { changed: ['debugLog'] }, ip: '127.0.0.1' }]
const models = ['claude-sonnet-4.5', 'claude-4.5-opus-high', 'claude-haiku-4.5']
const logs = Array.from({ length: 137 }, (_, i) => ({
  id: 1000 - i, at: iso(now - i * 600_000), client_ip: `192.0.2.${i % 20}`, key_id: 'key_1', account_id: accounts[i % 3].id,
  model_requested: models[i % 3], model_used: models[i % 3], dialect: i % 2 ? 'anthropic' : 'openai', stream: true,
  status: i % 11 === 0 ? 502 : i % 17 === 0 ? 429 : 200, error_class: i % 11 === 0 ? 'upstream_5xx' : i % 17 === 0 ? 'throttled' : null,
  input_tokens: 300 + i * 7, output_tokens: 120 + i * 3, ttfb_ms: 200 + ((i * 53) % 900), duration_ms: 800 + ((i * 137) % 4000),
  rules_fired: i % 4 === 0 ? ['merge_consecutive_turns', 'drop_empty_text'] : [],
}))

const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(body === undefined ? '' : JSON.stringify(body))
}
const err = (res, status, code, message, headers) => send(res, status, { error: { code, message } }, headers)
const body = (req) => new Promise((r) => { let b = ''; req.on('data', (c) => (b += c)); req.on('end', () => { try { r(b ? JSON.parse(b) : {}) } catch { r(null) } }) })

// The gateway's store::LogStats shape: hourly buckets, empty hours omitted, p50/p90/p99.
function stats(range) {
  const hours = range === '30d' ? 720 : range === '7d' ? 168 : 24
  const hour = 3_600_000
  const by_hour = []
  for (let i = hours - 1; i >= 0; i--) {
    if (i % 7 === 3) continue
    const requests = 2 + ((i * 37) % 9)
    by_hour.push({ hour: iso(Math.floor(now / hour) * hour - i * hour), requests, errors: i % 5 === 0 ? 2 : 0, input_tokens: requests * 400, output_tokens: requests * 150 })
  }
  const total = by_hour.reduce((a, b) => a + b.requests, 0), errors = by_hour.reduce((a, b) => a + b.errors, 0)
  const group = (key, share, e) => ({ key, requests: Math.round(total * share), errors: e, input_tokens: Math.round(total * share * 400), output_tokens: Math.round(total * share * 150) })
  return {
    range: { from: iso(now - hours * hour), to: iso(now) }, total, success: total - errors, errors, success_rate: (total - errors) / total,
    input_tokens: total * 400, output_tokens: total * 150,
    latency_ms: { p50: 1830, p90: 5210, p99: 9020 }, ttfb_ms: { p50: 420, p90: 1100, p99: 1900 },
    by_model: [group(models[0], 0.6, 3), group(models[1], 0.3, 1), group(models[2], 0.1, 0)],
    by_account: [group(accounts[0].id, 0.5, 1), group(accounts[1].id, 0.3, 1), group(accounts[2].id, 0.15, 0), group(null, 0.05, 2)],
    by_hour,
  }
}

async function v1(req, res, path) {
  const b = await body(req)
  const anthropic = path === '/v1/messages'
  const hasTools = Array.isArray(b?.tools) && b.tools.length > 0
  const headers = { 'x-claude-api-account': accounts[0].id, 'x-request-id': 'req_mock' }
  const text = 'Hello from the **mock** gateway.\n\n```rust\nfn main() { println!("hi"); }\n```'
  if (!b?.stream) {
    if (anthropic) return send(res, 200, { id: 'msg_1', type: 'message', role: 'assistant', model: b.model, content: [{ type: 'text', text }], stop_reason: 'end_turn', usage: { input_tokens: 12, output_tokens: 20 } }, headers)
    return send(res, 200, { id: 'c1', object: 'chat.completion', model: b.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage: { prompt_tokens: 12, completion_tokens: 20 } }, headers)
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers })
  const events = []
  if (anthropic) {
    const ev = (e, d) => events.push(`event: ${e}\ndata: ${JSON.stringify({ type: e, ...d })}\n\n`)
    ev('message_start', { message: { id: 'msg_1', model: b.model, usage: { input_tokens: 12, output_tokens: 1 } } })
    ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } })
    for (const piece of text.match(/.{1,8}/gs)) ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } })
    ev('content_block_stop', { index: 0 })
    if (hasTools) {
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: b.tools[0].name, input: {} } })
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"city": "Par' } })
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: 'is"}' } })
      ev('content_block_stop', { index: 1 })
    }
    ev('message_delta', { delta: { stop_reason: hasTools ? 'tool_use' : 'end_turn' }, usage: { output_tokens: 42 } })
    ev('message_stop', {})
  } else {
    const ch = (d) => events.push(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: b.model, ...d })}\n\n`)
    for (const piece of text.match(/.{1,8}/gs)) ch({ choices: [{ index: 0, delta: { content: piece } }] })
    if (hasTools) {
      const name = b.tools[0].function?.name
      ch({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name, arguments: '' } }] } }] })
      ch({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris"}' } }] } }] })
    }
    ch({ choices: [{ index: 0, delta: {}, finish_reason: hasTools ? 'tool_calls' : 'stop' }] })
    ch({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 42, total_tokens: 54 } })
    events.push('data: [DONE]\n\n')
  }
  for (const e of events) { res.write(e); await new Promise((r) => setTimeout(r, 30)) }
  res.end()
}

async function api(req, res, url) {
  const p = url.pathname, m = req.method
  if (p === '/healthz') return send(res, 200, { status: 'ok' })
  if (p === '/v1/models') return send(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model' })) })
  if (p === '/v1/chat/completions' || p === '/v1/messages') return v1(req, res, p)
  if (p === '/v2/login' && m === 'POST') {
    const b = await body(req)
    if (b?.password !== password) return err(res, 401, 'wrong_password', 'wrong password')
    const token = `t${Math.random().toString(36).slice(2)}`
    tokens.add(token)
    return send(res, 200, { token, expires_at: iso(now + 86_400_000), must_change_password: mustChange })
  }
  const auth = (req.headers.authorization ?? '').replace(/^Bearer /, '')
  if (!tokens.has(auth)) return err(res, 401, 'unauthorized', 'not logged in')
  if (m !== 'GET' && req.headers['x-requested-with'] !== 'XMLHttpRequest') return err(res, 403, 'csrf', 'missing X-Requested-With')
  if (p === '/v2/logout') { tokens.delete(auth); return send(res, 204) }
  if (p === '/v2/password') { const b = await body(req); if (b.old_password !== password) return err(res, 400, 'wrong_password', 'old password is wrong'); password = b.new_password; mustChange = false; return send(res, 204) }
  if (p === '/v2/system') return send(res, 200, { version: '0.1.0-mock', demo: process.env.MOCK_DEMO === '1', must_change_password: mustChange, data_dir: '/var/lib/claude-api' })
  if (p === '/v2/accounts' && m === 'GET') return send(res, 200, { accounts, total: accounts.length, page: 1, per_page: 500 })
  if (p === '/v2/accounts/export') return send(res, 200, { version: 1, accounts: accounts.map((a) => ({ ...a, refresh_token: 'secret' })) })
  if ((p === '/v2/accounts/feed' || p === '/v2/accounts/import') && m === 'POST') {
    const b = await body(req)
    const list = Array.isArray(b) ? b : b?.accounts ?? []
    const created = list.map((a, i) => { const id = `acc_new_${Date.now()}_${i}`; accounts.push({ ...accounts[0], id, label: a.label ?? id, status: 'active', auth_method: a.auth_method ?? 'social' }); return id })
    return send(res, 200, { created, rejected: [] })
  }
  const am = p.match(/^\/v2\/accounts\/([^/]+)(\/refresh|\/usage)?$/)
  if (am) {
    const a = accounts.find((x) => x.id === am[1])
    if (!a) return err(res, 404, 'not_found', `unknown account ${am[1]}`)
    if (am[2]) return send(res, 200, a)
    if (m === 'PATCH') { Object.assign(a, await body(req)); a.status = a.enabled ? (a.status === 'disabled' ? 'active' : a.status) : 'disabled'; return send(res, 200, a) }
    if (m === 'DELETE') { accounts = accounts.filter((x) => x !== a); return send(res, 204) }
    return send(res, 200, a)
  }
  if (p === '/v2/auth/start') return send(res, 200, { auth_id: 'auth_1', user_code: 'WDJB-MJHT', verification_uri: 'https://device.sso.us-east-1.amazonaws.com/', verification_uri_complete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=WDJB-MJHT', expires_in: 600, interval: 5 })
  if (p.startsWith('/v2/auth/status/')) return send(res, 200, { status: 'pending' })
  if (p === '/v2/keys' && m === 'GET') return send(res, 200, { keys, legacy_api_key_set: settings.apiKey !== '' })
  if (p === '/v2/keys' && m === 'POST') { const b = await body(req); const k = { id: `key_${Date.now()}`, enabled: true, created_at: iso(Date.now()), ...b }; keys.push(k); return send(res, 201, { ...k, secret: `sk-ca-${Math.random().toString(36).slice(2)}` }) }
  const km = p.match(/^\/v2\/keys\/([^/]+)$/)
  if (km) { const k = keys.find((x) => x.id === km[1]); if (!k) return err(res, 404, 'not_found', 'unknown key'); if (m === 'DELETE') { keys = keys.filter((x) => x !== k); return send(res, 204) } Object.assign(k, await body(req)); return send(res, 200, k) }
  if (p === '/v2/settings' && m === 'GET') return send(res, 200, settings)
  if (p === '/v2/settings' && m === 'PUT') { const b = await body(req); for (const k of Object.keys(b)) if (!(k in settings)) return err(res, 400, 'unknown_field', `unknown setting ${k}`); Object.assign(settings, b); return send(res, 200, settings) }
  if (p === '/v2/logs/stats') return send(res, 200, stats(url.searchParams.get('range') ?? '24h'))
  if (p === '/v2/logs/cleanup') return send(res, 200, { deleted: 12 })
  if (p === '/v2/logs') { const page = Number(url.searchParams.get('page') ?? 1), per = Number(url.searchParams.get('per_page') ?? 50); return send(res, 200, { logs: logs.slice((page - 1) * per, page * per), total: logs.length, page, per_page: per }) }
  const lm = p.match(/^\/v2\/logs\/(\d+)$/)
  if (lm) { const l = logs.find((x) => String(x.id) === lm[1]); return l ? send(res, 200, { ...l, request_body: null, response_body: null }) : err(res, 404, 'not_found', 'unknown log') }
  if (p === '/v2/ips/blocked') return send(res, 200, { blocked })
  if (p === '/v2/ips/block') { const b = await body(req); blocked.push({ ...b, created_at: iso(Date.now()) }); return send(res, 200, { ok: true }) }
  if (p === '/v2/ips/unblock') { const b = await body(req); blocked = blocked.filter((x) => x.ip !== b.ip); return send(res, 200, { ok: true }) }
  if (p === '/v2/audit') return send(res, 200, { entries: audit, total: audit.length, page: 1, per_page: 50 })
  return err(res, 404, 'not_found', `no route ${m} ${p}`)
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' }
createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://x')
  if (/^\/(v1|v2)\//.test(url.pathname) || url.pathname === '/healthz') return api(req, res, url)
  const wanted = normalize(join(dist, url.pathname))
  const file = wanted.startsWith(dist) && extname(wanted) ? wanted : join(dist, 'index.html')
  let data
  try {
    data = await readFile(file)
  } catch {
    data = await readFile(join(dist, 'index.html'))
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' })
  res.end(data)
}).listen(port, '127.0.0.1', () => console.log(`mock console on http://127.0.0.1:${port}`))
