// Logs: the chat tester's request is in the request log, and its detail drawer shows its fields.
import { GATEWAY, check, loadState, openConsole, runFlow, shot, tid, waitFor } from './lib.mjs'

await runFlow('logs', async (keep) => {
  const { password } = loadState()
  const { page } = await openConsole(keep, password)
  await waitFor(async () => {
    await page.goto(`${GATEWAY}/logs`)
    await tid(page, 'logs-table').waitFor()
    await page.waitForTimeout(500)
    return (await tid(page, 'log-row').count()) >= 3
  }, 'log rows for the console requests')
  const rows = tid(page, 'log-row')
  const texts = await rows.allTextContents()
  check(texts.some((t) => t.includes('claude-sonnet')), `a row names the model: ${texts.slice(0, 3)}`)
  await shot(page, 'flow-logs')
  await rows.first().click()
  await tid(page, 'log-drawer').waitFor()
  const fields = await tid(page, 'log-fields').textContent()
  check(/200/.test(fields), 'drawer shows status 200')
  await shot(page, 'flow-log-drawer')
})
