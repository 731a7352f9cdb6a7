import type { Clock } from '@sealwire/core'
import type { KeySource } from './keys/key-source.js'
import type { SessionKeeper } from './session/session-keeper.js'

/** What one client holds between requests. Internal. */
export interface ClientState {
  /** `baseUrl`, parsed; paths are appended to it. */
  readonly base: URL
  readonly fetch: typeof globalThis.fetch
  /** The local clock (ms); `iat` uses `clock() + offsetMs`. */
  readonly clock: Clock
  readonly allowInsecureTransport: boolean
  readonly keys: KeySource
  /**
   * Server time minus local time, learnt from the `Date` of the key set's answer
   * or of a `stale_request` (docs/PROTOCOL.md §6); it dates first envelopes only.
   */
  offsetMs: number
  /** The largest |offset| the client will learn (`maxClockCorrectionSeconds`). */
  readonly maxClockCorrectionMs: number
  /** `maxResponseBytes`: the cap on a sealed answer's body. */
  readonly maxResponseBytes: number
  /** Lowercase names of the request fields sealed when present (`sealHeaders`, `clearHeaders`). */
  readonly sealHeaders: ReadonlySet<string>
  /** `sealQuery`: the query travels inside the envelope. */
  readonly sealQuery: boolean
  /**
   * This client's sessions (docs/PROTOCOL.md §11), loaded on first use
   * (undefined while the load fails); undefined with `sessions: false`.
   */
  readonly sessions: (() => Promise<SessionKeeper | undefined>) | undefined
}
