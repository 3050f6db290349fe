/**
 * The two client dialects the chat tester speaks (OpenAI Chat Completions and Anthropic
 * Messages): building request bodies from the tester's form, and folding streamed or
 * non-streamed answers into one list of blocks (text, thinking, tool calls). Pure.
 */
import type { SseEvent } from './sse'

export type Dialect = 'openai' | 'anthropic'

export interface TextBlock { kind: 'text'; text: string }
export interface ThinkingBlock { kind: 'thinking'; text: string }
export interface ToolCallBlock { kind: 'tool_call'; id: string; name: string; args: string }
export type Block = TextBlock | ThinkingBlock | ToolCallBlock

export interface Usage { input?: number; output?: number }

export interface Answer {
  blocks: Block[]
  usage: Usage
  stopReason?: string
  model?: string
  /** An in-band or body error reported by the gateway. */
  error?: string
  done: boolean
}

export const emptyAnswer = (): Answer => ({ blocks: [], usage: {}, done: false })

export interface ImageAttachment { mediaType: string; base64: string }

export interface Turn {
  role: 'user' | 'assistant'
  text: string
  image?: ImageAttachment
}

/** A tool as typed by the operator, in either dialect's spelling. */
interface ToolSpec { name: string; description?: string; schema: unknown }

export interface ChatForm {
  dialect: Dialect
  model: string
  system: string
  stream: boolean
  thinking: boolean
  maxTokens: number
  /** JSON text: an array of tools (Anthropic `input_schema` or OpenAI `function` form), or empty. */
  toolsJson: string
  turns: Turn[]
}

export class FormError extends Error {}

export function parseTools(json: string): ToolSpec[] {
  if (!json.trim()) return []
  let v: unknown
  try {
    v = JSON.parse(json)
  } catch (e) {
    throw new FormError(e instanceof Error ? e.message : String(e))
  }
  const list = Array.isArray(v) ? v : [v]
  return list.map((t, i) => {
    if (!t || typeof t !== 'object') throw new FormError(`tool #${i + 1} is not an object`)
    const o = t as Record<string, unknown>
    const f = (o.function && typeof o.function === 'object' ? o.function : o) as Record<string, unknown>
    if (typeof f.name !== 'string' || !f.name) throw new FormError(`tool #${i + 1} has no name`)
    return {
      name: f.name,
      description: typeof f.description === 'string' ? f.description : undefined,
      schema: f.input_schema ?? f.parameters ?? { type: 'object', properties: {} },
    }
  })
}

export function buildRequest(form: ChatForm): { path: string; body: Record<string, unknown> } {
  const tools = parseTools(form.toolsJson)
  if (form.dialect === 'openai') {
    const messages: unknown[] = []
    if (form.system.trim()) messages.push({ role: 'system', content: form.system })
    for (const t of form.turns) {
      if (t.image) {
        messages.push({
          role: t.role,
          content: [
            { type: 'text', text: t.text },
            { type: 'image_url', image_url: { url: `data:${t.image.mediaType};base64,${t.image.base64}` } },
          ],
        })
      } else messages.push({ role: t.role, content: t.text })
    }
    const body: Record<string, unknown> = { model: form.model, messages, stream: form.stream, max_tokens: form.maxTokens }
    if (form.stream) body.stream_options = { include_usage: true }
    if (form.thinking) body.reasoning_effort = 'high'
    if (tools.length) {
      body.tools = tools.map((t) => ({
        type: 'function',
        function: { name: t.name, ...(t.description ? { description: t.description } : {}), parameters: t.schema },
      }))
    }
    return { path: '/v1/chat/completions', body }
  }
  const messages = form.turns.map((t) => ({
    role: t.role,
    content: t.image
      ? [
          { type: 'image', source: { type: 'base64', media_type: t.image.mediaType, data: t.image.base64 } },
          { type: 'text', text: t.text },
        ]
      : t.text,
  }))
  const body: Record<string, unknown> = { model: form.model, messages, stream: form.stream, max_tokens: form.maxTokens }
  if (form.system.trim()) body.system = form.system
  if (form.thinking) body.thinking = { type: 'enabled', budget_tokens: Math.max(1024, Math.floor(form.maxTokens / 2)) }
  if (tools.length) {
    body.tools = tools.map((t) => ({ name: t.name, ...(t.description ? { description: t.description } : {}), input_schema: t.schema }))
  }
  return { path: '/v1/messages', body }
}

