/**
 * Sends one chat-tester request to `/v1` with the operator's API key and folds the answer
 * (streamed through fetch + ReadableStream, or a JSON body) into a reactive Answer, recording
 * every SSE event and the timings for the footer.
 */
import { errorFromResponse } from '../../api/client'
import { ACCOUNT_HEADER, answerFromJson, applyEvent, type Answer, type Dialect } from '../../chat/dialects'
import { SseParser, type SseEvent } from '../../chat/sse'

export interface RawEvent extends SseEvent {
  /** Milliseconds since the request was sent. */
  at: number
}

export interface RunInfo {
  account?: string
  requestId?: string
  status?: number
  ttfbMs?: number
  durationMs?: number
}

export interface Run {
  answer: Answer
  raw: RawEvent[]
  info: RunInfo
}

export function headersFor(dialect: Dialect, key: string): Record<string, string> {
  const h: Record<string, string> = { 'Content-Type': 'application/json' }
  if (key) h.Authorization = `Bearer ${key}`
  if (dialect === 'anthropic') {
    h['anthropic-version'] = '2023-06-01'
    if (key) h['x-api-key'] = key
  }
  return h
}

export async function sendChat(
  dialect: Dialect,
  key: string,
  path: string,
  body: Record<string, unknown>,
  run: Run,
  signal: AbortSignal,
): Promise<void> {
  const t0 = performance.now()
  const res = await fetch(path, { method: 'POST', headers: headersFor(dialect, key), body: JSON.stringify(body), signal })
  run.info.status = res.status
  run.info.account = res.headers.get(ACCOUNT_HEADER) ?? undefined
  run.info.requestId = res.headers.get('x-request-id') ?? res.headers.get('request-id') ?? undefined
  try {
    if (!res.ok) {
      run.info.ttfbMs = performance.now() - t0
      const err = await errorFromResponse(res)
      run.answer.error = `${res.status} ${err.code}: ${err.message}`
      run.answer.done = true
      return
    }
    const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    if (!isSse || !res.body) {
      const text = await res.text()
      run.info.ttfbMs = performance.now() - t0
      let json: unknown = null
      try {
        json = JSON.parse(text)
      } catch {
        run.answer.error = `unexpected body: ${text.slice(0, 200)}`
      }
      if (json !== null) Object.assign(run.answer, answerFromJson(dialect, json))
      run.answer.done = true
      return
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    const parser = new SseParser()
    const handle = (events: SseEvent[]) => {
      for (const ev of events) {
        run.raw.push({ ...ev, at: Math.round(performance.now() - t0) })
        applyEvent(dialect, run.answer, ev)
      }
    }
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (run.info.ttfbMs === undefined && value) run.info.ttfbMs = performance.now() - t0
      handle(parser.push(value))
    }
    handle(parser.end())
    run.answer.done = true
  } finally {
    run.info.durationMs = performance.now() - t0
  }
}
