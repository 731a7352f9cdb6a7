import { CONTENT_ENCRYPTION_ALG, JTI_BYTES, KEY_MANAGEMENT_ALG, ORIGIN_FORM_TARGET, REQUEST_TYP, RESPONSE_KEY_BYTES, RESPONSE_KEY_MANAGEMENT_ALG } from '../constants.js'
import { isCanonicalBase64url } from '../encoding.js'
import { SESSION_ID_BYTES } from '../session/session-constants.js'
import { STREAM_SALT_BYTES } from '../constants.js'
import type { RequestHeader, RequestPlaintext } from '../schemas.js'
import { isB64uOfBytes, typMatches } from './response-header.js'

/** Members that would make an `epk` a private key; the same list as `epkSchema`'s. */
const PRIVATE_JWK_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']
const METHOD = /^[A-Z]{1,16}$/

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isB64u32 = (v: unknown): v is string => typeof v === 'string' && isB64uOfBytes(v, 32, 32)
const absentOrCanonical = (v: unknown): v is string | undefined => v === undefined || (typeof v === 'string' && isCanonicalBase64url(v))

/**
 * An ephemeral public key's members (`epk`, and a session's `cpk` and `spk`),
 * or undefined: private members and a non-empty `key_ops` are refused, other
 * public members dropped.
 */
export function publicKeyMembers(epk: unknown): RequestHeader['epk'] | undefined {
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
  const { alg, enc, kid, ses } = raw
  if (alg !== KEY_MANAGEMENT_ALG || enc !== CONTENT_ENCRYPTION_ALG) return undefined
  if (typeof kid !== 'string' || kid.length < 1 || kid.length > 256) return undefined
  const common = commonMembers(raw)
  const epk = publicKeyMembers(raw.epk)
  if (common === undefined || epk === undefined) return undefined
  const { apu, apv } = raw
  if (!absentOrCanonical(apu) || !absentOrCanonical(apv)) return undefined
  // `ses` (a session offer, §11) likewise: kept only when it is 1.
  const header: RequestHeader = { alg, enc, typ: common.typ, kid, epk, iat: common.iat, jti: common.jti, htm: common.htm, htu: common.htu, hto: common.hto, shd: common.shd, ses: ses === 1 ? 1 : undefined, str: common.str }
  if (apu !== undefined) header.apu = apu
  if (apv !== undefined) header.apv = apv
  return header
}

/** The members every request header has, v1 or within a session, checked as `requestHeaderSchema` does; undefined for anything else. */
function commonMembers(raw: Record<string, unknown>): Pick<RequestHeader, 'typ' | 'iat' | 'jti' | 'htm' | 'htu' | 'hto' | 'shd' | 'str'> | undefined {
  const { typ, iat, jti, htm, htu, hto, shd, str } = raw
  if (typeof typ !== 'string' || typ.length > 256 || !typMatches(typ, REQUEST_TYP)) return undefined
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) return undefined
  if (typeof jti !== 'string' || !isB64uOfBytes(jti, JTI_BYTES, 64)) return undefined
  if (typeof htm !== 'string' || !METHOD.test(htm)) return undefined
  if (typeof htu !== 'string' || htu.length > 8192 || !ORIGIN_FORM_TARGET.test(htu)) return undefined
  // `hto` is optional and dropped when it is not a string of at most 2048 characters (the schema's `catch`).
  // `shd` and `str` likewise: kept only when they are 1.
  return { typ, iat, jti, htm, htu, hto: typeof hto === 'string' && hto.length <= 2048 ? hto : undefined, shd: shd === 1 ? 1 : undefined, str: str === 1 ? 1 : undefined }
}

/** The protected header of a request sealed within a session (docs/PROTOCOL.md §11). */
export interface SessionRequestHeader extends Pick<RequestHeader, 'typ' | 'iat' | 'jti' | 'htm' | 'htu' | 'hto' | 'shd' | 'str'> {
  alg: typeof RESPONSE_KEY_MANAGEMENT_ALG
  enc: typeof CONTENT_ENCRYPTION_ALG
  sid: string
}

/**
 * A session request's header (`alg` `dir` with a `sid`): the members of a v1
 * header but `kid` and `epk`, which it does not use (ignored when present),
 * plus `sid`. Undefined for anything else: the caller refuses it as malformed.
 */
export function sessionRequestHeader(raw: Record<string, unknown>): SessionRequestHeader | undefined {
  const { alg, enc, sid } = raw
  if (alg !== RESPONSE_KEY_MANAGEMENT_ALG || enc !== CONTENT_ENCRYPTION_ALG) return undefined
  if (typeof sid !== 'string' || !isB64uOfBytes(sid, SESSION_ID_BYTES, 64)) return undefined
  const common = commonMembers(raw)
  return common === undefined ? undefined : { alg, enc, sid, ...common }
}

/** The request plaintext `{ rk, body }` by the same rules as `requestPlaintextSchema`, or `undefined` (ask the schema). */
export function plainRequestPlaintext(raw: unknown): RequestPlaintext | undefined {
  if (!isObject(raw)) return undefined
  const { rk, body, hdr, qry, cpk, bsn } = raw
  if (typeof rk !== 'string' || !isB64uOfBytes(rk, RESPONSE_KEY_BYTES, RESPONSE_KEY_BYTES) || body === undefined) return undefined
  // A streamed upload's salt (§12): 16 bytes, and the body then null (the records carry it); the schema names a refusal.
  if (bsn !== undefined && (typeof bsn !== 'string' || !isB64uOfBytes(bsn, STREAM_SALT_BYTES, STREAM_SALT_BYTES) || body !== null)) return undefined
  const plaintext: RequestPlaintext = hdr === undefined && qry === undefined ? { rk, body } : { rk, body, hdr, qry }
  // A session offer's key (§11), checked by the engine that takes it up.
  if (cpk !== undefined) plaintext.cpk = cpk
  if (bsn !== undefined) plaintext.bsn = bsn
  return plaintext
}
