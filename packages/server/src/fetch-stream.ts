import { SealwireError, isSealwireError, type StreamKey } from '@sealwire/core'
import { openRecordBody } from '@sealwire/core/stream'
import type { SealedStream } from './exchange.js'
import { uploadTooLarge } from './read-stream-header.js'

/** Media types whose bodies are streams by nature: server-sent events and JSON lines. */
const STREAM_MEDIA_TYPES = /^\s*(text\/event-stream|application\/(x-)?ndjson|application\/jsonl(ines)?|application\/json-seq)\s*(;|$)/i

/** What a handler's Response body turned out to be: complete, or still being produced. */
export type HandlerBody = { whole: Uint8Array } | { stream: { first: Uint8Array[]; reader: ReadableStreamDefaultReader<Uint8Array>; next?: Promise<ReadableStreamReadResult<Uint8Array>> } }

const TICK = Symbol('tick')
const aTick = (): Promise<typeof TICK> => new Promise((resolve) => setTimeout(() => resolve(TICK), 0))
/**
 * Settles a few microtask turns from now: long enough for the second read of
 * a body that is already complete (a string, `Response.json`, `c.json`:
 * queued whole, then closed) to settle first, with no timer. This adapter is
 * on a request-rate budget, and one-shot answers are the common case.
 */
const soon = (): Promise<typeof TICK> =>
  Promise.resolve()
    .then(() => undefined)
    .then(() => TICK)

/**
 * Whether a handler's Response is a stream the handler is still producing,
 * for a requester that reads sealed streams (docs/PROTOCOL.md §12). A web
 * Response does not say, so: a server-sent events or JSON-lines body always
 * streams; any other streams when a second chunk follows the first (a large
 * download) or has not come a macrotask after it (a producer still at work,
 * Hono's `streamSSE` and `stream`); a body complete in one chunk
 * (`Response.json`, a string, `c.json`) stays one envelope, as in v1, and is
 * told apart within microtasks, without a timer.
 */
export async function readHandlerBody(response: Response): Promise<HandlerBody> {
  const body = response.body
  if (body === null) return { whole: new Uint8Array(0) }
  const reader = body.getReader()
  const first = await reader.read()
  if (first.done) return { whole: new Uint8Array(0) }
  if (STREAM_MEDIA_TYPES.test(response.headers.get('content-type') ?? '')) return { stream: { first: [first.value], reader } }
  const next = reader.read()
  let second = await Promise.race([next, soon()])
  if (second === TICK) second = await Promise.race([next, aTick()])
  if (second === TICK) return { stream: { first: [first.value], reader, next } }
  if (second.done) return { whole: first.value }
  return { stream: { first: [first.value, second.value], reader } }
}

/**
 * The body of a streamed answer: the header line, then each chunk of the
 * handler's stream sealed as its own record the moment it comes, then the
 * final record. Pull-driven (the handler's stream is read as fast as the
 * platform sends). A failing handler stream ends the body without the final
 * record — the requester sees a cut stream, never a clean end — and emits `rejected`.
 */
export function streamedBody(sealed: SealedStream, body: Extract<HandlerBody, { stream: unknown }>['stream']): ReadableStream<Uint8Array> {
  const { reader } = body
  const queued = [...body.first]
  let next = body.next
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(sealed.line)
    },
    async pull(controller) {
      let enqueued = false
      const out = (record: Uint8Array) => {
        enqueued = true
        controller.enqueue(record)
      }
      try {
        // A pull that enqueues nothing is not called again: an empty chunk (an empty token
        // delta) seals to no record, so read on until one does, or the stream ends.
        while (!enqueued) {
          let chunk = queued.shift()
          if (chunk === undefined) {
            const read = await (next ?? reader.read())
            next = undefined
            if (read.done) {
              await sealed.finish(out)
              return controller.close()
            }
            chunk = read.value
          }
          // A chunk that is not bytes rejects here (the queue's check): the answer ends cut, below.
          await sealed.write(chunk, out)
        }
      } catch {
        // As for a handler that throws before answering: nothing logged here (the handler's
        // error may hold application data), the `rejected` event (internal_error) says it.
        sealed.abort()
        controller.close()
        reader.cancel().catch(() => undefined)
      }
    },
    cancel(reason) {
      sealed.abort()
      return reader.cancel(reason)
    },
  })
}

/**
 * A streamed upload's plaintext (§12) as the handler's Request body: the
 * records opened one by one, each released only after its tag verified; it
 * ends only after the final record, and errors with the reader's code
 * otherwise, or with `payload_too_large` once more than `maxBytes` came (a
 * handler that buffers the body, `request.json()`, stays bounded). `onError`
 * hears that code first.
 */
export function uploadBody(records: ReadableStream<Uint8Array>, key: StreamKey, maxBytes: number, onError: (error: SealwireError) => void): ReadableStream<Uint8Array> {
  // openRecordBody pulls the records itself: no pipe and TransformStream step per chunk, nothing read ahead.
  const reader = openRecordBody(records, key).getReader()
  let total = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) return controller.close()
        total += value.byteLength
        if (total > maxBytes) {
          reader.cancel().catch(() => undefined)
          throw uploadTooLarge(maxBytes)
        }
        controller.enqueue(value)
      } catch (err) {
        const error = isSealwireError(err) ? err : new SealwireError('stream_truncated', { cause: err })
        onError(error)
        controller.error(error)
      }
    },
    cancel(reason) {
      return reader.cancel(reason)
    },
  })
}
