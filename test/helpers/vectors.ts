/**
 * Test-only JWE plumbing, independent of core: the Concat KDF (RFC 7518 §4.6.2)
 * over @noble/hashes, AES-GCM and ECDH from WebCrypto, and hand-built protected
 * headers. Tests use it to make envelopes core never would (a header JSON text
 * written by hand, an `epk` taken from a test vector, a CEK derived from a
 * vector's shared secret) and then show what core's `openRequest` does with them.
 *
 * Also: the loader of the Wycheproof vectors vendored in `test/vectors/wycheproof/`
 * (Apache-2.0, LICENSE and SHA256SUMS beside them). Each file is checked against
 * its pinned digest before use, so an edited vector cannot silently weaken a test.
 */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { x25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { MemoryReplayStore } from '@sealwire/core'
import { base64url } from 'jose'
import { describe } from 'vitest'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
/** The vendored Wycheproof folder. */
export const WYCHEPROOF_DIR = resolve(REPO_ROOT, 'test/vectors/wycheproof')

const encoder = new TextEncoder()
export const utf8 = (text: string): Uint8Array => encoder.encode(text)
export const b64u = (bytes: Uint8Array | string): string => base64url.encode(bytes)
export const fromB64u = (text: string): Uint8Array => base64url.decode(text)

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) throw new TypeError(`not hex: ${hex}`)
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

export const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')

/**
 * Reads a Wycheproof file after checking it against `SHA256SUMS`, or returns
 * undefined where the file is absent. A file whose digest differs throws.
 */
export function loadWycheproof<T = WycheproofFile>(file: string): T | undefined {
  const path = resolve(WYCHEPROOF_DIR, file)
  if (!existsSync(path)) return undefined
  const bytes = readFileSync(path)
  const pinned = pinnedDigest(file)
  const actual = createHash('sha256').update(bytes).digest('hex')
  if (pinned !== actual) throw new Error(`Wycheproof file ${file} does not match SHA256SUMS (pinned ${pinned ?? 'nothing'}, got ${actual})`)
  return JSON.parse(bytes.toString('utf8')) as T
}

function pinnedDigest(file: string): string | undefined {
  const sums = resolve(WYCHEPROOF_DIR, 'SHA256SUMS')
  if (!existsSync(sums)) return undefined
  for (const line of readFileSync(sums, 'utf8').split('\n')) {
    const [digest, name] = line.trim().split(/\s+/)
    if (name === file) return digest
  }
  return undefined
}

/**
 * `describe` over a Wycheproof file. The files are vendored: a missing one is a
 * broken checkout and fails the run, never a skip or a silent pass.
 */
export function describeWycheproof<T = WycheproofFile>(file: string, title: string, body: (data: T) => void): void {
  const data = loadWycheproof<T>(file)
  if (data === undefined) throw new Error(`Wycheproof vectors missing at ${resolve(WYCHEPROOF_DIR, file)}: they are vendored under test/vectors/wycheproof/`)
  describe(title, () => body(data))
}

/**
 * The cases on which two backends' outcomes differ, as "tcId n: jose …, node …"
 * (the Wycheproof differential check of the node backend against jose).
 */
export async function backendDisagreements<T extends { tcId: number }>(cases: readonly T[], backends: readonly { name: string }[], outcome: (test: T, backend: number) => Promise<string>): Promise<string[]> {
  const differ: string[] = []
  for (const test of cases) {
    const verdicts = await Promise.all(backends.map((_, i) => outcome(test, i)))
    if (new Set(verdicts).size > 1) differ.push(`tcId ${test.tcId}: ${backends.map((b, i) => `${b.name} ${verdicts[i]}`).join(', ')}`)
  }
  return differ
}

export interface WycheproofFile<G = WycheproofGroup> {
  algorithm?: string
  numberOfTests: number
  testGroups: G[]
}
export interface WycheproofGroup<T = WycheproofTest> {
  type: string
  comment?: string
  tests: T[]
  [member: string]: unknown
}
export interface WycheproofTest {
  tcId: number
  comment: string
  flags?: string[]
  result: 'valid' | 'invalid' | 'acceptable'
  [member: string]: unknown
}

