import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_SKEW_SECONDS, DEFAULT_REPLAY_MARGIN_SECONDS } from '../constants.js'
import { platform } from '#platform'
import type { EphemeralPublicJwk } from '../crypto/backend.js'
import { SealwireError } from '../errors.js'
import type { Curve } from '../keys/jwk.js'
import type { KeyRing } from '../keys/key-ring.js'
import { replayExpiresAt } from '../replay/replay-expiry.js'
import type { ReplayStore } from '../replay/replay-store.js'
import { systemClock, type Clock } from '../runtime.js'
import { requestPlaintextSchema, type RequestHeader } from '../schemas.js'
import type { SessionStore } from '../session/session-store.js'
import { validateBody, type InferOutput, type StandardSchemaV1 } from '../standard-schema.js'
import { payloadIssues } from './compact.js'
import { DEFAULT_MAX_JSON_DEPTH, jsonTextDepthExceeds, topLevelJsonText } from './json-depth.js'
import { attachReply } from './reply-errors.js'
import { plainRequestPlaintext, publicKeyMembers } from './request-header.js'
import type { ReplyContext, RequestDescriptor } from './request-descriptor.js'
import { DEFAULT_SEALED_REQUEST_HEADERS, checkSealedHead, type SealedRequestHead } from './sealed-head.js'

const DEFAULT_RESTORED: ReadonlySet<string> = new Set(DEFAULT_SEALED_REQUEST_HEADERS)

/*
 * The checks a request goes through whichever way it was keyed — by ECDH-ES
 * to a static key (v1, open-request.ts) or by a session secret (§11,
 * session/open-session-request.ts): freshness (step 7) and everything after
 * decryption (steps 9–11).
 */

export interface OpenRequestOptions<S extends StandardSchemaV1 = StandardSchemaV1<unknown>> {
  keyRing: KeyRing
  /** The request as actually received: its method and origin-form target. */
  request: RequestDescriptor
  replayStore: ReplayStore
  /** Oldest accepted `iat`, seconds before now. Default 60. */
  maxAgeSeconds?: number
  /** Newest accepted `iat`, seconds after now (client clocks run ahead). Default 5. */
  maxSkewSeconds?: number
  /**
   * Seconds the replay store holds a jti beyond the last instant its `iat` is
   * fresh: the most the clocks of instances sharing one store may disagree by.
   * Default 5.
   */
  replayMarginSeconds?: number
  /** Deepest nesting of arrays/objects accepted in the body (step 11). Default 64. */
  maxJsonDepth?: number
  /**
   * The origins this server answers at, normalized (`normalizeOrigin`). When
   * set, the envelope's `hto` is required, must be one of them and must equal
   * `request.origin` (step 9); when unset, `hto` is ignored.
   */
  origins?: readonly string[] | undefined
  /**
   * Whether the request carries a header field in clear, by lowercase name:
   * a field sealed in the envelope (docs/PROTOCOL.md §3.5) and also sent in
   * clear is refused (`invalid_sealed_head`), since the two may differ.
   */
  hasClearHeader?: ((name: string) => boolean) | undefined
  /**
   * The request fields this server restores from a sealed head (lowercase);
   * a sealed field outside it is refused (`invalid_sealed_head`). Default
   * `DEFAULT_SEALED_REQUEST_HEADERS`: `authorization`, `cookie`, `x-api-key`.
   */
  sealedRequestHeaders?: ReadonlySet<string> | undefined
  /**
   * Route schema for the decrypted body (step 11), any Standard Schema (zod 3.24+
   * and 4, Valibot, ArkType); its output becomes `body`.
   */
  schema?: S | undefined
  clock?: Clock
  /**
   * Sessions (docs/PROTOCOL.md §11): where requests sealed within a session
   * are looked up. Without it, every such request answers `unknown_session`,
   * and a request offering a session is opened as plain v1.
   */
  sessionStore?: SessionStore | undefined
}

/** Verified request claims: the protected header, authenticated by decryption. */
export interface RequestClaims {
  kid: string
  crv: 'P-256' | 'X25519'
  iat: number
  jti: string
  htm: string
  htu: string
  /** The origin the client sealed (`hto`), when it sent one. Checked only with `origins`. */
  hto?: string
  /** The session the request was sealed within (docs/PROTOCOL.md §11); absent for a v1 request. */
  sid?: string
}

