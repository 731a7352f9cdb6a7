import type { CryptoBackend } from '../crypto/backend.js'
import { platform } from '#platform'
import { SealwireError } from '../errors.js'
import { decodeProtectedHeader } from './compact.js'
import type { ReplyContext } from './request-descriptor.js'
import { checkResponseHeader } from './response-header.js'
import { MAX_SEALED_HEAD_CHARS, RESPONSE_HEAD_TYP, SEALED_HEAD_PARAM, checkSealedHead } from './sealed-head.js'
import { isB64uOfBytes, typMatches } from './response-header.js'
import { SESSION_PARAM } from '../session/session-constants.js'
import { STREAM_PARAM, STREAM_SALT_BYTES } from '../constants.js'
import { deriveStreamKey, type StreamKey } from '../stream/stream-key.js'

export interface OpenResponseOptions {
  /** The context `sealRequest` returned for this request. */
  reply: ReplyContext
  /** The HTTP status the response arrived with; must equal the sealed `sts`. */
  status: number
  backend?: CryptoBackend
  /**
   * The answer arrived as a stream (`application/sealwire-stream`,
   * docs/PROTOCOL.md §12): `compact` is its header line, which must carry the
   * stream salt `str` and an empty plaintext. Without it, an answer carrying
   * `str` is refused: a stream's header is never a whole answer.
   */
  stream?: boolean
}

/** A streamed answer's header line, opened: the records' key beside the v1 fields (`body` is empty). */
export interface OpenedResponseStream extends OpenedResponse {
  /** Opens the records that follow the header line (`openRecordStream`, `createRecordReader`). Secret. */
  key: StreamKey
}

export interface OpenedResponse {
  status: number
  contentType: string
  body: Uint8Array
  /** Response header fields the server sealed (docs/PROTOCOL.md §4.1), lowercase names; empty when none. */
  headers: ReadonlyArray<readonly [string, string]>
  /**
   * Whether the answer carried a sealed head (`shd`), even an empty one: then
   * the server seals every field of the sealed kinds, and one in clear beside
   * it was added on the way.
   */
  sealedHead: boolean
  /**
   * The session the server announced (`ses`, docs/PROTOCOL.md §11), as sent:
   * authenticated (the header is the answer's AAD), unchecked — `acceptSession` checks it.
   */
  session?: unknown
}

/**
 * Opens a sealed response and checks it belongs to this request: `typ`, the
 * `jti` binding and `sts` equal to the HTTP status (so a proxy cannot turn a
 * sealed 403 into a 200). Throws `response_decryption_failed` or
 * `response_binding_mismatch`.
 *
 * @example
 * const { body } = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
 */
export async function openResponse(compact: string, options: OpenResponseOptions & { stream: true }): Promise<OpenedResponseStream>
export async function openResponse(compact: string, options: OpenResponseOptions): Promise<OpenedResponse>
export async function openResponse(compact: string, options: OpenResponseOptions): Promise<OpenedResponse | OpenedResponseStream> {
  let header
  let decoded: Record<string, unknown>
  try {
    decoded = decodeProtectedHeader(compact)
    const checked = checkResponseHeader(decoded)
    if ('problem' in checked) throw new TypeError(`Response header ${checked.problem}`)
    header = checked.header
  } catch (cause) {
    throw new SealwireError('response_decryption_failed', { detail: 'Response is not a sealwire-res+jwe envelope', cause })
  }
  let body: Uint8Array
  try {
    body = await (options.backend ?? platform.backend).openWithSecret(compact, options.reply.rk, decoded)
  } catch (cause) {
    throw new SealwireError('response_decryption_failed', { cause })
  }
  // Checked after decryption: only then is the header authenticated.
  if (header.jti !== options.reply.jti) throw new SealwireError('response_binding_mismatch', { detail: 'Response is bound to another request' })
  if (header.sts !== options.status) throw new SealwireError('response_binding_mismatch', { detail: 'Sealed status differs from the HTTP status' })
  const sealedHead = decoded[SEALED_HEAD_PARAM]
  const headers = sealedHead === undefined ? [] : await openResponseHead(sealedHead, options)
  const opened: OpenedResponse = { status: header.sts, contentType: header.cty, body, headers, sealedHead: sealedHead !== undefined }
  if (decoded[SESSION_PARAM] !== undefined) opened.session = decoded[SESSION_PARAM]
  // The stream salt, authenticated with the rest of the header: its presence must match how the answer arrived,
  // so neither a stream's header passes as a whole (empty) answer nor a whole answer as a stream.
  const salt = decoded[STREAM_PARAM]
  if (options.stream !== true) {
    if (salt !== undefined) throw new SealwireError('response_decryption_failed', { detail: 'A stream header (str) sent as a whole answer' })
    return opened
  }
  if (typeof salt !== 'string' || !isB64uOfBytes(salt, STREAM_SALT_BYTES, STREAM_SALT_BYTES) || body.length !== 0) {
    throw new SealwireError('response_decryption_failed', { detail: 'A stream header without its salt (str), or with a body' })
  }
  const key = await deriveStreamKey(options.reply.rk, platform.decodeBase64url(salt).slice(), options.reply.jti, 'response')
  return { ...opened, key }
}

/**
 * The sealed response fields: a JWE under the same `rk`, carried in the
 * (now authenticated) protected header. Checked by the rules the server sealed
 * them under; anything else fails like a bad answer.
 */
async function openResponseHead(compact: unknown, options: OpenResponseOptions): Promise<ReadonlyArray<readonly [string, string]>> {
  try {
    // The fields' JSON plus JWE overhead and base64url growth, with room to spare.
    if (typeof compact !== 'string' || compact.length > 4 * MAX_SEALED_HEAD_CHARS) throw new TypeError('shd: must be a compact JWE')
    const inner = decodeProtectedHeader(compact)
    if (inner.alg !== 'dir' || inner.enc !== 'A256GCM' || typeof inner.typ !== 'string' || !typMatches(inner.typ, RESPONSE_HEAD_TYP) || 'zip' in inner || 'crit' in inner) {
      throw new TypeError('shd: not a sealwire-hdr+jwe')
    }
    const bytes = await (options.backend ?? platform.backend).openWithSecret(compact, options.reply.rk, inner)
    const checked = checkSealedHead(JSON.parse(platform.decodeUtf8(bytes)), undefined, 'response')
    if ('problem' in checked) throw new TypeError(`shd: ${checked.problem}`)
    return checked.head.headers
  } catch (cause) {
    throw new SealwireError('response_decryption_failed', { detail: 'Sealed response header fields could not be opened', cause })
  }
}
