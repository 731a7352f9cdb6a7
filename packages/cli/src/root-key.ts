import { MAX_SIGNED_JWKS_LIFETIME_SECONDS, ROOT_SIGNING_ALG, SIGNED_JWKS_TYP, importPublicJwk, systemClock, type Clock, type JwkSet } from '@sealwire/core'
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose'

/**
 * Signing side of signed key sets (docs/PROTOCOL.md §2.1), for the CLI's
 * `keys root` and `keys sign`; clients verify in @sealwire/client. Signed key sets: the server's public JWK Set as a JWT
 * signed by an offline root key (ES256), with an expiry. A client that pins the
 * root — its public JWK or its RFC 7638 thumbprint — accepts only a set that
 * root signed and that has not expired, so whoever sits between it and the
 * server (a TLS-terminating proxy included) cannot hand it a key of his own,
 * while the server's encryption keys still rotate without a client release:
 * the operator signs each new set with the root.
 *
 * The root's public JWK travels in the JWS header (`jwk`, RFC 7515 §4.1.3), so
 * a client can pin only the thumbprint; it is trusted only once its thumbprint
 * equals the pinned one.
 */

/** The longest a signed set may be valid: one year. Re-signing is cheap; a leaked old set should die. */
export const MAX_SIGNED_KEY_SET_SECONDS = MAX_SIGNED_JWKS_LIFETIME_SECONDS

/** A root signing key pair; the private half stays offline. */
export interface RootKeyPair {
  privateJwk: JWK
  publicJwk: JWK
  /** RFC 7638 SHA-256 thumbprint of the public key: what clients may pin. */
  thumbprint: string
}

/** The public members of a root key; `TypeError` for anything but EC P-256. */
export const rootPublicMembers = (jwk: JWK): JWK => {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TypeError('a Sealwire root key is an EC P-256 JWK (ES256)')
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
}

/**
 * Generates a root signing key (ES256). Keep the private JWK offline; give
 * clients the public JWK or the thumbprint.
 *
 * @example
 * const root = await generateRootKey()
 * // clients: createClient({ baseUrl, jwksRoot: root.thumbprint })
 */
export async function generateRootKey(): Promise<RootKeyPair> {
  const { privateKey } = await generateKeyPair(ROOT_SIGNING_ALG, { extractable: true })
  const full = await exportJWK(privateKey)
  const publicJwk = rootPublicMembers(full)
  const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256')
  return { privateJwk: { ...publicJwk, d: full.d!, kid: thumbprint, alg: ROOT_SIGNING_ALG, use: 'sig' }, publicJwk: { ...publicJwk, kid: thumbprint, alg: ROOT_SIGNING_ALG, use: 'sig' }, thumbprint }
}

/** The RFC 7638 thumbprint of a root key (public or private JWK). */
export function rootThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(rootPublicMembers(jwk), 'sha256')
}

export interface SignKeySetOptions {
  /** Seconds from now until the set expires (at most one year). */
  expiresInSeconds: number
  clock?: Clock
}

/**
 * Signs a server's public key set with the root's private key: a JWT
 * `{keys, iat, exp}` with header `{alg: ES256, typ: sealwire-jwks+jwt, jwk, kid}`.
 * Private members of the keys given are dropped; every key is validated as a
 * Sealwire key (`kid` = thumbprint).
 *
 * @example
 * const jwt = await signKeySet(ring.publicJwks(), rootPrivateJwk, { expiresInSeconds: 30 * 86400 })
 */
export async function signKeySet(keySet: JwkSet<unknown> | readonly unknown[], rootPrivateJwk: JWK, options: SignKeySetOptions): Promise<string> {
  const list = Array.isArray(keySet) ? keySet : (keySet as JwkSet<unknown>).keys
  if (!Array.isArray(list) || list.length === 0) throw new TypeError('signKeySet: the key set holds no keys')
  if (!Number.isInteger(options.expiresInSeconds) || options.expiresInSeconds < 1 || options.expiresInSeconds > MAX_SIGNED_KEY_SET_SECONDS) {
    throw new RangeError(`signKeySet: expiresInSeconds must be an integer from 1 to ${MAX_SIGNED_KEY_SET_SECONDS}`)
  }
  if (typeof rootPrivateJwk.d !== 'string') throw new TypeError('signKeySet: the root key must be a private JWK')
  const keys = await Promise.all(list.map((k) => importPublicJwk(k)))
  const publicRoot = rootPublicMembers(rootPrivateJwk)
  const kid = await calculateJwkThumbprint(publicRoot, 'sha256')
  const signingKey = await importJWK({ ...publicRoot, d: rootPrivateJwk.d }, ROOT_SIGNING_ALG)
  const iat = Math.floor((options.clock ?? systemClock)() / 1000)
  return new SignJWT({ keys })
    .setProtectedHeader({ alg: ROOT_SIGNING_ALG, typ: SIGNED_JWKS_TYP, kid, jwk: publicRoot })
    .setIssuedAt(iat)
    .setExpirationTime(iat + options.expiresInSeconds)
    .sign(signingKey)
}

