import type { CryptoBackend, EphemeralPublicJwk } from '../crypto/backend.js'
import type { RecipientKey } from '../keys/recipient-key.js'
import { isB64uOfBytes } from '../protocol/response-header.js'
import { publicKeyMembers } from '../protocol/request-header.js'
import { MAX_SESSION_TTL_SECONDS, SESSION_ID_BYTES } from './session-constants.js'
import { deriveSessionSecret } from './session-kdf.js'

/**
 * A client's offer of a session (docs/PROTOCOL.md §11): its ephemeral public
 * key `cpk`, sealed in the plaintext of one request. The private half stays in
 * the backend's handle, in memory, until the answer arrives.
 */
export interface SessionOffer {
  readonly cpk: EphemeralPublicJwk
  readonly kid: string
  readonly backend: CryptoBackend
  /** @internal */ readonly privateKey: unknown
}

/** A session a client holds: seal requests with it (`sealRequest({ session })`) until a few seconds before `exp`. */
export interface ClientSession {
  readonly sid: string
  /** S, 32 bytes. Secret: memory only. */
  readonly secret: Uint8Array
  readonly kid: string
  /** The origin it is bound to (the establishing request's `hto`, "" when none). */
  readonly origin: string
  /** Expiry, seconds since the epoch, as the server announced it. */
  readonly exp: number
}

/**
 * A fresh offer for a request sealed to `recipient`, on its curve; undefined
 * when the recipient's backend cannot make ephemeral keys.
 *
 * @example
 * const offer = await offerSession(recipient)
 * const sealed = await sealRequest({ recipient, request, body, offer })
 */
export async function offerSession(recipient: RecipientKey): Promise<SessionOffer | undefined> {
  const { backend } = recipient
  if (backend.generateEphemeral === undefined || backend.agree === undefined) return undefined
  const { privateKey, publicJwk } = await backend.generateEphemeral(recipient.crv)
  return { cpk: publicJwk, kid: recipient.kid, backend, privateKey }
}

/**
 * Accepts the session a sealed answer announced (its protected header's `ses`,
 * authenticated by that answer's decryption): Z = ECDH(csk, spk), S derived
 * as the server did. Undefined when the announcement is not a well-formed
 * session for this offer (then the client just goes on without one).
 * `nowSeconds` bounds `exp`: no session is kept longer than the protocol allows.
 */
export async function acceptSession(
  offer: SessionOffer,
  announced: unknown,
  context: { jti: string; origin: string; nowSeconds: number },
): Promise<ClientSession | undefined> {
  if (typeof announced !== 'object' || announced === null || Array.isArray(announced)) return undefined
  const { sid, spk: rawSpk, exp } = announced as Record<string, unknown>
  if (typeof sid !== 'string' || !isB64uOfBytes(sid, SESSION_ID_BYTES, 64)) return undefined
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp <= context.nowSeconds || exp > context.nowSeconds + MAX_SESSION_TTL_SECONDS + 60) return undefined
  const spk = publicKeyMembers(rawSpk)
  if (spk === undefined || spk.crv !== offer.cpk.crv) return undefined
  let z: Uint8Array | undefined
  try {
    z = await offer.backend.agree!(offer.privateKey, spk)
    const secret = await deriveSessionSecret(z, { jti: context.jti, kid: offer.kid, origin: context.origin, cpk: offer.cpk, spk })
    return { sid, secret, kid: offer.kid, origin: context.origin, exp }
  } catch {
    return undefined
  } finally {
    z?.fill(0)
  }
}
