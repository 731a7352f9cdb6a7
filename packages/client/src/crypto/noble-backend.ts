import type { JWK } from 'jose'
import * as base64url from 'jose/base64url'
import { defaultBackend, isSealedHeadCrit, type CryptoBackend, type Curve, type EphemeralPublicJwk } from '@sealwire/core'
import { gcmDecrypt, gcmEncrypt } from './aes-gcm.js'
import { ascii, encodeHeader, parseCompact, serializeCompact } from './compact-jwe.js'
import { concatKdf, ecdhEsOtherInfo } from './concat-kdf.js'
import { ecdhCurve, type EcdhCurve } from './ecdh-curves.js'

/** A server public key imported by the pure-JS backend: the validated point. */
export interface NoblePublicKey {
  readonly crv: Curve
  readonly point: Uint8Array
}

/** A private key imported by the pure-JS backend. */
export interface NoblePrivateKey {
  readonly crv: Curve
  readonly secret: Uint8Array
}

const ENC = 'A256GCM'
const CEK_BITS = 256
/** Members that would make an `epk` a private key (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2). jose refuses them too. */
const PRIVATE_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']

function assertSealHeader(header: Record<string, unknown>, alg: string): void {
  if (header.alg !== alg || header.enc !== ENC) throw new TypeError(`the noble backend seals only ${alg} + ${ENC}`)
  if ('zip' in header || ('crit' in header && !isSealedHeadCrit(header))) throw new TypeError('the noble backend seals without zip, or crit other than the sealed head')
}

/**
 * The v1 profile only (RFC 8725 §3.1 allow-list): the algorithm we expect,
 * A256GCM, no compression (a `zip` bomb), no `crit` extensions we cannot honour
 * (the sealed head's is the one we can, RFC 7515 §4.1.11).
 */
function assertOpenHeader(header: Record<string, unknown>, alg: string, encryptedKey: Uint8Array): void {
  if (header.alg !== alg) throw new Error('"alg" (Algorithm) Header Parameter value not allowed')
  if (header.enc !== ENC) throw new Error('"enc" (Encryption Algorithm) Header Parameter value not allowed')
  if ('zip' in header) throw new Error('JWE "zip" (Compression Algorithm) Header Parameter is not supported')
  if ('crit' in header && !isSealedHeadCrit(header)) throw new Error('"crit" Header Parameter is not supported')
  if (encryptedKey.length !== 0) throw new Error('Encountered unexpected JWE Encrypted Key')
}

/** `apu`/`apv` (RFC 7518 §4.6.1.2–3): optional, b64u, and distinct when both present (as jose requires). */
function partyInfo(header: Record<string, unknown>): [Uint8Array, Uint8Array] {
  const read = (name: 'apu' | 'apv'): Uint8Array | undefined => {
    const value = header[name]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value)) throw new Error(`JOSE Header "${name}" invalid`)
    return base64url.decode(value)
  }
  const apu = read('apu')
  const apv = read('apv')
  if (apu !== undefined && apv !== undefined && apu.length === apv.length && apu.every((b, i) => b === apv[i])) {
    throw new Error('JOSE Header "apu" and "apv" values must be distinct')
  }
  return [apu ?? new Uint8Array(), apv ?? new Uint8Array()]
}

/** Direct Key Agreement (RFC 7518 §4.6): the CEK is the Concat KDF output, AlgorithmID is `enc`. */
function deriveCek(curve: EcdhCurve, secret: Uint8Array, publicKey: Uint8Array, header: Record<string, unknown>): Uint8Array {
  const [apu, apv] = partyInfo(header)
  const z = curve.sharedSecret(secret, publicKey)
  try {
    return concatKdf(z, CEK_BITS, ecdhEsOtherInfo(ENC, apu, apv, CEK_BITS))
  } finally {
    z.fill(0)
  }
}

async function importPrivate(jwk: JWK): Promise<NoblePrivateKey> {
  const curve = ecdhCurve(jwk.crv)
  if (typeof jwk.d !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jwk.d)) throw new TypeError('JWK "d" must be 32 base64url bytes')
  const secret = base64url.decode(jwk.d)
  // The public members must belong to `d`: a mismatched pair would advertise one key and open with another.
  const expected = curve.publicMembers(secret)
  if (expected.x !== jwk.x || expected.y !== jwk.y) throw new TypeError('JWK "d" does not match its public members')
  return { crv: curve.crv, secret }
}

