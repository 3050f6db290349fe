// API keys: create one in the console (secret shown once), then a real /v1 request made with that
// key succeeds, and a request with a made-up key is refused.
import { api, check, fill, loadState, openConsole, runFlow, saveState, shot, tid } from './lib.mjs'

await runFlow('keys', async (keep) => {
  const { password } = loadState()
  const { page } = await openConsole(keep, password, '/keys')
  await tid(page, 'keys-create').click()
  await fill(page, 'key-name', 'console-e2e-key')
  await tid(page, 'key-submit').click()
  const secret = (await tid(page, 'key-secret').textContent()).trim()
  check(secret.length >= 20, `secret ${secret}`)
  await shot(page, 'flow-key-created')
  await tid(page, 'key-done').click()
  await tid(page, 'key-row').first().waitFor()
  const r = await api('POST', '/v1/messages', {
    headers: { 'x-api-key': secret, 'anthropic-version': '2023-06-01' },
    body: { model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: '#say made with the console key' }] },
  })
  check(r.status === 200 && r.json.content[0].text === 'made with the console key', `request with the key: ${r.status} ${r.text}`)
  const bad = await api('POST', '/v1/messages', {
    headers: { 'x-api-key': 'sk-made-up-key-000000000000', 'anthropic-version': '2023-06-01' },
    body: { model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] },
  })
  check(bad.status === 401, `made-up key: ${bad.status}`)
  saveState({ apiKey: secret })
})
