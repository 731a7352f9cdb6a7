import { CONTENT_ENCRYPTION_ALG, JTI_BYTES, RESPONSE_KEY_MANAGEMENT_ALG, RESPONSE_TYP } from '../constants.js'
import { base64urlByteLength, isBase64url } from '../encoding.js'
import type { ResponseHeader } from '../schemas.js'

/**
 * A `typ` value naming `expected` (RFC 7515 §4.1.9): media types compare
 * case-insensitively (RFC 6838 §4.2), and a value without "/" stands for
 * "application/" plus itself. Shared by the zod schemas and the plain check below.
 */
export function typMatches(value: string, expected: string): boolean {
  const lower = value.toLowerCase()
  return (lower.includes('/') ? lower : `application/${lower}`) === `application/${expected}`
}

/** Whether `s` is unpadded base64url of `min` to `max` bytes. */
export function isB64uOfBytes(s: string, min: number, max: number): boolean {
  if (s.length > Math.ceil((max * 4) / 3) || !isBase64url(s)) return false
  const n = base64urlByteLength(s)
  return n >= min && n <= max
}

/**
 * The response protected header check (docs/PROTOCOL.md §4), the same rules as
 * `responseHeaderSchema` written without zod: the browser client opens every
 * response with it, and zod would be a third of its eager bundle
 * (a differential test holds the two equal). Returns the header built from
 * known members only, or the first problem found.
 */
export function checkResponseHeader(raw: Record<string, unknown>): { header: ResponseHeader } | { problem: string } {
  const { alg, enc, typ, jti, sts, cty } = raw
  if (alg !== RESPONSE_KEY_MANAGEMENT_ALG) return { problem: `alg: must be ${RESPONSE_KEY_MANAGEMENT_ALG}` }
  if (enc !== CONTENT_ENCRYPTION_ALG) return { problem: `enc: must be ${CONTENT_ENCRYPTION_ALG}` }
  if (typeof typ !== 'string' || typ.length > 256 || !typMatches(typ, RESPONSE_TYP)) return { problem: `typ: must be ${RESPONSE_TYP}` }
  if (typeof jti !== 'string' || !isB64uOfBytes(jti, JTI_BYTES, 64)) return { problem: `jti: must encode ${JTI_BYTES} to 64 bytes` }
  if (typeof sts !== 'number' || !Number.isSafeInteger(sts) || sts < 100 || sts > 599) return { problem: 'sts: must be an integer from 100 to 599' }
  if (typeof cty !== 'string' || cty.length < 1 || cty.length > 256) return { problem: 'cty: must be 1 to 256 characters' }
  return { header: { alg, enc, typ, jti, sts, cty } }
}
