import { describe, expect, it } from 'vitest'
import { parseSse, SseParser } from '../src/chat/sse'
import { answerFromJson, applyEvent, buildRequest, emptyAnswer, parseTools, type ChatForm, type Dialect } from '../src/chat/dialects'

/** Feeds `text` to a parser in chunks of `size` characters (to prove split-anywhere safety). */
function chunked(text: string, size: number) {
  const p = new SseParser()
  const out = []
  for (let i = 0; i < text.length; i += size) out.push(...p.push(text.slice(i, i + size)))
  out.push(...p.end())
  return out
}

function fold(dialect: Dialect, sse: string, size = 7) {
  const a = emptyAnswer()
  for (const ev of chunked(sse, size)) applyEvent(dialect, a, ev)
  return a
}

describe('SseParser', () => {
  it('parses events with names, multi-line data, comments and ids', () => {
    const text = ': keep-alive\n\nevent: ping\ndata: {"a":1}\n\ndata: line1\ndata: line2\nid: 7\n\n'
    expect(parseSse(text)).toEqual([
      { event: 'ping', data: '{"a":1}' },
      { data: 'line1\nline2', id: '7' },
    ])
  })

  it('gives the same events however the input is chunked, with LF or CRLF', () => {
    const lf = 'event: a\ndata: x y\n\nevent: b\ndata:z\n\n'
    const crlf = lf.replace(/\n/g, '\r\n')
    const expected = [{ event: 'a', data: 'x y' }, { event: 'b', data: 'z' }]
    for (const size of [1, 2, 3, 5, 100]) {
      expect(chunked(lf, size)).toEqual(expected)
      expect(chunked(crlf, size)).toEqual(expected)
    }
  })

  it('flushes a last event not followed by a blank line, and ignores empty dispatches', () => {
    expect(parseSse('\n\ndata: tail')).toEqual([{ data: 'tail' }])
    expect(parseSse('event: only-name\n\n')).toEqual([])
  })
})

const OPENAI_STREAM = [
  { id: 'c1', model: 'claude-sonnet-4.5', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] },
  { choices: [{ index: 0, delta: { reasoning_content: 'Let me think. ' } }] },
  { choices: [{ index: 0, delta: { content: 'Hello' } }] },
  { choices: [{ index: 0, delta: { content: ', world' } }] },
  { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] } }] },
  { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] } }] },
  { choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] } }] },
  { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] },
  { choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } },
]
  .map((c) => `data: ${JSON.stringify(c)}\n\n`)
  .join('') + 'data: [DONE]\n\n'

describe('OpenAI stream folding', () => {
  it('reports an in-band error chunk', () => {
    const a = fold('openai', 'data: {"choices":[{"delta":{"content":"par"}}]}\n\ndata: {"error":{"message":"upstream died","type":"api_error"}}\n\n')
    expect(a.error).toBe('api_error: upstream died')
    expect(a.blocks).toEqual([{ kind: 'text', text: 'par' }])
  })
})

const ANTHROPIC_STREAM = [
  ['message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-sonnet-4.5', usage: { input_tokens: 21, output_tokens: 1 } } }],
  ['content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'Weather needs a tool.' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 0 }],
  ['ping', { type: 'ping' }],
  ['content_block_start', { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Checking ' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'now.' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 1 }],
  ['content_block_start', { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }],
  ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"city": "Pa' } }],
  ['content_block_delta', { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: 'ris"}' } }],
  ['content_block_stop', { type: 'content_block_stop', index: 2 }],
  ['message_delta', { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 57 } }],
  ['message_stop', { type: 'message_stop' }],
]
  .map(([e, d]) => `event: ${e as string}\ndata: ${JSON.stringify(d)}\n\n`)
  .join('')

type Answer = ReturnType<typeof emptyAnswer>

/** Both fixture streams carry the same exchange: some thinking, some text, then a get_weather call. */
const weatherBlocks = (thinking: string, text: string, id: string, args: string): Answer['blocks'] => [
  { kind: 'thinking', text: thinking },
  { kind: 'text', text },
  { kind: 'tool_call', id, name: 'get_weather', args },
]

/** What folding a whole stream yields, as one object to compare (an unexpected error shows up too). */
const outcome = (a: Answer) => ({ blocks: a.blocks, usage: a.usage, stopReason: a.stopReason, model: a.model, done: a.done, error: a.error })

