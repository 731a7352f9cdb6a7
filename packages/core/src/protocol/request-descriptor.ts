import type { SessionAnnouncement } from '../session/establish-session.js'

/** What an envelope is bound to: the request's method, its origin-form target and, optionally, its origin. */
export interface RequestDescriptor {
  /** HTTP method; compared uppercase. */
  method: string
  /** Origin-form target as sent on the wire: path plus query (`/api/items?id=7`). */
  target: string
  /**
   * The origin the request is sent to, normalized (`normalizeOrigin`): sealed
   * as `hto` by `sealRequest`; on the server, the origin the request reached
   * (scheme and `Host`), compared with `hto` when `origins` is configured.
   */
  origin?: string | undefined
}

/** What a response is sealed with and bound to: the request's `jti` and response key. */
export interface ReplyContext {
  readonly jti: string
  readonly rk: Uint8Array
  /**
   * Whether the requester announced the sealed head (`shd`, docs/PROTOCOL.md
   * §3.5): it then opens response header fields sealed with the answer.
   */
  readonly sealsHead?: boolean
  /**
   * The session established for the requester (docs/PROTOCOL.md §11): every
   * answer sealed with this context announces it in its protected header
   * (`ses`), which the answer's AEAD authenticates.
   */
  readonly session?: SessionAnnouncement
  /**
   * Whether the requester announced it reads streamed answers (`str: 1`,
   * docs/PROTOCOL.md §12): only then may an answer be a stream.
   */
  readonly streams?: boolean
}

const HEADER_METHODS = new Set(['GET', 'HEAD'])

/**
 * Where an envelope travels (docs/PROTOCOL.md §3): in the `Sealwire-Envelope`
 * header for methods without a body (GET, HEAD, and DELETE when it has no
 * body), otherwise as the `application/jose` request body.
 */
export function envelopePlacement(method: string, hasBody: boolean): 'header' | 'body' {
  const m = method.toUpperCase()
  return HEADER_METHODS.has(m) || (m === 'DELETE' && !hasBody) ? 'header' : 'body'
}
