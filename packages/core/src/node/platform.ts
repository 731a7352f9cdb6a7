import { Buffer, isUtf8 } from 'node:buffer'
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync } from 'node:crypto'
import { isCanonicalBase64url as viaRegex } from '../encoding.js'
import type { Platform, RecordCipher } from '../platform/platform.js'
import { erasedSecretError, isErasedSecret } from '../session/erased-secret.js'
import { LONG_PART_CHARS, nodeBackend, strictBase64url } from './node-backend.js'

/**
 * From LONG_PART_CHARS (513) characters Buffer's decoder plus three native
 * checks beat the regular expression (~3× on a megabyte), and the bytes are
 * held for the cipher's decode of the same part.
 */
function isCanonicalBase64url(text: string): boolean {
  if (text.length < LONG_PART_CHARS) return viaRegex(text)
  try {
    strictBase64url(text)
  } catch {
    return false
  }
  // The alphabet holds; canonical is then a matter of the last, partial group's unused bits.
  return viaRegex(text.slice(text.length - (text.length % 4)))
}

/** `TextDecoder('utf-8', { fatal: true })` semantics on Node's native UTF-8 validator (Node 20's fatal decoder goes through ICU, several times slower). */
function decodeUtf8(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) throw new TypeError('The encoded data was not valid for encoding utf-8')
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const bom = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf
  return buffer.toString('utf8', bom ? 3 : 0)
}

/** Buffer's native decoder (jose's portable one goes through `atob`), for text already checked to be base64url (Platform). */
function decodeBase64url(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'base64url')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

const COUNTER_1 = new Uint8Array([1])

/**
 * HKDF-SHA256 (RFC 5869) as its two HMACs when one block is asked (every
 * session key is 32 bytes): PRK = HMAC(salt, IKM), OKM = HMAC(PRK, info ‖ 0x01).
 * Half the CPU of `hkdfSync` (~5 µs against ~10 on Node 20), which wraps the
 * IKM in a KeyObject and validates its arguments on every call; within a
 * session that is the server's one derivation per request. Longer outputs
 * take `hkdfSync`. Synchronous work: WebCrypto's import-then-derive would be
 * two promises.
 */
async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array> {
  if (length > 32) return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length))
  const prk = createHmac('sha256', salt).update(ikm).digest()
  const expand = createHmac('sha256', prk)
  prk.fill(0)
  const okm = expand.update(info).update(COUNTER_1).digest()
  return new Uint8Array(okm.buffer, okm.byteOffset, length)
}

/**
 * Buffer's encoder: a body of a few KiB is cut from Buffer's shared pool, where
 * `TextEncoder.encode` allocates a fresh ArrayBuffer per call; on Node 20 that
 * cost ~30 µs a sealed response under load (the allocation's external-memory
 * accounting drives extra collections), more than the AES-GCM seal itself.
 * The same bytes: both replace a lone surrogate with U+FFFD.
 */
function encodeUtf8(text: string): Uint8Array {
  const buffer = Buffer.from(text, 'utf8')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

const TAG_BYTES = 16

/**
 * Stream records (docs/PROTOCOL.md §12) through node:crypto: one cipher
 * context per record, the key a KeyObject made once per stream. Synchronous
 * (OpenSSL's AES-NI path), so a record costs the AES-GCM pass and, for the
 * writer, one copy into the framed output (`sealInParts` skips even that) — no
 * promise, no zeroed buffer, no thread pool: the aim is a streamed download at
 * 0.8× the bare cipher's throughput. `allocUnsafeSlow`, and the buffers
 * update() and getAuthTag() return: each a buffer of its own, never a slice
 * of Node's shared pool, so a record handed on holds no other data's memory.
 */
async function recordCipher(raw: Uint8Array): Promise<RecordCipher> {
  const key = createSecretKey(raw)
  // The nonce and tag node:crypto is handed, copied into buffers of their own first: a 12- or 16-byte
  // Uint8Array lives on V8's heap, and node:crypto reading one moves it off (an allocation and a backing
  // store for the collector to track, per call; two or three a record). Both are copied by the cipher
  // before the call returns, so one pair serves every record.
  const iv = Buffer.allocUnsafeSlow(12)
  const tagIn = Buffer.allocUnsafeSlow(TAG_BYTES)
  const ivOf = (nonce: Uint8Array): Buffer => {
    // A shorter nonce would leave the last record's bytes in place.
    if (nonce.length !== iv.length) throw new TypeError('a record nonce is 12 bytes')
    iv.set(nonce)
    return iv
  }
  return {
    seal(nonce, plaintext, out, offset) {
      const cipher = createCipheriv('aes-256-gcm', key, ivOf(nonce), { authTagLength: TAG_BYTES })
      const head = cipher.update(plaintext)
      cipher.final() // GCM is a stream mode: final() yields nothing, it computes the tag
      out.set(head, offset)
      out.set(cipher.getAuthTag(), offset + head.length)
    },
    sealInParts(nonce, plaintext) {
      const cipher = createCipheriv('aes-256-gcm', key, ivOf(nonce), { authTagLength: TAG_BYTES })
      const head = cipher.update(plaintext)
      cipher.final()
      const tag = cipher.getAuthTag()
      return [new Uint8Array(head.buffer, head.byteOffset, head.byteLength), new Uint8Array(tag.buffer, tag.byteOffset, tag.byteLength)]
    },
    open(nonce, sealed) {
      const end = sealed.length - TAG_BYTES
      const decipher = createDecipheriv('aes-256-gcm', key, ivOf(nonce), { authTagLength: TAG_BYTES })
      decipher.setAuthTag(sealed.subarray(end))
      const plaintext = decipher.update(sealed.subarray(0, end))
      decipher.final() // throws on a bad tag; the plaintext above is then dropped, never returned
      return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
    },
    openInPieces(nonce) {
      const decipher = createDecipheriv('aes-256-gcm', key, ivOf(nonce), { authTagLength: TAG_BYTES })
      return {
        update: (ciphertext) => {
          const plaintext = decipher.update(ciphertext)
          return new Uint8Array(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength)
        },
        verify(tag) {
          if (tag.length !== TAG_BYTES) throw new TypeError('a record tag is 16 bytes')
          tagIn.set(tag)
          decipher.setAuthTag(tagIn)
          decipher.final() // throws on a bad tag; the reader then drops what update() gave
        },
      }
    },
    alloc(length) {
      const buffer = Buffer.allocUnsafeSlow(length)
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    },
  }
}

/**
 * `hkdf` under a session's S, read at each call, so nothing derived from it
 * outlives its erasure; an erased one (zeros) is refused, never derived from.
 */
const hkdfUnderSecret: Platform['hkdfUnderSecret'] = (secret, salt, info, length) => (isErasedSecret(secret) ? Promise.reject(erasedSecretError()) : hkdf(secret, salt, info, length))

/** Node: node:crypto for every key agreement, cipher and KDF, Buffer and the native UTF-8 validator for the codecs. */
export const platform: Platform = { backend: nodeBackend, isCanonicalBase64url, decodeBase64url, decodeUtf8, encodeUtf8, hkdf, hkdfUnderSecret, recordCipher }
