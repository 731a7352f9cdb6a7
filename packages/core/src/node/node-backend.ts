import { Buffer } from 'node:buffer'
import * as nodeCrypto from 'node:crypto'
import { createCipheriv, createDecipheriv, createECDH, createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes, randomFillSync, type ECDH, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'
import type { CryptoBackend, EphemeralPublicJwk } from '../crypto/backend.js'
import { isSealedHeadCrit } from '../protocol/sealed-head.js'

/** A recipient public key, imported once: the raw P-256 point, or an X25519 key object. */
export type NodePublicKey = { readonly crv: 'P-256'; readonly point: Buffer } | { readonly crv: 'X25519'; readonly key: KeyObject }
/** A private key, imported once: an `ECDH` holding the P-256 scalar, or an X25519 key object. */
export type NodePrivateKey = { readonly crv: 'P-256'; readonly ecdh: ECDH } | { readonly crv: 'X25519'; readonly key: KeyObject }

const ENC = 'A256GCM'
const IV_BYTES = 12
const TAG_BYTES = 16
/** Members that would make an `epk` a private key (RFC 7518 §6.2.2, §6.3.2; RFC 8037 §2); jose refuses them too. */
const PRIVATE_MEMBERS = ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv']
const B64U_32 = /^[A-Za-z0-9_-]{43}$/

/**
 * X25519's base point u = 9 (RFC 7748 §4.1). X25519(d, 9) is the public key of
 * d, so ephemeral keys are made from 32 random bytes and two `diffieHellman`
 * calls: no `generateKeyPairSync('x25519')` and no JWK export of a generated key,
 * which can deadlock Node 20's main thread in a long loop (a GC running
 * `~KeyGenJob` while `ExportJWKEdKey` holds the key's mutex).
 */
const X25519_BASE_POINT = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: 'CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }, format: 'jwk' })
/** Node's JWK import of an X25519 private key wants an `x` but derives the public key from `d`; this placeholder is never used. */
const UNUSED_X = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'

const u32be = (n: number): Buffer => {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(n)
  return out
}
const prefixed = (bytes: Uint8Array): Buffer => Buffer.concat([u32be(bytes.length), bytes])
const COUNTER_1 = u32be(1)
/** RFC 7518 §4.6.2 OtherInfo in Direct Key Agreement mode: AlgorithmID is `enc`, no apu/apv, 256 bits. */
const OTHER_INFO_NO_PARTIES = otherInfo(Buffer.alloc(0), Buffer.alloc(0))

function otherInfo(apu: Uint8Array, apv: Uint8Array): Buffer {
  return Buffer.concat([prefixed(Buffer.from(ENC)), prefixed(apu), prefixed(apv), u32be(256)])
}

/**
 * One-shot `crypto.hash` (Node 20.12+), a third cheaper than a `createHash`
 * object on 57 bytes. Read from the namespace, not imported by name: Bun and
 * Deno, which get this backend too, added it only in recent versions, and a
 * missing named import would stop core from loading at all there.
 */
const oneShotHash = (nodeCrypto as { hash?: typeof nodeCrypto.hash }).hash

/**
 * The Concat KDF of RFC 7518 §4.6.2 (NIST SP 800-56A §5.8.1) for a 256-bit key:
 * one SHA-256 round, `H(counter=1 || Z || OtherInfo)`.
 */
function deriveCek(z: Buffer, info: Buffer): Buffer {
  const input = Buffer.concat([COUNTER_1, z, info])
  return oneShotHash !== undefined ? oneShotHash('sha256', input, 'buffer') : createHash('sha256').update(input).digest()
}

/**
 * X25519 with a low-order point yields the all-zero secret (RFC 7748 §6.1), a
 * key anyone can compute: refused here whatever the platform returned (OpenSSL
 * already fails such a derivation). Not on P-256, where a zero x-coordinate is
 * a real point of a valid shared secret (Wycheproof tcId 2).
 */
function x25519Agreement(privateKey: KeyObject, publicKey: KeyObject): Buffer {
  const z = diffieHellman({ privateKey, publicKey })
  if (z.every((b) => b === 0)) throw new Error('X25519 shared secret is all zero')
  return z
}

const b64uBytes = (value: unknown, name: string): Buffer => {
  if (typeof value !== 'string' || !B64U_32.test(value)) throw new TypeError(`JWK "${name}" must be 32 base64url bytes`)
  return Buffer.from(value, 'base64url')
}

/** `0x04 || x || y` (SEC 1 §2.3.3); `computeSecret` refuses a point that is not on the curve (SEC 1 §3.2.2.1). */
function p256Point(jwk: Record<string, unknown>): Buffer {
  return Buffer.concat([Buffer.from([4]), b64uBytes(jwk.x, 'x'), b64uBytes(jwk.y, 'y')])
}

function x25519Public(jwk: Record<string, unknown>): KeyObject {
  b64uBytes(jwk.x, 'x')
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: jwk.x as string }, format: 'jwk' })
}

