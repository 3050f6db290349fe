/** Ready-to-paste client snippets for a fresh API key (OpenAI SDK, Anthropic SDK, Claude Code, curl). Pure. */

export interface Snippet {
  id: string
  title: string
  code: string
}

export function snippets(origin: string, key: string, model: string): Snippet[] {
  return [
    {
      id: 'openai',
      title: 'OpenAI SDK',
      code: `from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key="${key}")
r = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello"}],
)
print(r.choices[0].message.content)`,
    },
    {
      id: 'anthropic',
      title: 'Anthropic SDK',
      code: `import anthropic

client = anthropic.Anthropic(base_url="${origin}", api_key="${key}")
m = client.messages.create(
    model="${model}",
    max_tokens=1024,
    messages=[{"role": "user", "content": "Hello"}],
)
print(m.content[0].text)`,
    },
    {
      id: 'claude-code',
      title: 'Claude Code',
      code: `export ANTHROPIC_BASE_URL="${origin}"
export ANTHROPIC_AUTH_TOKEN="${key}"
export ANTHROPIC_MODEL="${model}"
claude`,
    },
    {
      id: 'curl',
      title: 'curl',
      code: `curl ${origin}/v1/chat/completions \\
  -H "Authorization: Bearer ${key}" \\
  -H "Content-Type: application/json" \\
  -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    },
  ]
}
