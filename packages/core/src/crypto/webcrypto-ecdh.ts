import { webCryptoSubtle } from '../platform/webcrypto-bytes.js'
import type { EphemeralPublicJwk } from './backend.js'

const ALGORITHM = {
  'P-256': { name: 'ECDH', namedCurve: 'P-256' } as EcKeyImportParams,
  X25519: { name: 'X25519' } as Algorithm,
}

/** A session's ephemeral key pair through WebCrypto; the private key is not extractable. */
export async function webCryptoEphemeral(crv: 'P-256' | 'X25519'): Promise<{ privateKey: CryptoKey; publicJwk: EphemeralPublicJwk }> {
  const subtle = webCryptoSubtle()
  const pair = (await subtle.generateKey(ALGORITHM[crv], false, ['deriveBits'])) as CryptoKeyPair
  const { x, y } = await subtle.exportKey('jwk', pair.publicKey)
  const publicJwk: EphemeralPublicJwk = crv === 'P-256' ? { kty: 'EC', crv, x: x!, y: y! } : { kty: 'OKP', crv, x: x! }
  return { privateKey: pair.privateKey, publicJwk }
}

/**
 * Z with a peer's public JWK. WebCrypto refuses a P-256 point off the curve
 * at import (SEC 1 §3.2.2.1); an all-zero X25519 secret — a low-order peer
 * point, RFC 7748 §6.1 — is refused here, whatever the platform returned.
 */
export async function webCryptoAgree(privateKey: CryptoKey, peer: Readonly<Record<string, unknown>>): Promise<Uint8Array> {
  const crv = (privateKey.algorithm as { namedCurve?: string }).namedCurve === 'P-256' ? 'P-256' : 'X25519'
  const { kty, x, y } = peer
  if (typeof x !== 'string' || (crv === 'P-256' ? kty !== 'EC' || peer.crv !== 'P-256' || typeof y !== 'string' : kty !== 'OKP' || peer.crv !== 'X25519')) {
    throw new Error(`peer key is not a ${crv} public key`)
  }
  const jwk: JsonWebKey = crv === 'P-256' ? { kty: 'EC', crv, x, y: y as string } : { kty: 'OKP', crv, x }
  return webCryptoSharedSecret(privateKey, await webCryptoSubtle().importKey('jwk', jwk, ALGORITHM[crv], false, []))
}

/**
 * Z of a private key with a public CryptoKey on the same curve (ECDH P-256 or
 * X25519). An all-zero Z — a low-order X25519 point, RFC 7748 §6.1 — is a key
 * anyone can compute: refused.
 */
export async function webCryptoSharedSecret(privateKey: CryptoKey, publicKey: CryptoKey): Promise<Uint8Array> {
  const z = new Uint8Array(await webCryptoSubtle().deriveBits({ name: publicKey.algorithm.name, public: publicKey } as EcdhKeyDeriveParams, privateKey, 256))
  if (z.every((b) => b === 0)) throw new Error('shared secret is all zero')
  return z
}
