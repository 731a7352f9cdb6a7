import { ENVELOPE_HEADER } from '@sealwire/core'
import { METHOD_OVERRIDE_HEADERS } from './method-override.js'

/**
 * Request headers that make a response depend on what the client already
 * holds (RFC 9110 §13) or ask for part of it (§14). A sealed response is
 * unique per request, so they have no use; left in, a framework would answer
 * 304 or 206 from the plaintext's ETag, and the difference would confirm a
 * guessed plaintext (docs/PROTOCOL.md §4).
 */
export const CONDITIONAL_REQUEST_HEADERS = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range'] as const

/**
 * Request headers no wrapped handler sees, in every adapter: the envelope
 * header (its job is done once the request is opened), the headers that
 * describe the envelope body rather than the decrypted one the handler gets
 * (`Content-Length`, `Content-Type`, `Transfer-Encoding`: the adapter replaces
 * the body, and sets `Content-Type: application/json` when there is one), and
 * `CONDITIONAL_REQUEST_HEADERS`, and `METHOD_OVERRIDE_HEADERS` (the envelope
 * binds the method: nothing behind Sealwire may re-route the request). One list, so that the adapters cannot drift.
 */
export const HANDLER_DROPPED_REQUEST_HEADERS: readonly string[] = [
  ENVELOPE_HEADER.toLowerCase(),
  'content-length',
  'content-type',
  'transfer-encoding',
  ...CONDITIONAL_REQUEST_HEADERS,
  ...METHOD_OVERRIDE_HEADERS,
]

const DROPPED = new Set(HANDLER_DROPPED_REQUEST_HEADERS)

/** Whether a request field is one `HANDLER_DROPPED_REQUEST_HEADERS` names (lowercase name). */
export const isDroppedRequestHeader = (name: string): boolean => DROPPED.has(name)

/** Media type of the decrypted body an adapter hands its handler. */
export const DECRYPTED_BODY_MEDIA_TYPE = 'application/json'

/**
 * Rewrites request headers (lowercase names) in place for the handler: drops
 * `HANDLER_DROPPED_REQUEST_HEADERS`, then describes the decrypted body, if any.
 *
 * @param hasBody the handler gets a decrypted body (the protocol's `null` is none)
 */
export function rewriteHandlerHeaders<H extends Record<string, string | string[] | undefined>>(headers: H, hasBody: boolean): H {
  // Only the fields present: deleting an absent one still costs a lookup, and each delete can
  // move a framework's header object to V8's slower dictionary form.
  for (const name of HANDLER_DROPPED_REQUEST_HEADERS) if (headers[name] !== undefined) delete headers[name]
  if (hasBody) (headers as Record<string, string>)['content-type'] = DECRYPTED_BODY_MEDIA_TYPE
  return headers
}
