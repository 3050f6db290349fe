// First login with the seed password `admin` → forced password change → dashboard; then the new
// password works and the old one is refused.
import { GATEWAY, api, check, fill, openBrowser, runFlow, saveState, shot, tid } from './lib.mjs'

const NEW_PASSWORD = 'console-Passw0rd-e2e'

await runFlow('login', async (keep) => {
  const b = await openBrowser()
  keep(b)
  const { page } = b
  await page.goto(`${GATEWAY}/`)
  await tid(page, 'login-password').waitFor()
  await shot(page, 'flow-login')
  await fill(page, 'login-password', 'admin')
  await tid(page, 'login-submit').click()
  await tid(page, 'new-password').waitFor()
  await shot(page, 'flow-login-change-password')
  await fill(page, 'new-password', NEW_PASSWORD)
  await fill(page, 'confirm-password', NEW_PASSWORD)
  await tid(page, 'change-password-submit').click()
  await tid(page, 'page-dashboard').waitFor()
  check((await tid(page, 'default-password-banner').count()) === 0, 'default-password banner still shown')
  check((await api('POST', '/v2/login', { body: { password: 'admin' } })).status === 401, 'old password still accepted')
  const ok = await api('POST', '/v2/login', { body: { password: NEW_PASSWORD } })
  check(ok.status === 200 && ok.json.must_change_password === false, `new password: ${ok.text}`)
  saveState({ password: NEW_PASSWORD })
})
