import { platform } from '#platform'
import type { EphemeralPublicJwk } from '../crypto/backend.js'
import { utf8 } from '../encoding.js'
import { thumbprint } from '../keys/jwk.js'
import { SESSION_REQUEST_INFO, SESSION_SECRET_INFO } from './session-constants.js'

/** What the session secret is bound to (docs/PROTOCOL.md §11). */
export interface SessionBinding {
  /** The `jti` of the establishing request: the HKDF salt. */
  jti: string
  /** The server key the establishing request was sealed to. */
  kid: string
  /** The `hto` of the establishing request, or "" when it carried none. */
  origin: string
  /** The client's ephemeral public key. */
  cpk: EphemeralPublicJwk
  /** The server's ephemeral public key. */
  spk: EphemeralPublicJwk
}

/**
 * S = HKDF-SHA256(Z, salt = jti, info = label ‖ 0 ‖ kid ‖ 0 ‖ origin ‖ 0 ‖
 * thumbprint(cpk) ‖ 0 ‖ thumbprint(spk)), 32 bytes (RFC 5869). Binding both
 * public keys (RFC 7638 thumbprints) and the server key into S means a man in
 * the middle who swaps either ephemeral key gets a different S on each side.
 */
export async function deriveSessionSecret(z: Uint8Array, binding: SessionBinding): Promise<Uint8Array> {
  const [cpk, spk] = await Promise.all([thumbprint(binding.cpk), thumbprint(binding.spk)])
  // 0x00-separated: U+0000 is the one byte 0x00 in UTF-8. The kid and the thumbprints (base64url) never
  // hold it, so the fields read back one way only, whatever the origin holds.
  const info = utf8([SESSION_SECRET_INFO, binding.kid, binding.origin, cpk, spk].join('\u0000'))
  return platform.hkdf(z, utf8(binding.jti), info, 32)
}

const REQUEST_INFO = utf8(SESSION_REQUEST_INFO)

/**
 * The A256GCM key of one request within a session: HKDF-SHA256(S, salt = jti,
 * info = "sealwire-session-request-v1"), 32 bytes. A new key per request (the
 * jti is unique), so each key seals exactly one message. S is the same for
 * every request of the session: the platform may keep its imported form.
 */
export function deriveSessionRequestKey(secret: Uint8Array, jti: string): Promise<Uint8Array> {
  // The platform refuses an erased S: HKDF of its zeros is a key anyone can compute.
  return platform.hkdfUnderSecret(secret, utf8(jti), REQUEST_INFO, 32)
}