/** The ECDH shared secret Z with an `epk` (the x-coordinate on P-256, RFC 7518 §4.6.2). */
function sharedSecret(key: NodePrivateKey, epk: Record<string, unknown>): Buffer {
  if (key.crv === 'P-256') {
    if (epk.kty !== 'EC' || epk.crv !== 'P-256') throw new Error('epk is not a P-256 key')
    return key.ecdh.computeSecret(p256Point(epk))
  }
  if (epk.kty !== 'OKP' || epk.crv !== 'X25519') throw new Error('epk is not an X25519 key')
  return x25519Agreement(key.key, x25519Public(epk))
}

/** `apu`/`apv` (RFC 7518 §4.6.1.2–3): optional base64url, distinct when both present, as jose requires. */
function partyInfo(header: Readonly<Record<string, unknown>>): Buffer {
  if (header.apu === undefined && header.apv === undefined) return OTHER_INFO_NO_PARTIES
  const read = (name: 'apu' | 'apv'): Buffer => {
    const value = header[name]
    if (value === undefined) return Buffer.alloc(0)
    if (typeof value !== 'string' || !/^[A-Za-z0-9_-]*$/.test(value) || value.length % 4 === 1) throw new Error(`JOSE Header "${name}" invalid`)
    return Buffer.from(value, 'base64url')
  }
  const apu = read('apu')
  const apv = read('apv')
  if (header.apu !== undefined && header.apv !== undefined && apu.equals(apv)) throw new Error('JOSE Header "apu" and "apv" values must be distinct')
  return otherInfo(apu, apv)
}

/**
 * The v1 profile only (RFC 8725 §3.1): the expected `alg`, A256GCM, no `zip`,
 * no encrypted key, and no `crit` but the sealed head's (`["shd"]` with `shd`
 * present, RFC 7515 §4.1.11: the one extension this backend understands).
 */
function assertProfile(header: Readonly<Record<string, unknown>>, alg: string, encryptedKey: string): void {
  if (header.alg !== alg || header.enc !== ENC) throw new Error('"alg" or "enc" Header Parameter value not allowed')
  if ('zip' in header || ('crit' in header && !isSealedHeadCrit(header))) throw new Error('"zip" and "crit" other than the sealed head are not supported')
  if (encryptedKey !== '') throw new Error('Encountered unexpected JWE Encrypted Key')
}

interface Parts {
  encodedHeader: string
  header: Readonly<Record<string, unknown>>
  encryptedKey: string
  iv: string
  ciphertext: string
  tag: string
}

/**
 * Splits a compact JWE (RFC 7516 §7.1). The header comes from the caller when it
 * has decoded it already (the protocol layer does, for its own checks), so it is
 * decoded once per request.
 */
function split(compact: string, header: Readonly<Record<string, unknown>> | undefined): Parts {
  if (typeof compact !== 'string') throw new Error('JWE must be a string')
  const parts = compact.split('.')
  if (parts.length !== 5) throw new Error('Invalid Compact JWE')
  const [encodedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string]
  const decoded: unknown = header ?? JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(strictBase64url(encodedHeader)))
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw new Error('JWE Protected Header must be an object')
  return { encodedHeader, header: decoded as Record<string, unknown>, encryptedKey, iv, ciphertext, tag }
}

