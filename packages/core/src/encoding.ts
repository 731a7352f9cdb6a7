// jose by subpath, not its index: the index re-exports every jose module, which would pull the
// lazily loaded signed-key-set verification (jwtVerify) into the eager browser bundle.
import * as base64url from 'jose/base64url'

const encoder = new TextEncoder()
// fatal: invalid UTF-8 is an error, not U+FFFD, so a mangled plaintext cannot pass as another.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

export const utf8 = (text: string): Uint8Array => encoder.encode(text)
export const fromUtf8 = (bytes: Uint8Array): string => decoder.decode(bytes)

export const b64u = (bytes: Uint8Array | string): string => base64url.encode(bytes)
export const fromB64u = (text: string): Uint8Array => base64url.decode(text)

/** RFC 7515 §2 base64url without padding: only the URL-safe alphabet. */
const BASE64URL = /^[A-Za-z0-9_-]*$/
export const isBase64url = (text: string): boolean => BASE64URL.test(text)

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Canonical unpadded base64url (RFC 4648 §3.5): the alphabet, a length some
 * byte string has, and the unused low bits of the last character zero. A
 * lenient decoder maps up to 16 spellings to the same bytes; accepting only
 * the one an encoder produces keeps an envelope byte-unique (no re-spelled
 * copy of a request passes as a different envelope).
 *
 * @example
 * isCanonicalBase64url('AQ') // true
 * isCanonicalBase64url('AR') // false: the same byte 0x01, with a stray bit
 */
export function isCanonicalBase64url(text: string): boolean {
  if (!BASE64URL.test(text)) return false
  const rem = text.length % 4
  if (rem === 0) return true
  if (rem === 1) return false
  const unusedMask = rem === 2 ? 0x0f : 0x03
  return (ALPHABET.indexOf(text[text.length - 1]!) & unusedMask) === 0
}

/** Length of the bytes behind an unpadded base64url string; -1 where no byte string has that encoding. */
export function base64urlByteLength(text: string): number {
  const rem = text.length % 4
  if (rem === 1) return -1
  return Math.floor(text.length / 4) * 3 + (rem === 0 ? 0 : rem - 1)
}
