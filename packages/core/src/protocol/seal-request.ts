import { ENVELOPE_HEADER, JOSE_MEDIA_TYPE, JTI_BYTES, MAX_HEADER_ENVELOPE_CHARS, ORIGIN_FORM_TARGET, REQUEST_TYP, RESPONSE_KEY_BYTES } from '../constants.js'
import { b64u, utf8 } from '../encoding.js'
import type { RecipientKey } from '../keys/recipient-key.js'
import { systemClock, systemRandom, type Clock, type RandomSource } from '../runtime.js'
import { normalizeOrigin } from './origin.js'
import { MAX_SEALED_FIELDS, MAX_SEALED_HEAD_CHARS, SEALED_HEAD_PARAM, SEALED_HEAD_VERSION, isFieldValue, unsealableReason } from './sealed-head.js'
import { envelopePlacement, type ReplyContext, type RequestDescriptor } from './request-descriptor.js'
import type { ClientSession, SessionOffer } from '../session/client-session.js'
import { SESSION_CLIENT_KEY_MEMBER, SESSION_ID_PARAM, SESSION_PARAM } from '../session/session-constants.js'
import { deriveSessionRequestKey } from '../session/session-kdf.js'
import { isErasedSecret } from '../session/erased-secret.js'
import { SealwireError } from '../errors.js'
import { BODY_STREAM_MEMBER, STREAM_MEDIA_TYPE, STREAM_PARAM, STREAM_SALT_BYTES } from '../constants.js'
import { deriveStreamKey, type StreamKey } from '../stream/stream-key.js'

/** The spelling of a `jti` this module makes: base64url of JTI_BYTES random bytes, no padding. */
const JTI_SPELLING = new RegExp(`^[A-Za-z0-9_-]{${Math.ceil((JTI_BYTES * 4) / 3)}}$`)

export interface SealRequestOptions {
  /** The server key to seal to (`importRecipientKey`). */
  recipient: RecipientKey
  /** The method and origin-form target the request will be sent with. */
  request: RequestDescriptor
  /** Any JSON value; `undefined` is sent as `null` (no body). */
  body?: unknown
  clock?: Clock
  random?: RandomSource
  /**
   * The `jti` of this call's first envelope, for a client's resend after a
   * refusal the server gives before it records a `jti` (`unknown_key`). Such
   * refusals are unauthenticated: a man in the middle can let the first
   * envelope through, drop the sealed answer and forge one. Resend with the
   * first envelope's `iat` too (a `clock` returning its time): the server
   * remembers a `jti` for as long as its `iat` is fresh, so only then do the
   * two share one replay record and at most one ever runs; with another `iat`
   * a held copy of either outlives the other's record (docs/PROTOCOL.md §6).
   * Default: a fresh `jti`.
   */
  jti?: string
  /**
   * Header fields and the query to carry inside the envelope (the sealed
   * head, docs/PROTOCOL.md §3.5). Given at all (even empty), it announces
   * that this client opens sealed response header fields; with fields or a
   * query in it, the envelope is marked critical (`crit: ["shd"]`), so that a
   * server that cannot restore them refuses the request rather than run it
   * without them. With `query`, `request.target` is the path alone.
   */
  head?: {
    /** Lowercase field names and values; each must be sealable (`unsealableReason`). */
    headers?: Iterable<readonly [string, string]>
    /** The query without its "?" (as `URL.search.slice(1)` spells it). */
    query?: string
  }
  /**
   * Offers a session (docs/PROTOCOL.md §11): `ses: 1` in the header, the
   * offer's `cpk` in the plaintext. Accept the answer's with `acceptSession`.
   */
  offer?: SessionOffer
  /**
   * Seals within this session (docs/PROTOCOL.md §11): `alg` `dir` with the
   * session's `sid`, no `kid`, no `epk`, under a key derived from the session
   * secret and this request's `jti` — no key agreement. `recipient` still
   * names the backend that seals.
   */
  session?: Pick<ClientSession, 'sid' | 'secret'>
  /**
   * Announces that this client reads streamed answers (`str: 1` in the
   * header, docs/PROTOCOL.md §12). Not critical: a server that predates
   * streams ignores it and answers one JWE.
   */
  streams?: boolean
  /**
   * Seals the body as a stream of records (docs/PROTOCOL.md §12): the
   * envelope carries `body: null` and the records' salt (`bsn`), and is the
   * header line of an `application/sealwire-stream` body; seal the records
   * with the returned `bodyKey`. Not with `body`, nor for GET or HEAD.
   */
  bodyStream?: boolean
}

export interface SealedRequest {
  /** The JWE compact serialization. */
  envelope: string
  /** Where it travels: the request body or the `Sealwire-Envelope` header. */
  placement: 'body' | 'header'
  /** Headers to add to the HTTP request (Content-Type or the envelope header). */
  headers: Record<string, string>
  /** The HTTP request body: the envelope, or undefined when it travels in a header. */
  httpBody: string | undefined
  /** Keep it to open the response: `openResponse(res, { reply })`. Secret. */
  reply: ReplyContext
  /**
   * With `bodyStream`: the key of the upload's records (`createRecordWriter`,
   * `sealRecordStream`); `httpBody` is then the header line, `\n` included,
   * and the records follow it. Secret.
   */
  bodyKey?: StreamKey
}