export interface OpenedRequest<T> {
  body: T
  claims: RequestClaims
  /**
   * The sealed head (docs/PROTOCOL.md §3.5), when the client announced it:
   * the header fields and query it carried, and the target the handler must
   * see (`htu` plus the sealed query). Restore them before the handler runs.
   */
  head?: SealedRequestHead & { readonly target: string }
  /** Seal the response with it (`sealResponse`). Secret. */
  reply: ReplyContext
  /**
   * The client's offer of a session (`ses: 1` and a `cpk` on the key's curve,
   * docs/PROTOCOL.md §11): a server with sessions on establishes one
   * (`establishSession`) and announces it in the answer (`reply.session`).
   */
  sessionOffer?: { readonly cpk: EphemeralPublicJwk }
  /**
   * The salt of a streamed upload's records (`bsn`, docs/PROTOCOL.md §12):
   * the body is then null and its records follow the envelope line of an
   * `application/sealwire-stream` body. Open them under
   * `deriveStreamKey(reply.rk, bodyStream, claims.jti, 'request')`. A server
   * refuses an envelope with it that did not arrive as such a body, and one
   * without it that did.
   */
  bodyStream?: Uint8Array
}

export const fail = (code: ConstructorParameters<typeof SealwireError>[0], detail?: string, cause?: unknown) =>
  new SealwireError(code, { ...(detail === undefined ? {} : { detail }), cause })

/**
 * What the plain checks (request-header.ts) did not accept, by the zod schema:
 * its verdict, and on a refusal its issues as the `malformed_envelope` cause.
 */
export function parseWithSchema<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Parameters<typeof payloadIssues>[0] } }, value: unknown, detail: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw fail('malformed_envelope', detail, payloadIssues(parsed.error))
  return parsed.data
}

/**
 * Step 7, before the costly part (a key agreement, a store lookup). A store
 * that forgot its past (restart) cannot vouch for requests issued before it started.
 */
export function assertFresh(iat: number, options: Pick<OpenRequestOptions, 'maxAgeSeconds' | 'maxSkewSeconds' | 'replayStore' | 'clock'>): void {
  const now = (options.clock ?? systemClock)()
  const maxAge = options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS
  const maxSkew = options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS
  const iatMs = iat * 1000
  const since = options.replayStore.rememberedSince
  if (iatMs < now - maxAge * 1000 || iatMs > now + maxSkew * 1000 || (since !== undefined && iatMs < Math.floor(since / 1000) * 1000)) {
    throw fail('stale_request')
  }
}

/** The header members the checks after decryption read. */
export type CheckedHeader = Pick<RequestHeader, 'iat' | 'jti' | 'htm' | 'htu' | 'hto' | 'shd' | 'ses' | 'str'>

/**
 * Steps 9–11 on a decrypted plaintext: the binding, the sealed head, the
 * replay store, the payload. `keyed` says what opened it: the static key's
 * kid and curve, and the session's id for a request within one.
 */
