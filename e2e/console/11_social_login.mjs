// Kiro GitHub sign-in (issue 21): Accounts → Add → "Kiro (GitHub / Google)" gives a sign-in link;
// the simulator's /login (standing in for GitHub and the user's browser) answers it with the
// kiro:// callback address, which is pasted back. The new account is listed at once, is active,
// and serves a chat from the console's chat tester with the profile ARN from the code exchange.
// Self-sufficient: it sets the admin password and creates a key itself when run alone (`-k social`).
import { GATEWAY, SIM, accountIds, adminToken, api, ensurePassword, check, fill, listAccounts, openAddAccounts, openConsole, runFlow, saveState, shot, tid, waitFor, withOnlyAccount } from './lib.mjs'

const NEW_PASSWORD = 'console-Passw0rd-e2e'
const SIM_ACCOUNT = 'e2e-github-user'

await runFlow('social-login', async (keep) => {
  const pw = await ensurePassword(NEW_PASSWORD)
  const token = await adminToken(pw)
  const before = await accountIds(token)
  const { page } = await openConsole(keep, pw, '/accounts')
  await openAddAccounts(page, 'social')
  await tid(page, 'social-provider-github').click()
  await tid(page, 'social-start').click()
  const link = await tid(page, 'social-link').getAttribute('href')
  check(link.startsWith(`${SIM}/login?idp=Github&`) && link.includes('code_challenge_method=S256') && link.includes('&state='), `sign-in link ${link}`)
  await tid(page, 'social-qr').waitFor()

  // The browser's part: the sign-in page redirects to kiro://…?code=…&state=… (account= is a
  // simulator-only parameter naming the GitHub user).
  const r = await fetch(`${link}&account=${SIM_ACCOUNT}`, { redirect: 'manual' })
  check(r.status === 302, `sign-in page answered ${r.status}`)
  const callback = r.headers.get('location')
  check(callback.startsWith('kiro://kiro.kiroAgent/authenticate-success?code='), `callback ${callback}`)

  await fill(page, 'social-callback', 'https://example.invalid/not-a-callback')
  check(await tid(page, 'social-finish').isDisabled(), 'finish enabled for a non-callback address')
  await fill(page, 'social-callback', callback)
  await tid(page, 'social-hint').waitFor()
  await shot(page, 'flow-social-login-paste')
  await tid(page, 'social-finish').click()
  await tid(page, 'social-completed').waitFor({ timeout: 30_000 })
  await shot(page, 'flow-social-login-completed')

  const created = await waitFor(async () => (await listAccounts(token)).find((a) => !before.has(a.id)), 'the new account')
  const simAccount = (await api('GET', `${SIM}/__sim/accounts/${SIM_ACCOUNT}`)).json
  check(created.auth_method === 'social' && created.status === 'active', `account ${JSON.stringify(created)}`)
  check(created.profile_arn && created.profile_arn === simAccount.profile_arn, `profile ARN ${created.profile_arn} vs ${simAccount.profile_arn}`)
  // Listed at once: the dialog's `changed` reloads the table.
  await page.keyboard.press('Escape')
  await page.getByText(created.label, { exact: true }).first().waitFor()

  // Only the new account may serve the chat.
  await withOnlyAccount(token, created.id, 'e2e-social', async (apiKey) => {
    const since = (await api('GET', `${SIM}/__sim/requests`)).json.reduce((m, e) => Math.max(m, e.seq + 1), 0)
    await page.goto(`${GATEWAY}/chat`)
    await fill(page, 'chat-key', apiKey)
    await tid(page, 'chat-dialect').getByText('OpenAI').click()
    const text = 'Hello from a GitHub sign-in'
    await fill(page, 'chat-input', `#say ${text}`)
    await tid(page, 'chat-send').click()
    await page.waitForFunction((t) => [...document.querySelectorAll('[data-testid="answer-text"]')].some((e) => e.textContent.includes(t)), text)
    const served = (await tid(page, 'chat-account').textContent()).trim()
    check(served === created.id || served === created.label, `served by ${served}, expected ${created.id}`)
    await shot(page, 'flow-social-login-chat')
    const chats = (await api('GET', `${SIM}/__sim/requests?operation=chat&since=${since}`)).json
    check(chats.length >= 1 && chats.every((e) => e.account === SIM_ACCOUNT), `sim chats ${JSON.stringify(chats.map((e) => e.account))}`)
    check(chats.some((e) => e.json?.profileArn === created.profile_arn), 'the chat carried the profile ARN')
  })
  saveState({ socialAccountId: created.id })
})
