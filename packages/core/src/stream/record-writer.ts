import { MAX_RECORD_PLAINTEXT } from '../constants.js'
import { recordNonce, writeRecordLength } from './record-nonce.js'
import { RECORD_LENGTH_BYTES, RECORD_TAG_BYTES, cipherOf, type StreamKey } from './stream-key.js'

/** Seals plaintext into framed records of a stream, in order (docs/PROTOCOL.md §12). */
export interface RecordWriter {
  /** Non-final records of `chunk`, framed (one per 64 KiB); nothing for an empty chunk. */
  seal(chunk: Uint8Array): Promise<Uint8Array>
  /** The final record (of `last`, possibly empty; records before it when `last` is over 64 KiB). The writer is done after it. */
  finish(last?: Uint8Array): Promise<Uint8Array>
  /**
   * `seal` for a sink that takes chunks (a socket, a web stream): the records
   * of `chunk` to `emit`, as their parts where the platform seals in parts
   * (node:crypto: the length, the ciphertext and the tag as the cipher
   * returned them — no framed copy, no promise), else framed after a promise
   * (WebCrypto). The bytes are the same as `seal`'s; only their cut differs,
   * which carries no meaning (§12.4).
   */
  write(chunk: Uint8Array, emit: (part: Uint8Array) => void): void | Promise<void>
  /** `finish` as `write` hands records out. */
  end(emit: (part: Uint8Array) => void, last?: Uint8Array): void | Promise<void>
}

const OVERHEAD = RECORD_LENGTH_BYTES + RECORD_TAG_BYTES
/** Records of at most this much plaintext are handed out framed, in one chunk (see createPartsFramer). */
const FRAME_SMALL_RECORDS_BELOW = 16 * 1024
const EMPTY = new Uint8Array(0)

/**
 * A writer that numbers records from 0. Each call seals what it is given at
 * once — a writer never waits for more, so an SSE event is on the wire as soon
 * as the handler writes it. Indices are taken synchronously, in call order.
 *
 * @example
 * const writer = createRecordWriter(key)
 * res.write(await writer.seal(utf8('data: hello\n\n')))
 * res.end(await writer.finish())
 */
export function createRecordWriter(key: StreamKey): RecordWriter {
  // One numbering for both forms: a stream may mix them.
  const next = recordCounter()
  const frame = createFramer(key, next)
  const sealTo = createRecordSealer(key, next)
  return {
    seal: (chunk) => Promise.resolve(frame(chunk, false)),
    finish: (last = EMPTY) => Promise.resolve(frame(last, true)),
    write: (chunk, emit) => sealTo(chunk, false, emit),
    end: (emit, last = EMPTY) => sealTo(last, true, emit),
  }
}

/** Takes the next records' span; see recordCounter. */
type Counter = (bytes: Uint8Array, final: boolean) => Span | undefined

/** Where a call's records start and how many there are; undefined for an empty middle chunk (no record). */
interface Span {
  readonly first: number
  readonly count: number
}

/**
 * The record numbering both framers share: indices taken in call order, one
 * record per 64 KiB (an empty final chunk is one record). Caller misuse (a
 * finished stream, a chunk that is not bytes) throws.
 */
function recordCounter(): Counter {
  let index = 0
  let done = false
  return (bytes, final) => {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('a stream chunk must be a Uint8Array')
    if (done) throw new TypeError('the stream is finished: its final record was written')
    if (bytes.length === 0 && !final) return undefined
    if (final) done = true
    const count = Math.max(1, Math.ceil(bytes.length / MAX_RECORD_PLAINTEXT))
    // 2^53 records of 64 KiB is 2^69 bytes: unreachable, but a counter must never wrap.
    if (index + count > Number.MAX_SAFE_INTEGER) throw new RangeError('a stream holds at most 2^53 records')
    const first = index
    index += count
    return { first, count }
  }
}

/**
 * The writer's engine: the framed records of `bytes` (nothing for an empty
 * middle chunk), at once where the platform seals synchronously
 * (node:crypto), as a promise where it does not (WebCrypto).
 * Caller misuse (a finished stream, a chunk that is not bytes) throws.
 */
