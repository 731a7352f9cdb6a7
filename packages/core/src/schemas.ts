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
import { isBase64url, isCanonicalBase64url } from './encoding.js'
import { isB64uOfBytes, typMatches } from './protocol/response-header.js'

/**
 * Each schema is built in a `@__PURE__` call: zod's constructors are plain
 * calls a bundler must otherwise keep, so an app that imports none of these
 * (the browser client) would still ship zod with @sealwire/core's dist.
 */

/**
 * Zod schemas of wire protocol v1 (docs/PROTOCOL.md §3–4). Schemas build new
 * objects from known members only, so an attacker's `__proto__` or `constructor`
 * member never reaches application code as anything but ignored input.
 */

const b64uBytes = (min: number, max: number) =>
  z.string().check(
    z.maxLength(Math.ceil((max * 4) / 3)),
    z.refine((s) => isBase64url(s), 'must be base64url without padding'),
    z.refine((s) => isB64uOfBytes(s, min, max), `must encode ${min === max ? min : `${min} to ${max}`} bytes`),
  )

const canonicalB64u = /* @__PURE__ */ (() =>
  z.string().check(z.refine((s) => isCanonicalBase64url(s), 'must be canonical base64url: no padding, whitespace or stray low bits')))()

/** Members that would make an `epk` a private key (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2); jose refuses them too. */
const PRIVATE_JWK_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']

/**
 * The ephemeral public key (RFC 7518 §4.6.1.1). Its key material is checked;
 * other public members (`use`, `alg`, `kid`, `ext`, `x5c`…) are ignored, as
 * §4.6.1.1 allows: other JOSE libraries send them. Refused: private members,
 * and a non-empty `key_ops` — an ephemeral public key performs no operation
 * (WebCrypto gives a public ECDH key no usages, and jose hands `key_ops` to
 * WebCrypto as usages), so a list of operations is inconsistent with it; an
 * empty one, as WebCrypto exports, is accepted.
 */
export const epkSchema = /* @__PURE__ */ (() =>
  z.pipe(
    z.custom<unknown>((v) => {
      if (typeof v !== 'object' || v === null) return true // the union below names the problem
      const raw = v as Record<string, unknown>
      const ops = raw.key_ops
      return !PRIVATE_JWK_MEMBERS.some((m) => Object.hasOwn(raw, m)) && (ops === undefined || (Array.isArray(ops) && ops.length === 0))
    }, 'must be a public key: no private members, key_ops absent or empty'),
    z.union([
      z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64uBytes(32, 32), y: b64uBytes(32, 32) }),
      z.object({ kty: z.literal('OKP'), crv: z.literal('X25519'), x: b64uBytes(32, 32) }),
    ]),
  ))()

/**
 * A `typ` value naming `expected` (RFC 7515 §4.1.9): media types compare
 * case-insensitively (RFC 6838 §4.2), and a value without "/" stands for
 * "application/" plus itself, so `application/sealwire-req+jwe` equals
 * `sealwire-req+jwe`. Parameters are not accepted.
 */
const typOf = (expected: string) =>
  z.string().check(
    z.maxLength(256),
    z.refine((value) => typMatches(value, expected), `must be ${expected}`),
  )

/** HTTP method token as sent, uppercase (RFC 9110 §9.1). */
const methodSchema = /* @__PURE__ */ (() =>
  z.string().check(z.regex(/^[A-Z]{1,16}$/, 'must be an uppercase HTTP method')))()
const targetSchema = /* @__PURE__ */ (() =>
  z.string().check(z.minLength(1), z.maxLength(8192), z.regex(ORIGIN_FORM_TARGET, 'must be an origin-form target')))()

export const requestHeaderSchema = /* @__PURE__ */ (() =>
  z.object({
    alg: z.literal(KEY_MANAGEMENT_ALG),
    enc: z.literal(CONTENT_ENCRYPTION_ALG),
    typ: typOf(REQUEST_TYP),
    kid: z.string().check(z.minLength(1), z.maxLength(256)),
    epk: epkSchema,
    iat: z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER)),
    jti: b64uBytes(JTI_BYTES, 64),
    htm: methodSchema,
    htu: targetSchema,
    /**
     * The origin the client sent to (docs/PROTOCOL.md §3.2, a v1 extension). Checked only by a server
     * configured with `origins`; any other server ignores it, so a value of another type is dropped, not refused.
     */
    hto: z.catch(z.optional(z.string().check(z.maxLength(2048))), undefined),
    /**
     * The sealed head (docs/PROTOCOL.md §3.5, a v1 extension): 1 announces it. Another value is
     * dropped, not refused: it can only be critical when it is 1 (the `crit` check runs first).
     */
    shd: z.catch(z.optional(z.literal(1)), undefined),
    /**
     * PartyUInfo / PartyVInfo (RFC 7518 §4.6.1.2–3), fed to the KDF by the backend: canonical b64u like every
     * other part (docs/PROTOCOL.md §5.1), so no backend's decoder gets to be more lenient than another's.
     */
    apu: z.optional(canonicalB64u),
    apv: z.optional(canonicalB64u),
    /**
     * A session offer (docs/PROTOCOL.md §11, a v1 extension): 1 with a `cpk` in the plaintext. Not
     * critical: a server without sessions ignores it, so another value is dropped, not refused.
     */
    ses: z.catch(z.optional(z.literal(1)), undefined),
    /**
     * Streamed answers (docs/PROTOCOL.md §12, a v1 extension): 1 announces that the client reads them. Not
     * critical: a server without streams ignores it, so another value is dropped, not refused.
     */
    str: z.catch(z.optional(z.literal(1)), undefined),
  }))()
export type RequestHeader = z.infer<typeof requestHeaderSchema>

export const responseHeaderSchema = /* @__PURE__ */ (() =>
  z.object({
    alg: z.literal(RESPONSE_KEY_MANAGEMENT_ALG),
    enc: z.literal(CONTENT_ENCRYPTION_ALG),
    typ: typOf(RESPONSE_TYP),
    jti: b64uBytes(JTI_BYTES, 64),
    sts: z.int().check(z.gte(100), z.lte(599)),
    cty: z.string().check(z.minLength(1), z.maxLength(256)),
  }))()
export type ResponseHeader = z.infer<typeof responseHeaderSchema>

/** The request plaintext. `body` must be present (null when there is none). */
export const requestPlaintextSchema = /* @__PURE__ */ (() =>
  z
    // `hdr` and `qry`, the sealed head, are checked by `checkSealedHead` (protocol/sealed-head.ts);
    // `cpk`, a session offer's key, where a session is established (session/establish-session.ts).
    // `bsn`, a streamed upload's salt (docs/PROTOCOL.md §12): the body is then null, its records follow the envelope.
    .object({ rk: b64uBytes(RESPONSE_KEY_BYTES, RESPONSE_KEY_BYTES), body: z.unknown(), hdr: z.optional(z.unknown()), qry: z.optional(z.unknown()), cpk: z.optional(z.unknown()), bsn: z.optional(b64uBytes(16, 16)) })
    .check(
      z.refine((p) => p.body !== undefined, { message: 'body is required (null when none)', path: ['body'] }),
      z.refine((p) => p.bsn === undefined || p.body === null, { message: 'body must be null when the body is streamed (bsn)', path: ['body'] }),
    ))()
export type RequestPlaintext = z.infer<typeof requestPlaintextSchema>
