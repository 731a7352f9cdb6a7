import { CONTENT_ENCRYPTION_ALG, RESPONSE_KEY_MANAGEMENT_ALG, RESPONSE_TYP } from '../constants.js'
import type { CryptoBackend } from '../crypto/backend.js'
import { platform } from '#platform'
import type { ReplyContext } from './request-descriptor.js'
import { SESSION_PARAM } from '../session/session-constants.js'
import { b64u } from '../encoding.js'
import { systemRandom, type RandomSource } from '../runtime.js'
import { STREAM_PARAM, STREAM_SALT_BYTES } from '../constants.js'
import { deriveStreamKey, type StreamKey } from '../stream/stream-key.js'
import { MAX_SEALED_FIELDS, MAX_SEALED_HEAD_CHARS, RESPONSE_HEAD_TYP, SEALED_HEAD_PARAM, isFieldValue, unsealableReason } from './sealed-head.js'

export interface SealResponseOptions {
  /** From `openRequest` (or `replyContextOf(error)`). */
  reply: ReplyContext
  /** The HTTP status the response is sent with; sealed as `sts`. */
  status: number
  /** Media type of the plaintext, sealed as `cty` (e.g. `application/json`). */
  contentType: string
  /** The response body: bytes, or text encoded as UTF-8. */
  body: Uint8Array | string
  /**
   * Response header fields to seal with the answer (docs/PROTOCOL.md §4.1),
   * lowercase names: only for a requester that announced the sealed head
   * (`reply.sealsHead`); each must be sealable (`unsealableReason`).
   */
  headers?: Iterable<readonly [string, string]>
  backend?: CryptoBackend
}

/** A streamed answer's header (docs/PROTOCOL.md §12): the v1 answer with an empty plaintext and the stream salt `str`. */
export interface SealResponseStreamOptions extends Omit<SealResponseOptions, 'body'> {
  stream: true
  /** Where the stream salt comes from. Default: the platform's CSPRNG. */
  random?: RandomSource
}

export interface SealedResponseStream {
  /** The header line: send it, then `\n`, then the records. */
  compact: string
  /** Seals the records (`createRecordWriter`, `sealRecordStream`). Secret. */
  key: StreamKey
}

/**
 * Seals a response to the requester (wire protocol v1 §4): `dir` + A256GCM with
 * the request's `rk`, bound to its `jti` and to the HTTP status.
 *
 * @example
 * const jwe = await sealResponse({ reply, status: 200, contentType: 'application/json', body: '{"ok":true}' })
 *
 * With `stream: true`, for a requester that announced streams (`reply.streams`),
 * the header line of a streamed answer (docs/PROTOCOL.md §12) and the key of its records:
 * @example
 * const { compact, key } = await sealResponse({ reply, status: 200, contentType: 'text/event-stream', stream: true })
 */
export function sealResponse(options: SealResponseStreamOptions): Promise<SealedResponseStream>
export function sealResponse(options: SealResponseOptions): Promise<string>
export function sealResponse(options: SealResponseOptions | SealResponseStreamOptions): Promise<string | SealedResponseStream> {
  if ('stream' in options && options.stream === true) return sealStreamHeader(options)
  return sealWhole(options as SealResponseOptions)
}

/**
 * The header line of a streamed answer: the v1 answer JWE with an empty
 * plaintext and `str`, the stream salt, in its protected header, so the AEAD
 * under `rk` authenticates the salt with `sts` and `cty`.
 */
function sealStreamHeader(options: SealResponseStreamOptions): Promise<SealedResponseStream> {
  // Caller misuse throws synchronously, as for a whole answer: a v1 requester never sees a stream.
  if (options.reply.streams !== true) throw new TypeError('stream: this requester did not announce streams (str); seal one answer (without stream) instead')
  const salt = (options.random ?? systemRandom)(STREAM_SALT_BYTES)
  const compact = sealWhole({ ...options, body: new Uint8Array(0) }, { [STREAM_PARAM]: b64u(salt) })
  const key = deriveStreamKey(options.reply.rk, salt, options.reply.jti, 'response')
  return Promise.all([compact, key]).then(([compact, key]) => ({ compact, key }))
}

function sealWhole(options: SealResponseOptions, extra?: Record<string, unknown>): Promise<string> {
  // Caller misuse throws here, synchronously (a TypeError), not as a rejection.
  const { reply, status, contentType } = options
  if (!Number.isInteger(status) || status < 100 || status > 599) throw new TypeError('status must be an HTTP status code')
  const backend = options.backend ?? platform.backend
  const header: Record<string, unknown> = { alg: RESPONSE_KEY_MANAGEMENT_ALG, enc: CONTENT_ENCRYPTION_ALG, typ: RESPONSE_TYP, jti: reply.jti, sts: status, cty: contentType }
  // The session established for this requester (§11): in the header, so the answer's AEAD under rk authenticates it.
  if (reply.session !== undefined) header[SESSION_PARAM] = reply.session
  if (extra !== undefined) Object.assign(header, extra)
  const fields = options.headers === undefined ? undefined : responseHead(options.headers)
  if (fields !== undefined && reply.sealsHead !== true) throw new TypeError('headers: this requester did not announce the sealed head (shd); send them in clear or not at all')
  const body = typeof options.body === 'string' ? platform.encodeUtf8(options.body) : options.body
  if (reply.sealsHead !== true) return backend.sealWithSecret(body, header, reply.rk)
  return (async () => {
    // A JWE of its own under the same rk, inside the protected header: the header is the
    // answer's AAD, so the fields cannot be stripped, swapped or moved to another answer.
    // Sent to every requester that announced the sealed head, `{}` when there are no fields:
    // its presence tells the client that no field of the sealed kinds may be believed in clear.
    header[SEALED_HEAD_PARAM] = await backend.sealWithSecret(platform.encodeUtf8(fields ?? '{}'), { alg: RESPONSE_KEY_MANAGEMENT_ALG, enc: CONTENT_ENCRYPTION_ALG, typ: RESPONSE_HEAD_TYP }, reply.rk)
    return backend.sealWithSecret(body, header, reply.rk)
  })()
}

/** The JSON object of sealed response fields, or undefined when there are none. */
function responseHead(headers: Iterable<readonly [string, string]>): string | undefined {
  const fields: Record<string, string> = {}
  let count = 0
  let chars = 0
  for (const [name, value] of headers) {
    const reason = unsealableReason(name, 'response')
    if (reason !== undefined) throw new TypeError(`headers: "${name}" cannot be sealed: it ${reason}`)
    if (!isFieldValue(value)) throw new TypeError(`headers: the value of "${name}" holds a control character`)
    fields[name] = Object.hasOwn(fields, name) ? `${fields[name]}, ${value}` : value
    count += 1
    chars += name.length + value.length
  }
  if (count > MAX_SEALED_FIELDS || chars > MAX_SEALED_HEAD_CHARS) throw new RangeError(`at most ${MAX_SEALED_FIELDS} sealed response fields of ${MAX_SEALED_HEAD_CHARS} characters in all`)
  return count === 0 ? undefined : JSON.stringify(fields)
}
