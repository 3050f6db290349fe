// "Upstream changed?" card (issue 22): chats whose simulated upstream answers hold an unknown event
// type, an unknown stop reason, an unknown exception reason and a malformed field; each still gets
// a proper answer, and the dashboard then shows the drift card with every kind, its samples and
// the advice, in English and Chinese. Reset hides it again.
// Self-sufficient: it sets the admin password, adds an account and creates a key when run alone
// (`-k drift`).
import { adminToken, api, ensurePassword, check, listAccounts, login, openBrowser, runFlow, shot, simAccount, tid, waitFor, withOnlyAccount } from './lib.mjs'

const NEW_PASSWORD = 'console-Passw0rd-e2e'

/** One active account that serves the drift chats (fed from fresh simulator tokens). */
async function account(token) {
  const row = await simAccount('drift-1', 'drift account')
  const r = await api('POST', '/v2/accounts/feed', { token, body: { accounts: [row] } })
  check(r.status < 300, `feed: ${r.status} ${r.text}`)
  return waitFor(async () => (await listAccounts(token)).find((a) => a.label === 'drift account' && a.status === 'active'), 'the drift account active')
}

await runFlow('drift', async (keep) => {
  const pw = await ensurePassword(NEW_PASSWORD)
  const token = await adminToken(pw)
  const acct = await account(token)
  // Only this account serves the chats.
  await withOnlyAccount(token, acct.id, 'e2e-drift', async (apiKey) => {
    const chat = async (prompt) => {
      const body = { model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: prompt }] }
      return api('POST', '/v1/messages', { body, headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01' } })
    }
    await api('DELETE', '/v2/upstream/drift', { token })
    let r = await chat('#say hello\n#unknown brandNewEvent {"note":"secret","n":2}')
    check(r.status === 200 && r.json.content[0].text === 'hello', `unknown event answer: ${r.status} ${r.text}`)
    r = await chat('#say done\n#stop-reason SOMETHING_NEW')
    check(r.status === 200 && r.json.stop_reason === 'end_turn', `unknown stop reason answer: ${r.status} ${r.text}`)
    r = await chat('#exception ValidationException SOMETHING_NEW')
    check(r.status >= 400 && r.json?.type === 'error', `unknown exception reason answer: ${r.status} ${r.text}`)
    r = await chat('#say partial\n#malformed-field')
    check(r.status >= 400 && r.json?.type === 'error', `malformed field answer: ${r.status} ${r.text}`)
    const report = (await api('GET', '/v2/upstream/drift', { token })).json
    check(report.total === 4, `drift report: ${JSON.stringify(report)}`)
    check(!JSON.stringify(report).includes('secret'), 'drift report leaks payload text')

    for (const locale of ['en', 'zh-CN']) {
      const b = await openBrowser({ locale })
      keep(b)
      const { page } = b
      await login(page, pw)
      await tid(page, 'drift-card').waitFor()
      for (const kind of ['unknown_event', 'unknown_error', 'unknown_stop_reason', 'malformed_field']) {
        await tid(page, `drift-kind-${kind}`).waitFor()
      }
      const text = await tid(page, 'drift-card').innerText()
      check(text.includes('brandNewEvent') && text.includes('SOMETHING_NEW') && text.includes('meteringEvent'), `card text: ${text}`)
      check(locale === 'en' ? text.includes('Upstream changed?') : text.includes('上游变了？'), `card title (${locale})`)
      await shot(page, `flow-drift-card-${locale}`)
      if (locale === 'zh-CN') {
        await tid(page, 'drift-reset').click()
        await tid(page, 'drift-card').waitFor({ state: 'detached' })
      }
      await b.browser.close()
      keep(undefined)
    }
    check((await api('GET', '/v2/upstream/drift', { token })).json.total === 0, 'reset emptied the report')
  })
})
