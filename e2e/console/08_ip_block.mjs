// IP controls: block a CIDR in the console; a /v1 request from inside it (X-Forwarded-For from the
// trusted loopback proxy) gets 403 at once, one from outside still works; unblocking lifts it.
import { api, check, fill, loadState, openConsole, runFlow, shot, tid, waitFor } from './lib.mjs'

const body = { model: 'claude-sonnet-4-6', max_tokens: 20, messages: [{ role: 'user', content: '#say through' }] }
const from = (ip, key) => api('POST', '/v1/messages', { headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'x-forwarded-for': ip }, body })

await runFlow('ip-block', async (keep) => {
  const { password, apiKey } = loadState()
  check((await from('203.0.113.7', apiKey)).status === 200, 'allowed before the block')
  const { page } = await openConsole(keep, password, '/security')
  await tid(page, 'ip-block-open').click()
  await fill(page, 'ip-input', '203.0.113.0/24')
  await fill(page, 'ip-reason', 'e2e block')
  await tid(page, 'ip-block-submit').click()
  await page.locator('[data-testid="ip-row"][data-ip="203.0.113.0/24"]').waitFor()
  await shot(page, 'flow-ip-blocked')
  await waitFor(async () => (await from('203.0.113.7', apiKey)).status === 403, 'blocked address refused')
  check((await from('198.51.100.9', apiKey)).status === 200, 'other addresses still served')
  await page.locator('[data-testid="ip-row"][data-ip="203.0.113.0/24"] [data-testid="ip-unblock"]').click()
  const confirm = page.locator('[data-testid="confirm-ok"]')
  if (await confirm.count()) await confirm.click()
  await waitFor(async () => (await from('203.0.113.7', apiKey)).status === 200, 'unblocked address served again')
})
