import { SealwireError } from '@sealwire/core'
import type { httpError } from '../json-request.js'
import type { mediaTypeOf } from '../exchange/media-type.js'
import type { SealedRequestInit } from '../exchange/sealed-fetch.js'
import { parseEventStream, type SealedEvent } from './parse-event-stream.js'

/** `client.events` options: a sealed request's, plus how to reconnect. */
export interface SealedEventsInit extends Omit<SealedRequestInit, 'body'> {
  /**
   * How many connections in a row may fail (cut, network error) before the
   * iterator throws the last error. Default 5. A connection that brought an
   * event with a new id, or stayed up a minute, ends the run of failures.
   */
  maxAttempts?: number
  /** Milliseconds to wait before reconnecting, until the server sets it with `retry:`. Default 3000; at least 250. */
  retryMs?: number
  /** The `Last-Event-ID` of the first request, to resume a stream read before. */
  lastEventId?: string
  /**
   * Whether to reconnect after a cut stream or a network failure. Default:
   * for GET only. A reconnection sends the request again, and a POST may
   * not be safe to run twice: pass `true` when yours is.
   */
  reconnect?: boolean
}

/** The client's own request and answer handling, handed over rather than imported (see streamed-upload.ts). */
export interface EventsParts {
  fetch: (input: RequestInfo | URL, init: SealedRequestInit) => Promise<Response>
  httpError: typeof httpError
  mediaTypeOf: typeof mediaTypeOf
}

// The bounds of a wait: a `retry: 0` from the server must not make a hot loop of reconnections,
// and setTimeout takes a signed 32-bit delay (a larger one fires after 1 ms).
const MIN_DELAY_MS = 250
const MAX_DELAY_MS = 2 ** 31 - 1
// Backoff stops doubling here (unless the server's `retry:` asks for longer).
const BACKOFF_CAP_MS = 60_000
// A connection that stayed up this long was not a failure in a row, even without new events.
const STABLE_MS = 60_000
// How the client's fetch words a request that got no answer (exchange/request-not-sent.ts): the only
// TypeError worth a new connection. Others are the caller's mistakes and would fail again.
const NO_ANSWER = 'No answer to the sealed request'

/** A cut stream (`stream_truncated`) or a network failure (the client's "no answer" TypeError): worth a new connection. */
function reconnects(error: unknown): boolean {
  return error instanceof SealwireError ? error.code === 'stream_truncated' : error instanceof TypeError && error.message.startsWith(NO_ANSWER)
}

/**
 * The wait before reconnection `failures` (1, 2, …): the base doubled per
 * failure in a row up to a minute (or the base, when the server asked for
 * more), with equal jitter so clients cut at once do not return at once.
 */
function backoff(base: number, failures: number): number {
  const ceiling = Math.max(base, Math.min(base * 2 ** (failures - 1), BACKOFF_CAP_MS))
  return Math.min(MAX_DELAY_MS, Math.max(MIN_DELAY_MS, Math.round(ceiling / 2 + (Math.random() * ceiling) / 2)))
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
 * failure a GET reconnects (another method only with `reconnect: true`), with
 * `Last-Event-ID`, after `retry:` (or `retryMs`) doubled per failure in a row
 * with jitter, never sooner than 250 ms; not after a clean end (the iterator
 * finishes), an answer that is not `text/event-stream`
 * (`unsupported_media_type`), a record that fails authentication, an error
 * answer or anything else (those throw). At most `maxAttempts` failed
 * connections in a row; `signal` aborts it all.
 *
 * `Last-Event-ID` travels in clear unless listed in `sealHeaders`: a server
 * restores only the sealed fields it lists (`sealedRequestHeaders`), and an
 * event id names a position in a stream, which the application chooses
 * (a counter, not a secret). List it on both sides to seal it.
 */
export async function* sealedEvents(parts: EventsParts, input: RequestInfo | URL, init: SealedEventsInit = {}): AsyncGenerator<SealedEvent> {
  const { httpError, mediaTypeOf } = parts
  const { maxAttempts = 5, retryMs = 3000, lastEventId = '', reconnect, ...request } = init
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new TypeError('maxAttempts: must be an integer ≥ 1')
  if (!Number.isSafeInteger(retryMs) || retryMs < 0) throw new TypeError('retryMs: must be an integer number of milliseconds ≥ 0')
  if (typeof lastEventId !== 'string') throw new TypeError('lastEventId: must be a string')
  if (reconnect !== undefined && typeof reconnect !== 'boolean') throw new TypeError('reconnect: must be a boolean')
  const method = (request.method ?? (typeof Request !== 'undefined' && input instanceof Request ? input.method : 'GET')).toUpperCase()
  const reconnecting = reconnect ?? method === 'GET'
  const signal = request.signal
  let delay = retryMs
  const cursor: { lastEventId: string; retry?: number } = { lastEventId }
  let failures = 0
  for (;;) {
    const headers = new Headers(request.headers)
    if (!headers.has('accept')) headers.set('accept', 'text/event-stream')
    if (cursor.lastEventId !== '') headers.set('last-event-id', cursor.lastEventId)
    const resumedFrom = cursor.lastEventId
    const connectedAt = Date.now()
    try {
      const res = await parts.fetch(input, { ...request, headers })
      if (!res.ok) throw await httpError(res)
      const type = mediaTypeOf(res.headers.get('content-type'))
      if (type !== 'text/event-stream' || res.body === null) {
        void res.body?.cancel().catch(() => undefined)
        throw new SealwireError('unsupported_media_type', {
          detail: `events: the answer is ${type === '' ? 'without a media type' : type}, not text/event-stream: read it with client.fetch, or have the route answer text/event-stream`,
        })
      }
      for await (const event of parseEventStream(res.body, cursor)) yield event
      return
    } catch (error) {
      if (cursor.retry !== undefined) delay = cursor.retry
      // Progress (an event with a new id) or a long-lived connection ends the run of failures; a
      // server that cuts every connection after replaying the same event does not.
      if (cursor.lastEventId !== resumedFrom || Date.now() - connectedAt >= STABLE_MS) failures = 0
      failures += 1
      if (!reconnecting || signal?.aborted === true || !reconnects(error) || failures >= maxAttempts) throw error
    }
    await wait(backoff(delay, failures), signal)
  }
}
