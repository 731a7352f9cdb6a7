// jose by subpath, not its index: the index re-exports every jose module, which would pull the
// lazily loaded signed-key-set verification (jwtVerify) into the eager browser bundle.
import type { JWK } from 'jose'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { exportJWK } from 'jose/key/export'
import { generateKeyPair as joseGenerateKeyPair } from 'jose/key/generate/keypair'
import { KEY_MANAGEMENT_ALG } from '../constants.js'
import { base64urlByteLength, isBase64url } from '../encoding.js'

/** The curves of wire protocol v1: P-256 always, X25519 optional (RFC 8037). */
export const CURVES = ['P-256', 'X25519'] as const
export type Curve = (typeof CURVES)[number]

/** A public key as Sealwire advertises it: `kid` is its RFC 7638 thumbprint. */
export interface PublicJwk {
  kty: 'EC' | 'OKP'
  crv: Curve
  x: string
  y?: string
  kid: string
  use: 'enc'
  alg: 'ECDH-ES'
}

/** A private key: the public members plus `d`. */
export interface PrivateJwk extends PublicJwk {
  d: string
}

export interface JwkSet<K = PublicJwk> {
  keys: K[]
}

const isCoord = (v: unknown): boolean => typeof v === 'string' && isBase64url(v) && base64urlByteLength(v) === 32

/**
 * The problems of a JWK input, as "member message": a P-256 (EC, x, y) or
 * X25519 (OKP, x) key with 32-byte coordinates, optional `kid`, `use` "enc",
 * `alg` ECDH-ES, and `d` when `withD`. Written without zod: the browser client
 * checks pinned and downloaded keys with it, and zod would be a third of its
 * eager bundle.
 */
function jwkProblems(input: unknown, withD: boolean): string[] {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return ['must be a JSON object']
  const jwk = input as Record<string, unknown>
  const problems: string[] = []
  const coord = (name: string): void => {
    if (!isCoord(jwk[name])) problems.push(`${name} must be 32 base64url bytes`)
  }
  if (jwk.kty === 'EC') {
    if (jwk.crv !== 'P-256') problems.push('crv must be "P-256" for kty "EC"')
    coord('x')
    coord('y')
  } else if (jwk.kty === 'OKP') {
    if (jwk.crv !== 'X25519') problems.push('crv must be "X25519" for kty "OKP"')
    coord('x')
  } else {
    problems.push('kty must be "EC" (P-256) or "OKP" (X25519)')
  }
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') problems.push('kid must be a string')
  if (jwk.use !== undefined && jwk.use !== 'enc') problems.push('use must be "enc"')
  if (jwk.alg !== undefined && jwk.alg !== KEY_MANAGEMENT_ALG) problems.push(`alg must be "${KEY_MANAGEMENT_ALG}"`)
  if (withD) coord('d')
  return problems
}

/** RFC 7638 §3 SHA-256 thumbprint, base64url: the `kid` of every Sealwire key. */
export function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}

async function normalize<T extends PublicJwk>(input: unknown, withD: boolean, what: string): Promise<T> {
  const problems = jwkProblems(input, withD)
  if (problems.length > 0) throw new TypeError(`${what} is not a Sealwire P-256 or X25519 key: ${problems.join('; ')}`)
  const source = input as Record<string, string>
  // Only the members checked above: an attacker's extra members never travel on.
  const jwk: Record<string, string> = { kty: source.kty!, crv: source.crv!, x: source.x! }
  if (source.y !== undefined && source.kty === 'EC') jwk.y = source.y
  if (withD) jwk.d = source.d!
  if (source.kid !== undefined) jwk.kid = source.kid
  const kid = await thumbprint(jwk)
  // A kid that is not the thumbprint means two keys got mixed up somewhere: refuse it loudly.
  if (jwk.kid !== undefined && jwk.kid !== kid) throw new TypeError(`${what} has kid "${jwk.kid}", but its RFC 7638 thumbprint is "${kid}"`)
  const out: Record<string, string> = { kty: jwk.kty!, crv: jwk.crv!, x: jwk.x! }
  if (jwk.y !== undefined) out.y = jwk.y
  if (jwk.d !== undefined) out.d = jwk.d
  return { ...out, kid, use: 'enc', alg: KEY_MANAGEMENT_ALG } as unknown as T
}

/**
 * Validates a private JWK and returns it normalized (only the members Sealwire
 * uses, `kid` = thumbprint). Throws `TypeError` on anything else: caller misuse.
 */
export function importPrivateJwk(input: unknown): Promise<PrivateJwk> {
  return normalize<PrivateJwk>(input, true, 'private JWK')
}

/** Validates a public JWK (private members are ignored) and normalizes it. */
export function importPublicJwk(input: unknown): Promise<PublicJwk> {
  const { d: _d, ...pub } = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  return normalize<PublicJwk>(typeof input === 'object' && input !== null ? pub : input, false, 'public JWK')
}

/** The public half of a private JWK. */
export function toPublicJwk(jwk: PrivateJwk): PublicJwk {
  const { d: _d, ...pub } = jwk
  return pub
}

/**
 * Generates a key pair for Sealwire.
 *
 * @example
 * const { privateJwk, publicJwk } = await generateKeyPair('X25519')
 */
export async function generateKeyPair(curve: Curve = 'P-256'): Promise<{ privateJwk: PrivateJwk; publicJwk: PublicJwk }> {
  if (!CURVES.includes(curve)) throw new TypeError(`curve must be one of ${CURVES.join(', ')}`)
  const { privateKey } = await joseGenerateKeyPair(KEY_MANAGEMENT_ALG, { crv: curve, extractable: true })
  const privateJwk = await importPrivateJwk(await exportJWK(privateKey))
  return { privateJwk, publicJwk: toPublicJwk(privateJwk) }
}
