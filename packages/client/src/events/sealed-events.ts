import { SealwireError } from '@sealwire/core'
import type { httpError } from '../json-request.js'
import type { mediaTypeOf } from '../exchange/media-type.js'
import type { SealedRequestInit } from '../exchange/sealed-fetch.js'
import { parseEventStream, type SealedEvent } from './parse-event-stream.js'

/** `client.events` options: a sealed request's, plus how to reconnect. */
export interface SealedEventsInit extends Omit<SealedRequestInit, 'body'> {
  /** How many connections in a row may fail (cut, network error) before the iterator throws the last error. Default 5. */
  maxAttempts?: number
  /** Milliseconds to wait before reconnecting, until the server sets it with `retry:`. Default 3000. */
  retryMs?: number
  /** The `Last-Event-ID` of the first request, to resume a stream read before. */
  lastEventId?: string
}

/** The client's own request and answer handling, handed over rather than imported (see streamed-upload.ts). */
export interface EventsParts {
  fetch: (input: RequestInfo | URL, init: SealedRequestInit) => Promise<Response>
  httpError: typeof httpError
  mediaTypeOf: typeof mediaTypeOf
}

/** A cut stream (`stream_truncated`) or a network failure (`fetch`'s TypeError): worth a new connection. */
function reconnects(error: unknown, signal: AbortSignal | null | undefined): boolean {
  if (signal?.aborted === true) return false
  return error instanceof SealwireError ? error.code === 'stream_truncated' : error instanceof TypeError
}

function wait(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done(): void {
      signal?.removeEventListener('abort', abort)
      resolve()
    }
    function abort(): void {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    signal?.addEventListener('abort', abort, { once: true })
  })
}

/**
 * Sealed server-sent events: a sealed request (`Accept: text/event-stream`),
 * its answer — a sealed stream (docs/PROTOCOL.md §12) or one sealed JWE —
 * parsed into events as the records arrive. After a cut stream or a network
 * error it reconnects, after `retry:` (or `retryMs`), with `Last-Event-ID`;
 * not after a clean end (the iterator finishes), nor after a record that
 * fails authentication, an error answer or anything else (those throw). At
 * most `maxAttempts` failed connections in a row; `signal` aborts it all.
 *
 * `Last-Event-ID` travels in clear unless listed in `sealHeaders`: a server
 * restores only the sealed fields it lists (`sealedRequestHeaders`), and an
 * event id names a position in a stream, which the application chooses
 * (a counter, not a secret). List it on both sides to seal it.
 */
export async function* sealedEvents(parts: EventsParts, input: RequestInfo | URL, init: SealedEventsInit = {}): AsyncGenerator<SealedEvent> {
  const { httpError, mediaTypeOf } = parts
  const { maxAttempts = 5, retryMs = 3000, lastEventId = '', ...request } = init
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts: must be an integer ≥ 1')
  if (!Number.isSafeInteger(retryMs) || retryMs < 0) throw new TypeError('retryMs: must be an integer number of milliseconds ≥ 0')
  if (typeof lastEventId !== 'string') throw new TypeError('lastEventId: must be a string')
  const signal = request.signal
  let delay = retryMs
  const cursor = { lastEventId }
  let failures = 0
  for (;;) {
    const headers = new Headers(request.headers)
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream')
    if (cursor.lastEventId !== '') headers.set('last-event-id', cursor.lastEventId)
    try {
      const res = await parts.fetch(input, { ...request, headers })
      if (!res.ok) throw await httpError(res)
      const type = mediaTypeOf(res.headers.get('content-type'))
      if (type !== 'text/event-stream' || res.body === null) {
        void res.body?.cancel().catch(() => undefined)
        throw new TypeError(`events: the answer is ${type === '' ? 'without a media type' : type}, not text/event-stream; read it with client.fetch`)
      }
      for await (const event of parseEventStream(res.body, cursor)) {
        failures = 0
        if (event.retry !== undefined) delay = event.retry
        yield event
      }
      return
    } catch (error) {
      failures += 1
      if (!reconnects(error, signal) || failures >= maxAttempts) throw error
    }
    await wait(delay, signal)
  }
}
