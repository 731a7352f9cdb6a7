import { SealwireError } from '../errors.js'
import { systemClock } from '../runtime.js'
import type { InferOutput, StandardSchemaV1 } from '../standard-schema.js'
import { assertFresh, fail, finishOpen, type OpenRequestOptions, type OpenedRequest } from '../protocol/open-steps.js'
import { sessionRequestHeader } from '../protocol/request-header.js'
import { isSealedHeadCrit } from '../protocol/sealed-head.js'
import { deriveSessionRequestKey } from './session-kdf.js'
import { isErasedSecret } from './erased-secret.js'
import type { SessionRecord } from './session-store.js'

const unknownSession = (cause?: unknown) => new SealwireError('unknown_session', cause === undefined ? {} : { cause })

/**
 * Steps 4–8 for a request sealed within a session (docs/PROTOCOL.md §11):
 * `alg` `dir`, a `sid`, no key agreement. The session is looked up before
 * anything is decrypted; a session this server cannot use — unknown, expired,
 * revoked, under a key the ring no longer holds, bound to another origin, or
 * a store that cannot answer — is `unknown_session`, on which the client
 * resends the call as plain v1 under the same `jti` and `iat`. Steps 9–11 as v1.
 */
export async function openSessionRequest<S extends StandardSchemaV1>(
  envelope: string,
  raw: Record<string, unknown>,
  options: OpenRequestOptions<S>,
): Promise<OpenedRequest<InferOutput<S>>> {
  // 5, then 4: the allow-list before the structure, as for v1.
  if (raw.enc !== 'A256GCM' || 'zip' in raw || ('crit' in raw && !isSealedHeadCrit(raw))) {
    throw fail('unsupported_algorithm', 'Only dir with A256GCM, without zip, and no crit but ["shd"], is accepted within a session')
  }
  const header = sessionRequestHeader(raw)
  if (header === undefined) throw fail('malformed_envelope', 'Protected header does not match a sealwire-req+jwe within a session')

  // 6. The session, in place of the key: a server without sessions knows none.
  const store = options.sessionStore
  if (store === undefined) throw unknownSession()
  let record: SessionRecord | undefined
  try {
    record = await store.get(header.sid)
  } catch (cause) {
    // Fail closed, and towards v1: the client resends the call with a key agreement.
    throw unknownSession(cause)
  }
  const now = (options.clock ?? systemClock)()
  // An erased S (zeros) is a session forgotten: nothing is derived from it.
  if (record === undefined || record.exp * 1000 <= now || isErasedSecret(record.secret)) throw unknownSession()
  // A key removed from the ring ends its sessions, as it ends its v1 envelopes.
  if (options.keyRing.get(record.kid) === undefined) throw unknownSession()
  // A session serves the origin it was established at (with `origins`, as `hto` does for v1).
  if (options.origins !== undefined && record.origin !== options.request.origin) throw unknownSession()

  // 7. Freshness.
  assertFresh(header.iat, options)

  // 8. Decrypt under this request's own key; one code for every failure, as for v1.
  let plaintextBytes: Uint8Array
  try {
    const { backend } = options.keyRing
    if (backend.openWithinSession !== undefined) plaintextBytes = await backend.openWithinSession(envelope, record.secret, header.jti, raw)
    else {
      const cek = await deriveSessionRequestKey(record.secret, header.jti)
      try {
        plaintextBytes = await backend.openWithSecret(envelope, cek, raw)
      } finally {
        cek.fill(0)
      }
    }
  } catch (cause) {
    throw fail('decryption_failed', undefined, cause)
  }
  return finishOpen(plaintextBytes, header, { kid: record.kid, crv: record.crv, sid: header.sid }, options)
}
