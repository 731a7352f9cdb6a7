import { createRecordReader } from './record-reader.js'
import { createFramer } from './record-writer.js'
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
 * Plaintext → records: each chunk written is sealed and flushed at once as its
 * own record(s), never held for more; closing the writable side writes the
 * final (empty) record. Aborting it writes none, so the reader sees a cut
 * stream (`stream_truncated`), never a clean end.
 *
 * @example
 * const body = events.pipeThrough(sealRecordStream(key))
 */
export function sealRecordStream(key: StreamKey): TransformStream<Uint8Array, Uint8Array> {
  const frame = createFramer(key)
  const enqueue = (controller: TransformStreamDefaultController<Uint8Array>, records: Uint8Array | Promise<Uint8Array>): void | Promise<void> => {
    if (records instanceof Uint8Array) {
      if (records.length > 0) controller.enqueue(records)
      return
    }
    return records.then((sealed) => enqueue(controller, sealed))
  }
  return new TransformStream({
    // Synchronous on node:crypto (no promise per chunk), a promise on WebCrypto.
    transform: (chunk, controller) => enqueue(controller, frame(chunk, false)),
    flush: (controller) => enqueue(controller, frame(new Uint8Array(0), true)),
  })
}
