import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ApiError, errorFromResponse, getToken, request, setFetch, setToken, setTokenStore, setUnauthorizedHandler } from '../src/api/client'
import { accounts } from '../src/api/admin'

const calls: { url: string; init?: RequestInit }[] = []
function respond(status: number, body: string, headers: Record<string, string> = {}) {
  setFetch(async (url, init) => {
    calls.push({ url, init })
    return new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } })
  })
}

beforeEach(() => {
  calls.length = 0
  const m = new Map<string, string>()
  setTokenStore({ getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) })
})
afterEach(() => setUnauthorizedHandler(null))

describe('errorFromResponse', () => {
  it('uses the API error code and message', async () => {
    const e = await errorFromResponse(new Response('{"error":{"code":"unknown_field","message":"unknown field `foo`"}}', { status: 400 }))
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(400)
    expect(e.code).toBe('unknown_field')
    expect(e.message).toBe('unknown field `foo`')
  })

  it('keeps the field the admin API names (the self-block confirmation asks by field)', async () => {
    const body = '{"error":{"code":"invalid_request","field":"confirm_self_block","message":"127.0.0.0/8 includes your own address"}}'
    const e = await errorFromResponse(new Response(body, { status: 400 }))
    expect(e.field).toBe('confirm_self_block')
    const plain = await errorFromResponse(new Response('{"error":{"code":"not_found","message":"x"}}', { status: 404 }))
    expect(plain.field).toBeUndefined()
  })

  it('reads retry-after on a lockout', async () => {
    const e = await errorFromResponse(new Response('{"error":{"code":"locked_out","message":"too many attempts"}}', { status: 429, headers: { 'retry-after': '60' } }))
    expect(e.retryAfter).toBe(60)
  })

  it('falls back to the status for HTML or empty bodies, and keeps short text bodies', async () => {
    const html = await errorFromResponse(new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' }))
    expect(html.code).toBe('http_502')
    expect(html.message).toBe('Bad Gateway')
    const empty = await errorFromResponse(new Response('', { status: 503 }))
    expect(empty.message).toBe('HTTP 503')
    const text = await errorFromResponse(new Response('store unreachable', { status: 503 }))
    expect(text.message).toBe('store unreachable')
  })

  it('accepts the Anthropic/OpenAI error shape (type instead of code)', async () => {
    const e = await errorFromResponse(new Response('{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}', { status: 400 }))
    expect(e.code).toBe('invalid_request_error')
    expect(e.message).toBe('bad')
  })
})

describe('request', () => {
  it('sends the bearer token; CSRF header only on state-changing calls; JSON body', async () => {
    setToken('tok123')
    respond(200, '{"accounts":[{"id":"a"}]}')
    await request('/v2/accounts', { query: { q: 'x', status: undefined, page: 2 } })
    respond(201, '{"id":"b"}')
    await request('/v2/accounts', { method: 'POST', body: { refresh_token: 'r' } })
    const [get, post] = calls
    expect(get!.url).toBe('/v2/accounts?q=x&page=2')
    const gh = get!.init!.headers as Record<string, string>
    expect(gh.Authorization).toBe('Bearer tok123')
    expect(gh['X-Requested-With']).toBeUndefined()
    const ph = post!.init!.headers as Record<string, string>
    expect(ph['X-Requested-With']).toBe('XMLHttpRequest')
    expect(ph['Content-Type']).toBe('application/json')
    expect(post!.init!.body).toBe('{"refresh_token":"r"}')
  })

  it('throws ApiError with the server message and, on 401, clears the token and calls the handler', async () => {
    setToken('old')
    let called = 0
    setUnauthorizedHandler(() => called++)
    respond(401, '{"error":{"code":"unauthorized","message":"session expired"}}')
    await expect(request('/v2/settings')).rejects.toMatchObject({ status: 401, code: 'unauthorized', message: 'session expired' })
    expect(getToken()).toBeNull()
    expect(called).toBe(1)
  })

  it('does not redirect on a failed login (noAuthRedirect)', async () => {
    let called = 0
    setUnauthorizedHandler(() => called++)
    respond(401, '{"error":{"code":"wrong_password","message":"wrong password"}}')
    await expect(request('/v2/login', { method: 'POST', body: { password: 'x' }, noAuthRedirect: true })).rejects.toBeInstanceOf(ApiError)
    expect(called).toBe(0)
  })

  it('turns a network failure into ApiError status 0', async () => {
    setFetch(async () => {
      throw new TypeError('Failed to fetch')
    })
    await expect(request('/v2/accounts')).rejects.toMatchObject({ status: 0, code: 'network_error', message: 'Failed to fetch' })
  })

  it('returns undefined for 204', async () => {
    setFetch(async () => new Response(null, { status: 204 }))
    await expect(request('/v2/accounts/a', { method: 'DELETE' })).resolves.toBeUndefined()
  })
})

describe('accounts.list', () => {
  it('follows the pages of the AccountList envelope until the total', async () => {
    const seen: string[] = []
    const account = (id: string) => ({ id })
    setFetch(async (url) => {
      seen.push(url)
      const page = Number(new URL(url, 'http://x').searchParams.get('page'))
      const accounts = page === 1 ? [account('a'), account('b')] : [account('c')]
      return new Response(JSON.stringify({ accounts, total: 3, page, per_page: 2 }), { status: 200 })
    })
    const all = await accounts.list({ status: 'active' })
    expect(all.map((a) => a.id)).toEqual(['a', 'b', 'c'])
    expect(seen).toEqual(['/v2/accounts?status=active&page=1&per_page=500', '/v2/accounts?status=active&page=2&per_page=500'])
  })
})
