import { createRecordReader, streamError } from './record-reader.js'
import { createFramer, createPartsFramer } from './record-writer.js'
import type { StreamKey } from './stream-key.js'

/**
 * Records → plaintext, as a web TransformStream (any runtime): each record's
 * plaintext is enqueued once its tag verified; the readable side errors with
 * the reader's verdict (`stream_truncated` when the records end before the
 * final one). Backpressure flows through: a consumer that stops reading stops
 * the records being read.
 *
 * @example
 * const plaintext = records.pipeThrough(openRecordStream(key))
 */
export function openRecordStream(key: StreamKey): TransformStream<Uint8Array, Uint8Array> {
  const reader = createRecordReader(key)
  return new TransformStream({
    // Synchronous on node:crypto (no promise per chunk), a promise on WebCrypto.
    transform: (chunk, controller) => reader.feed(chunk, (plaintext) => controller.enqueue(plaintext)),
    flush() {
      reader.end()
    },
  })
}

/**
 * A body's records → its plaintext, as one ReadableStream that pulls from
 * `records` (no pipe, no second stream): each record's plaintext is enqueued
 * once its tag verified. The body failing — a reset connection, not only a
 * clean end — before the final record is `stream_truncated` (the transport's
 * error as its `cause`): §12.4 makes no difference between the two, and a
 * consumer then has one code to retry on. Cancelling it cancels `records`.
 *
 * @example
 * const plaintext = openRecordBody(records, key)
 */
export function openRecordBody(records: ReadableStream<Uint8Array>, key: StreamKey): ReadableStream<Uint8Array> {
  const reader = createRecordReader(key)
  const source = records.getReader()
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let released = false
        const emit = (plaintext: Uint8Array): void => {
          released = true
          controller.enqueue(plaintext)
        }
        try {
          // Until a record's plaintext is out (a chunk may hold only part of a record) or the body ends.
          while (!released) {
            let next: ReadableStreamReadResult<Uint8Array>
            try {
              next = await source.read()
            } catch (cause) {
              throw streamError.truncated(cause)
            }
            if (next.done) {
              reader.end()
              return controller.close()
            }
            const fed = reader.feed(next.value, emit)
            if (fed !== undefined) await fed
          }
        } catch (error) {
          source.cancel(error).catch(() => undefined)
          throw error
        }
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}

/**
 * Plaintext → records: each chunk written is sealed and flushed at once as its
 * own record(s), never held for more; closing the writable side writes the
 * final (empty) record. Aborting it writes none, so the reader sees a cut
 * stream (`stream_truncated`), never a clean end. On node:crypto a record
 * comes out as several chunks (its length, ciphertext and tag, as the cipher
 * returned them: no copy, no promise); elsewhere as one. The bytes are the same.
 *
 * @example
 * const body = events.pipeThrough(sealRecordStream(key))
 */
export function sealRecordStream(key: StreamKey): TransformStream<Uint8Array, Uint8Array> {
  const parts = createPartsFramer(key)
  if (parts !== undefined) {
    return new TransformStream({
      transform: (chunk, controller) => parts(chunk, false, (part) => controller.enqueue(part)),
      flush: (controller) => parts(new Uint8Array(0), true, (part) => controller.enqueue(part)),
    })
  }
  const frame = createFramer(key)
  const enqueue = async (controller: TransformStreamDefaultController<Uint8Array>, records: Uint8Array | Promise<Uint8Array>): Promise<void> => {
    const sealed = await records
    if (sealed.length > 0) controller.enqueue(sealed)
  }
  return new TransformStream({
    // WebCrypto seals asynchronously: a promise per chunk.
    transform: (chunk, controller) => enqueue(controller, frame(chunk, false)),
    flush: (controller) => enqueue(controller, frame(new Uint8Array(0), true)),
  })
}
