import { CONTENT_ENCRYPTION_ALG, KEY_MANAGEMENT_ALG, RESPONSE_KEY_MANAGEMENT_ALG } from '../constants.js'
import type { InferOutput, StandardSchemaV1 } from '../standard-schema.js'
import { requestHeaderSchema, type RequestHeader } from '../schemas.js'
import { openSessionRequest } from '../session/open-session-request.js'
import { SESSION_ID_PARAM } from '../session/session-constants.js'
import { decodeProtectedHeader } from './compact.js'
import { assertFresh, fail, finishOpen, parseWithSchema, type OpenRequestOptions, type OpenedRequest } from './open-steps.js'
import { plainRequestHeader } from './request-header.js'
import { isSealedHeadCrit } from './sealed-head.js'

export type { OpenRequestOptions, OpenedRequest, RequestClaims } from './open-steps.js'

/**
 * Opens a sealed request, running the server checks of wire protocol v1 in
 * order (docs/PROTOCOL.md §5, steps 4–11): cheap structural checks before any
 * key agreement, one code for every cryptographic failure, the jti consumed
 * only once everything before it has passed.
 *
 * Throws `SealwireError`. Errors after decryption carry a reply context
 * (`replyContextOf`) so that they can be answered encrypted.
 *
 * @example
 * const { body, claims, reply } = await openRequest(envelope, { keyRing, replayStore, request: { method: 'POST', target: '/api/echo' } })
 */
export async function openRequest<S extends StandardSchemaV1 = StandardSchemaV1<unknown>>(
  envelope: string,
  options: OpenRequestOptions<S>,
): Promise<OpenedRequest<InferOutput<S>>> {
  // 4–5. Structure, then the allow-list before the schema: a foreign alg/enc/zip/crit
  // is named as such even where the schema would also reject it.
  const raw = decodeProtectedHeader(envelope)
  // A request within a session (§11): `dir` under a key from the session secret, no key agreement.
  if (raw.alg === RESPONSE_KEY_MANAGEMENT_ALG && Object.hasOwn(raw, SESSION_ID_PARAM)) return openSessionRequest(envelope, raw, options)
  // `crit` names extensions the server must understand or refuse (RFC 7515 §4.1.11): the sealed head is the one.
  // (`dir` without a `sid` is a response's algorithm, or another library's: not a request.)
  if (raw.alg !== KEY_MANAGEMENT_ALG || raw.enc !== CONTENT_ENCRYPTION_ALG || 'zip' in raw || ('crit' in raw && !isSealedHeadCrit(raw))) {
    throw fail('unsupported_algorithm', 'Only ECDH-ES with A256GCM, without zip, and no crit but ["shd"], is accepted')
  }
  const header: RequestHeader = plainRequestHeader(raw) ?? parseWithSchema(requestHeaderSchema, raw, 'Protected header does not match sealwire-req+jwe')

  // 6. Key lookup: the client refetches the JWK Set on this code.
  const key = options.keyRing.get(header.kid)
  if (key === undefined) throw fail('unknown_key')

  // 7. Freshness, before the costly key agreement.
  assertFresh(header.iat, options)

  // 8. Decrypt: authenticates the header too (it is the AAD, RFC 7516 §5.2 step 14).
  // One code for every failure, so the error is no oracle on keys or points.
  let plaintextBytes: Uint8Array
  try {
    plaintextBytes = await options.keyRing.backend.openWithPrivateKey(envelope, key.handle, raw)
  } catch (cause) {
    throw fail('decryption_failed', undefined, cause)
  }
  // Awaited, not returned: an async function returning a promise resolves through two extra microtasks.
  return await finishOpen(plaintextBytes, header, { kid: header.kid, crv: key.crv }, options)
}
