/** Caps of `GET /api/events`: a demo stream, not a way to hold a connection open for hours. */
export const MAX_EVENTS = 1000
export const MAX_INTERVAL_MS = 10_000

/** Why the query of `GET /api/events` was refused, for the 400. */
export const EVENTS_QUERY_PROBLEM = { error: 'invalid_query', detail: `n: an integer from 1 to ${MAX_EVENTS}; interval: milliseconds from 0 to ${MAX_INTERVAL_MS}` }

const integerIn = (value: unknown, min: number, max: number): number | undefined => {
  if (typeof value !== 'string' || !/^\d{1,5}$/.test(value)) return undefined
  const n = Number(value)
  return n >= min && n <= max ? n : undefined
}

/** `n` and `interval` of `GET /api/events?n=N&interval=MS` (interval defaults to 0), or undefined when either is out of range. */
export function eventsQuery(n: unknown, interval: unknown = '0'): { n: number; interval: number } | undefined {
  const count = integerIn(n, 1, MAX_EVENTS)
  const ms = integerIn(interval, 0, MAX_INTERVAL_MS)
  return count === undefined || ms === undefined ? undefined : { n: count, interval: ms }
}

/** Event k of the stream, as server-sent events frame it. */
export const sseEvent = (k: number): string => `data: {"i":${k}}\n\n`

/**
 * The events as a web stream, one every `interval` ms: a Response with this body streams, so
 * each event is sealed as one record and flushed at once to a client that reads sealed streams.
 */
export function eventStream(query: { n: number; interval: number }): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let timer: ReturnType<typeof setInterval> | undefined
  return new ReadableStream({
    start(controller) {
      let k = 0
      timer = setInterval(() => {
        controller.enqueue(encoder.encode(sseEvent(k)))
        if (++k === query.n) {
          clearInterval(timer)
          controller.close()
        }
      }, query.interval)
    },
    cancel() {
      clearInterval(timer)
    },
  })
}
