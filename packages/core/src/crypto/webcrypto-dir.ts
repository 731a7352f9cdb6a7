import { b64u, fromB64u, isBase64url } from '../encoding.js'
import { webCryptoBytes, webCryptoSubtle } from '../platform/webcrypto-bytes.js'
import { isSealedHeadCrit } from '../protocol/sealed-head.js'

/**
 * `dir` + A256GCM (RFC 7516 §7.1 compact, RFC 7518 §4.5 and §5.3) straight on
 * WebCrypto: every answer, and every request within a session. The same bytes
 * and verdicts as jose's `CompactEncrypt` and `compactDecrypt` restricted to
 * this one profile (differential tests hold them equal), without jose's
 * general machinery: no second decode of a header the protocol layer already
 * decoded, no unprotected-header merging, and one buffer for ciphertext ‖ tag
 * instead of three. In a browser a typed array over 64 bytes costs a few
 * microseconds to make, about as much as a WebCrypto call, and a request
 * within a session is little else.
 */

const ENC = 'A256GCM'
const IV_BYTES = 12
const TAG_BYTES = 16
const KEY_BYTES = 32

type Bytes = Uint8Array<ArrayBuffer>

/** The v1 profile only (RFC 8725 §3.1): `dir`, A256GCM, no `zip`, no `crit` but the sealed head's (RFC 7515 §4.1.11). */
function assertProfile(header: Readonly<Record<string, unknown>>): void {
  if (header.alg !== 'dir' || header.enc !== ENC) throw new Error('"alg" or "enc" Header Parameter value not allowed')
  if ('zip' in header || ('crit' in header && !isSealedHeadCrit(header))) throw new Error('"zip" and "crit" other than the sealed head are not supported')
}

/** A compact `dir` JWE of `plaintext` under `secret`, with `header` as its protected header. */
export function webCryptoSealDir(plaintext: Uint8Array, header: Record<string, unknown>, secret: Uint8Array): Promise<string> {
  return webCryptoSealDirUnder(plaintext, header, () => importAesKey(secret, 'encrypt'))
}

/**
 * The plaintext of a compact `dir` JWE under `secret`; throws on any fault.
 * `decodedHeader` is the protected header the caller decoded from `compact`.
 */
export function webCryptoOpenDir(compact: string, secret: Uint8Array, decodedHeader?: Readonly<Record<string, unknown>>): Promise<Uint8Array> {
  return webCryptoOpenDirUnder(compact, decodedHeader, () => importAesKey(secret, 'decrypt'))
}

/**
 * `webCryptoSealDir` under a key made only once the header passed: imported, or
 * derived straight into WebCrypto. A text `plaintext` is encoded to UTF-8 into
 * the scratch, where WebCrypto copies it from, and wiped there at once.
 */
export async function webCryptoSealDirUnder(plaintext: Uint8Array | string, header: Record<string, unknown>, keyOf: () => Promise<CryptoKey>): Promise<string> {
  assertProfile(header)
  return webCryptoSealCompact(plaintext, header, await keyOf())
}

/**
 * A compact JWE with an empty encrypted key (`dir`, and ECDH-ES in Direct Key
 * Agreement mode, RFC 7518 §4.5 and §4.6) of `plaintext` under `key`, `header`
 * as given (its profile checked by the caller).
 */
export async function webCryptoSealCompact(plaintext: Uint8Array | string, header: Record<string, unknown>, key: CryptoKey): Promise<string> {
  // As jose serializes it: JSON.stringify of the header as given, UTF-8, base64url; its ASCII is the AAD.
  const encodedHeader = base64urlOfText(JSON.stringify(header))
  // From here to encrypt() nothing awaits, so the scratch holds this call's bytes when WebCrypto copies them.
  const text = typeof plaintext === 'string'
  const { iv, aad, sealed: room } = scratchFor(encodedHeader, text ? plaintext.length * 3 : 0)
  globalThis.crypto.getRandomValues(iv)
  const encodedIv = b64u(iv)
  const data = text ? room.subarray(0, encoder.encodeInto(plaintext, room).written) : webCryptoBytes(plaintext)
  let pending: Promise<ArrayBuffer>
  try {
    pending = webCryptoSubtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: TAG_BYTES * 8 }, key, data)
  } finally {
    // Copied by now (or refused): no plaintext stays in the scratch.
    if (text) data.fill(0)
  }
  const sealed = await pending
  const split = sealed.byteLength - TAG_BYTES
  // The encrypted key is empty: the key is the CEK itself.
  return `${encodedHeader}..${encodedIv}.${b64u(new Uint8Array(sealed, 0, split))}.${b64u(new Uint8Array(sealed, split))}`
}