export function createFramer(key: StreamKey, next: Counter = recordCounter()): (bytes: Uint8Array, final: boolean) => Uint8Array | Promise<Uint8Array> {
  const cipher = cipherOf(key)

  return (bytes, final) => {
    const span = next(bytes, final)
    if (span === undefined) return EMPTY
    const { first, count } = span
    const out = cipher.alloc(bytes.length + count * OVERHEAD)
    let pending: Array<void | Promise<void>> | undefined
    for (let i = 0, at = 0, from = 0; i < count; i += 1) {
      const part = bytes.subarray(from, Math.min(from + MAX_RECORD_PLAINTEXT, bytes.length))
      writeRecordLength(out, at, part.length + RECORD_TAG_BYTES)
      const sealing = cipher.seal(recordNonce(first + i, final && i === count - 1), part, out, at + RECORD_LENGTH_BYTES)
      if (sealing !== undefined) (pending ??= []).push(sealing)
      at += OVERHEAD + part.length
      from += part.length
    }
    return pending === undefined ? out : Promise.all(pending).then(() => out)
  }
}

/**
 * The framer `sealRecordStream` uses where the platform seals synchronously
 * in parts (node:crypto; undefined elsewhere): each record of `bytes` handed
 * to `emit` as three chunks — its 4-byte length, the ciphertext buffer the
 * cipher returned, its tag — so no large record is copied into a framed buffer of
 * its own (a 64 KiB allocation and copy a record), and no promise is made.
 * The bytes on the wire are the same; only how they are cut into chunks
 * differs, which carries no meaning (docs/PROTOCOL.md §12.4).
 */
export function createPartsFramer(key: StreamKey, next: Counter = recordCounter()): ((bytes: Uint8Array, final: boolean, emit: (chunk: Uint8Array) => void) => void) | undefined {
  const cipher = cipherOf(key)
  const sealInParts = cipher.sealInParts
  if (sealInParts === undefined) return undefined

  return (bytes, final, emit) => {
    const span = next(bytes, final)
    if (span === undefined) return
    const { first, count } = span
    for (let i = 0, from = 0; i < count; i += 1) {
      // A chunk of one record (a 64 KiB write, the common case) is sealed as it is, not through a view of itself.
      const part = count === 1 ? bytes : bytes.subarray(from, Math.min(from + MAX_RECORD_PLAINTEXT, bytes.length))
      const nonce = recordNonce(first + i, final && i === count - 1)
      from += part.length
      if (part.length <= FRAME_SMALL_RECORDS_BELOW) {
        // A small record (an event, a line) leaves as one chunk: three would be three writes on a socket and
        // three chunked-encoding frames. Sealed straight into its frame, as createFramer does.
        const framed = cipher.alloc(OVERHEAD + part.length)
        writeRecordLength(framed, 0, part.length + RECORD_TAG_BYTES)
        // A platform that seals in parts seals synchronously; the frame must be whole before it is emitted.
        if (cipher.seal(nonce, part, framed, RECORD_LENGTH_BYTES) !== undefined) throw new TypeError('a record cipher that seals in parts must seal synchronously')
        emit(framed)
        continue
      }
      const [ciphertext, tag] = sealInParts.call(cipher, nonce, part)
      const prefix = new Uint8Array(RECORD_LENGTH_BYTES)
      writeRecordLength(prefix, 0, part.length + RECORD_TAG_BYTES)
      emit(prefix)
      if (ciphertext.length > 0) emit(ciphertext)
      emit(tag)
    }
  }
}

/**
 * The sealing step the web-stream forms share: the records of `bytes` to
 * `emit`, in parts and at once where the platform seals in parts
 * (node:crypto: no framed copy, no promise), as one framed chunk after a
 * promise elsewhere (WebCrypto). Nothing is emitted for an empty middle chunk.
 */
export function createRecordSealer(key: StreamKey, next: Counter = recordCounter()): (bytes: Uint8Array, final: boolean, emit: (chunk: Uint8Array) => void) => void | Promise<void> {
  const parts = createPartsFramer(key, next)
  if (parts !== undefined) return parts
  const frame = createFramer(key, next)
  return async (bytes, final, emit) => {
    const sealed = await frame(bytes, final)
    if (sealed.length > 0) emit(sealed)
  }
}