/** One whole stream per dialect, folded at each chunk size. */
const STREAMS: { dialect: Dialect; what: string; sse: string; sizes: number[]; outcome: ReturnType<typeof outcome> }[] = [
  {
    dialect: 'openai',
    what: 'thinking, text, a fragmented tool call, usage and [DONE]',
    sse: OPENAI_STREAM,
    sizes: [7],
    outcome: { blocks: weatherBlocks('Let me think. ', 'Hello, world', 'call_1', '{"city":"Paris"}'), usage: { input: 12, output: 34 }, stopReason: 'tool_calls', model: 'claude-sonnet-4.5', done: true, error: undefined },
  },
  {
    dialect: 'anthropic',
    what: 'thinking, text and tool_use blocks by index, with usage and stop reason',
    sse: ANTHROPIC_STREAM,
    sizes: [1, 13, 4096],
    outcome: { blocks: weatherBlocks('Weather needs a tool.', 'Checking now.', 'toolu_1', '{"city": "Paris"}'), usage: { input: 21, output: 57 }, stopReason: 'tool_use', model: 'claude-sonnet-4.5', done: true, error: undefined },
  },
]

describe('stream folding', () => {
  for (const c of STREAMS) {
    it(`${c.dialect}: collects ${c.what}`, () => {
      for (const size of c.sizes) expect(outcome(fold(c.dialect, c.sse, size))).toEqual(c.outcome)
    })
  }
})

describe('Anthropic stream folding', () => {
  it('reports an error event', () => {
    const a = fold('anthropic', 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n')
    expect(a.error).toBe('overloaded_error: Overloaded')
  })
})

describe('non-streamed answers', () => {
  it('reads an OpenAI completion with a tool call', () => {
    const a = answerFromJson('openai', {
      model: 'm',
      choices: [{ message: { role: 'assistant', content: 'Hi', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 3, completion_tokens: 4 },
    })
    expect(a.blocks).toEqual([{ kind: 'text', text: 'Hi' }, { kind: 'tool_call', id: 'c', name: 'f', args: '{"x":1}' }])
    expect(a.usage).toEqual({ input: 3, output: 4 })
  })

  it('reads an Anthropic message', () => {
    const a = answerFromJson('anthropic', {
      content: [{ type: 'thinking', thinking: 'hmm' }, { type: 'text', text: 'Yes' }, { type: 'tool_use', id: 't', name: 'g', input: { a: 2 } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 5, output_tokens: 6 },
    })
    expect(a.blocks).toEqual([{ kind: 'thinking', text: 'hmm' }, { kind: 'text', text: 'Yes' }, { kind: 'tool_call', id: 't', name: 'g', args: '{"a":2}' }])
    expect(a.stopReason).toBe('tool_use')
  })
})

describe('request building', () => {
  const base: ChatForm = {
    dialect: 'openai',
    model: 'claude-sonnet-4.5',
    system: 'Be brief.',
    stream: true,
    thinking: true,
    maxTokens: 4096,
    toolsJson: '[{"name":"get_weather","description":"w","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]',
    turns: [{ role: 'user', text: 'What is this?', image: { mediaType: 'image/png', base64: 'AAAA' } }],
  }

  it('builds an OpenAI body: system message, image_url part, function tools, usage in stream', () => {
    const { path, body } = buildRequest(base)
    expect(path).toBe('/v1/chat/completions')
    expect(body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] },
    ])
    expect(body.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'w', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }])
    expect(body.stream_options).toEqual({ include_usage: true })
    expect(body.reasoning_effort).toBe('high')
  })

  it('builds an Anthropic body: top-level system, base64 image block, input_schema tools, thinking budget', () => {
    const { path, body } = buildRequest({ ...base, dialect: 'anthropic' })
    expect(path).toBe('/v1/messages')
    expect(body.system).toBe('Be brief.')
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }, { type: 'text', text: 'What is this?' }] },
    ])
    expect(body.tools).toEqual([{ name: 'get_weather', description: 'w', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }])
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 2048 })
    expect(body.max_tokens).toBe(4096)
  })

  it('accepts OpenAI-form tools and rejects broken tool JSON', () => {
    expect(parseTools('[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]')).toEqual([{ name: 'f', description: undefined, schema: { type: 'object' } }])
    expect(() => parseTools('[{"description":"no name"}]')).toThrow(/no name/)
    expect(() => parseTools('[{')).toThrow()
    expect(parseTools('  ')).toEqual([])
  })
})
