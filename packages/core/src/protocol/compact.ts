import { SealwireError, type PayloadIssue } from '../errors.js'
import { platform } from '#platform'
import { MAX_PROTECTED_HEADER_CHARS } from '../constants.js'

/**
 * Splits a JWE Compact Serialization (RFC 7516 §7.1) and decodes its protected
 * header as a JSON object, without any key work. Every structural failure is
 * `malformed_envelope`; an oversized header is `payload_too_large`.
 */
export function decodeProtectedHeader(compact: unknown): Record<string, unknown> {
  if (typeof compact !== 'string') throw new SealwireError('malformed_envelope', { detail: 'Envelope must be a JWE compact serialization' })
  const parts = compact.split('.')
  if (parts.length !== 5) throw new SealwireError('malformed_envelope', { detail: 'Envelope must have five base64url parts' })
  const encoded = parts[0]!
  // The size cap (step 3) before any parsing (step 4): an oversized header is
  // refused as such whatever it contains.
  if (encoded.length > MAX_PROTECTED_HEADER_CHARS) throw new SealwireError('payload_too_large', { detail: 'Protected header exceeds 8 KiB' })
  // Canonical spellings only: a re-spelled part would decode to the same bytes,
  // making another string the same envelope (found by fuzzing).
  if (!parts.every(platform.isCanonicalBase64url)) throw new SealwireError('malformed_envelope', { detail: 'Envelope must have five base64url parts' })
  let header: unknown
  try {
    // The platform's codecs: on Node, Buffer and the native UTF-8 validator (fatal, as encoding.ts's fromUtf8).
    header = JSON.parse(platform.decodeUtf8(platform.decodeBase64url(encoded)))
  } catch {
    // No `cause`: JSON.parse's message quotes the input, and causes end up in logs.
    throw new SealwireError('malformed_envelope', { detail: 'Protected header is not base64url JSON' })
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SealwireError('malformed_envelope', { detail: 'Protected header must be a JSON object' })
  }
  return header as Record<string, unknown>
}

/**
 * Zod issues as paths and messages only, for `cause` and for `invalid_payload`.
 * Zod's messages name expected types and limits, never the submitted values —
 * except `unrecognized_keys`, which lists the submitted key names: replaced by a
 * generic message, since a key can itself be data (an e-mail used as a map key).
 */
export function payloadIssues(error: { issues: ReadonlyArray<{ code?: string; path: PropertyKey[]; message: string }> }): PayloadIssue[] {
  return error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === 'number' ? p : String(p))),
    message: i.code === 'unrecognized_keys' ? 'Unrecognized keys' : i.message,
  }))
}
