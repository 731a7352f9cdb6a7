// jose by subpath, not its index: the index re-exports every jose module, which would pull the
// lazily loaded signed-key-set verification (jwtVerify) into the eager browser bundle.
import * as base64url from 'jose/base64url'

/** The five parts of a JWE Compact Serialization (RFC 7516 §7.1), decoded. */
export interface CompactParts {
  /** The first part as received: its ASCII bytes are the AAD (RFC 7516 §5.1 step 14). */
  encodedHeader: string
  header: Record<string, unknown>
  encryptedKey: Uint8Array
  iv: Uint8Array
  ciphertext: Uint8Array
  tag: Uint8Array
}

const B64U = /^[A-Za-z0-9_-]*$/
const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

/** Splits and decodes a compact JWE; throws on any structural fault (the caller maps every throw to one code). */
export function parseCompact(compact: unknown): CompactParts {
  if (typeof compact !== 'string') throw new Error('JWE must be a string')
  const parts = compact.split('.')
  if (parts.length !== 5 || !parts.every((p) => B64U.test(p))) throw new Error('Invalid Compact JWE')
  const [encodedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string]
  const header: unknown = JSON.parse(decoder.decode(base64url.decode(encodedHeader)))
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new Error('JWE Protected Header must be an object')
  return {
    encodedHeader,
    header: header as Record<string, unknown>,
    encryptedKey: base64url.decode(encryptedKey),
    iv: base64url.decode(iv),
    ciphertext: base64url.decode(ciphertext),
    tag: base64url.decode(tag),
  }
}

/** `BASE64URL(UTF8(header))`, serialized as jose does: a JSON round trip first, so both produce the same member order. */
export function encodeHeader(header: Record<string, unknown>): string {
  return base64url.encode(JSON.stringify(header))
}

export function serializeCompact(encodedHeader: string, iv: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array): string {
  // The encrypted key is empty in both modes of the v1 profile: ECDH-ES and dir are direct (RFC 7518 §4.6, §4.5).
  return [encodedHeader, '', base64url.encode(iv), base64url.encode(ciphertext), base64url.encode(tag)].join('.')
}

export const ascii = (text: string): Uint8Array => encoder.encode(text)
