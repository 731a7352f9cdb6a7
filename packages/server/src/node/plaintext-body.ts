import { Buffer } from 'node:buffer'
import { Readable } from 'node:stream'
import { SealwireError, isSealwireError, type StreamKey } from '@sealwire/core'
import { createRecordReader } from '@sealwire/core/stream'
import { uploadTooLarge } from '../read-stream-header.js'

/**
 * The plaintext of a streamed upload (docs/PROTOCOL.md §12) as a Node
 * `Readable`: the records left in `request` after its envelope line, each
 * released only once its tag verified. It ends only after the final record
 * verified, and errors with the reader's code otherwise (`stream_truncated`
 * for a body cut short — the connection closed, or a clean end too early —,
 * `stream_record_invalid`, `stream_record_too_large`, `stream_trailing_data`),
 * so a handler can tell a complete body from a cut one; past `maxBytes` of
 * plaintext it errors with `payload_too_large` and reads no further. Pull-driven: the
 * request is read only as fast as the handler reads, one record at a time.
 *
 * `onError` hears the error first (the adapter answers it when nothing was
 * answered yet); a listener is always attached, so a handler that never reads
 * the body does not crash the process with an unhandled `error` event.
 */
export function plaintextBody(request: AsyncIterable<Uint8Array | string>, key: StreamKey, maxBytes: number, onError: (error: SealwireError) => void): Readable {
  async function* open(): AsyncGenerator<Uint8Array> {
    const reader = createRecordReader(key)
    let total = 0
    try {
      const opened: Uint8Array[] = []
      const take = (plaintext: Uint8Array): void => void opened.push(plaintext)
      for await (const chunk of request) {
        // feed, not push: on node:crypto no promise and no array per chunk of the request.
        const fed = reader.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk, take)
        if (fed !== undefined) await fed
        for (const plaintext of opened) {
          total += plaintext.byteLength
          if (total > maxBytes) throw uploadTooLarge(maxBytes)
          if (plaintext.byteLength > 0) yield plaintext
        }
        opened.length = 0
      }
      reader.end()
    } catch (err) {
      // The request closed under us (ECONNRESET, aborted): as the reader says of an early end.
      throw isSealwireError(err) ? err : new SealwireError('stream_truncated', { cause: err })
    }
  }
  const body = Readable.from(open(), { objectMode: false })
  body.on('error', (err) => onError(isSealwireError(err) ? err : new SealwireError('stream_truncated', { cause: err })))
  return body
}
