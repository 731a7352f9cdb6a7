import { MAX_SIGNED_JWKS_LIFETIME_SECONDS, SIGNED_JWKS_IAT_LEEWAY_SECONDS, type KeyRing } from '@sealwire/core'
// By subpath: the Workers bundle of the engine takes only the unverified decoder.
import { decodeJwt } from 'jose/jwt/decode'

/** Why a signed set cannot be served; `dated`: only its dates are wrong (it was fine once, or will be after re-signing). */
export interface SignedSetProblem {
  message: string
  dated: boolean
}

/**
 * Why a signed JWK Set (`sealwire keys sign`, docs/PROTOCOL.md §2.1) cannot be
 * served as it is, or `undefined` when it can: it must list only keys this
 * server holds (else clients seal to a key it cannot open: every request
 * `unknown_key`) and its dates must be ones clients accept (not expired, not
 * dated ahead, at most 366 days). The signature is not checked here: the
 * root's private key is offline and the server does not need its public half;
 * clients verify it.
 */
export function signedSetProblem(jwt: string, ring: KeyRing, nowMs: number): SignedSetProblem | undefined {
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
  for (const key of keys as Array<{ kid?: unknown } | null>) {
    const kid = key?.kid
    if (typeof kid !== 'string' || ring.get(kid) === undefined) {
      // Printable ASCII only, 64 at most: the line goes to the operator's log.
      return shape(`the signed set lists key "${String(kid).replace(/[^\x21-\x7e]/g, '?').slice(0, 64)}", which this server does not hold: sign the current set (sealwire keys sign)`)
    }
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp) || typeof iat !== 'number' || !Number.isFinite(iat)) return shape('the signed set has no valid iat and exp: sign it with `sealwire keys sign`')
  if (exp * 1000 <= nowMs) return dated(`the signed set expired at ${new Date(Math.max(exp * 1000, -8.64e15)).toISOString()}: sign a new one (sealwire keys sign)`)
  // The clients' own limits (PROTOCOL §2.1): refused by them, so not served either.
  if (iat * 1000 > nowMs + SIGNED_JWKS_IAT_LEEWAY_SECONDS * 1000) return dated("the signed set is dated in the future (iat): check the signing machine's clock and sign it again")
  if (exp - iat > MAX_SIGNED_JWKS_LIFETIME_SECONDS) return shape('the signed set is valid for more than 366 days: sign it again with a shorter lifetime')
  return undefined
}
