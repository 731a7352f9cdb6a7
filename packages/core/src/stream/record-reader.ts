import { SealwireError } from '../errors.js'
import { MAX_RECORD_PLAINTEXT } from '../constants.js'
import type { RecordOpening } from '../platform/platform.js'
import { readRecordLength, recordNonce } from './record-nonce.js'
import { RECORD_LENGTH_BYTES, RECORD_TAG_BYTES, cipherOf, type StreamKey } from './stream-key.js'

/** Opens a stream's records as its bytes arrive (docs/PROTOCOL.md §12). */
export interface RecordReader {
  /**
   * The plaintexts of the records `bytes` completes, each released only once
   * its tag verified (a record split across calls may come out in several
   * pieces). `bytes` is read, never changed; it must stay unchanged until the
   * record it ends is read, as a transport's chunks do (a reader keeps views
   * of them rather than copies).
   */
  push(bytes: Uint8Array): Promise<Uint8Array[]>
  /**
   * `push` without the array and, on node:crypto, without a promise: each
   * plaintext to `emit` as it authenticates; a promise only where the
   * platform's AES-GCM is asynchronous. Throws (or rejects with) the verdict.
   */
  feed(bytes: Uint8Array, emit: (plaintext: Uint8Array) => void): void | Promise<void>
  /** At the end of the body: throws `stream_truncated` unless the final record was read. */
  end(): void
  /** Whether the final record was read. */
  readonly finished: boolean
}

const MAX_SEALED = MAX_RECORD_PLAINTEXT + RECORD_TAG_BYTES

/**
 * The record being opened piece by piece as its bytes arrive. One per reader,
 * reused record after record: a 64 KiB record that arrives as its length,
 * ciphertext and tag (as a Node server writes it) then costs no allocation of
 * the reader's own.
 */