/** Every test of a file beside its group. */
export const allTests = <G extends WycheproofGroup<WycheproofTest>>(file: WycheproofFile<G>): Array<{ group: G; test: G['tests'][number] }> =>
  file.testGroups.flatMap((group) => group.tests.map((test) => ({ group, test })))

const u32be = (n: number): Uint8Array => {
  const out = new Uint8Array(4)
  new DataView(out.buffer).setUint32(0, n)
  return out
}
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
const lengthPrefixed = (data: Uint8Array) => concat(u32be(data.length), data)

/**
 * RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A §5.8.1, single-step, SHA-256).
 * For ECDH-ES in direct key agreement mode, AlgorithmID is the `enc` value and
 * keydatalen the `enc` key size in bits.
 */
export function concatKdf(z: Uint8Array, algorithmId: string, keyBits: number, apu = new Uint8Array(0), apv = new Uint8Array(0)): Uint8Array {
  const otherInfo = concat(lengthPrefixed(utf8(algorithmId)), lengthPrefixed(apu), lengthPrefixed(apv), u32be(keyBits))
  const rounds = Math.ceil(keyBits / 256)
  const out = new Uint8Array(rounds * 32)
  for (let counter = 1; counter <= rounds; counter++) out.set(sha256(concat(u32be(counter), z, otherInfo)), (counter - 1) * 32)
  return out.slice(0, keyBits / 8)
}

/** The ECDH-ES + A256GCM content key from a shared secret Z (no apu/apv, as Sealwire sends). */
export const a256gcmCekFromSharedSecret = (z: Uint8Array) => concatKdf(z, 'A256GCM', 256)

/**
 * A JWE compact serialization with an empty encrypted key (`dir`/ECDH-ES direct
 * agreement), sealed by WebCrypto AES-GCM with the protected header text as
 * written, whose base64url is the AAD (RFC 7516 §5.1 step 14).
 */
export async function sealWithCek(headerJson: string, plaintext: Uint8Array | string, cek: Uint8Array, iv = crypto.getRandomValues(new Uint8Array(12))): Promise<string> {
  const protectedB64 = b64u(headerJson)
  const key = await crypto.subtle.importKey('raw', cek as BufferSource, 'AES-GCM', false, ['encrypt'])
  const data = (typeof plaintext === 'string' ? utf8(plaintext) : plaintext) as BufferSource
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv as BufferSource, additionalData: utf8(protectedB64) as BufferSource, tagLength: 128 }, key, data))
  return [protectedB64, '', b64u(iv), b64u(sealed.slice(0, -16)), b64u(sealed.slice(-16))].join('.')
}

export interface EpkJwk {
  kty: string
  crv: string
  x: string
  y?: string
}

/**
 * Seals like a Sealwire client would, but by hand: a fresh ephemeral key pair,
 * ECDH with the recipient's public JWK (WebCrypto), Concat KDF, AES-GCM. The
 * caller writes the protected header JSON text itself from the `epk`, so any
 * member order, extra member or `__proto__` key survives byte for byte.
 */
export async function sealEcdhEs(
  recipient: EpkJwk,
  headerJson: (epk: EpkJwk) => string,
  plaintext: Uint8Array | string,
  /** PartyUInfo / PartyVInfo for the KDF: the bytes the header's `apu`/`apv` are meant to carry. */
  parties: { apu?: Uint8Array<ArrayBuffer>; apv?: Uint8Array<ArrayBuffer> } = {},
): Promise<string> {
  const algorithm = recipient.crv === 'X25519' ? { name: 'X25519' } : { name: 'ECDH', namedCurve: recipient.crv }
  const ephemeral = (await crypto.subtle.generateKey(algorithm, true, ['deriveBits'])) as CryptoKeyPair
  const exported = await crypto.subtle.exportKey('jwk', ephemeral.publicKey)
  const epk: EpkJwk = recipient.kty === 'EC' ? { kty: 'EC', crv: recipient.crv, x: exported.x!, y: exported.y! } : { kty: 'OKP', crv: 'X25519', x: exported.x! }
  const publicJwk = recipient.kty === 'EC' ? { kty: 'EC', crv: recipient.crv, x: recipient.x, y: recipient.y } : { kty: 'OKP', crv: 'X25519', x: recipient.x }
  const peer = await crypto.subtle.importKey('jwk', publicJwk, algorithm, false, [])
  const z = new Uint8Array(await crypto.subtle.deriveBits({ ...algorithm, public: peer } as EcdhKeyDeriveParams, ephemeral.privateKey, 256))
  return sealWithCek(headerJson(epk), plaintext, concatKdf(z, 'A256GCM', 256, parties.apu, parties.apv))
}