function lastOfKind<K extends Block['kind']>(a: Answer, kind: K): Extract<Block, { kind: K }> {
  const last = a.blocks[a.blocks.length - 1]
  if (last && last.kind === kind) return last as Extract<Block, { kind: K }>
  const fresh = (kind === 'tool_call' ? { kind, id: '', name: '', args: '' } : { kind, text: '' }) as Extract<Block, { kind: K }>
  a.blocks.push(fresh)
  return fresh
}

function errorText(e: unknown): string {
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>
    const msg = typeof o.message === 'string' ? o.message : JSON.stringify(o)
    const code = typeof o.type === 'string' ? o.type : typeof o.code === 'string' ? o.code : ''
    return code ? `${code}: ${msg}` : msg
  }
  return String(e)
}

/** OpenAI tool-call fragments are keyed by `index`; this maps an index to its block. */
type OpenAiState = { toolByIndex: Map<number, ToolCallBlock> }
const openAiState = new WeakMap<Answer, OpenAiState>()

/** Folds one OpenAI streaming chunk (`data:` of an SSE event) into the answer. */
export function applyOpenAiEvent(a: Answer, ev: SseEvent): void {
  const data = ev.data.trim()
  if (data === '[DONE]') { a.done = true; return }
  let chunk: Record<string, unknown>
  try { chunk = JSON.parse(data) as Record<string, unknown> } catch { return }
  if (chunk.error) { a.error = errorText(chunk.error); return }
  if (typeof chunk.model === 'string') a.model = chunk.model
  const usage = chunk.usage as Record<string, number> | undefined | null
  if (usage) a.usage = { input: usage.prompt_tokens, output: usage.completion_tokens }
  const choices = Array.isArray(chunk.choices) ? chunk.choices : []
  const choice = choices[0] as Record<string, unknown> | undefined
  if (!choice) return
  if (typeof choice.finish_reason === 'string') a.stopReason = choice.finish_reason
  const delta = (choice.delta ?? {}) as Record<string, unknown>
  const reasoning = delta.reasoning_content ?? delta.reasoning
  if (typeof reasoning === 'string' && reasoning) lastOfKind(a, 'thinking').text += reasoning
  if (typeof delta.content === 'string' && delta.content) lastOfKind(a, 'text').text += delta.content
  if (Array.isArray(delta.tool_calls)) {
    let st = openAiState.get(a)
    if (!st) { st = { toolByIndex: new Map() }; openAiState.set(a, st) }
    for (const tc of delta.tool_calls as Record<string, unknown>[]) {
      const idx = typeof tc.index === 'number' ? tc.index : 0
      let block = st.toolByIndex.get(idx)
      if (!block) {
        block = { kind: 'tool_call', id: '', name: '', args: '' }
        st.toolByIndex.set(idx, block)
        a.blocks.push(block)
      }
      const fn = (tc.function ?? {}) as Record<string, unknown>
      if (typeof tc.id === 'string' && tc.id) block.id = tc.id
      if (typeof fn.name === 'string' && fn.name) block.name += fn.name
      if (typeof fn.arguments === 'string') block.args += fn.arguments
    }
  }
}

/** Anthropic content blocks are addressed by `index`; this maps an index to its block. */
const anthropicState = new WeakMap<Answer, Map<number, Block>>()

/** Folds one Anthropic SSE event into the answer. */
export function applyAnthropicEvent(a: Answer, ev: SseEvent): void {
  let msg: Record<string, unknown>
  try { msg = JSON.parse(ev.data) as Record<string, unknown> } catch { return }
  const type = (typeof msg.type === 'string' ? msg.type : ev.event) ?? ''
  let blocks = anthropicState.get(a)
  if (!blocks) { blocks = new Map(); anthropicState.set(a, blocks) }
  switch (type) {
    case 'message_start': {
      const m = (msg.message ?? {}) as Record<string, unknown>
      if (typeof m.model === 'string') a.model = m.model
      const u = (m.usage ?? {}) as Record<string, number>
      if (typeof u.input_tokens === 'number') a.usage.input = u.input_tokens
      if (typeof u.output_tokens === 'number') a.usage.output = u.output_tokens
      break
    }
    case 'content_block_start': {
      const cb = (msg.content_block ?? {}) as Record<string, unknown>
      const idx = typeof msg.index === 'number' ? msg.index : a.blocks.length
      let block: Block
      if (cb.type === 'thinking' || cb.type === 'redacted_thinking') block = { kind: 'thinking', text: typeof cb.thinking === 'string' ? cb.thinking : '' }
      else if (cb.type === 'tool_use' || cb.type === 'server_tool_use') {
        const input = cb.input && typeof cb.input === 'object' && Object.keys(cb.input).length ? JSON.stringify(cb.input) : ''
        block = { kind: 'tool_call', id: String(cb.id ?? ''), name: String(cb.name ?? ''), args: input }
      } else block = { kind: 'text', text: typeof cb.text === 'string' ? cb.text : '' }
      blocks.set(idx, block)
      a.blocks.push(block)
      break
    }
    case 'content_block_delta': {
      const idx = typeof msg.index === 'number' ? msg.index : -1
      const d = (msg.delta ?? {}) as Record<string, unknown>
      const block = blocks.get(idx)
      if (!block) break
      if (d.type === 'text_delta' && block.kind === 'text' && typeof d.text === 'string') block.text += d.text
      else if (d.type === 'thinking_delta' && block.kind === 'thinking' && typeof d.thinking === 'string') block.text += d.thinking
      else if (d.type === 'input_json_delta' && block.kind === 'tool_call' && typeof d.partial_json === 'string') block.args += d.partial_json
      break
    }
    case 'message_delta': {
      const d = (msg.delta ?? {}) as Record<string, unknown>
      if (typeof d.stop_reason === 'string') a.stopReason = d.stop_reason
      const u = (msg.usage ?? {}) as Record<string, number>
      if (typeof u.output_tokens === 'number') a.usage.output = u.output_tokens
      if (typeof u.input_tokens === 'number' && u.input_tokens > 0) a.usage.input = u.input_tokens
      break
    }
    case 'message_stop':
      a.done = true
      break
    case 'error':
      a.error = errorText(msg.error)
      break
    default:
      break // ping, content_block_stop
  }
}