/**
 * Wire protocol v1 in pure JS: ECDH-ES on P-256 and X25519 from
 * `@noble/curves`, the Concat KDF of RFC 7518 §4.6.2 with `@noble/hashes`
 * SHA-256, and A256GCM from WebCrypto (noble has no AES; see `aes-gcm.ts`).
 * What involves no curve (a `dir` JWE under a secret: every response, and a
 * request within a session) is the runtime's default backend's.
 * Produces and accepts the same JWE compact bytes as the jose backend, so
 * either side can use either backend.
 *
 * For runtimes whose WebCrypto lacks X25519 or P-256 ECDH (React Native /
 * Hermes with a WebCrypto polyfill, older browsers); `createClient` selects it
 * by feature detection, or `crypto: 'noble'` forces it.
 *
 * @example
 * import { importRecipientKey, sealRequest } from '@sealwire/core'
 * import { nobleBackend } from '@sealwire/client'
 * const recipient = await importRecipientKey(serverJwk, nobleBackend)
 * const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/echo' }, body: { hi: 1 } })
 */
export const nobleBackend: CryptoBackend<NoblePublicKey, NoblePrivateKey> = {
  name: 'noble',

  async importPublicKey(jwk) {
    const curve = ecdhCurve(jwk.crv)
    return { crv: curve.crv, point: curve.publicKey(jwk as Record<string, unknown>) }
  },

  importPrivateKey: importPrivate,

  async sealToPublicKey(plaintext, header, recipient) {
    assertSealHeader(header, 'ECDH-ES')
    const curve = ecdhCurve(recipient.crv)
    const { secret, epk } = curve.ephemeral()
    let cek: Uint8Array
    try {
      cek = deriveCek(curve, secret, recipient.point, header)
    } finally {
      secret.fill(0)
    }
    // As jose: the header is normalized by a JSON round trip, then `epk` is appended.
    const encodedHeader = encodeHeader({ ...JSON.parse(JSON.stringify(header)), epk })
    try {
      const { iv, ciphertext, tag } = await gcmEncrypt(cek, plaintext, ascii(encodedHeader))
      return serializeCompact(encodedHeader, iv, ciphertext, tag)
    } finally {
      cek.fill(0)
    }
  },

  async openWithPrivateKey(compact, key) {
    const jwe = parseCompact(compact)
    assertOpenHeader(jwe.header, 'ECDH-ES', jwe.encryptedKey)
    const epk = jwe.header.epk
    if (typeof epk !== 'object' || epk === null || Array.isArray(epk) || PRIVATE_MEMBERS.some((m) => Object.hasOwn(epk, m))) {
      throw new Error('JOSE Header "epk" (Ephemeral Public Key) missing or invalid')
    }
    const curve = ecdhCurve(key.crv)
    // A curve mismatch fails here (kty/crv are checked against the key's curve).
    const ephemeral = curve.publicKey(epk as Record<string, unknown>)
    const cek = deriveCek(curve, key.secret, ephemeral, jwe.header)
    try {
      return await gcmDecrypt(cek, jwe.iv, jwe.ciphertext, jwe.tag, ascii(jwe.encodedHeader))
    } finally {
      cek.fill(0)
    }
  },

  // A secret-keyed JWE (`dir`: a response under `rk`, a request within a session) involves no curve, the one
  // thing this backend fills in, so it is the runtime's default backend's: node:crypto where there is one,
  // jose over WebCrypto elsewhere. The same bytes and verdicts, without a WebCrypto key import and cipher job
  // per message, which on Node cost more than the whole of a request within a session.
  sealWithSecret: (plaintext, header, secret) => defaultBackend.sealWithSecret(plaintext, header, secret),

  openWithSecret: (compact, secret, header) => defaultBackend.openWithSecret(compact, secret, header),

  // Within a session too, where the default backend derives the request's key itself (WebCrypto's deriveKey).
  ...(defaultBackend.sealWithinSession !== undefined && defaultBackend.openWithinSession !== undefined
    ? { sealWithinSession: defaultBackend.sealWithinSession.bind(defaultBackend), openWithinSession: defaultBackend.openWithinSession.bind(defaultBackend) }
    : {}),

  // Sessions (docs/PROTOCOL.md §11): the client's ephemeral key, kept until the server's answers.
  async generateEphemeral(crv) {
    const { secret, epk } = ecdhCurve(crv).ephemeral()
    return { privateKey: { crv, secret }, publicJwk: epk as EphemeralPublicJwk }
  },

  async agree(privateKey, peer) {
    const curve = ecdhCurve(privateKey.crv)
    // A curve mismatch, an off-curve point or a low-order one throws here.
    return curve.sharedSecret(privateKey.secret, curve.publicKey(peer as Record<string, unknown>))
  },
}