/**
 * base64url without padding (RFC 7515 §2), strictly: Buffer's decoder also takes
 * `+`, `/` and skips characters outside the alphabet, and would read a
 * character above U+00FF by its low byte. Each skipped character shortens the
 * output, so a length check, an ASCII check and the two foreign symbols catch
 * every input the base64url alphabet does not allow, at a fraction of a regular
 * expression's cost on a megabyte.
 */
export function strictBase64url(text: string): Buffer {
  if (held !== undefined && held.text === text) {
    const { bytes } = held
    held = undefined
    return bytes
  }
  const bytes = Buffer.from(text, 'base64url')
  const rem = text.length % 4
  const expected = rem === 1 ? -1 : Math.floor(text.length / 4) * 3 + (rem === 0 ? 0 : rem - 1)
  if (bytes.length !== expected || text.includes('+') || text.includes('/') || Buffer.byteLength(text, 'utf8') !== text.length) {
    throw new Error('not base64url')
  }
  if (text.length >= LONG_PART_CHARS) held = { text, bytes }
  return bytes
}

/**
 * Parts this long are held for a second decode: the platform checks them by
 * decoding (node/platform.ts), shorter ones by a regular expression. Handing
 * one over costs a string comparison (under 0.1 µs for 1.4 K characters, the
 * ciphertext of a 1 KiB body) against ~1 µs for decoding it again.
 */
export const LONG_PART_CHARS = 513

/**
 * The bytes of the last long part decoded, handed over once to the next
 * decode of the same text: core checks every part's spelling before key
 * agreement (platform.isCanonicalBase64url), and the cipher then decodes the
 * ciphertext again — twice the work on a megabyte (~25% of a 1 MiB open).
 * Single-threaded and taken once, so a held buffer (a part of the envelope
 * as sent: ciphertext or header, never plaintext) serves one later decode of
 * the same text and no other.
 */
let held: { text: string; bytes: Buffer } | undefined

/** A plain Uint8Array over the same memory: callers get the type the seam promises, not a Buffer subclass. */
const bytesOf = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)

function gcmOpen(cek: Uint8Array, parts: Parts): Uint8Array {
  const iv = strictBase64url(parts.iv)
  const tag = strictBase64url(parts.tag)
  if (iv.length !== IV_BYTES) throw new Error('Invalid Initialization Vector length')
  if (tag.length !== TAG_BYTES) throw new Error('Invalid Authentication Tag length')
  const decipher = createDecipheriv('aes-256-gcm', cek, iv, { authTagLength: TAG_BYTES })
  // The AAD is the ASCII of the protected header as received (RFC 7516 §5.2 step 14).
  decipher.setAAD(Buffer.from(parts.encodedHeader, 'latin1'))
  decipher.setAuthTag(tag)
  const head = decipher.update(strictBase64url(parts.ciphertext))
  const tail = decipher.final()
  return bytesOf(tail.length === 0 ? head : Buffer.concat([head, tail]))
}

const IV_POOL_BYTES = 4096
let ivPool = Buffer.alloc(0)
let ivPoolAt = 0

/**
 * A fresh 96-bit IV (NIST SP 800-38D §8.2.2, random construction) cut from a
 * pool filled 4 KiB at a time: one `randomFillSync` per 341 IVs instead of a
 * `randomBytes` call per seal, whose fixed cost was ~2% of a sealed Express
 * request. Every byte is handed out once: a refill allocates a new pool, so an
 * IV already handed out is never overwritten.
 */
function freshIv(): Buffer {
  if (ivPoolAt + IV_BYTES > ivPool.length) {
    ivPool = randomFillSync(Buffer.allocUnsafe(IV_POOL_BYTES))
    ivPoolAt = 0
  }
  return ivPool.subarray(ivPoolAt, (ivPoolAt += IV_BYTES))
}

