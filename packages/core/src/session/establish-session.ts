import { normalizeOrigin } from '../protocol/origin.js'
import type { CryptoBackend, EphemeralPublicJwk } from '../crypto/backend.js'
import { joseBackend } from '../crypto/jose-backend.js'
import { b64u } from '../encoding.js'
import type { Curve } from '../keys/jwk.js'
import { systemRandom, type RandomSource } from '../runtime.js'
import { SESSION_ID_BYTES } from './session-constants.js'
import { deriveSessionSecret } from './session-kdf.js'
import type { SessionStore } from './session-store.js'

/** The session a sealed answer announces in its protected header (`ses`, docs/PROTOCOL.md §11). */
export interface SessionAnnouncement {
  readonly sid: string
  /** The server's ephemeral public key. */
  readonly spk: EphemeralPublicJwk
  /** Expiry, seconds since the epoch. */
  readonly exp: number
}

export interface EstablishSessionOptions {
  /** The backend of the server's key ring: it runs the one key agreement. */
  backend: CryptoBackend
  store: SessionStore
  /** The establishing request's key, curve, `jti` and `hto` ("" when absent). */
  kid: string
  crv: Curve
  jti: string
  origin: string
  /** The client's ephemeral public key, on `crv` (checked by the caller's schema, validated by the agreement). */
  cpk: EphemeralPublicJwk
  /** Expiry, seconds since the epoch. */
  exp: number
  random?: RandomSource
}

/**
 * The server half of establishment: a fresh key pair (ssk, spk), Z = ECDH(ssk,
 * cpk), S derived and stored under a fresh `sid`, ssk dropped on return.
 * Resolves undefined when no session can be made (a cpk that is no valid
 * point, a store that refuses): the request is answered as plain v1, and its
 * client keeps one key agreement per request.
 */
export async function establishSession(options: EstablishSessionOptions): Promise<SessionAnnouncement | undefined> {
  // The origin is stored with the session (and bound into S): only a normalized origin, so a
  // client cannot make the store hold kilobytes of `hto` per session where `origins` is not checked.
  if (options.origin !== '' && normalizeOrigin(options.origin) !== options.origin) return undefined
  // Backends that predate sessions lack the two operations: WebCrypto does them.
  const backend = options.backend.generateEphemeral !== undefined && options.backend.agree !== undefined ? options.backend : joseBackend
  let z: Uint8Array | undefined
  try {
    const { privateKey, publicJwk: spk } = await backend.generateEphemeral!(options.crv)
    z = await backend.agree!(privateKey, options.cpk)
    const secret = await deriveSessionSecret(z, { jti: options.jti, kid: options.kid, origin: options.origin, cpk: options.cpk, spk })
    const sid = b64u((options.random ?? systemRandom)(SESSION_ID_BYTES))
    await options.store.set(sid, { secret, kid: options.kid, crv: options.crv, origin: options.origin, exp: options.exp })
    return { sid, spk, exp: options.exp }
  } catch {
    return undefined
  } finally {
    z?.fill(0)
  }
}
