import { MAX_STREAM_HEADER_LINE, SealwireError } from '@sealwire/core'

const NEWLINE = 0x0a

/**
 * A streamed upload's envelope line (docs/PROTOCOL.md §12.2), gathered from
 * the body's chunks into one buffer as they come: a line trickled a byte at a
 * time costs at most `MAX_STREAM_HEADER_LINE` bytes, not an object per chunk.
 * The line is taken as sent, up to its `LF`: no whitespace or `CR` is dropped,
 * so every adapter reads the same line and a stray byte fails to open as a JWE.
 *
 * Its refusals come before the envelope opened, so they are answered plain,
 * with the codes of a v1 envelope that is not one (§5): `payload_too_large`
 * for a line over the cap, `malformed_envelope` for a body that ends before it.
 */
export class StreamHeaderLine {
  readonly #max: number
  #bytes: Uint8Array
  #size = 0

  constructor(maxBytes = MAX_STREAM_HEADER_LINE) {
    this.#max = maxBytes
    this.#bytes = new Uint8Array(Math.min(1024, maxBytes))
  }

  /** Takes the next chunk: the bytes after the line's `LF` once it ended (maybe none), undefined while it goes on. */
  push(chunk: Uint8Array): Uint8Array | undefined {
    const newline = chunk.indexOf(NEWLINE)
    const end = newline === -1 ? chunk.byteLength : newline
    const size = this.#size + end
    if (size > this.#max) throw headerLineTooLong(this.#max)
    if (size > this.#bytes.byteLength) {
      const grown = new Uint8Array(Math.min(this.#max, Math.max(size, this.#bytes.byteLength * 2)))
      grown.set(this.#bytes.subarray(0, this.#size))
      this.#bytes = grown
    }
    this.#bytes.set(newline === -1 ? chunk : chunk.subarray(0, newline), this.#size)
    this.#size = size
    return newline === -1 ? undefined : chunk.subarray(newline + 1)
  }

  /** The line as text. A compact JWE is ASCII; any other byte decodes to U+FFFD and fails core's base64url check. */
  text(): string {
    // ignoreBOM: a byte-order mark is kept, so the line fails as sent; it is never silently dropped.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(this.#bytes.subarray(0, this.#size))
  }
}

export const headerLineTooLong = (maxBytes: number): SealwireError =>
  new SealwireError('payload_too_large', { detail: `A streamed body's envelope line runs over ${maxBytes} bytes: seal the request's header fields and query more briefly` })

export const headerLineUnended = (): SealwireError =>
  new SealwireError('malformed_envelope', { detail: 'A streamed body starts with its envelope on one line ended by \\n (LF), then its records: this one ended before the line did' })