interface Pieces {
  /** The record in progress; undefined between records. */
  opening: RecordOpening | undefined
  /** Ciphertext bytes still to come (the tag after them). */
  left: number
  readonly tag: Uint8Array
  tagFilled: number
  /** Views of the ciphertext as it came, kept for a retry as the final record. */
  sealed: Uint8Array[]
  /** Deciphered, not yet authenticated: released only once the tag verified. */
  plaintext: Uint8Array[]
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

/** The four verdicts a reader gives, each with the fix. */
export const streamError = {
  /** `cause`: the transport's own error, when the connection failed rather than ended. */
  truncated: (cause?: unknown) =>
    new SealwireError('stream_truncated', {
      detail: 'The sealed stream ended before its final record: the connection was cut or something on the path truncated it. Nothing after the last whole record arrived; retry the request.',
      cause,
    }),
  invalid: () =>
    new SealwireError('stream_record_invalid', {
      detail: 'A sealed stream record failed authentication at its position (altered, reordered, duplicated or spliced from another stream). Discard the stream and retry; if it recurs, something on the path rewrites the body.',
    }),
  /** A chunk that is not bytes: no record can be read from it, wherever in a record it falls. */
  notBytes: () =>
    new SealwireError('stream_record_invalid', {
      detail: 'A sealed stream chunk was not a Uint8Array. Feed the reader the response body\'s bytes as they arrive (a string, an ArrayBuffer or a DataView is not read as a record).',
    }),
  tooLarge: (what: string) =>
    new SealwireError('stream_record_too_large', {
      detail: `${what}. A sender of this protocol never writes one: something on the path altered the body, or the peer is not a Sealwire stream sender.`,
    }),
  trailing: () =>
    new SealwireError('stream_trailing_data', {
      detail: 'Bytes followed the final record of a sealed stream: something on the path appended to the body. Discard them; the records before were complete.',
    }),
}

/**
 * A reader that checks records in order from index 0. A record is opened at
 * its position as non-final, then as final; one that opens as neither is
 * refused, so reordering, duplication, splicing and a moved final flag all fail
 * the tag. A length out of range is refused before anything is allocated for
 * it, so memory stays one record plus what the transport hands over. After an
 * error the reader is spent: every later call throws the same error.
 *
 * @example
 * const reader = createRecordReader(key)
 * for await (const chunk of body) for (const plaintext of await reader.push(chunk)) consume(plaintext)
 * reader.end()
 */
export function createRecordReader(key: StreamKey): RecordReader {
  const cipher = cipherOf(key)
  let index = 0
  let finished = false
  let failed: SealwireError | undefined
  // A length prefix split across pushes, and a record split across pushes.
  const prefix = new Uint8Array(RECORD_LENGTH_BYTES)
  let prefixFilled = 0
  let record: Uint8Array | undefined
  let recordFilled = 0
  // Where the platform deciphers incrementally, a record split across chunks is opened as its pieces
  // arrive instead of being copied into `record` first (see openPieces).
  const pieces: Pieces = { opening: undefined, left: 0, tag: new Uint8Array(RECORD_TAG_BYTES), tagFilled: 0, sealed: [], plaintext: [] }

  const fail = (error: SealwireError): never => {
    failed = error
    throw error
  }

  /** The final flag, tried once the record failed as a middle one. */
  const openFinal = (sealed: Uint8Array, at: number): Uint8Array | Promise<Uint8Array> => {
    const opened = (plaintext: Uint8Array) => {
      finished = true
      return plaintext
    }
    try {
      const plaintext = cipher.open(recordNonce(at, true), sealed)
      return plaintext instanceof Uint8Array ? opened(plaintext) : plaintext.then(opened, () => fail(streamError.invalid()))
    } catch {
      return fail(streamError.invalid())
    }
  }

  /**
   * Record `index` opened as a middle record, else as the final one. A value
   * where the platform answers at once (node:crypto), a promise where it does
   * not (WebCrypto): a streamed download then costs no promise per record.
   */
  const open = (sealed: Uint8Array): Uint8Array | Promise<Uint8Array> => {
    const at = index
    index += 1
    let plaintext: Uint8Array | Promise<Uint8Array>
    try {
      plaintext = cipher.open(recordNonce(at, false), sealed)
    } catch {
      // Not a middle record here: the final one, or nothing that belongs at this position.
      return openFinal(sealed, at)
    }
    return plaintext instanceof Uint8Array ? middle(plaintext) : plaintext.then(middle, () => openFinal(sealed, at))
  }

  /**
   * A middle record carries at least one byte (§12.4): writers never send an
   * empty one, and a run of them would cost the reader a read and an open each
   * while counting nothing against a cap.
   */
  const middle = (plaintext: Uint8Array): Uint8Array => (plaintext.length === 0 ? fail(streamError.invalid()) : plaintext)

  /**
   * Feeds `bytes` from `at` to the record being opened in pieces, as a middle
   * record; returns where it stopped. The plaintext is held until the tag
   * verifies, then handed to `emit` piece by piece: nothing unauthenticated
   * leaves. The ciphertext pieces are kept by reference (views of the chunks
   * the transport handed over, no copy) in case the record is the final one:
   * a failed middle-record tag is then retried whole with the final flag.
   */
  const openPieces = (record: Pieces, bytes: Uint8Array, at: number, emit: (plaintext: Uint8Array) => void): number => {
    // Nothing of the ciphertext in this chunk (a length prefix that came alone): no empty update.
    if (record.left > 0 && at < bytes.length) {
      const take = Math.min(record.left, bytes.length - at)
      // A chunk that is all ciphertext (a Node server's middle part) is taken as it is, not as a view of itself.
      const piece = at === 0 && take === bytes.length ? bytes : bytes.subarray(at, at + take)
      record.sealed.push(piece)
      record.plaintext.push(record.opening!.update(piece))
      record.left -= take
      at += take
    }
    const take = Math.min(RECORD_TAG_BYTES - record.tagFilled, bytes.length - at)
    if (take > 0) {
      record.tag.set(bytes.subarray(at, at + take), record.tagFilled)
      record.tagFilled += take
      at += take
    }
    if (record.tagFilled < RECORD_TAG_BYTES) return at
    const opening = record.opening!
    record.opening = undefined
    const position = index
    index += 1
    try {
      opening.verify(record.tag)
    } catch {
      // Not a middle record here: the final one (assembled once, at most once a stream), or nothing that belongs here.
      record.sealed.push(record.tag)
      const whole = concat(record.sealed)
      record.sealed = []
      record.plaintext = []
      const opened = openFinal(whole, position)
      // openInPieces is a synchronous platform's: its open is synchronous too.
      if (opened instanceof Uint8Array && opened.length > 0) emit(opened)
      return at
    }
    const plaintext = record.plaintext
    // Nothing of a record is held past its verdict. Fresh lists rather than emptied ones: V8 empties an array
    // through a runtime call, where two small allocations cost less.
    record.sealed = []
    record.plaintext = []
    let released = 0
    for (let i = 0; i < plaintext.length; i += 1) released += plaintext[i]!.length
    if (released === 0) middle(new Uint8Array(0))
    for (let i = 0; i < plaintext.length; i += 1) if (plaintext[i]!.length > 0) emit(plaintext[i]!)
    return at
  }

  const checkLength = (length: number): number =>
    length < RECORD_TAG_BYTES || length > MAX_SEALED ? fail(streamError.tooLarge(`A sealed stream record announced ${length} bytes, outside ${RECORD_TAG_BYTES} to ${MAX_SEALED}`)) : length

  /**
   * Reads `bytes` from `at`, handing each plaintext to `emit` in order;
   * returns a promise only when an open did (then it goes on after it).
   */
  const feed = (bytes: Uint8Array, at: number, emit: (plaintext: Uint8Array) => void): void | Promise<void> => {
    while (at < bytes.length) {
      if (finished) fail(streamError.trailing())
      let sealed: Uint8Array | undefined
      if (record === undefined && pieces.opening === undefined) {
        let length: number
        if (prefixFilled === 0 && bytes.length - at >= RECORD_LENGTH_BYTES) {
          length = checkLength(readRecordLength(bytes, at))
          at += RECORD_LENGTH_BYTES
        } else {
          const take = Math.min(RECORD_LENGTH_BYTES - prefixFilled, bytes.length - at)
          prefix.set(bytes.subarray(at, at + take), prefixFilled)
          prefixFilled += take
          at += take
          if (prefixFilled < RECORD_LENGTH_BYTES) break
          prefixFilled = 0
          length = checkLength(readRecordLength(prefix, 0))
        }
        if (bytes.length - at >= length) {
          // The whole record is in this chunk: opened in place, no copy.
          sealed = bytes.subarray(at, at + length)
          at += length
        } else if (cipher.openInPieces !== undefined) {
          pieces.opening = cipher.openInPieces(recordNonce(index, false))
          pieces.left = length - RECORD_TAG_BYTES
          pieces.tagFilled = 0
        } else {
          record = new Uint8Array(length)
          recordFilled = 0
        }
      }
      if (pieces.opening !== undefined) {
        at = openPieces(pieces, bytes, at, emit)
        continue
      }
      if (sealed === undefined) {
        const take = Math.min(record!.length - recordFilled, bytes.length - at)
        record!.set(bytes.subarray(at, at + take), recordFilled)
        recordFilled += take
        at += take
        if (recordFilled < record!.length) continue
        sealed = record!
        record = undefined
      }
      const plaintext = open(sealed)
      if (!(plaintext instanceof Uint8Array)) {
        const from = at
        return plaintext.then((opened) => {
          if (opened.length > 0) emit(opened)
          return feed(bytes, from, emit)
        })
      }
      if (plaintext.length > 0) emit(plaintext)
    }
  }

  /**
   * What every chunk passes before it is read: a spent reader repeats its verdict, and a chunk
   * that is not bytes fails it, checked here once rather than where the chunk lands (a string
   * inside a ciphertext would reach the cipher as UTF-8, an ArrayBuffer would be skipped unread).
   */
  const accept = (bytes: Uint8Array): void => {
    if (failed !== undefined) throw failed
    if (!(bytes instanceof Uint8Array)) fail(streamError.notBytes())
  }

  const push = (bytes: Uint8Array): Promise<Uint8Array[]> => {
    const out: Uint8Array[] = []
    try {
      accept(bytes)
      const fed = feed(bytes, 0, (plaintext) => out.push(plaintext))
      return fed === undefined ? Promise.resolve(out) : fed.then(() => out)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  return {
    push,
    feed: (bytes, emit) => {
      accept(bytes)
      return feed(bytes, 0, emit)
    },
    end() {
      if (failed !== undefined) throw failed
      // A body that stops between records, or inside one, before the final record: a cut, never a clean end.
      if (!finished) fail(streamError.truncated())
    },
    get finished() {
      return finished
    },
  }
}
