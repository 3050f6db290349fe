/**
 * Incremental Server-Sent Events parser (WHATWG "event stream interpretation"): feed it text
 * chunks split anywhere, get complete events back. Pure; the chat tester feeds it the decoded
 * bytes of a fetch ReadableStream.
 */

export interface SseEvent {
  /** `event:` field; undefined means the default "message". */
  event?: string
  data: string
  id?: string
}

export class SseParser {
  private buffer = ''
  private dataLines: string[] = []
  private eventName: string | undefined
  private lastId: string | undefined
  private sawField = false

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buffer += chunk
    const out: SseEvent[] = []
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer)
      if (!m) break
      // A lone '\r' at the very end may be the first half of '\r\n': wait for more input.
      if (m[0] === '\r' && m.index === this.buffer.length - 1) break
      const line = this.buffer.slice(0, m.index)
      this.buffer = this.buffer.slice(m.index + m[0].length)
      const ev = this.line(line)
      if (ev) out.push(ev)
    }
    return out
  }

  /** Flushes a final event that was not followed by a blank line (stream closed). */
  end(): SseEvent[] {
    const out: SseEvent[] = []
    if (this.buffer) {
      const ev = this.line(this.buffer)
      this.buffer = ''
      if (ev) out.push(ev)
    }
    const ev = this.dispatch()
    if (ev) out.push(ev)
    return out
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch()
    if (line.startsWith(':')) return undefined // comment / keep-alive
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    switch (field) {
      case 'data':
        this.dataLines.push(value)
        this.sawField = true
        break
      case 'event':
        this.eventName = value
        this.sawField = true
        break
      case 'id':
        if (!value.includes('\0')) this.lastId = value
        break
      default:
        break // `retry` and unknown fields are ignored
    }
    return undefined
  }

  private dispatch(): SseEvent | undefined {
    const had = this.sawField && this.dataLines.length > 0
    const ev: SseEvent = { data: this.dataLines.join('\n') }
    if (this.eventName) ev.event = this.eventName
    if (this.lastId !== undefined) ev.id = this.lastId
    this.dataLines = []
    this.eventName = undefined
    this.sawField = false
    return had ? ev : undefined
  }
}

/** Parses a whole SSE text at once (tests, non-incremental callers). */
export function parseSse(text: string): SseEvent[] {
  const p = new SseParser()
  return [...p.push(text), ...p.end()]
}
