// Shared plumbing for the console e2e flows (issue 5 "Must show"): Debian's Chromium driven by
// playwright-core, headless, with background networking off, against a real claude-server and
// amazonq-sim started by e2e/test_console.py. Every flow is one script run as
// `node console/<flow>.mjs`; it exits 0 on success and prints the failure otherwise.
//
// Environment (set by test_console.py): GATEWAY_URL, SIM_URL, STATE_FILE (JSON shared between
// flows: admin password, created ids, key secrets), SCREENSHOT_DIR.
import { chromium } from 'playwright-core'
import fs from 'node:fs'
import path from 'node:path'

export const GATEWAY = must('GATEWAY_URL')
export const SIM = must('SIM_URL')
export const SHOTS = process.env.SCREENSHOT_DIR ?? path.resolve('screenshots')
const STATE_FILE = must('STATE_FILE')

function must(name) {
  const v = process.env[name]
  if (!v) throw new Error(`${name} is not set`)
  return v
}

export function loadState() {
  return fs.existsSync(STATE_FILE) ? JSON.parse(fs.readFileSync(STATE_FILE, 'utf8')) : {}
}

export function saveState(patch) {
  const s = { ...loadState(), ...patch }
  fs.writeFileSync(STATE_FILE, JSON.stringify(s, null, 2))
  return s
}

export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`)
}

/** Launches Chromium; the page records console errors and failed requests to non-loopback hosts. */
export async function openBrowser({ locale = 'en', theme = 'light', token } = {}) {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  })
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, acceptDownloads: true,
    locale: locale === 'zh-CN' ? 'zh-CN' : 'en-US', colorScheme: theme })
  await context.addInitScript(([l, th, tok]) => {
    localStorage.setItem('claude-api.locale', l)
    localStorage.setItem('claude-api.theme', th)
    if (tok && !localStorage.getItem('claude-api.token')) localStorage.setItem('claude-api.token', tok)
  }, [locale, theme, token ?? null])
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  const problems = []
  // Chromium logs every 4xx/5xx fetch as a console error ("Failed to load resource"); those are
  // judged by the response listener below, which knows the URL.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console error: ${m.text()}`)
  })
  page.on('response', (r) => {
    const u = new URL(r.url())
    const s = r.status()
    // Expected: the chat tester probes GET /v1/models with the (still empty) pasted key and falls
    // back to the built-in model list (web/README.md "Chat tester").
    const expected = s === 401 && u.pathname === '/v1/models'
    if (s >= 500 || (s >= 400 && !expected)) problems.push(`HTTP ${s} ${r.request().method()} ${u.pathname}`)
  })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('request', (r) => {
    const u = new URL(r.url())
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) {
      problems.push(`external request: ${r.url()}`)
    }
  })
  return { browser, context, page, problems }
}

export const tid = (page, id) => page.locator(`[data-testid="${id}"]`)

/** Types into a Naive UI input (the test id sits on the wrapper). */
export async function fill(page, id, value) {
  const box = tid(page, id).locator('input, textarea').first()
  await box.fill(String(value))
}

export async function shot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true })
  await page.waitForTimeout(300) // let transitions settle
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true })
}

/** Logs in through the login page with a known (already changed) password. */
export async function login(page, password) {
  await page.goto(`${GATEWAY}/login`)
  await fill(page, 'login-password', password)
  await tid(page, 'login-submit').click()
  await tid(page, 'page-dashboard').waitFor()
}

export async function api(method, urlPath, { token, body, headers = {} } = {}) {
  const h = { ...headers }
  if (token) h.authorization = `Bearer ${token}`
  if (body !== undefined) h['content-type'] = 'application/json'
  if (method !== 'GET') h['x-requested-with'] = 'XMLHttpRequest'
  const r = await fetch(urlPath.startsWith('http') ? urlPath : `${GATEWAY}${urlPath}`, {
    method, headers: h, body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  let json = null
  try { json = JSON.parse(text) } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers }
}

/** Opens Chromium (handed to the flow's `keep`) and logs in; then goes to `to` (a console path). */
export async function openConsole(keep, password, to) {
  const b = await openBrowser()
  keep(b)
  await login(b.page, password)
  if (to) await b.page.goto(`${GATEWAY}${to}`)
  return b
}

/** Every account (`GET /v2/accounts`, one page of 500). */
export async function listAccounts(token) {
  return (await api('GET', '/v2/accounts?per_page=500', { token })).json.accounts
}

/** The ids of every account now: a flow that adds one finds it as the id not in this set. */
export async function accountIds(token) {
  return new Set((await listAccounts(token)).map((a) => a.id))
}

/** Opens the "Add accounts" dialog on the Accounts page and switches to its `tab` (device, social, paste, import, manual). */
export async function openAddAccounts(page, tab) {
  await tid(page, 'accounts-add').click()
  await tid(page, `tab-${tab}`).click()
}

/** A `POST /v2/accounts` object for a fresh simulator Builder ID account `id`. */
export async function simAccount(id, label) {
  const t = (await api('POST', `${SIM}/__sim/accounts`, { body: { id } })).json
  return { label, auth_method: 'builder_id', client_id: t.clientId, client_secret: t.clientSecret, refresh_token: t.refreshToken }
}

/**
 * Runs `fn(apiKey)` with `only` the one enabled account (the others may be test accounts with
 * scripted behaviour) and restores the others after; the key is the keys flow's, or one made here.
 */
export async function withOnlyAccount(token, only, keyName, fn) {
  const others = (await listAccounts(token)).filter((a) => a.id !== only && a.enabled)
  for (const a of others) await api('PATCH', `/v2/accounts/${a.id}`, { token, body: { enabled: false } })
  try {
    let apiKey = loadState().apiKey
    if (!apiKey) {
      const k = await api('POST', '/v2/keys', { token, body: { name: keyName } })
      check(k.status === 201, `key: ${k.status} ${k.text}`)
      apiKey = k.json.secret
    }
    return await fn(apiKey)
  } finally {
    for (const a of others) await api('PATCH', `/v2/accounts/${a.id}`, { token, body: { enabled: true } })
  }
}

export async function adminToken(password) {
  const r = await api('POST', '/v2/login', { body: { password } })
  check(r.status === 200, `admin login: ${r.status} ${r.text}`)
  return r.json.token
}

/** The admin password for flows that may run alone: the login flow's, or the seed one changed to
 * `fallback` first (and remembered in the state file). */
export async function ensurePassword(fallback = 'console-Passw0rd-e2e') {
  const known = loadState().password
  if (known) return known
  const token = await adminToken('admin')
  const r = await api('POST', '/v2/password', { token, body: { old_password: 'admin', new_password: fallback } })
  check(r.status === 200 || r.status === 204, `password change: ${r.status} ${r.text}`)
  saveState({ password: fallback })
  return fallback
}

export async function waitFor(fn, what, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Runs a flow: prints OK or the error (and a failure screenshot), and sets the exit code. */
export async function runFlow(name, fn) {
  let ctx
  try {
    await fn((c) => { ctx = c })
    if (ctx?.problems?.length) throw new Error(`browser problems:\n${ctx.problems.join('\n')}`)
    console.log(`OK ${name}`)
  } catch (e) {
    if (ctx?.page) await ctx.page.screenshot({ path: path.join(SHOTS, `FAILED-${name}.png`), fullPage: true }).catch(() => {})
    console.error(`FAILED ${name}: ${e.stack ?? e}`)
    process.exitCode = 1
  } finally {
    if (ctx?.browser) await ctx.browser.close()
  }
}
