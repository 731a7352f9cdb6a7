import type { CryptoBackend } from '../crypto/backend.js'
import { platform } from '#platform'
import { importPublicJwk, type PublicJwk } from './jwk.js'

/** A server public key a client seals to, imported once. */
export interface RecipientKey {
  readonly kid: string
  readonly crv: PublicJwk['crv']
  readonly jwk: PublicJwk
  readonly handle: unknown
  readonly backend: CryptoBackend
}

/**
 * Validates a server's public JWK and imports it for sealing.
 *
 * @example
 * const recipient = await importRecipientKey(jwks.keys[0])
 */
export async function importRecipientKey(jwk: unknown, backend: CryptoBackend = platform.backend): Promise<RecipientKey> {
  const pub = await importPublicJwk(jwk)
  return { kid: pub.kid, crv: pub.crv, jwk: pub, handle: await backend.importPublicKey(pub), backend }
}