/** Flips one bit of the byte at `index` of the decoded `part` (0 header … 4 tag) and re-encodes. */
export function flipByte(compact: string, part: number, index = 0): string {
  const parts = compact.split('.')
  const bytes = fromB64u(parts[part]!)
  const at = index < 0 ? bytes.length + index : index
  bytes[at]! ^= 0x01
  parts[part] = b64u(bytes)
  return parts.join('.')
}

/** Fixed clock for vector runs: 2023-11-14T22:13:20Z. */
export const VECTOR_NOW_MS = 1_700_000_000_000
export const vectorClock = () => VECTOR_NOW_MS

/**
 * A MemoryReplayStore that has been up for a minute at VECTOR_NOW_MS, so that
 * its start (`rememberedSince`) is no reason to refuse a vector's request.
 */
export function vectorReplayStore(): MemoryReplayStore {
  let startedAt: number | undefined = VECTOR_NOW_MS - 60_000
  return new MemoryReplayStore({
    clock: () => {
      const t = startedAt ?? VECTOR_NOW_MS
      startedAt = undefined
      return t
    },
  })
}

export interface HandmadeRequest {
  kid: string
  epk: unknown
  iat?: number
  jti?: string
  htm?: string
  htu?: string
}

/** A v1 request protected header as JSON text, members in the protocol's order. */
export function requestHeaderJson(h: HandmadeRequest): string {
  return JSON.stringify({
    alg: 'ECDH-ES',
    enc: 'A256GCM',
    typ: 'sealwire-req+jwe',
    kid: h.kid,
    epk: h.epk,
    iat: h.iat ?? Math.floor(VECTOR_NOW_MS / 1000),
    jti: h.jti ?? b64u(crypto.getRandomValues(new Uint8Array(16))),
    htm: h.htm ?? 'POST',
    htu: h.htu ?? '/vectors',
  })
}

/** A v1 request plaintext: `{"rk": …, "body": …}`. */
export const requestPlaintextJson = (body: unknown, rk = crypto.getRandomValues(new Uint8Array(32))): string =>
  `{"rk":"${b64u(rk)}","body":${JSON.stringify(body)}}`

/**
 * The X25519 u-coordinates of low order (RFC 7748 §6.1 and the list libsodium
 * refuses), little-endian: 0, 1, the two points of order 8, p − 1, p, p + 1.
 * Any scalar times one of them is 0.
 */
export const X25519_LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]

/** Whether X25519 with this u gives the all-zero secret, checked by @noble/curves (independent of WebCrypto). */
export function x25519YieldsZero(u: Uint8Array): boolean {
  try {
    x25519.scalarMult(x25519.utils.randomSecretKey(), u)
    return false
  } catch {
    return true // noble refuses exactly the all-zero result
  }
}

/** Whether every byte is zero (an X25519 low-order result, RFC 7748 §6.1). */
export const isAllZero = (bytes: Uint8Array): boolean => bytes.length > 0 && bytes.every((b) => b === 0)

/** Strips JWK members a Wycheproof file adds (`kid: "none"`), keeping the rest as given. */
export function withoutKid<T extends Record<string, unknown>>(jwk: T): Omit<T, 'kid'> {
  const { kid: _kid, ...rest } = jwk
  return rest
}
