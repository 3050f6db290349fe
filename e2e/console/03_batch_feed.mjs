// Batch feed: paste two Builder ID accounts (fresh simulator tokens) plus one broken line; the
// preview flags the bad row, the submit creates two accounts, and both validate to `active`.
import { adminToken, check, fill, listAccounts, loadState, openAddAccounts, openConsole, runFlow, saveState, shot, simAccount, tid, waitFor } from './lib.mjs'

await runFlow('batch-feed', async (keep) => {
  const { password } = loadState()
  const token = await adminToken(password)
  const rows = []
  for (const id of ['feed-1', 'feed-2']) rows.push(JSON.stringify(await simAccount(id, `fed ${id}`)))
  rows.push(JSON.stringify({ label: 'broken', auth_method: 'builder_id' }))
  const { page } = await openConsole(keep, password, '/accounts')
  await openAddAccounts(page, 'paste')
  await fill(page, 'feed-text', rows.join('\n'))
  await tid(page, 'feed-row-error').first().waitFor()
  check((await tid(page, 'feed-row-error').count()) === 1, 'exactly one bad row flagged')
  await shot(page, 'flow-batch-feed-preview')
  await tid(page, 'feed-submit').click()
  await tid(page, 'feed-result').waitFor()
  await shot(page, 'flow-batch-feed-result')
  const fed = await waitFor(async () => {
    const mine = (await listAccounts(token)).filter((a) => a.label?.startsWith('fed feed-'))
    return mine.length === 2 && mine.every((a) => a.status === 'active') && mine
  }, 'two fed accounts active')
  saveState({ fedAccountIds: fed.map((a) => a.id) })
})
