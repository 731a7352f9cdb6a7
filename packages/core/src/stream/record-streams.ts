import { createRecordReader, streamError } from './record-reader.js'
import { createRecordSealer } from './record-writer.js'
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
  // One controller for the stream's life: `emit` is made once, not once a pull (a record).
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let released = false
  const emit = (plaintext: Uint8Array): void => {
    released = true
    controller.enqueue(plaintext)
  }
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      async pull() {
        released = false
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
 * A producer that is itself a ReadableStream pays less through
 * `sealRecordBody` (no pipe, no second stream).
 *
 * @example
 * const body = events.pipeThrough(sealRecordStream(key))
 */
export function sealRecordStream(key: StreamKey): TransformStream<Uint8Array, Uint8Array> {
  const seal = createRecordSealer(key)
  return new TransformStream({
    // Synchronous on node:crypto (no promise per chunk), a promise on WebCrypto.
    transform: (chunk, controller) => seal(chunk, false, (part) => controller.enqueue(part)),
    flush: (controller) => seal(new Uint8Array(0), true, (part) => controller.enqueue(part)),
  })
}

/**
 * A plaintext stream → its records, as one ReadableStream that pulls from
 * `plaintext` (the mirror of `openRecordBody`): each pull reads one chunk and
 * enqueues its record(s) at once, never holding it for more; the end of
 * `plaintext` writes the final record. `plaintext` failing errors this stream
 * before any final record, so the reader sees a cut stream
 * (`stream_truncated`), never a clean end. Cancelling it cancels `plaintext`.
 * Nothing is read before it is asked for (high-water mark 0): a consumer that
 * stops reading stops the source. Against `pipeThrough(sealRecordStream())`
 * it saves, per chunk, the pipe's read and write and the transform step (a
 * promise each) and a second stream's queue. On node:crypto a record comes
 * out in parts, as from `sealRecordStream`: the bytes are the same.
 *
 * @example
 * const body = sealRecordBody(events, key)
 */
export function sealRecordBody(plaintext: ReadableStream<Uint8Array>, key: StreamKey): ReadableStream<Uint8Array> {
  const seal = createRecordSealer(key)
  const source = plaintext.getReader()
  // One controller for the stream's life: `emit` is made once, not once a pull (a chunk).
  let controller!: ReadableStreamDefaultController<Uint8Array>
  const emit = (part: Uint8Array): void => controller.enqueue(part)
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c
      },
      async pull() {
        try {
          // An empty chunk makes no record: read on until one does, or the end.
          for (;;) {
            const next = await source.read()
            const sealed = next.done ? seal(new Uint8Array(0), true, emit) : seal(next.value, false, emit)
            if (sealed !== undefined) await sealed
            if (next.done) return controller.close()
            if (next.value.length > 0) return
          }
        } catch (error) {
          // A chunk that is not bytes, or the source failing: nothing more is read from it.
          source.cancel(error).catch(() => undefined)
          throw error
        }
      },
      cancel: (reason) => source.cancel(reason),
    },
    { highWaterMark: 0 },
  )
}
