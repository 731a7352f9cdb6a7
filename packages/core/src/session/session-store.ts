import type { Curve } from '../keys/jwk.js'

/** What a server keeps of one session (docs/PROTOCOL.md §11). `secret` is S: whoever reads it opens the session. */
export interface SessionRecord {
  /** The session secret S, 32 bytes. */
  readonly secret: Uint8Array
  /** The server key the session was established under; the session ends when the ring no longer holds it. */
  readonly kid: string
  readonly crv: Curve
  /** The origin the establishing request was bound to (`hto`), or "" when it carried none. */
  readonly origin: string
  /** Expiry, in seconds since the epoch. */
  readonly exp: number
}

/**
 * Where a server keeps its sessions. Implementations erase a record at its
 * `exp` (a TTL), and fail closed: a `get` that cannot answer rejects, and the
 * request is answered `unknown_session` (its client falls back to a plain v1
 * request); a `set` that rejects only means no session is offered.
 */
export interface SessionStore {
  /** Keeps `record` under `sid` until `record.exp`. */
  set(sid: string, record: SessionRecord): Promise<void>
  /** The live record under `sid`, or undefined (unknown, expired or revoked). */
  get(sid: string): Promise<SessionRecord | undefined>
  /** Ends every session held: later requests within them answer `unknown_session`. */
  revokeAll(): Promise<void>
}