/**
 * Seals a request body to a server key (wire protocol v1 §3): a fresh `jti`,
 * `iat`, and response key `rk`, bound to the method and target, and to the
 * origin (`hto`) when `request.origin` is given.
 *
 * @example
 * const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/echo' }, body: { hi: 1 } })
 * const res = await fetch(url, { method: 'POST', headers: sealed.headers, body: sealed.httpBody })
 */
export async function sealRequest(options: SealRequestOptions): Promise<SealedRequest> {
  const { recipient, request } = options
  const clock = options.clock ?? systemClock
  const random = options.random ?? systemRandom
  const method = request.method.toUpperCase()
  if (!ORIGIN_FORM_TARGET.test(request.target)) throw new TypeError('request.target must be origin-form: a path starting with "/", plus query')
  const origin = request.origin === undefined ? undefined : normalizeOrigin(request.origin)
  if (request.origin !== undefined && origin === undefined) throw new TypeError('request.origin must be an http(s) origin: scheme://host[:port]')
  if (options.bodyStream === true && (options.body !== undefined || envelopePlacement(method, true) === 'header')) {
    throw new TypeError('bodyStream: give no body (the stream is the body), and a method other than GET or HEAD')
  }
  const json = JSON.stringify(options.body === undefined ? null : options.body)
  if (json === undefined) throw new TypeError('body must be a JSON-serializable value')

  if (options.jti !== undefined && !JTI_SPELLING.test(options.jti)) throw new TypeError(`jti must be the base64url of ${JTI_BYTES} bytes, as sealRequest makes it`)
  // One call to the random source for both: in a browser each call costs more than its bytes.
  const fresh = random(JTI_BYTES + RESPONSE_KEY_BYTES)
  if (!(fresh instanceof Uint8Array) || fresh.length !== JTI_BYTES + RESPONSE_KEY_BYTES) throw new TypeError('random must return a Uint8Array of the length asked for')
  const jti = options.jti ?? b64u(fresh.subarray(0, JTI_BYTES))
  // A copy: a source that reuses its buffer cannot change `rk` afterwards (the stream salt below is drawn later).
  const rk = fresh.slice(JTI_BYTES)
  const head = options.head === undefined ? undefined : headMembers(options.head, request.target)
  if (options.offer !== undefined && options.session !== undefined) throw new TypeError('offer and session exclude each other: a request within a session has nothing to agree')
  const session = options.session
  const header = {
    // Within a session (§11), `dir` under a derived key and the session id; otherwise ECDH-ES to the key.
    ...(session === undefined ? { alg: 'ECDH-ES', enc: 'A256GCM', typ: REQUEST_TYP, kid: recipient.kid } : { alg: 'dir', enc: 'A256GCM', typ: REQUEST_TYP, [SESSION_ID_PARAM]: session.sid }),
    iat: Math.floor(clock() / 1000),
    jti,
    htm: method,
    htu: request.target,
    // The authority binding (§3.2): a server serving several origins with one key
    // ring refuses the envelope when a swapped Host delivers it to another origin.
    ...(origin === undefined ? {} : { hto: origin }),
    // The sealed head: announced always, critical only when it carries something.
    ...(head === undefined ? {} : head.members === '' ? { [SEALED_HEAD_PARAM]: SEALED_HEAD_VERSION } : { [SEALED_HEAD_PARAM]: SEALED_HEAD_VERSION, crit: [SEALED_HEAD_PARAM] }),
    // A session offer (§11): not critical, a server without sessions ignores it.
    ...(options.offer === undefined ? {} : { [SESSION_PARAM]: 1 }),
    // Streamed answers (§12): not critical either, an old server answers one JWE.
    ...(options.streams === true ? { [STREAM_PARAM]: 1 } : {}),
  }
  // `rk` and the body in one JSON text; the body's bytes are spliced in, not re-encoded.
  const offered = options.offer === undefined ? '' : `,"${SESSION_CLIENT_KEY_MEMBER}":${JSON.stringify(options.offer.cpk)}`
  const bodySalt = options.bodyStream === true ? random(STREAM_SALT_BYTES) : undefined
  const streamed = bodySalt === undefined ? '' : `,"${BODY_STREAM_MEMBER}":"${b64u(bodySalt)}"`
  const plaintext = `{"rk":"${b64u(rk)}","body":${json}${head?.members ?? ''}${offered}${streamed}}`
  const envelope = session === undefined ? await recipient.backend.sealToPublicKey(utf8(plaintext), header, recipient.handle) : await sealWithinSession(recipient, plaintext, header, session, jti)
  const placement = envelopePlacement(method, options.body !== undefined || bodySalt !== undefined)
  // Say so here rather than let the server answer 413 for an envelope it could never take.
  if (placement === 'header' && envelope.length > MAX_HEADER_ENVELOPE_CHARS) {
    // The query is sealed (head) or in `htu`, in clear: either way inside the envelope.
    const question = request.target.indexOf('?')
    const query = (head?.queryChars ?? 0) + (question === -1 ? 0 : request.target.length - question - 1)
    throw new RangeError(headerEnvelopeTooLong(method, envelope.length, { query, fields: head?.fieldChars ?? 0, body: options.body === undefined ? 0 : json.length }))
  }
  if (bodySalt !== undefined) {
    const bodyKey = await deriveStreamKey(rk, bodySalt, jti, 'request')
    return { envelope, placement, headers: { 'Content-Type': STREAM_MEDIA_TYPE }, httpBody: `${envelope}\n`, reply: { jti, rk }, bodyKey }
  }
  return {
    envelope,
    placement,
    headers: placement === 'header' ? { [ENVELOPE_HEADER]: envelope } : { 'Content-Type': JOSE_MEDIA_TYPE },
    httpBody: placement === 'header' ? undefined : envelope,
    reply: { jti, rk },
  }
}