export async function finishOpen<S extends StandardSchemaV1>(
  plaintextBytes: Uint8Array,
  header: CheckedHeader,
  keyed: { kid: string; crv: Curve; sid?: string },
  options: OpenRequestOptions<S>,
): Promise<OpenedRequest<InferOutput<S>>> {
  // The cause names what failed, never how: a JSON.parse message quotes the
  // plaintext, and causes end up in logs.
  const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH
  let parsedPlaintext: unknown
  let tooDeep = false
  try {
    const text = platform.decodeUtf8(plaintextBytes)
    // Nesting is measured on the text, before JSON.parse spends time (and stack) building it; the
    // body sits one level below the plaintext object. A too-deep plaintext is parsed for its top
    // level only, its `rk` for the sealed refusal of step 11 (after binding and replay, as ever).
    tooDeep = jsonTextDepthExceeds(text, maxDepth + 1)
    parsedPlaintext = JSON.parse(tooDeep ? topLevelJsonText(text) : text)
  } catch {
    throw fail('malformed_envelope', 'Plaintext is not a sealwire request', new Error('plaintext is not UTF-8 JSON'))
  }
  const plaintext = plainRequestPlaintext(parsedPlaintext) ?? parseWithSchema(requestPlaintextSchema, parsedPlaintext, 'Plaintext is not a sealwire request')
  // rk is 32 bytes of base64url (checked above): Buffer's decoder on Node, jose's elsewhere. Copied
  // out: Node's and Deno's decoders cut small outputs from a shared 8 KiB pool, and the reply goes
  // to the caller, where structuredClone or postMessage of it would carry the whole pool along.
  const rk = platform.decodeBase64url(plaintext.rk).slice()
  const reply: ReplyContext = header.str === 1 ? { jti: header.jti, rk, streams: true } : { jti: header.jti, rk }
  if (header.shd === 1) (reply as { sealsHead?: boolean }).sealsHead = true

  // 9. Binding: stops cut-and-paste of a valid envelope onto another endpoint.
  if (header.htm !== options.request.method.toUpperCase() || header.htu !== options.request.target) {
    throw attachReply(fail('binding_mismatch'), reply)
  }
  // The authority binding: with one key ring behind several origins, a swapped
  // Host must not deliver one origin's envelope to another (absent `hto` too:
  // a client that does not bind the origin is refused where binding is required).
  if (options.origins !== undefined) {
    const hto = header.hto
    if (hto === undefined || hto !== options.request.origin || !options.origins.includes(hto)) {
      throw attachReply(fail('binding_mismatch', 'Envelope is bound to another origin'), reply)
    }
  }

  // The sealed head, part of the binding: `htu` is the path on the wire, the
  // query travels sealed beside the header fields; a field both sealed and in
  // clear is ambiguous (which one would the handler read?), refused.
  let head: OpenedRequest<unknown>['head']
  // A too-deep plaintext was parsed for its top level only (its head too): it is refused at step 11.
  if (header.shd === 1 && !tooDeep) {
    const checked = checkSealedHead(plaintext.hdr, plaintext.qry, 'request', options.sealedRequestHeaders ?? DEFAULT_RESTORED)
    if ('problem' in checked) throw attachReply(fail('invalid_sealed_head', `Sealed head refused: ${checked.problem}`), reply)
    const { headers, query } = checked.head
    if (query !== undefined && header.htu.includes('?')) throw attachReply(fail('invalid_sealed_head', 'The query is both on the request line and sealed'), reply)
    const clear = options.hasClearHeader
    if (clear !== undefined && headers.some(([name]) => clear(name))) throw attachReply(fail('invalid_sealed_head', 'A header field is both sealed and sent in clear'), reply)
    head = { headers, query, target: query === undefined ? header.htu : `${header.htu}?${query}` }
  } else if (header.shd !== 1 && (plaintext.hdr !== undefined || plaintext.qry !== undefined)) {
    // A head the header does not announce: whoever sealed it did not mark it critical either.
    throw attachReply(fail('invalid_sealed_head', 'The plaintext carries a sealed head the protected header does not announce (shd)'), reply)
  }

  // 10. Replay, atomically; fail closed when the store cannot answer.
  let fresh: boolean
  try {
    const expiresAt = replayExpiresAt(header.iat, options.maxAgeSeconds ?? DEFAULT_MAX_AGE_SECONDS, options.replayMarginSeconds ?? DEFAULT_REPLAY_MARGIN_SECONDS)
    fresh = await options.replayStore.checkAndSet(header.jti, expiresAt)
  } catch (cause) {
    throw attachReply(fail('replay_guard_unavailable', undefined, cause), reply)
  }
  if (!fresh) throw attachReply(fail('replayed_request'), reply)

  // 11. Payload: bounded nesting, then the route schema. Issues carry paths and
  // messages, never the submitted values.
  let body: unknown = plaintext.body
  if (tooDeep) {
    throw attachReply(new SealwireError('invalid_payload', { issues: [{ path: [], message: `nested deeper than ${maxDepth} levels` }] }), reply)
  }
  if (options.schema !== undefined) {
    const checked = await validateBody(options.schema, body)
    if (!checked.ok) throw attachReply(checked.error, reply)
    body = checked.value
  }

  const { iat, jti, htm, htu, hto } = header
  const claims: RequestClaims = { kid: keyed.kid, crv: keyed.crv, iat, jti, htm, htu }
  if (hto !== undefined) claims.hto = hto
  if (keyed.sid !== undefined) claims.sid = keyed.sid
  const opened: OpenedRequest<InferOutput<S>> = { body: body as InferOutput<S>, claims, reply }
  if (head !== undefined) opened.head = head
  if (plaintext.bsn !== undefined) opened.bodyStream = platform.decodeBase64url(plaintext.bsn).slice()
  // A session offer, taken up only on a v1 request: within a session there is nothing to agree.
  if (header.ses === 1 && keyed.sid === undefined && plaintext.cpk !== undefined) {
    const cpk = publicKeyMembers(plaintext.cpk)
    if (cpk?.crv === keyed.crv) opened.sessionOffer = { cpk }
  }
  return opened
}
