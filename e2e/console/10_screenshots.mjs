// Screenshots of every page in light and dark themes, Chinese and English, into SCREENSHOT_DIR
// (e2e/screenshots/, not committed), e.g. `accounts-dark-zh-CN.png`. Each page must render its
// root element without browser errors.
import { GATEWAY, check, loadState, openBrowser, runFlow, shot, tid, adminToken } from './lib.mjs'

const PAGES = [['dashboard', '/'], ['accounts', '/accounts'], ['chat', '/chat'], ['logs', '/logs'], ['keys', '/keys'],
  ['security', '/security'], ['settings', '/settings'], ['audit', '/audit']]

await runFlow('screenshots', async (keep) => {
  const { password } = loadState()
  let count = 0
  for (const locale of ['en', 'zh-CN']) {
    for (const theme of ['light', 'dark']) {
      const token = await adminToken(password)
      const b = await openBrowser({ locale, theme })
      keep(b)
      const { page } = b
      await page.goto(`${GATEWAY}/login`)
      await tid(page, 'login-password').waitFor()
      await shot(page, `login-${theme}-${locale}`)
      await page.evaluate((t) => localStorage.setItem('claude-api.token', t), token)
      for (const [name, path] of PAGES) {
        await page.goto(`${GATEWAY}${path}`)
        await tid(page, `page-${name}`).waitFor()
        await page.waitForLoadState('networkidle')
        const cjk = (await page.evaluate(() => document.body.innerText)).match(/[\u4e00-\u9fff]/g)?.length ?? 0
        check(locale === 'en' || cjk > 10, `${name} is in Chinese (${cjk} CJK chars)`)
        await shot(page, `${name}-${theme}-${locale}`)
        count++
      }
      if (b.problems.length) throw new Error(`browser problems (${locale}/${theme}):\n${b.problems.join('\n')}`)
      await b.browser.close()
      keep(undefined)
    }
  }
  check(count === PAGES.length * 4, `${count} screenshots`)
})
