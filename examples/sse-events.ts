/**
 * `GET /api/events?n=N&interval=MS`, the route every example serves in its own
 * framework's idiom: N server-sent events `data: {"i":k}`, one every MS ms.
 * What does not depend on the framework lives here, once.
 */

/** Caps of the route: a demo stream, not a way to hold a connection open for hours. */
export const MAX_EVENTS = 1000
export const MAX_INTERVAL_MS = 10_000

/** The examples' 400 for a query out of range. */
export const EVENTS_QUERY_PROBLEM = { error: 'invalid_query', detail: `n: an integer from 1 to ${MAX_EVENTS}; interval: milliseconds from 0 to ${MAX_INTERVAL_MS}` }

export interface EventsQuery {
  n: number
  interval: number
}

const integerIn = (value: unknown, min: number, max: number): number | undefined => {
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value)) return undefined
  const n = Number(value)
  return n >= min && n <= max ? n : undefined
}

/** `n` and `interval` (default 0) of the route's query, or undefined when either is missing or out of range. */
export function eventsQuery(n: unknown, interval: unknown = '0'): EventsQuery | undefined {
  const count = integerIn(n, 1, MAX_EVENTS)
  const ms = integerIn(interval ?? '0', 0, MAX_INTERVAL_MS)
  return count === undefined || ms === undefined ? undefined : { n: count, interval: ms }
}

/**
 * Hands `write` event k as server-sent events frame it, one every `interval`
 * ms, then calls `end`. Returns what stops it early (the client went away).
 */
export function produceEvents(query: EventsQuery, write: (text: string) => void, end: () => void): () => void {
  let k = 0
  const timer = setInterval(() => {
    write(`data: {"i":${k}}\n\n`)
    if (++k === query.n) {
      clearInterval(timer)
      end()
    }
  }, query.interval)
  return () => clearInterval(timer)
}

/**
 * The events as a web stream: a `Response` with this body streams, so each
 * event is sealed as one record and flushed at once to a client that reads
 * sealed streams.
 */
export function eventStream(query: EventsQuery): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let stop: (() => void) | undefined
  return new ReadableStream({
    start(controller) {
      stop = produceEvents(query, (text) => controller.enqueue(encoder.encode(text)), () => controller.close())
    },
    cancel() {
      stop?.()
    },
  })
}
