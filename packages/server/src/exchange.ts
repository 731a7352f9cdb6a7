import { SealwireError, deriveStreamKey, validateBody, type InferOutput, type OpenedRequest, type ReplyContext, type RequestClaims, type SealwireErrorCode, type StandardSchemaV1, type StreamKey } from '@sealwire/core'
import { emitEvent, monotonicNow, routeLabel } from './events.js'
import { streamedUploadWithSchema } from './read-stream-header.js'
import { isHttpStatus, sealedProblem, sealedResponse } from './responses.js'
import { RecordQueue, sealedStreamHead, type StreamHead } from './stream-response.js'
import type { OutgoingResponse, SealwireEvent } from './types.js'

/** What a handler answered, before sealing. */
export interface ReplyInput {
  /**
   * HTTP status the handler chose; sealed as `sts`. 1xx, 204, 205 and 304
   * become 200 (the envelope is a body); anything outside 100–599, or not an
   * integer, is a handler bug: the sealed 500 `internal_error`.
   */
  status: number
  /** Media type of the plaintext, sealed as `cty`. Default `application/octet-stream`. */
  contentType?: string | null | undefined
  /** The plaintext body. */
  body?: Uint8Array | string | null | undefined
  /** The plaintext's `Content-Encoding`, if the framework compressed it (see `reply`). */
  contentEncoding?: string | null | undefined
  /** Route label for the security event, when the framework knows it only after routing. */
  route?: string | undefined
  /**
   * The handler's response header fields, lowercase names. Those the server
   * seals (`sealResponseHeaders`) travel inside the answer when the requester
   * announced the sealed head; `OutgoingResponse.sealedHeaders` names them for
   * the adapter to remove from the clear response.
   */
  headers?: Iterable<readonly [string, string]> | undefined
}

/** The sealed head a request carried: its header fields and query, and the target the handler must see. */
export type SealedHead = NonNullable<OpenedRequest<unknown>['head']>

/** Outcome of an extra route schema applied to an already opened request. */
export type RefineOutcome<T> = { ok: true; body: T } | { ok: false; response: OutgoingResponse }

/**
 * A request that passed every check: its decrypted body and verified claims,
 * and the only ways to answer it, all sealed to the requester. The response
 * key stays inside (a private field): logging or serializing an exchange can
 * never print it.
 */
export interface SealwireExchange<T = unknown> {
  /** The decrypted body, validated by the route schema when one was given. */
  readonly body: T
  /** Verified claims of the envelope (kid, curve, iat, jti, htm, htu). */
  readonly claims: RequestClaims
  /**
   * The header fields and query the client sealed (docs/PROTOCOL.md §3.5), when
   * it announced the sealed head; adapters restore them on the request before
   * the application's middleware and handler run.
   */
  readonly head: SealedHead | undefined
  /**
   * Seals the handler's reply; emits the `accepted` event. A reply with a
   * Content-Encoding (compressed inside Sealwire) becomes `internal_error`.
   */
  reply(input: ReplyInput): Promise<OutgoingResponse>
  /**
   * Seals the generic 500 `internal_error` problem for an error the handler
   * threw; emits `rejected`. The error itself is never rendered: its message
   * and stack stay on the server.
   */
  fail(route?: string): Promise<OutgoingResponse>
  /**
   * Seals a refusal found after the request was opened (e.g. a middleware
   * tried to re-route it to another method: `binding_mismatch`); emits
   * `rejected` with its code.
   *
   * @example
   * return toResponse(await exchange.refuse(new SealwireError('binding_mismatch')))
   */
  refuse(error: SealwireError, route?: string): Promise<OutgoingResponse>
  /** Applies one more route schema (a per-route schema behind an app-wide middleware). */
  refine<S extends StandardSchemaV1>(schema: S): Promise<RefineOutcome<InferOutput<S>>>
  /**
   * Whether the requester reads a sealed stream (it announced `str`,
   * docs/PROTOCOL.md §12): only then may `stream` be used; any other requester
   * gets one envelope, as in v1.
   */
  readonly streams: boolean
  /**
   * Starts a streamed answer (docs/PROTOCOL.md §12): seals its header line
   * and returns the writer of its records; the `accepted` event is emitted
   * when it finishes, `rejected` (`internal_error`) when it is aborted. A reply
   * refused as `reply` refuses it (a Content-Encoding, a status that is not
   * one) comes back as the one-shot sealed 500 to send instead.
   */
  stream(input: Omit<ReplyInput, 'body'>): Promise<SealedStream | OutgoingResponse>
  /**
   * The key of the request's own body stream (a streamed upload, §12), or
   * undefined when the body came in the envelope.
   */
  bodyKey(): Promise<StreamKey | undefined>
}

/** A streamed answer under way: its head goes out first, then each record as it is sealed. */
export interface SealedStream extends Omit<StreamHead, 'key'> {
  /** Seals a chunk the handler wrote (split at 64 KiB) and hands the record(s) to `out`, in order. */
  write(chunk: Uint8Array, out: (record: Uint8Array) => unknown): Promise<unknown>
  /** The final record, after every record written before it; emits `accepted`. */
  finish(out: (record: Uint8Array) => unknown, last?: Uint8Array): Promise<void>
  /**
   * The handler failed after the stream started: no final record will be
   * written, so the requester sees a cut stream (`stream_truncated`), never a
   * clean end. Emits `rejected` with `internal_error`.
   */
  abort(): void
  /** Settles once every record written so far went out. */
  drained(): Promise<unknown>
}

