import { calculateJwkThumbprint, exportJWK, generateKeyPair as joseGenerateKeyPair, type JWK } from 'jose'
import * as z from 'zod/mini'
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

const coord = z.string().check(z.refine((s) => isBase64url(s) && base64urlByteLength(s) === 32, 'must be 32 base64url bytes'))

const publicMembers = z.union([
  z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: coord, y: coord }),
  z.object({ kty: z.literal('OKP'), crv: z.literal('X25519'), x: coord }),
])
const optionalMeta = z.object({
  kid: z.optional(z.string()),
  use: z.optional(z.literal('enc')),
  alg: z.optional(z.literal(KEY_MANAGEMENT_ALG)),
})
const publicJwkInput = z.intersection(publicMembers, optionalMeta)
const privateJwkInput = z.intersection(publicJwkInput, z.object({ d: coord }))

/** RFC 7638 §3 SHA-256 thumbprint, base64url: the `kid` of every Sealwire key. */
export function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256')
}

async function normalize<T extends PublicJwk>(input: unknown, schema: z.ZodMiniType, what: string): Promise<T> {
  const parsed = schema.safeParse(input)
  if (!parsed.success) throw new TypeError(`${what} is not a Sealwire P-256 or X25519 key: ${parsed.error.issues.map((i) => [i.path.join('.'), i.message].filter(Boolean).join(' ')).join('; ')}`)
  const jwk = parsed.data as Record<string, string>
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
  return normalize<PrivateJwk>(input, privateJwkInput, 'private JWK')
}

/** Validates a public JWK (private members are ignored) and normalizes it. */
export function importPublicJwk(input: unknown): Promise<PublicJwk> {
  const { d: _d, ...pub } = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>
  return normalize<PublicJwk>(typeof input === 'object' && input !== null ? pub : input, publicJwkInput, 'public JWK')
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
