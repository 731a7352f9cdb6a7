// zod/mini: the same validation as classic zod, tree-shakeable, so the browser
// client does not ship zod's whole method surface and locales (~35 KB gzipped).
import * as z from 'zod/mini'
import {
  CONTENT_ENCRYPTION_ALG,
  JTI_BYTES,
  KEY_MANAGEMENT_ALG,
  ORIGIN_FORM_TARGET,
  REQUEST_TYP,
  RESPONSE_KEY_BYTES,
  RESPONSE_KEY_MANAGEMENT_ALG,
  RESPONSE_TYP,
} from './constants.js'
import { base64urlByteLength, isBase64url } from './encoding.js'

/**
 * Zod schemas of wire protocol v1 (docs/PROTOCOL.md §3–4). Schemas build new
 * objects from known members only, so an attacker's `__proto__` or `constructor`
 * member never reaches application code as anything but ignored input.
 */

const b64uBytes = (min: number, max: number) =>
  z.string().check(
    z.maxLength(Math.ceil((max * 4) / 3)),
    z.refine((s) => isBase64url(s), 'must be base64url without padding'),
    z.refine((s) => {
      const n = base64urlByteLength(s)
      return n >= min && n <= max
    }, `must encode ${min === max ? min : `${min} to ${max}`} bytes`),
  )

/** The ephemeral public key. Strict: an `epk` carrying `d` or other members is refused. */
export const epkSchema = z.union([
  z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64uBytes(32, 32), y: b64uBytes(32, 32) }),
  z.strictObject({ kty: z.literal('OKP'), crv: z.literal('X25519'), x: b64uBytes(32, 32) }),
])

/** HTTP method token as sent, uppercase (RFC 9110 §9.1). */
const methodSchema = z.string().check(z.regex(/^[A-Z]{1,16}$/, 'must be an uppercase HTTP method'))
const targetSchema = z.string().check(z.minLength(1), z.maxLength(8192), z.regex(ORIGIN_FORM_TARGET, 'must be an origin-form target'))

export const requestHeaderSchema = z.object({
  alg: z.literal(KEY_MANAGEMENT_ALG),
  enc: z.literal(CONTENT_ENCRYPTION_ALG),
  typ: z.literal(REQUEST_TYP),
  kid: z.string().check(z.minLength(1), z.maxLength(256)),
  epk: epkSchema,
  iat: z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
  jti: b64uBytes(JTI_BYTES, 64),
  htm: methodSchema,
  htu: targetSchema,
})
export type RequestHeader = z.infer<typeof requestHeaderSchema>

export const responseHeaderSchema = z.object({
  alg: z.literal(RESPONSE_KEY_MANAGEMENT_ALG),
  enc: z.literal(CONTENT_ENCRYPTION_ALG),
  typ: z.literal(RESPONSE_TYP),
  jti: b64uBytes(JTI_BYTES, 64),
  sts: z.int().check(z.gte(100), z.lte(599)),
  cty: z.string().check(z.minLength(1), z.maxLength(256)),
})
export type ResponseHeader = z.infer<typeof responseHeaderSchema>

/** The request plaintext. `body` must be present (null when there is none). */
export const requestPlaintextSchema = z
  .object({ rk: b64uBytes(RESPONSE_KEY_BYTES, RESPONSE_KEY_BYTES), body: z.unknown() })
  .check(z.refine((p) => p.body !== undefined, { message: 'body is required (null when none)', path: ['body'] }))
export type RequestPlaintext = z.infer<typeof requestPlaintextSchema>
