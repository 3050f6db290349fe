// Export / import round trip: download the export from the Accounts page, delete a fed account,
// import the downloaded file through the Import tab, and find the account back, active again
// (its encrypted secrets survived the trip).
import fs from 'node:fs'
import { GATEWAY, adminToken, api, check, loadState, login, openAddAccounts, openBrowser, runFlow, shot, tid, waitFor } from './lib.mjs'

await runFlow('export-import', async (keep) => {
  const { password, fedAccountIds } = loadState()
  const token = await adminToken(password)
  const b = await openBrowser()
  keep(b)
  const { page } = b
  await login(page, password)
  await page.goto(`${GATEWAY}/accounts`)
  await tid(page, 'account-row').first().waitFor()
  const [download] = await Promise.all([page.waitForEvent('download'), tid(page, 'accounts-export').click()])
  const file = await download.path()
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'))
  const entries = doc.accounts ?? doc
  check(Array.isArray(entries) && entries.length >= 3, `export has ${entries?.length} accounts`)
  const victim = (await api('GET', `/v2/accounts/${fedAccountIds[0]}`, { token })).json
  const del = await api('DELETE', `/v2/accounts/${victim.id}`, { token })
  check(del.status === 200, `delete: ${del.status} ${del.text}`)
  const gone = (await api('GET', '/v2/accounts?per_page=500', { token })).json.accounts
  check(!gone.some((a) => a.label === victim.label), 'account deleted')
  await page.reload()
  await openAddAccounts(page, 'import')
  await tid(page, 'import-file').setInputFiles(file)
  await tid(page, 'import-submit').click()
  await tid(page, 'feed-result').waitFor()
  await shot(page, 'flow-import-result')
  await waitFor(async () => {
    const list = (await api('GET', '/v2/accounts?per_page=500', { token })).json.accounts
    return list.some((a) => a.label === victim.label && a.status === 'active')
  }, `re-imported account ${victim.label} active`)
})
