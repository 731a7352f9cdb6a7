import { STREAM_MEDIA_TYPE, sealResponse, type ReplyContext, type StreamKey } from '@sealwire/core'
import { createRecordWriter } from '@sealwire/core/stream'
import { httpDate, sealedContentType, sealedStatus, type SealInput } from './responses.js'

/**
 * Headers of a streamed answer (docs/PROTOCOL.md §12): `no-transform` and
 * `X-Accel-Buffering: no` keep proxies (nginx and compatible ones) from
 * buffering or recompressing the records, which would hold back every event
 * until the stream ends; no Content-Length: the body is as long as the handler
 * makes it (chunked, or HTTP/2 DATA frames).
 */
export const STREAM_RESPONSE_HEADERS = { 'content-type': STREAM_MEDIA_TYPE, 'cache-control': 'no-store, no-transform', 'x-accel-buffering': 'no' } as const

/** The start of a streamed answer: what goes out first, and the key its records are sealed with. */
export interface StreamHead {
  status: number
  headers: Record<string, string>
  /** Names of the handler's fields sealed in the header line (§4.1): removed from the clear response. */
  sealedHeaders?: readonly string[]
  /** The header line: the answer's JWE (empty plaintext, `str`) and `\n`. Written before any record. */
  line: Uint8Array
  key: StreamKey
}

const NEWLINE = 0x0a

/**
 * Seals the header line of a streamed answer: the v1 answer of §4 (status,
 * media type, sealed fields, session) with an empty plaintext and the stream
 * salt `str`, all authenticated by its AEAD under `rk`.
 */
export async function sealedStreamHead(reply: ReplyContext, input: Omit<SealInput, 'body'>, now: number): Promise<StreamHead> {
  const status = sealedStatus(input.status)
  const contentType = sealedContentType(input.contentType)
  const sealedHeaders = input.headers !== undefined && input.headers.length > 0 ? input.headers : undefined
  const { compact, key } = await sealResponse({ reply, status, contentType, stream: true, ...(sealedHeaders === undefined ? {} : { headers: sealedHeaders }) })
  const line = new Uint8Array(compact.length + 1)
  // The compact serialization is ASCII: one byte per character.
  for (let i = 0; i < compact.length; i++) line[i] = compact.charCodeAt(i)
  line[compact.length] = NEWLINE
  const head: StreamHead = { status, headers: { ...STREAM_RESPONSE_HEADERS, date: httpDate(now) }, line, key }
  if (sealedHeaders !== undefined) head.sealedHeaders = sealedHeaders.map(([name]) => name)
  return head
}

type Out = (record: Uint8Array) => unknown

const SETTLED: Promise<unknown> = Promise.resolve()

const isThenable = (value: unknown): value is PromiseLike<unknown> => typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

/**
 * Seals a handler's chunks into records in the order they were written, each
 * flushed as soon as it is sealed: `write` queues behind the records before it
 * (the cipher may resolve out of order on WebCrypto), so a handler never
 * waits for the seal itself, only for the transport's backpressure.
 *
 * On node:crypto a record goes to `out` as its parts (length, ciphertext,
 * tag: the writer's `write`, no 64 KiB framed copy a record), and a write with
 * nothing queued before it is sealed and handed out at once, with no promise
 * of its own unless `out` pushes back: the queue only forms behind a
 * transport that is full or a cipher that is asynchronous.
 */
export class RecordQueue {
  readonly #writer
  /** Settles once everything written so far went out; undefined when that is already so. Never rejects. */
  #tail: Promise<unknown> | undefined
  #failed: unknown

  constructor(key: StreamKey) {
    this.#writer = createRecordWriter(key)
  }

  /**
   * Seals `chunk` after every chunk before it and hands its record(s) to `out`.
   * A chunk that is not bytes rejects at once (and fails the stream): a broken
   * handler stream ends the answer now, where a sealing failure, kept for
   * `finish`, would only be reported at an end that an endless stream never reaches.
   */
  write(chunk: Uint8Array, out: Out): Promise<unknown> {
    if (!(chunk instanceof Uint8Array)) {
      const error = new TypeError('a handler stream chunk must be a Uint8Array')
      this.#failed ??= error
      return Promise.reject(error)
    }
    const run = () => this.#handOut((emit) => this.#writer.write(chunk, emit), out)
    if (this.#tail === undefined) {
      const pending = run()
      return pending === undefined ? SETTLED : this.#chain(pending)
    }
    return this.#chain(this.#tail.then(run))
  }

  /** The final record (after the rest); rejects when sealing any record failed. */
  async finish(last: Uint8Array | undefined, out: Out): Promise<void> {
    await this.#tail
    if (this.#failed !== undefined) throw this.#failed
    const waits: PromiseLike<unknown>[] = []
    await this.#writer.end((part) => {
      const pushed = out(part)
      if (isThenable(pushed)) waits.push(pushed)
    }, last)
    await Promise.all(waits)
  }

  /** Settles once every record written so far went out. */
  drained(): Promise<unknown> {
    return this.#tail ?? SETTLED
  }

  /** Seals one write's records into `out`; a promise only when the cipher or `out` made one (and then it never rejects: a failure is kept for `finish`). */
  #handOut(seal: (emit: Out) => void | Promise<void>, out: Out): Promise<unknown> | undefined {
    if (this.#failed !== undefined) return undefined
    const fail = (err: unknown): void => {
      this.#failed ??= err
    }
    try {
      let waits: PromiseLike<unknown>[] | undefined
      const sealing = seal((part) => {
        const pushed = out(part)
        if (isThenable(pushed)) (waits ??= []).push(pushed)
      })
      if (sealing === undefined && waits === undefined) return undefined
      return Promise.resolve(sealing)
        .then(() => Promise.all(waits ?? []))
        .catch(fail)
    } catch (err) {
      return void fail(err)
    }
  }

  /** Makes `pending` the tail, cleared once it settles unless a later write queued behind it. */
  #chain(pending: Promise<unknown>): Promise<unknown> {
    const tail: Promise<unknown> = pending.then(() => {
      if (this.#tail === tail) this.#tail = undefined
    })
    this.#tail = tail
    return tail
  }
}
