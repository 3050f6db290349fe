/**
 * HTTP client for the admin API (`/v2`, see ADMIN_API.md) and the helpers the chat tester
 * uses for `/v1`. Owns the session token, the CSRF header on state-changing calls and the
 * translation of `{"error":{"code","message"}}` bodies into `ApiError`.
 */

const TOKEN_KEY = 'claude-api.token'

/** An error answered by the API (or a network failure, with status 0). */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly retryAfter?: number
  /** The request field the admin API names (`error.field`), if any. */
  readonly field?: string

  constructor(status: number, code: string, message: string, retryAfter?: number, field?: string) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.retryAfter = retryAfter
    this.field = field
  }
}

/** Minimal storage interface, so tests can run without a browser. */
export interface TokenStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

function memoryStore(): TokenStore {
  const map = new Map<string, string>()
  return {
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => void map.set(k, v),
    removeItem: (k) => void map.delete(k),
  }
}

let store: TokenStore = typeof localStorage !== 'undefined' ? localStorage : memoryStore()
let onUnauthorized: (() => void) | null = null

export function setTokenStore(s: TokenStore): void {
  store = s
}
export function getToken(): string | null {
  return store.getItem(TOKEN_KEY)
}
export function setToken(token: string | null): void {
  if (token) store.setItem(TOKEN_KEY, token)
  else store.removeItem(TOKEN_KEY)
}
/** Called when an authenticated call answers 401 (session expired): the app goes to login. */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn
}

/**
 * Turns a non-2xx response into an ApiError. Prefers the API's own `error.message`;
 * falls back to the status text so a proxy's HTML error page still yields something readable.
 */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const retry = res.headers.get('retry-after')
  const retryAfter = retry !== null && /^\d+$/.test(retry) ? Number(retry) : undefined
  let code = `http_${res.status}`
  let message = res.statusText || `HTTP ${res.status}`
  let field: string | undefined
  let text = ''
  try {
    text = await res.text()
  } catch {
    text = ''
  }
  if (text) {
    try {
      const body: unknown = JSON.parse(text)
      const err = (body as { error?: unknown }).error
      if (err && typeof err === 'object') {
        const e = err as { code?: unknown; type?: unknown; message?: unknown; field?: unknown }
        if (typeof e.field === 'string') field = e.field
        if (typeof e.code === 'string') code = e.code
        else if (typeof e.type === 'string') code = e.type
        if (typeof e.message === 'string' && e.message) message = e.message
      } else if (typeof err === 'string') {
        message = err
      }
    } catch {
      if (text.length < 300 && !text.trimStart().startsWith('<')) message = text.trim()
    }
  }
  return new ApiError(res.status, code, message, retryAfter, field)
}

export interface RequestOptions {
  method?: string
  body?: unknown
  query?: Record<string, string | number | boolean | undefined | null>
  /** Raw body (for file import); sent as-is with the given content type. */
  raw?: { data: BodyInit; contentType: string }
  /** Do not treat 401 as "session expired" (the login call itself). */
  noAuthRedirect?: boolean
  signal?: AbortSignal
}

export function buildUrl(path: string, query?: RequestOptions['query']): string {
  if (!query) return path
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    params.set(k, String(v))
  }
  const qs = params.toString()
  return qs ? `${path}?${qs}` : path
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>
let fetchImpl: FetchLike = (input, init) => fetch(input, init)
export function setFetch(f: FetchLike): void {
  fetchImpl = f
}

/** Calls the admin API and decodes the JSON answer (undefined for 204 / empty bodies). */
export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = (opts.method ?? 'GET').toUpperCase()
  const headers: Record<string, string> = { Accept: 'application/json' }
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  // CSRF guard of ADMIN_API.md: cookie-authenticated state-changing calls need this header.
  if (method !== 'GET' && method !== 'HEAD') headers['X-Requested-With'] = 'XMLHttpRequest'
  let body: BodyInit | undefined
  if (opts.raw) {
    body = opts.raw.data
    headers['Content-Type'] = opts.raw.contentType
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body)
    headers['Content-Type'] = 'application/json'
  }
  let res: Response
  try {
    res = await fetchImpl(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      credentials: 'same-origin',
      signal: opts.signal,
    })
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e
    throw new ApiError(0, 'network_error', e instanceof Error ? e.message : String(e))
  }
  if (!res.ok) {
    const err = await errorFromResponse(res)
    if (res.status === 401 && !opts.noAuthRedirect) {
      setToken(null)
      onUnauthorized?.()
    }
    throw err
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  if (!text) return undefined as T
  try {
    return JSON.parse(text) as T
  } catch {
    return text as T
  }
}

/** Human-readable text for any thrown value, `code: message` for API errors. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.code && e.status ? `${e.message} (${e.code})` : e.message
  if (e instanceof Error) return e.message
  return String(e)
}
