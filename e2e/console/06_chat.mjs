// Chat tester: an OpenAI-dialect streamed answer arrives in pieces (raw SSE view shows several
// events), then an Anthropic-dialect turn renders a tool call with its name and arguments; the
// footer names the serving account.
import { GATEWAY, check, fill, loadState, login, openBrowser, runFlow, saveState, shot, tid } from './lib.mjs'

await runFlow('chat', async (keep) => {
  const { password, apiKey } = loadState()
  const b = await openBrowser()
  keep(b)
  const { page } = b
  await login(page, password)
  await page.goto(`${GATEWAY}/chat`)
  await fill(page, 'chat-key', apiKey)
  await tid(page, 'chat-dialect').getByText('OpenAI').click()
  const text = 'Streaming hello from the console tester'
  await fill(page, 'chat-input', `#split fixed 4\n#say ${text}`)
  await tid(page, 'chat-send').click()
  await page.waitForFunction((t) => [...document.querySelectorAll('[data-testid="answer-text"]')].some((e) => e.textContent.includes(t)), text)
  const account = (await tid(page, 'chat-account').textContent()).trim()
  check(account && account !== '—', `serving account shown: ${account}`)
  await tid(page, 'chat-tab-raw').click()
  const raw = await tid(page, 'raw-events').textContent()
  check((raw.match(/chat\.completion\.chunk/g) ?? []).length >= 4, 'several SSE chunks in the raw view')
  await shot(page, 'flow-chat-raw')
  await tid(page, 'chat-tab-conversation').click()
  await tid(page, 'chat-dialect').getByText('Anthropic').click()
  await tid(page, 'chat-tools-sample').click()
  await fill(page, 'chat-input', '#say Looking it up.\n#tool fragments=3 get_weather {"city": "Lisbon"}')
  await tid(page, 'chat-send').click()
  await tid(page, 'tool-call-name').first().waitFor()
  check((await tid(page, 'tool-call-name').first().textContent()).trim() === 'get_weather', 'tool name')
  const args = JSON.parse(await tid(page, 'tool-call-args').first().textContent())
  check(args.city === 'Lisbon', `tool args ${JSON.stringify(args)}`)
  await shot(page, 'flow-chat-tool-call')
  saveState({ chatText: text })
})