export interface ExchangeContext {
  /** The salt of a streamed upload (`bsn`), when the request's body came as records. */
  readonly bodyStreamSalt?: Uint8Array | undefined
  readonly onEvent: ((event: SealwireEvent) => void) | undefined
  /** Told how long sealing a reply took, in milliseconds (for the seal histogram). */
  readonly onSealed?: ((ms: number) => void) | undefined
  readonly clock: () => number
  readonly started: number
  readonly route: string
  readonly peer: string | undefined
  /** Lowercase names of the response fields sealed for a requester that announced the sealed head. */
  readonly sealResponseHeaders?: ReadonlySet<string> | undefined
}

/** @internal Built by the engine only. */
export class Exchange<T> implements SealwireExchange<T> {
  readonly body: T
  readonly claims: RequestClaims
  readonly head: SealedHead | undefined
  readonly #reply: ReplyContext
  readonly #context: ExchangeContext
  #settled = false

  constructor(body: T, claims: RequestClaims, reply: ReplyContext, context: ExchangeContext, head?: SealedHead) {
    this.body = body
    this.claims = claims
    this.head = head
    this.#reply = reply
    this.#context = context
  }

  /** The handler's fields this answer seals: only for a requester that opens them. */
  #sealedFields(headers: ReplyInput['headers']): Array<readonly [string, string]> | undefined {
    const names = this.#context.sealResponseHeaders
    if (headers === undefined || names === undefined || this.#reply.sealsHead !== true) return undefined
    const picked: Array<readonly [string, string]> = []
    for (const [name, value] of headers) if (names.has(name)) picked.push([name, value])
    return picked
  }

  async reply(input: ReplyInput): Promise<OutgoingResponse> {
    // A plaintext compressed before sealing: the client could not know to inflate
    // it (the header describing it is dropped), and compress-then-encrypt makes the
    // envelope's length an oracle on secrets in the body (BREACH). Compression
    // belongs outside Sealwire; inside it, the reply is refused as a server error.
    const encoding = input.contentEncoding?.trim().toLowerCase()
    if (encoding !== undefined && encoding !== '' && encoding !== 'identity') return this.fail(input.route)
    // Not an HTTP status (fetch's Response.error() is 0, a Lambda result may say
    // anything): a handler bug, answered as one — never as a success, never in clear.
    if (!isHttpStatus(input.status)) return this.fail(input.route)
    const body = input.body ?? ''
    const sealStarted = monotonicNow()
    const fields = this.#sealedFields(input.headers)
    const response = await sealedResponse(this.#reply, { status: input.status, contentType: input.contentType ?? undefined, body, ...(fields === undefined ? {} : { headers: fields }) }, this.#context.clock())
    this.#context.onSealed?.(monotonicNow() - sealStarted)
    this.#emit('accepted', undefined, input.route)
    return response
  }

  get streams(): boolean {
    return this.#reply.streams === true
  }

  async stream(input: Omit<ReplyInput, 'body'>): Promise<SealedStream | OutgoingResponse> {
    if (!this.streams) throw new TypeError('stream: this requester did not announce sealed streams (str); answer with reply()')
    const encoding = input.contentEncoding?.trim().toLowerCase()
    if ((encoding !== undefined && encoding !== '' && encoding !== 'identity') || !isHttpStatus(input.status)) return this.fail(input.route)
    const sealStarted = monotonicNow()
    const fields = this.#sealedFields(input.headers)
    const { key, ...head } = await sealedStreamHead(this.#reply, { status: input.status, contentType: input.contentType ?? undefined, ...(fields === undefined ? {} : { headers: fields }) }, this.#context.clock())
    this.#context.onSealed?.(monotonicNow() - sealStarted)
    const records = new RecordQueue(key)
    return {
      ...head,
      write: (chunk, out) => records.write(chunk, out),
      finish: async (out, last) => {
        await records.finish(last, out)
        this.#emit('accepted', undefined, input.route)
      },
      abort: () => this.#emit('rejected', 'internal_error', input.route),
      drained: () => records.drained(),
    }
  }

  bodyKey(): Promise<StreamKey | undefined> {
    const salt = this.#context.bodyStreamSalt
    return salt === undefined ? Promise.resolve(undefined) : deriveStreamKey(this.#reply.rk, salt, this.#reply.jti, 'request')
  }

  async fail(route?: string): Promise<OutgoingResponse> {
    const response = await sealedProblem(this.#reply, new SealwireError('internal_error'), this.#context.clock())
    this.#emit('rejected', 'internal_error', route)
    return response
  }

  async refuse(error: SealwireError, route?: string): Promise<OutgoingResponse> {
    const response = await sealedProblem(this.#reply, error, this.#context.clock())
    this.#emit('rejected', error.code, route)
    return response
  }

  async refine<S extends StandardSchemaV1>(schema: S): Promise<RefineOutcome<InferOutput<S>>> {
    // A streamed upload has no JSON body for the schema to check (its `body` is null).
    if (this.#context.bodyStreamSalt !== undefined) return { ok: false, response: await this.refuse(streamedUploadWithSchema()) }
    const checked = await validateBody(schema, this.body)
    if (checked.ok) return { ok: true, body: checked.value }
    // Paths and messages only: the submitted values never leave the server.
    const response = await sealedProblem(this.#reply, checked.error, this.#context.clock())
    this.#emit('rejected', 'invalid_payload')
    return { ok: false, response }
  }

  /** One event per request: the first outcome wins. */
  #emit(type: SealwireEvent['type'], code: SealwireErrorCode | undefined, route?: string): void {
    if (this.#settled) return
    this.#settled = true
    const c = this.#context
    if (c.onEvent === undefined) return
    const event: SealwireEvent = { type, route: route === undefined ? c.route : routeLabel(route), ms: monotonicNow() - c.started, kid: this.claims.kid }
    if (code !== undefined) event.code = code
    if (c.peer !== undefined) event.peer = c.peer
    emitEvent(c.onEvent, event)
  }
}
