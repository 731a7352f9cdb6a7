/**
 * Sealwire's one error class and the one table that maps its codes to HTTP
 * statuses and RFC 9457 problem types.
 *
 * Why one class with a literal-union `code`: callers branch on `err.code`
 * (stable across releases), never on messages. The `message` is a safe,
 * public sentence; the internal reason (a jose error, a zod issue list) goes
 * to `cause`, which is never rendered onto the wire.
 */

/** Every code a Sealwire peer can answer or raise. Stable: renaming one is a breaking change. */
export const ERROR_CODES = [
  // Server side, wire protocol v1 check order (docs/PROTOCOL.md §5).
  'insecure_transport',
  'unsupported_media_type',
  'payload_too_large',
  'malformed_envelope',
  'unsupported_algorithm',
  'unknown_key',
  // Server side, step 6 for a request within a session (docs/PROTOCOL.md §11).
  'unknown_session',
  'stale_request',
  'decryption_failed',
  // Server side, before step 4 when a behaviour guard is configured (docs/PROTOCOL.md, "Behaviour guard").
  'too_many_failures',
  'binding_mismatch',
  // Server side, step 9: the sealed head (docs/PROTOCOL.md §3.5).
  'invalid_sealed_head',
  'replayed_request',
  'replay_guard_unavailable',
  'invalid_payload',
  'internal_error',
  // Client side: a response that is not what the protocol promises.
  'response_not_encrypted',
  'response_binding_mismatch',
  'response_decryption_failed',
  'key_discovery_failed',
  // Client side: the server refused the critical sealed head (it predates the extension).
  'sealed_head_unsupported',
  // Either side, reading a sealed stream (docs/PROTOCOL.md §12), after its header line opened.
  'stream_truncated',
  'stream_record_invalid',
  'stream_record_too_large',
  'stream_trailing_data',
  // Client side: the server refused a streamed upload's media type (it predates §12).
  'stream_upload_unsupported',
] as const

export type SealwireErrorCode = (typeof ERROR_CODES)[number]

interface CodeInfo {
  /** HTTP status the server answers with (client-side codes: the status a gateway would use). */
  readonly status: number
  /** RFC 9457 `title`: short, constant per code. */
  readonly title: string
  /**
   * Raised by a server before it knows the requester's response key (steps
   * 1–8, and a plaintext that is not a request), so answered in plain
   * problem+json rather than sealed.
   */
  readonly plain?: true
}

/** The one table: code → status and title. */
export const ERROR_TABLE: { readonly [C in SealwireErrorCode]: CodeInfo } = {
  insecure_transport: { status: 403, title: 'TLS is required', plain: true },
  unsupported_media_type: { status: 415, title: 'Expected a Sealwire envelope (application/jose)', plain: true },
  payload_too_large: { status: 413, title: 'Envelope exceeds the size limit', plain: true },
  malformed_envelope: { status: 400, title: 'Malformed envelope', plain: true },
  unsupported_algorithm: { status: 400, title: 'Algorithm not allowed', plain: true },
  unknown_key: { status: 400, title: 'Unknown key id', plain: true },
  // The client drops its session and resends the call as plain v1 (same jti and iat).
  unknown_session: { status: 400, title: 'Unknown or expired session', plain: true },
  stale_request: { status: 400, title: 'Request timestamp outside the accepted window', plain: true },
  decryption_failed: { status: 400, title: 'Envelope could not be decrypted', plain: true },
  // RFC 6585 §4: 429 with Retry-After. Answered before any key agreement, so plain.
  too_many_failures: { status: 429, title: 'Too many failed requests from this client', plain: true },
  binding_mismatch: { status: 400, title: 'Envelope is bound to another method or target' },
  invalid_sealed_head: { status: 400, title: 'Sealed header fields or query not accepted' },
  replayed_request: { status: 409, title: 'Request was already processed' },
  replay_guard_unavailable: { status: 503, title: 'Replay guard unavailable' },
  invalid_payload: { status: 422, title: 'Payload does not match the route schema' },
  internal_error: { status: 500, title: 'Internal server error' },
  response_not_encrypted: { status: 502, title: 'Response was not encrypted' },
  response_binding_mismatch: { status: 502, title: 'Response is not bound to this request' },
  response_decryption_failed: { status: 502, title: 'Response could not be decrypted' },
  key_discovery_failed: { status: 502, title: 'Server keys could not be fetched' },
  sealed_head_unsupported: { status: 502, title: 'Server cannot open sealed header fields or query' },
  // After the stream's header line opened, so a server answers them sealed (a client raises them).
  stream_truncated: { status: 400, title: 'Sealed stream ended before its final record' },
  stream_record_invalid: { status: 400, title: 'Sealed stream record failed authentication' },
  stream_record_too_large: { status: 400, title: 'Sealed stream record or header line out of range' },
  stream_trailing_data: { status: 400, title: 'Bytes after the final record of a sealed stream' },
  stream_upload_unsupported: { status: 502, title: 'Server cannot take a streamed upload' },
}

/**
 * The codes a server answers before decryption succeeds (steps 1–8), when it
 * knows no response key yet: the only refusals that travel in plain
 * `application/problem+json` (docs/PROTOCOL.md §5). A client treats any other
 * plaintext answer to a sealed request as a downgrade.
 */
export const PRE_DECRYPTION_CODES: ReadonlySet<SealwireErrorCode> = new Set(ERROR_CODES.filter((code) => ERROR_TABLE[code].plain === true))

/** RFC 9457 `type` URI for a code. A URN: it names the problem, it is not a page to fetch. */
export function problemType(code: SealwireErrorCode): string {
  return `urn:sealwire:problem:${code}`
}

export function isSealwireErrorCode(value: unknown): value is SealwireErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_TABLE, value)
}

/** A field-level problem in a payload (zod issue without the submitted value). */
export interface PayloadIssue {
  readonly path: ReadonlyArray<string | number>
  readonly message: string
}

export interface SealwireErrorOptions {
  /** Internal reason; kept for logs of the owner, never put on the wire. */
  cause?: unknown
  /** Safe public detail; defaults to the table's title. */
  detail?: string
  /** For `invalid_payload`: paths and messages only, never the values. */
  issues?: readonly PayloadIssue[]
}

/**
 * The error every Sealwire failure is raised as.
 *
 * @example
 * try { await openRequest(envelope, opts) }
 * catch (err) { if (err instanceof SealwireError && err.code === 'replayed_request') … }
 */
export class SealwireError extends Error {
  /** Stable code, also available as the static `SealwireError.code` of the class. */
  static readonly code = 'sealwire_error'
  readonly code: SealwireErrorCode
  readonly status: number
  readonly issues: readonly PayloadIssue[] | undefined

  constructor(code: SealwireErrorCode, options: SealwireErrorOptions = {}) {
    super(options.detail ?? ERROR_TABLE[code].title, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SealwireError'
    this.code = code
    this.status = ERROR_TABLE[code].status
    this.issues = options.issues
  }
}

export function isSealwireError(value: unknown): value is SealwireError {
  return value instanceof SealwireError
}
