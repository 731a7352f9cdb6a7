import { MAX_SIGNED_JWKS_LIFETIME_SECONDS, ROOT_SIGNING_ALG, SIGNED_JWKS_IAT_LEEWAY_SECONDS, SIGNED_JWKS_TYP, type KeyRing } from '@sealwire/core'
// By subpath: the engine's bundle takes only what a signed set needs.
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { compactVerify } from 'jose/jws/compact/verify'
import { decodeJwt } from 'jose/jwt/decode'
import { importJWK } from 'jose/key/import'

/** Why a signed set cannot be served; `dated`: only its dates are wrong (it was fine once, or will be after re-signing). */
export interface SignedSetProblem {
  message: string
  dated: boolean
}

/** JWK members that make a key private (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']
/** The public members of the keys Sealwire uses (RFC 7638 §3.2): the key material, compared as such. */
const KEY_MATERIAL = ['kty', 'crv', 'x', 'y'] as const

const RESIGN = 'sign the current key set again with your root key (sealwire keys sign)'

/** Printable ASCII only, 64 at most: the line goes to the operator's log. */
const printable = (value: unknown) => String(value).replace(/[^\x21-\x7e]/g, '?').slice(0, 64)

/**
 * The set's signature, checked as a pinned client checks it (docs/PROTOCOL.md
 * §2.1): ES256, `typ`, a public P-256 root in the header whose thumbprint is
 * the header `kid`, and a signature that verifies with it. The server cannot
 * know which root clients pin; it can know that no client would accept this.
 */
async function signatureProblem(jwt: string): Promise<string | undefined> {
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(jwt) as Record<string, unknown>
  } catch {
    return 'not a signed JWK Set (make one with `sealwire keys sign`)'
  }
  const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : undefined
  if (header.alg !== ROOT_SIGNING_ALG || typ !== SIGNED_JWKS_TYP) return `the signed set is not an ${ROOT_SIGNING_ALG} ${SIGNED_JWKS_TYP}: ${RESIGN}`
  const jwk = header.jwk as Record<string, unknown> | undefined
  if (typeof jwk !== 'object' || jwk === null || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    return `the signed set carries no EC P-256 root key in its header: ${RESIGN}`
  }
  if (PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(jwk, m))) {
    return 'the signed set carries the root PRIVATE key in its header: the root key has leaked. Generate a new root (sealwire keys root), pin it in every client, and sign the key set with it'
  }
  const root = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
  try {
    const thumbprint = await calculateJwkThumbprint(root, 'sha256')
    if (header.kid !== thumbprint) return `the signed set's header kid is not the thumbprint of its root key (${thumbprint}): ${RESIGN}`
    await compactVerify(jwt, await importJWK(root, ROOT_SIGNING_ALG), { algorithms: [ROOT_SIGNING_ALG] })
  } catch {
    return `the signed set's signature does not verify with the root key in its header: ${RESIGN}`
  }
  return undefined
}

/** The listed key's problem, when this server does not hold that very key (by `kid` and key material). */
function keyProblem(key: unknown, ring: KeyRing): string | undefined {
  const listed = (typeof key === 'object' && key !== null ? key : {}) as Record<string, unknown>
  const held = typeof listed.kid === 'string' ? ring.get(listed.kid) : undefined
  if (held === undefined) return `the signed set lists key "${printable(listed.kid)}", which this server does not hold: ${RESIGN}`
  const heldJwk = held.publicJwk as unknown as Record<string, unknown>
  // A held kid paired with other key material: clients would refuse it (kid ≠ thumbprint) or seal to a key we lack.
  if (KEY_MATERIAL.some((m) => listed[m] !== heldJwk[m])) return `the signed set lists key "${printable(listed.kid)}" with other key material than the key this server holds under that kid: ${RESIGN}`
  return undefined
}

/**
 * Why a signed JWK Set (`sealwire keys sign`, docs/PROTOCOL.md §2.1) cannot be
 * served as it is, or `undefined` when it can. Surrounding whitespace is not
 * part of it (a file ends in a newline): pass `jwt.trim()`, as the server serves.
 *
 * Clients pinned to a root accept a set only if its header and signature are
 * right, every key it lists is the server's own (else each request is
 * `unknown_key`, or sealed to a key it cannot open), and its dates are ones they
 * accept (not expired, not dated ahead, at most 366 days). The server checks
 * all of it but the root clients pin, which only they know.
 *
 * `verifiedSignature`: a set whose signature was checked already (the same text), to skip that step.
 */
export async function signedSetProblem(jwt: string, ring: KeyRing, nowMs: number, verifiedSignature?: string): Promise<SignedSetProblem | undefined> {
  const shape = (message: string): SignedSetProblem => ({ message, dated: false })
  const dated = (message: string): SignedSetProblem => ({ message, dated: true })
  let claims: Record<string, unknown>
  try {
    claims = decodeJwt(jwt)
  } catch {
    return shape('not a signed JWK Set (make one with `sealwire keys sign`)')
  }
  const { keys, exp, iat } = claims
  if (!Array.isArray(keys) || keys.length === 0) return shape('the signed set holds no keys')
  for (const key of keys) {
    const problem = keyProblem(key, ring)
    if (problem !== undefined) return shape(problem)
  }
  if (jwt !== verifiedSignature) {
    const problem = await signatureProblem(jwt)
    if (problem !== undefined) return shape(problem)
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof iat !== 'number' || !Number.isFinite(iat)) return shape('the signed set has no valid iat and exp: sign it with `sealwire keys sign`')
  if (exp * 1000 <= nowMs) return dated(`the signed set expired at ${new Date(Math.max(exp * 1000, -8.64e15)).toISOString()}: sign a new one (sealwire keys sign)`)
  // The clients' own limits (PROTOCOL §2.1): refused by them, so not served either.
  if (iat * 1000 > nowMs + SIGNED_JWKS_IAT_LEEWAY_SECONDS * 1000) return dated("the signed set is dated in the future (iat): check the signing machine's clock and sign it again")
  if (exp - iat > MAX_SIGNED_JWKS_LIFETIME_SECONDS) return shape('the signed set is valid for more than 366 days: sign it again with a shorter lifetime')
  return undefined
}
