// Settings persist across a restart. Phase "set" changes logRetentionDays in the console and
// saves; test_console.py restarts claude-server; phase "verify" finds the value in the page and
// in GET /v2/settings.
import { adminToken, api, check, fill, loadState, openConsole, runFlow, shot, tid } from './lib.mjs'

const phase = process.argv[2]
const DAYS = 47

await runFlow(`settings-${phase}`, async (keep) => {
  const { password } = loadState()
  const { page } = await openConsole(keep, password, '/settings')
  const box = tid(page, 'setting-logRetentionDays').locator('input')
  await box.waitFor()
  if (phase === 'set') {
    check((await box.inputValue()) !== String(DAYS), 'value differs before the change')
    await fill(page, 'setting-logRetentionDays', DAYS)
    await box.blur()
    await tid(page, 'settings-save').click()
    await page.waitForTimeout(500)
    const s = await api('GET', '/v2/settings', { token: await adminToken(password) })
    check(s.json.logRetentionDays === DAYS, `saved: ${s.text}`)
  } else {
    await page.waitForFunction((d) => document.querySelector('[data-testid="setting-logRetentionDays"] input')?.value === String(d), DAYS)
    const s = await api('GET', '/v2/settings', { token: await adminToken(password) })
    check(s.json.logRetentionDays === DAYS, `after restart: ${s.text}`)
    await shot(page, 'flow-settings-after-restart')
  }
})