export function applyEvent(dialect: Dialect, a: Answer, ev: SseEvent): void {
  if (dialect === 'openai') applyOpenAiEvent(a, ev)
  else applyAnthropicEvent(a, ev)
}

/** Reads a non-streamed answer body of either dialect. */
export function answerFromJson(dialect: Dialect, body: unknown): Answer {
  const a = emptyAnswer()
  a.done = true
  const o = (body ?? {}) as Record<string, unknown>
  if (o.error) { a.error = errorText(o.error); return a }
  if (typeof o.model === 'string') a.model = o.model
  if (dialect === 'openai') {
    const choice = (Array.isArray(o.choices) ? o.choices[0] : undefined) as Record<string, unknown> | undefined
    const m = (choice?.message ?? {}) as Record<string, unknown>
    const reasoning = m.reasoning_content ?? m.reasoning
    if (typeof reasoning === 'string' && reasoning) a.blocks.push({ kind: 'thinking', text: reasoning })
    if (typeof m.content === 'string' && m.content) a.blocks.push({ kind: 'text', text: m.content })
    for (const tc of (Array.isArray(m.tool_calls) ? m.tool_calls : []) as Record<string, unknown>[]) {
      const fn = (tc.function ?? {}) as Record<string, unknown>
      a.blocks.push({ kind: 'tool_call', id: String(tc.id ?? ''), name: String(fn.name ?? ''), args: String(fn.arguments ?? '') })
    }
    if (typeof choice?.finish_reason === 'string') a.stopReason = choice.finish_reason
    const u = (o.usage ?? {}) as Record<string, number>
    a.usage = { input: u.prompt_tokens, output: u.completion_tokens }
  } else {
    for (const c of (Array.isArray(o.content) ? o.content : []) as Record<string, unknown>[]) {
      if (c.type === 'text') a.blocks.push({ kind: 'text', text: String(c.text ?? '') })
      else if (c.type === 'thinking') a.blocks.push({ kind: 'thinking', text: String(c.thinking ?? '') })
      else if (c.type === 'tool_use') a.blocks.push({ kind: 'tool_call', id: String(c.id ?? ''), name: String(c.name ?? ''), args: JSON.stringify(c.input ?? {}) })
    }
    if (typeof o.stop_reason === 'string') a.stopReason = o.stop_reason
    const u = (o.usage ?? {}) as Record<string, number>
    a.usage = { input: u.input_tokens, output: u.output_tokens }
  }
  return a
}

/** Pretty-prints tool arguments when they are complete JSON, else returns them as received. */
export function prettyArgs(args: string): string {
  if (!args.trim()) return '{}'
  try { return JSON.stringify(JSON.parse(args), null, 2) } catch { return args }
}

export const SAMPLE_TOOLS = JSON.stringify(
  [
    {
      name: 'get_weather',
      description: 'Get the current weather for a city',
      input_schema: {
        type: 'object',
        properties: { city: { type: 'string', description: 'City name' } },
        required: ['city'],
      },
    },
  ],
  null,
  2,
)

/** Response header carrying the account that served a /v1 request (see web/README.md). */
export const ACCOUNT_HEADER = 'x-claude-api-account'
