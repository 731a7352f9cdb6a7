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

/**
 * Seals a handler's chunks into records in the order they were written, each
 * flushed as soon as it is sealed: `write` queues behind the records before it
 * (the cipher may resolve out of order on WebCrypto), so a handler never
 * waits for the seal itself, only for the transport's backpressure.
 */
export class RecordQueue {
  readonly #writer
  #tail: Promise<unknown> = Promise.resolve()
  #failed: unknown

  constructor(key: StreamKey) {
    this.#writer = createRecordWriter(key)
  }

  /** Seals `chunk` after every chunk before it and hands the record to `out`. */
  write(chunk: Uint8Array, out: (record: Uint8Array) => unknown): Promise<unknown> {
    this.#tail = this.#tail.then(async () => {
      if (this.#failed === undefined) await out(await this.#writer.seal(chunk))
    }).catch((err: unknown) => {
      this.#failed ??= err
    })
    return this.#tail
  }

  /** The final record (after the rest); rejects when sealing any record failed. */
  async finish(last: Uint8Array | undefined, out: (record: Uint8Array) => unknown): Promise<void> {
    await this.#tail
    if (this.#failed !== undefined) throw this.#failed
    await out(await this.#writer.finish(last))
  }

  /** Settles once every record written so far went out. */
  drained(): Promise<unknown> {
    return this.#tail
  }
}
