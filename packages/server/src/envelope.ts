import { ENVELOPE_HEADER, JOSE_MEDIA_TYPE, MAX_HEADER_ENVELOPE_CHARS, STREAM_MEDIA_TYPE, SealwireError } from '@sealwire/core'
import type { IncomingRequest } from './types.js'

/** Where this request's envelope is, once step 2 (and the header-size part of step 3) passed. */
export type EnvelopeLocation = { readonly placement: 'body' } | { readonly placement: 'header'; readonly envelope: string } | { readonly placement: 'stream' }

const BODY: EnvelopeLocation = { placement: 'body' }
const STREAM: EnvelopeLocation = { placement: 'stream' }

const ENVELOPE_HEADER_NAME = ENVELOPE_HEADER.toLowerCase()

/** The media type's essence (RFC 9110 §8.3.1): type/subtype, lowercase, parameters dropped. */
export function mediaTypeEssence(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

/** `Content-Length` as a number; undefined when absent or not a plain decimal (then the body is counted). */
export function declaredLength(incoming: IncomingRequest): number | undefined {
  const value = incoming.header('content-length')
  return value !== undefined && /^\d{1,16}$/.test(value.trim()) ? Number(value) : undefined
}

/**
 * Whether a request without an envelope is a browser loading a page: a GET
 * that asks for HTML and that Fetch Metadata marks as a navigation (or a
 * document load). Such a request reached a sealed path by the app's layout
 * (Sealwire mounted in front of the frontend), not by a client's mistake.
 */
function isPageLoad(incoming: IncomingRequest): boolean {
  if (incoming.method !== 'GET' || !/\btext\/html\b/i.test(incoming.header('accept') ?? '')) return false
  return incoming.header('sec-fetch-mode') === 'navigate' || incoming.header('sec-fetch-dest') === 'document'
}

const STREAMED_UPLOADS_OFF =
  `This server does not take streamed uploads (${STREAM_MEDIA_TYPE}): send the body inside the envelope (${JOSE_MEDIA_TYPE}), ` +
  'or turn them on in the server with the option streamedUploads'

const PAGE_LOAD_DETAIL =
  "A browser page load carries no Sealwire envelope: mount Sealwire on your API prefix only (Express: app.use('/api', sealwireExpress(sealwire))), " +
  'or serve static files before it, so that pages, scripts and icons are answered before Sealwire sees them'

/** Methods whose requests carry no body (RFC 9110 §9.3): a streamed body on one is refused by every adapter alike. */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/**
 * Step 2 (docs/PROTOCOL.md §3, §5): the envelope travels either as an
 * `application/jose` body, or, on a request without a body, in the
 * `Sealwire-Envelope` header. Anything else is refused before a byte of body
 * is read: a plaintext body must never reach a handler of a sealed route, and
 * two envelopes at once would leave it ambiguous which one is bound.
 *
 * Step 3 for the body form (Content-Length over the cap) and the header form
 * (header over `MAX_HEADER_ENVELOPE_CHARS`) also happens here, before reading.
 */
export function locateEnvelope(incoming: IncomingRequest, maxBodyBytes: number, streamedUploads = false): EnvelopeLocation {
  const fromHeader = incoming.header(ENVELOPE_HEADER_NAME)
  const mediaType = mediaTypeEssence(incoming.header('content-type'))
  if (mediaType === STREAM_MEDIA_TYPE) {
    // Whether or not the platform hands the handler a body on such a method (a web Request for a
    // GET has none), the answer is the same: a GET must not turn into an upload its route never expects.
    if (BODYLESS_METHODS.has(incoming.method)) {
      throw new SealwireError('unsupported_media_type', { detail: `A ${incoming.method} request carries no body: send a streamed upload (${STREAM_MEDIA_TYPE}) with POST, PUT or PATCH` })
    }
    // Off, refused as a server that predates streams refuses it: the client reports stream_upload_unsupported.
    if (!streamedUploads && incoming.hasBody) throw new SealwireError('unsupported_media_type', { detail: STREAMED_UPLOADS_OFF })
  }
  if (incoming.hasBody) {
    // A streamed upload (§12): the envelope is its first line, the body records after it. No
    // Content-Length cap: the body is read one bounded record at a time, never whole, and its
    // plaintext is capped as it is read (streamedUploads.maxBytes).
    if (mediaType === STREAM_MEDIA_TYPE && fromHeader === undefined) return STREAM
    if (mediaType !== JOSE_MEDIA_TYPE) {
      throw new SealwireError('unsupported_media_type', { detail: `A request body must be a Sealwire envelope (Content-Type: ${JOSE_MEDIA_TYPE})` })
    }
    if (fromHeader !== undefined) {
      throw new SealwireError('unsupported_media_type', { detail: `An envelope travels in the body or in the ${ENVELOPE_HEADER} header, not both` })
    }
    const length = declaredLength(incoming)
    if (length !== undefined && length > maxBodyBytes) throw new SealwireError('payload_too_large')
    return BODY
  }
  if (fromHeader === undefined) {
    if (isPageLoad(incoming)) throw new SealwireError('unsupported_media_type', { detail: PAGE_LOAD_DETAIL })
    throw new SealwireError('unsupported_media_type', { detail: `No Sealwire envelope: send an ${JOSE_MEDIA_TYPE} body or a ${ENVELOPE_HEADER} header` })
  }
  if (fromHeader.length > MAX_HEADER_ENVELOPE_CHARS) throw new SealwireError('payload_too_large', { detail: `${ENVELOPE_HEADER} header exceeds the size limit` })
  return { placement: 'header', envelope: fromHeader.trim() }
}
