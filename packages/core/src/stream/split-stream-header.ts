import { MAX_STREAM_HEADER_LINE } from '../constants.js'
import { streamError } from './record-reader.js'

const NEWLINE = 0x0a

/**
 * Splits a streamed body (docs/PROTOCOL.md §12) into its header line — the
 * compact JWE before the first `\n` — and the record bytes after it. Reads no
 * further than the newline; a line over MAX_STREAM_HEADER_LINE bytes, or a
 * body that ends before its newline, is `stream_record_too_large`, refused
 * before more is held. The records stream pulls from the body only as it is
 * read (backpressure), and cancelling it cancels the body.
 *
 * @example
 * const { compact, records } = await splitStreamHeader(res.body)
 */
export async function splitStreamHeader(body: ReadableStream<Uint8Array>): Promise<{ compact: string; records: ReadableStream<Uint8Array> }> {
  const reader = body.getReader()
  const line: Uint8Array[] = []
  let size = 0
  let rest: Uint8Array | undefined
  try {
    while (rest === undefined) {
      const { done, value } = await reader.read()
      if (done) throw streamError.tooLarge('A sealed stream ended inside its header line, before the newline that ends it')
      const newline = value.indexOf(NEWLINE)
      const end = newline === -1 ? value.length : newline
      if (size + end > MAX_STREAM_HEADER_LINE) throw streamError.tooLarge(`A sealed stream's header line runs over ${MAX_STREAM_HEADER_LINE} bytes`)
      line.push(newline === -1 ? value : value.subarray(0, newline))
      size += end
      if (newline !== -1) rest = value.subarray(newline + 1)
    }
  } catch (error) {
    reader.cancel().catch(() => {})
    throw error
  }
  let first: Uint8Array | undefined = rest
  const records = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (first !== undefined) {
          const chunk = first
          first = undefined
          if (chunk.length > 0) return controller.enqueue(chunk)
        }
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  )
  // The line is ASCII when it is a compact JWE at all; anything else fails to open as one.
  // Decoded piece by piece (a decoder of its own, in stream mode): no copy of the pieces into one.
  const pieces = new TextDecoder()
  const compact = line.map((piece) => pieces.decode(piece, { stream: true })).join('') + pieces.decode()
  return { compact, records }
}
