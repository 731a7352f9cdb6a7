import { CONTENT_ENCRYPTION_ALG, JTI_BYTES, KEY_MANAGEMENT_ALG, ORIGIN_FORM_TARGET, REQUEST_TYP, RESPONSE_KEY_BYTES } from '../constants.js'
import { isCanonicalBase64url } from '../encoding.js'
import type { RequestHeader, RequestPlaintext } from '../schemas.js'
import { isB64uOfBytes, typMatches } from './response-header.js'

/** Members that would make an `epk` a private key; the same list as `epkSchema`'s. */
const PRIVATE_JWK_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']
const METHOD = /^[A-Z]{1,16}$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
/** `apu`/`apv`: absent, or canonical b64u like every part of the envelope (docs/PROTOCOL.md §5.1). */
const absentOrCanonical = (v: unknown): v is string | undefined => v === undefined || (typeof v === 'string' && isCanonicalBase64url(v))
const isB64u32 = (v: unknown): v is string => typeof v === 'string' && isB64uOfBytes(v, 32, 32)

function plainEpk(epk: unknown): RequestHeader['epk'] | undefined {
  if (!isObject(epk)) return undefined
  if (PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(epk, m))) return undefined
  const ops = epk.key_ops
  if (ops !== undefined && !(Array.isArray(ops) && ops.length === 0)) return undefined
  const { kty, crv, x, y } = epk
  if (kty === 'OKP' && crv === 'X25519' && isB64u32(x)) return { kty, crv, x }
  if (kty === 'EC' && crv === 'P-256' && isB64u32(x) && isB64u32(y)) return { kty, crv, x, y }
  return undefined
}

/**
 * The request protected header (docs/PROTOCOL.md §3), accepted by a plain
 * check of the rules `requestHeaderSchema` states: the header built from known
 * members only, or `undefined` for anything the check does not accept — the
 * caller then asks the zod schema, which stays the authority on every refusal
 * and its message. Why: zod's parse was a tenth of `openRequest` on the Node
 * backend. A differential test (request-header.test.ts) holds that whatever
 * this accepts, the schema accepts with the same output.
 */
export function plainRequestHeader(raw: Record<string, unknown>): RequestHeader | undefined {
  const { alg, enc, typ, kid, iat, jti, htm, htu, hto, shd } = raw
  if (alg !== KEY_MANAGEMENT_ALG || enc !== CONTENT_ENCRYPTION_ALG) return undefined
  if (typeof typ !== 'string' || typ.length > 256 || !typMatches(typ, REQUEST_TYP)) return undefined
  if (typeof kid !== 'string' || kid.length < 1 || kid.length > 256) return undefined
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return undefined
  if (typeof jti !== 'string' || !isB64uOfBytes(jti, JTI_BYTES, 64)) return undefined
  if (typeof htm !== 'string' || !METHOD.test(htm)) return undefined
  if (typeof htu !== 'string' || htu.length > 8192 || !ORIGIN_FORM_TARGET.test(htu)) return undefined
  const epk = plainEpk(raw.epk)
  if (epk === undefined) return undefined
  const { apu, apv } = raw
  if (!absentOrCanonical(apu) || !absentOrCanonical(apv)) return undefined
  // `hto` is optional and dropped when it is not a string of at most 2048 characters (the schema's `catch`).
  // `shd` likewise: kept only when it is 1.
  const header: RequestHeader = { alg, enc, typ, kid, epk, iat, jti, htm, htu, hto: typeof hto === 'string' && hto.length <= 2048 ? hto : undefined, shd: shd === 1 ? 1 : undefined }
  if (apu !== undefined) header.apu = apu
  if (apv !== undefined) header.apv = apv
  return header
}

/** The request plaintext `{ rk, body }` by the same rules as `requestPlaintextSchema`, or `undefined` (ask the schema). */
export function plainRequestPlaintext(raw: unknown): RequestPlaintext | undefined {
  if (!isObject(raw)) return undefined
  const { rk, body, hdr, qry } = raw
  if (typeof rk !== 'string' || !isB64uOfBytes(rk, RESPONSE_KEY_BYTES, RESPONSE_KEY_BYTES) || body === undefined) return undefined
  return hdr === undefined && qry === undefined ? { rk, body } : { rk, body, hdr, qry }
}