/**
 * Why a header envelope is too long, by its largest part, with the fix for
 * that part: a GET carries no body, so "send a smaller body" would send the
 * reader looking for one when a long query is the cause.
 */
function headerEnvelopeTooLong(method: string, length: number, parts: { query: number; fields: number; body: number }): string {
  const cap = `a ${method} envelope travels in the ${ENVELOPE_HEADER} header, capped at ${MAX_HEADER_ENVELOPE_CHARS} characters, and this one has ${length}`
  const post = 'or use POST, whose envelope travels in the body with no such cap'
  const { query, fields, body } = parts
  if (query >= fields && query >= body && query > 0) return `${cap}, most of it the query (${query} characters): send a shorter query (put the data in the body), ${post}`
  if (fields >= body && fields > 0) return `${cap}, most of it the sealed header fields (${fields} characters): seal fewer or shorter fields, ${post}`
  return `${cap}, most of it the body (${body} characters of JSON): send a smaller body, ${post}`
}

/** A fresh key for this one request, from the session secret and its `jti` (§11). */
async function sealWithinSession(recipient: RecipientKey, plaintext: string, header: Record<string, unknown>, session: Pick<ClientSession, 'secret'>, jti: string): Promise<string> {
  // Forgotten between being chosen and now (another request dropped it): its S is zeros, and a key derived from
  // them is one anyone can compute. Refused as the server refuses a session it no longer has: seal as v1 instead.
  if (isErasedSecret(session.secret)) throw new SealwireError('unknown_session', { detail: 'The session was forgotten (its secret erased): seal the request without it' })
  const { backend } = recipient
  if (backend.sealWithinSession !== undefined) return backend.sealWithinSession(plaintext, header, session.secret, jti)
  const cek = await deriveSessionRequestKey(session.secret, jti)
  try {
    return await backend.sealWithSecret(utf8(plaintext), header, cek)
  } finally {
    cek.fill(0)
  }
}

/** The plaintext members of a sealed head (`,"hdr":{…},"qry":"…"`, or '' when it carries nothing), checked as a server will. */
function headMembers(head: NonNullable<SealRequestOptions['head']>, target: string): { members: string; queryChars: number; fieldChars: number } {
  const hdr: Record<string, string> = {}
  let count = 0
  let chars = 0
  for (const [name, value] of head.headers ?? []) {
    const reason = unsealableReason(name, 'request')
    if (reason !== undefined) throw new TypeError(`head.headers: "${name}" cannot be sealed: it ${reason}`)
    if (Object.hasOwn(hdr, name)) throw new TypeError(`head.headers: "${name}" is given twice; join the values with ", "`)
    if (typeof value !== 'string' || !isFieldValue(value)) throw new TypeError(`head.headers: the value of "${name}" must be a string without CR, LF, NUL or other control characters`)
    hdr[name] = value
    count += 1
    chars += name.length + value.length
  }
  const query = head.query === undefined || head.query === '' ? undefined : head.query
  if (query !== undefined && target.includes('?')) throw new TypeError('request.target must be the path alone when head.query carries the query')
  const fieldChars = chars
  const queryChars = query?.length ?? 0
  chars += queryChars
  if (count > MAX_SEALED_FIELDS) throw new RangeError(`at most ${MAX_SEALED_FIELDS} header fields can be sealed in one request`)
  if (chars > MAX_SEALED_HEAD_CHARS) {
    throw new RangeError(
      `the sealed query (${queryChars} characters) and header fields (${fieldChars}) exceed the ${MAX_SEALED_HEAD_CHARS} characters they may have together: ` +
        'send a shorter query or fewer sealed fields, or put the data in a POST body',
    )
  }
  const members = (count === 0 ? '' : `,"hdr":${JSON.stringify(hdr)}`) + (query === undefined ? '' : `,"qry":${JSON.stringify(query)}`)
  return { members, queryChars, fieldChars }
}
