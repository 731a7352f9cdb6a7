import { ecdh, weierstrass } from '@noble/curves/abstract/weierstrass.js'
import { x25519 } from '@noble/curves/ed25519.js'
import * as base64url from 'jose/base64url'
import type { Curve } from '@sealwire/core'

/** The public members of an `epk` or recipient JWK, in the order jose writes them. */
export interface EcPublicMembers {
  x: string
  crv: Curve
  kty: 'EC' | 'OKP'
  y?: string
}

/** One curve of the v1 profile, as the pure-JS backend sees it. */
export interface EcdhCurve {
  readonly crv: Curve
  /**
   * Decodes and validates a public key. P-256 points must lie on the curve
   * (SEC 1 §3.2.2.1): an off-curve point is the invalid-curve attack, which
   * leaks the static private key a few bits per query. X25519 low-order points
   * are refused at agreement time (`sharedSecret`).
   */
  publicKey(jwk: Record<string, unknown>): Uint8Array
  /** The public members of a private scalar, to check a private JWK is consistent. */
  publicMembers(secret: Uint8Array): EcPublicMembers
  /** A fresh ephemeral key pair. */
  ephemeral(): { secret: Uint8Array; epk: EcPublicMembers }
  /** The ECDH shared secret Z of RFC 7518 §4.6.2: the x-coordinate (P-256) or the u-coordinate (X25519). */
  sharedSecret(secret: Uint8Array, publicKey: Uint8Array): Uint8Array
}

/**
 * NIST P-256 (FIPS 186-4 §D.1.2.3, SEC 2 secp256r1) with ECDH only. noble's
 * `p256` export carries ECDSA too (signatures, DER, RFC 6979), a third more
 * bytes we never run; `ecdh()` over the same curve parameters is the
 * key-agreement half. The parameters are checked against noble's own `p256`
 * in ecdh-curves.test.ts.
 */
export const P256_PARAMS = {
  p: BigInt('0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff'),
  n: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  h: BigInt(1),
  a: BigInt('0xffffffff00000001000000000000000000000000fffffffffffffffffffffffc'),
  b: BigInt('0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b'),
  Gx: BigInt('0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'),
  Gy: BigInt('0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5'),
} as const
const p256 = /* @__PURE__ */ ecdh(/* @__PURE__ */ weierstrass(P256_PARAMS))

const b64u = (bytes: Uint8Array): string => base64url.encode(bytes)

function coordinate(value: unknown, name: string): Uint8Array {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(value)) throw new TypeError(`JWK "${name}" must be 32 base64url bytes`)
  const bytes = base64url.decode(value)
  if (bytes.length !== 32) throw new TypeError(`JWK "${name}" must be 32 base64url bytes`)
  return bytes
}

const P256: EcdhCurve = {
  crv: 'P-256',
  publicKey(jwk) {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new TypeError('not a P-256 key')
    const point = new Uint8Array(65)
    point[0] = 0x04
    point.set(coordinate(jwk.x, 'x'), 1)
    point.set(coordinate(jwk.y, 'y'), 33)
    // fromBytes runs assertValidity: on the curve, not the point at infinity.
    p256.Point.fromBytes(point)
    return point
  },
  publicMembers(secret) {
    const point = p256.getPublicKey(secret, false)
    return { x: b64u(point.subarray(1, 33)), crv: 'P-256', kty: 'EC', y: b64u(point.subarray(33, 65)) }
  },
  ephemeral() {
    const secret = p256.utils.randomSecretKey()
    return { secret, epk: P256.publicMembers(secret) }
  },
  sharedSecret(secret, publicKey) {
    // Compressed form: one prefix byte, then the x-coordinate, which is Z.
    return p256.getSharedSecret(secret, publicKey, true).slice(1)
  },
}

const X25519: EcdhCurve = {
  crv: 'X25519',
  publicKey(jwk) {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'X25519') throw new TypeError('not an X25519 key')
    return coordinate(jwk.x, 'x')
  },
  publicMembers(secret) {
    return { x: b64u(x25519.getPublicKey(secret)), crv: 'X25519', kty: 'OKP' }
  },
  ephemeral() {
    const secret = x25519.utils.randomSecretKey()
    return { secret, epk: X25519.publicMembers(secret) }
  },
  sharedSecret(secret, publicKey) {
    // noble refuses the low-order points of RFC 7748 §6.1 (their shared secret
    // is all zero): a peer must not be able to force a known Z.
    return x25519.getSharedSecret(secret, publicKey)
  },
}

export function ecdhCurve(crv: unknown): EcdhCurve {
  if (crv === 'P-256') return P256
  if (crv === 'X25519') return X25519
  throw new TypeError('only P-256 and X25519 keys are supported')
}
