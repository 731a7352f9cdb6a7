import type { JWK } from 'jose'
// Subpaths of jose, as everywhere in the client: this module is loaded lazily, and
// nothing eager may reach jose's JWT verification (see compact-jwe.ts).
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { calculateJwkThumbprint } from 'jose/jwk/thumbprint'
import { importJWK } from 'jose/key/import'
import { jwtVerify } from 'jose/jwt/verify'

/**
 * Verification of a signed key set (docs/PROTOCOL.md §2.1), loaded on demand
 * (`import()` from key-source.ts) by a client configured with `jwksRoot`, so
 * that the eager browser bundle does not carry jose's JWS verification.
 *
 * It imports nothing from @sealwire/core: whatever a lazy chunk shares with the
 * eager bundle moves into a shared chunk that loads eagerly, so the caller
 * (key-source.ts) wraps its refusals and validates the keys.
 *
 * The root's public JWK travels in the JWS header (`jwk`, RFC 7515 §4.1.3), so
 * a client may pin only its thumbprint; the embedded key is trusted only once
 * its RFC 7638 thumbprint equals the pinned one.
 */

/** Constants of docs/PROTOCOL.md §2.1, core's by the same names (a test checks they agree). */
export const ROOT_SIGNING_ALG = 'ES256'
export const SIGNED_JWKS_TYP = 'sealwire-jwks+jwt'
export const MAX_SIGNED_JWKS_LIFETIME_SECONDS = 366 * 86_400
export const SIGNED_JWKS_IAT_LEEWAY_SECONDS = 60

/** A refusal of a signed key set: its message says why (the client raises it as `key_discovery_failed`). */
export class SignedKeySetRefused extends Error {
  override readonly name = 'SignedKeySetRefused'
  /** Refused only for not being newer than a set this client accepted (genuine otherwise). */
  rollback = false
}

/** A verified signed key set. */
export interface VerifiedKeySet {
  /** The keys as signed, unvalidated: the caller imports the ones it can use. */
  keys: unknown[]
  /** Seconds since the epoch. */
  iat: number
  /** Seconds since the epoch: the set is refused from then on. */
  exp: number
  /** Thumbprint of the root that signed it. */
  root: string
}

const rootPublicMembers = (jwk: JWK): JWK => {
  if (jwk?.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new TypeError('a Sealwire root key is an EC P-256 JWK (ES256)')
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }
}
const rootThumbprint = (jwk: JWK): Promise<string> => calculateJwkThumbprint(rootPublicMembers(jwk), 'sha256')

export interface VerifyKeySetOptions {
  /** The pinned root: its public JWK, or its RFC 7638 thumbprint. */
  root: JWK | string
  /** Now, in ms since the epoch. */
  now: number
  /**
   * The newest set already accepted from this root: an older one is refused,
   * so a man in the middle cannot roll a client back to a set it has seen
   * superseded (one listing a key since found leaked); so is another set with
   * the same `iat` (the same set fetched again is fine).
   */
  newest?: Pick<VerifiedKeySet, 'iat' | 'keys'> | undefined
}

/** JWK members that make a key private (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv']

const refused = (detail: string, cause?: unknown) => new SignedKeySetRefused(detail, cause === undefined ? undefined : { cause })

/**
 * Verifies a signed key set against the pinned root and returns its keys.
 * Throws `SignedKeySetRefused` naming the reason: not a signed set, signed by
 * another root, a private root key in the header, a `kid` that is not the
 * root's thumbprint, a bad signature, expired (or not yet valid), older than
 * `newest` (or as old and different), no keys.
 *
 * @example
 * const { keys } = await verifyKeySet(await (await fetch(url)).text(), { root: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs', now: Date.now() })
 */
export async function verifyKeySet(jwt: string, options: VerifyKeySetOptions): Promise<VerifiedKeySet> {
  let expected: string
  try {
    expected = typeof options.root === 'string' ? options.root : await rootThumbprint(options.root)
  } catch (cause) {
    throw new TypeError('jwksRoot must be an EC P-256 public JWK or its RFC 7638 thumbprint', { cause })
  }
  let header: ReturnType<typeof decodeProtectedHeader>
  try {
    header = decodeProtectedHeader(jwt)
  } catch (cause) {
    throw refused('The signed JWK Set is not a JWS', cause)
  }
  const embedded = header.jwk
  if (typeof embedded === 'object' && embedded !== null && PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(embedded, m))) {
    // Whoever made this set held the root's private key and published it: anyone may now sign sets.
    throw refused('The signed JWK Set carries a private key in its header (jwk): the root key has leaked. Generate a new root (sealwire keys root), pin it in every client, and re-sign the key set')
  }
  let thumbprint: string
  try {
    thumbprint = await rootThumbprint(embedded as JWK)
  } catch (cause) {
    throw refused('The signed JWK Set carries no ES256 root key', cause)
  }
  // Trust the embedded key only as the pinned one: a proxy's own signed set names its own root.
  if (thumbprint !== expected) throw refused(`The signed JWK Set is signed by root ${thumbprint}, not by the pinned root ${expected}`)
  // The header names the root twice (§2.1); a `kid` naming another key is not a set our signer made.
  if (header.kid !== thumbprint) throw refused('The signed JWK Set header kid is not the thumbprint of its jwk: re-sign the set with sealwire keys sign')
  const now = options.now
  let payload: Record<string, unknown>
  try {
    const key = await importJWK(rootPublicMembers(embedded as JWK), ROOT_SIGNING_ALG)
    payload = (
      await jwtVerify(jwt, key, {
        algorithms: [ROOT_SIGNING_ALG],
        typ: SIGNED_JWKS_TYP,
        requiredClaims: ['iat', 'exp'],
        currentDate: new Date(now),
        // Clocks differ a little; a day-long validity does not care about a minute.
        clockTolerance: 60,
      })
    ).payload
  } catch (cause) {
    const code = (cause as { code?: string }).code
    const detail =
      code === 'ERR_JWT_EXPIRED'
        ? 'The signed JWK Set has expired: the server must serve a set re-signed with the root key'
        : code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
          ? 'The signed JWK Set signature does not verify with the pinned root key'
          : 'The signed JWK Set is not a valid sealwire-jwks+jwt'
    throw refused(detail, cause)
  }
  // PROTOCOL §2.1's limits, checked here too: jose accepts an iat in the future
  // and any lifetime, and a set dated years ahead would outlive every rotation.
  const iat = payload.iat as number
  const exp = payload.exp as number
  if (iat * 1000 > now + SIGNED_JWKS_IAT_LEEWAY_SECONDS * 1000) throw refused('The signed JWK Set is dated in the future (iat)')
  if (exp - iat > MAX_SIGNED_JWKS_LIFETIME_SECONDS) throw refused('The signed JWK Set is valid for more than 366 days (exp - iat)')
  if (!Array.isArray(payload.keys) || payload.keys.length === 0) throw refused('The signed JWK Set has no "keys"')
  const newest = options.newest
  if (newest !== undefined && (iat < newest.iat || (iat === newest.iat && JSON.stringify(payload.keys) !== JSON.stringify(newest.keys)))) {
    const error = refused(
      iat < newest.iat
        ? `The signed JWK Set is older (iat ${iat}) than one this client already accepted (iat ${newest.iat}): a rollback is refused`
        : `The signed JWK Set lists other keys than the one this client already accepted with the same iat (${iat}): it is refused; sign each new set with a later iat`,
    )
    error.rollback = true
    throw error
  }
  return { keys: payload.keys, iat: payload.iat as number, exp: payload.exp as number, root: thumbprint }
}