function gcmSeal(cek: Uint8Array, plaintext: Uint8Array, header: Record<string, unknown>): string {
  // As jose: the header is serialized by JSON.stringify, its base64url is the AAD.
  const encodedHeader = Buffer.from(JSON.stringify(header)).toString('base64url')
  const iv = freshIv()
  const cipher = createCipheriv('aes-256-gcm', cek, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(encodedHeader, 'latin1'))
  const head = cipher.update(plaintext)
  const tail = cipher.final()
  const ciphertext = tail.length === 0 ? head : Buffer.concat([head, tail])
  // The encrypted key is empty in both modes of the v1 profile: ECDH-ES and dir are direct (RFC 7518 §4.6, §4.5).
  return `${encodedHeader}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`
}

function assertSealHeader(header: Record<string, unknown>, alg: string): void {
  if (header.alg !== alg || header.enc !== ENC) throw new TypeError(`the node backend seals only ${alg} + ${ENC}`)
  if ('zip' in header || ('crit' in header && !isSealedHeadCrit(header)) || 'epk' in header) throw new TypeError('the node backend seals without zip, a caller-given epk, or crit other than the sealed head')
}

/** A fresh ephemeral key pair on the recipient's curve and Z with it; `epk` members in the order jose writes them. */
function ephemeralAgreement(recipient: NodePublicKey): { z: Buffer; epk: Record<string, string> } {
  if (recipient.crv === 'P-256') {
    const ecdh = createECDH('prime256v1')
    const point = ecdh.generateKeys()
    return { z: ecdh.computeSecret(recipient.point), epk: { x: point.subarray(1, 33).toString('base64url'), crv: 'P-256', kty: 'EC', y: point.subarray(33, 65).toString('base64url') } }
  }
  const ephemeral = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: randomBytes(32).toString('base64url'), x: UNUSED_X }, format: 'jwk' })
  // OpenSSL derives the public key on import; exporting it costs half a second
  // scalar multiplication with the base point. No KeyGenJob holds this key, so
  // the Node 20.20 deadlock (generateKeyPairSync, then a JWK export) cannot
  // arise; a test runs this in a long loop.
  const x = createPublicKey(ephemeral).export({ format: 'jwk' }).x!
  return { z: x25519Agreement(ephemeral, recipient.key), epk: { x, crv: 'X25519', kty: 'OKP' } }
}

/** A session's ephemeral key pair (docs/PROTOCOL.md §11), made as `ephemeralAgreement` makes its own. */
async function generateEphemeral(crv: 'P-256' | 'X25519'): Promise<{ privateKey: NodePrivateKey; publicJwk: EphemeralPublicJwk }> {
  if (crv === 'P-256') {
    const ecdh = createECDH('prime256v1')
    const point = ecdh.generateKeys()
    return { privateKey: { crv, ecdh }, publicJwk: { kty: 'EC', crv, x: point.subarray(1, 33).toString('base64url'), y: point.subarray(33, 65).toString('base64url') } }
  }
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: randomBytes(32).toString('base64url'), x: UNUSED_X }, format: 'jwk' })
  return { privateKey: { crv, key }, publicJwk: { kty: 'OKP', crv, x: createPublicKey(key).export({ format: 'jwk' }).x! } }
}

async function importPrivate(jwk: JWK): Promise<NodePrivateKey> {
  const d = b64uBytes(jwk.d, 'd')
  if (jwk.crv === 'P-256' && jwk.kty === 'EC') {
    const ecdh = createECDH('prime256v1')
    ecdh.setPrivateKey(d)
    // The public members must belong to `d`: a mismatched pair would advertise one key and open with another.
    if (!ecdh.getPublicKey().equals(p256Point(jwk as Record<string, unknown>))) throw new TypeError('JWK "d" does not match its public members')
    return { crv: 'P-256', ecdh }
  }
  if (jwk.crv === 'X25519' && jwk.kty === 'OKP') {
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: jwk.d!, x: UNUSED_X }, format: 'jwk' })
    if (diffieHellman({ privateKey: key, publicKey: X25519_BASE_POINT }).toString('base64url') !== jwk.x) throw new TypeError('JWK "d" does not match its public members')
    return { crv: 'X25519', key }
  }
  throw new TypeError('only P-256 and X25519 keys are supported')
}