/** `webCryptoOpenDir` under a key made only once the envelope's structure and profile passed. */
export async function webCryptoOpenDirUnder(compact: string, decodedHeader: Readonly<Record<string, unknown>> | undefined, keyOf: () => Promise<CryptoKey>): Promise<Uint8Array> {
  if (typeof compact !== 'string') throw new Error('JWE must be a string')
  const parts = compact.split('.')
  if (parts.length !== 5) throw new Error('Invalid Compact JWE')
  const [encodedHeader, encryptedKey, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string]
  // The header is the AAD as spelled; IV, ciphertext and tag are checked by their strict, length-checked decoding below.
  if (!isBase64url(encodedHeader) || encodedHeader.length % 4 === 1) throw new Error('JWE Protected Header must be base64url')
  if (ciphertextText.length % 4 === 1) throw new Error('JWE Ciphertext must be base64url')
  const header: unknown = decodedHeader ?? JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromB64u(encodedHeader)))
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('JWE Protected Header must be an object')
  assertProfile(header as Record<string, unknown>)
  if (encryptedKey !== '') throw new Error('Encountered unexpected JWE Encrypted Key')
  if (ivText.length !== 16) throw new Error('Invalid Initialization Vector length')
  if (tagText.length !== 22) throw new Error('Invalid Authentication Tag length')
  const key = await keyOf()
  // From here to decrypt() nothing awaits, so the scratch holds this call's bytes when WebCrypto copies them.
  const { iv, aad, sealed } = scratchFor(encodedHeader, byteLength(ciphertextText) + TAG_BYTES)
  decodeInto(iv, ivText)
  decodeInto(sealed.subarray(0, sealed.length - TAG_BYTES), ciphertextText)
  decodeInto(sealed.subarray(sealed.length - TAG_BYTES), tagText)
  return new Uint8Array(await webCryptoSubtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: TAG_BYTES * 8 }, key, sealed))
}

async function importAesKey(secret: Uint8Array, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  if (secret.length !== KEY_BYTES) throw new TypeError('A256GCM needs a 32-byte key')
  return webCryptoSubtle().importKey('raw', webCryptoBytes(secret), 'AES-GCM', false, [usage])
}

/**
 * One buffer, reused, for what WebCrypto copies when it is called (WebCrypto
 * "get a copy of the bytes held by" each argument, before the promise): the
 * IV, the AAD, an answer's ciphertext ‖ tag, and a request's plaintext, which
 * is wiped as soon as `encrypt` has copied it. No key is ever written here. A
 * fresh buffer for messages over SCRATCH_MAX, so a large one is not kept.
 */
let scratch = new Uint8Array(4096)
const SCRATCH_MAX = 64 * 1024
const encoder = new TextEncoder()

function scratchFor(encodedHeader: string, sealedBytes: number): { iv: Bytes; aad: Bytes; sealed: Bytes } {
  const size = IV_BYTES + encodedHeader.length + sealedBytes
  let buffer = scratch
  if (size > buffer.length) {
    buffer = new Uint8Array(size)
    if (size <= SCRATCH_MAX) scratch = buffer
  }
  // The header is base64url: one byte per character.
  const written = encoder.encodeInto(encodedHeader, buffer.subarray(IV_BYTES)).written
  if (written !== encodedHeader.length) throw new Error('JWE Protected Header must be base64url')
  const end = IV_BYTES + written
  return { iv: buffer.subarray(0, IV_BYTES) as Bytes, aad: buffer.subarray(IV_BYTES, end) as Bytes, sealed: buffer.subarray(end, end + sealedBytes) as Bytes }
}

/** Bytes behind an unpadded base64url string of a length some byte string has (checked by the caller). */
const byteLength = (text: string): number => Math.floor(text.length / 4) * 3 + (text.length % 4 === 0 ? 0 : (text.length % 4) - 1)

type Base64Views = {
  setFromBase64?: (text: string, options: { alphabet: 'base64url' }) => { read: number; written: number }
  toBase64?: (options: { alphabet: 'base64url'; omitPadding: true }) => string
}

/** Decodes base64url into `out`, which must be exactly its length; in place where the runtime can (`setFromBase64`). */
function decodeInto(out: Uint8Array, text: string): void {
  const view = out as Uint8Array & Base64Views
  if (typeof view.setFromBase64 === 'function') {
    const { read, written } = view.setFromBase64(text, { alphabet: 'base64url' })
    if (read !== text.length || written !== out.length) throw new Error('JWE part is not base64url')
    return
  }
  // jose's decoder refuses `+` and `/`; whitespace and padding, which it skips, fail the length check.
  const bytes = fromB64u(text)
  if (bytes.length !== out.length) throw new Error('JWE part is not base64url')
  out.set(bytes)
}

/** base64url of a text's UTF-8, through the scratch (no array made) where the runtime has `toBase64`. */
function base64urlOfText(text: string): string {
  if (typeof (scratch as Base64Views).toBase64 !== 'function' || text.length * 3 > scratch.length) return b64u(text)
  const { written } = encoder.encodeInto(text, scratch)
  return (scratch.subarray(0, written) as Uint8Array & Base64Views).toBase64!({ alphabet: 'base64url', omitPadding: true })
}

