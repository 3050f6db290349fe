// Device login: start in the add-accounts dialog, approve the user code through the simulator's
// control API (standing in for the user's browser), and end with a new, active account.
import { SIM, accountIds, adminToken, api, check, listAccounts, loadState, openAddAccounts, openConsole, runFlow, saveState, shot, tid, waitFor } from './lib.mjs'

await runFlow('device-login', async (keep) => {
  const { password } = loadState()
  const token = await adminToken(password)
  const before = await accountIds(token)
  const { page } = await openConsole(keep, password, '/accounts')
  await openAddAccounts(page, 'device')
  await tid(page, 'device-start').click()
  const code = (await tid(page, 'device-user-code').textContent()).trim()
  check(/^[A-Z0-9-]{6,}$/.test(code), `user code ${code}`)
  await tid(page, 'device-qr').waitFor()
  check((await tid(page, 'device-status').getAttribute('data-status')) === 'pending', 'status pending')
  await shot(page, 'flow-device-login-pending')
  const approved = await api('POST', `${SIM}/__sim/oidc/approve`, { body: { userCode: code } })
  check(approved.status === 200, `sim approve: ${approved.status} ${approved.text}`)
  await tid(page, 'device-completed').waitFor({ timeout: 30_000 })
  await shot(page, 'flow-device-login-completed')
  const created = await waitFor(async () => (await listAccounts(token)).find((a) => !before.has(a.id) && a.status === 'active'), 'a new active account')
  saveState({ deviceAccountId: created.id })
})