async function importPublic(jwk: JWK): Promise<NodePublicKey> {
  if (jwk.crv === 'P-256' && jwk.kty === 'EC') {
    const point = p256Point(jwk as Record<string, unknown>)
    // Validates the point once, at import (on the curve, SEC 1 §3.2.2.1): a bad server key fails here, not per request.
    createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }, format: 'jwk' })
    return { crv: 'P-256', point }
  }
  if (jwk.crv === 'X25519' && jwk.kty === 'OKP') return { crv: 'X25519', key: x25519Public(jwk as Record<string, unknown>) }
  throw new TypeError('only P-256 and X25519 keys are supported')
}

/**
 * Wire protocol v1 on node:crypto: ECDH through the `ECDH` class (P-256) and
 * `diffieHellman` (X25519), the Concat KDF with `hash`/`createHash`, A256GCM with
 * `createCipheriv`/`createDecipheriv`, base64url with `Buffer`. The same bytes
 * and the same verdicts as the jose backend (held equal by differential
 * tests), several times faster on Node, where jose goes through
 * WebCrypto's promise-per-step interface.
 *
 * Node only: it lives in the `@sealwire/core/node` entry, which no browser or
 * Workers bundle reaches. On Node the server and the client use it without any
 * option (core resolves its default backend through the `node` condition).
 *
 * @example
 * import { KeyRing } from '@sealwire/core'
 * import { nodeBackend } from '@sealwire/core/node'
 * const ring = await KeyRing.from(privateJwks, { backend: nodeBackend }) // what Node does by default
 */
export const nodeBackend: CryptoBackend<NodePublicKey, NodePrivateKey> = {
  name: 'node',
  importPublicKey: importPublic,
  importPrivateKey: importPrivate,

  async sealToPublicKey(plaintext, header, recipient) {
    assertSealHeader(header, 'ECDH-ES')
    const { z, epk } = ephemeralAgreement(recipient)
    return gcmSeal(deriveCek(z, OTHER_INFO_NO_PARTIES), plaintext, { ...header, epk })
  },

  async openWithPrivateKey(compact, key, decodedHeader) {
    const parts = split(compact, decodedHeader)
    const { header } = parts
    assertProfile(header, 'ECDH-ES', parts.encryptedKey)
    const epk = header.epk
    if (typeof epk !== 'object' || epk === null || Array.isArray(epk) || PRIVATE_MEMBERS.some((m) => Object.hasOwn(epk, m))) {
      throw new Error('JOSE Header "epk" (Ephemeral Public Key) missing or invalid')
    }
    const info = partyInfo(header)
    return gcmOpen(deriveCek(sharedSecret(key, epk as Record<string, unknown>), info), parts)
  },

  async sealWithSecret(plaintext, header, secret) {
    assertSealHeader(header, 'dir')
    if (secret.length !== 32) throw new TypeError('A256GCM needs a 32-byte key')
    return gcmSeal(secret, plaintext, header)
  },

  async openWithSecret(compact, secret, decodedHeader) {
    const parts = split(compact, decodedHeader)
    assertProfile(parts.header, 'dir', parts.encryptedKey)
    if (secret.length !== 32) throw new Error('A256GCM needs a 32-byte key')
    return gcmOpen(secret, parts)
  },

  generateEphemeral,

  async agree(privateKey, peer) {
    if (typeof peer !== 'object' || peer === null || PRIVATE_MEMBERS.some((m) => Object.hasOwn(peer, m))) throw new Error('peer key missing or invalid')
    return bytesOf(sharedSecret(privateKey, peer as Record<string, unknown>))
  },
}
