/**
 * Markdown rendering for assistant answers: markdown-it with raw HTML disabled (model output is
 * untrusted) and highlight.js core with a handful of common languages (kept small on purpose).
 */
import MarkdownIt, { type RendererRule } from 'markdown-it'
import hljs from 'highlight.js/lib/core'
import bash from 'highlight.js/lib/languages/bash'
import go from 'highlight.js/lib/languages/go'
import javascript from 'highlight.js/lib/languages/javascript'
import json from 'highlight.js/lib/languages/json'
import python from 'highlight.js/lib/languages/python'
import rust from 'highlight.js/lib/languages/rust'
import sql from 'highlight.js/lib/languages/sql'
import typescript from 'highlight.js/lib/languages/typescript'
import xml from 'highlight.js/lib/languages/xml'
import yaml from 'highlight.js/lib/languages/yaml'

const langs = { bash, go, javascript, json, python, rust, sql, typescript, xml, yaml }
for (const [name, lang] of Object.entries(langs)) hljs.registerLanguage(name, lang)
hljs.registerAliases(['sh', 'shell', 'zsh'], { languageName: 'bash' })
hljs.registerAliases(['js', 'jsx'], { languageName: 'javascript' })
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' })
hljs.registerAliases(['py'], { languageName: 'python' })
hljs.registerAliases(['rs'], { languageName: 'rust' })
hljs.registerAliases(['html', 'vue'], { languageName: 'xml' })
hljs.registerAliases(['yml'], { languageName: 'yaml' })

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code: string, lang: string): string {
    const l = lang && hljs.getLanguage(lang) ? lang : ''
    const body = l ? hljs.highlight(code, { language: l, ignoreIllegals: true }).value : escapeHtml(code)
    return `<pre class="hljs"><code>${body}</code></pre>`
  },
})

// Links in answers open in a new tab without giving the page a handle on the opener.
const defaultLink: RendererRule = md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options))
const linkOpen: RendererRule = (tokens, idx, options, env, self) => {
  tokens[idx]!.attrSet('target', '_blank')
  tokens[idx]!.attrSet('rel', 'noopener noreferrer')
  return defaultLink(tokens, idx, options, env, self)
}
md.renderer.rules.link_open = linkOpen

export function renderMarkdown(src: string): string {
  return md.render(src)
}
