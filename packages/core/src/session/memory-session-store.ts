import { systemClock, type Clock } from '../runtime.js'
import type { SessionRecord, SessionStore } from './session-store.js'

/** Default `maxEntries`: 100 000 sessions, about 30 MB when full. */
export const DEFAULT_MEMORY_SESSION_MAX_ENTRIES = 100_000

export interface MemorySessionStoreOptions {
  /** Most sessions held at once; when full, no new session is established until some expire. Default 100 000. */
  maxEntries?: number
  clock?: Clock
}

/**
 * Sessions in this process's memory, for one server instance (several
 * instances need a shared store: `RedisSessionStore` in `@sealwire/redis`).
 * Bounded: past `maxEntries` live sessions, requests go on without one. A
 * record is dropped, its secret overwritten, at expiry or on `revokeAll`.
 *
 * @example
 * const sealwire = createSealwireServer({ keys, sessions: { store: new MemorySessionStore({ maxEntries: 10_000 }) } })
 */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<string, SessionRecord>()
  readonly #maxEntries: number
  readonly #clock: Clock

  constructor(options: MemorySessionStoreOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_MEMORY_SESSION_MAX_ENTRIES
    if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('MemorySessionStore: maxEntries must be a positive integer')
    this.#maxEntries = max
    this.#clock = options.clock ?? systemClock
  }

  /** Live sessions held (expired ones are dropped as new ones arrive). */
  get size(): number {
    return this.#records.size
  }

  async set(sid: string, record: SessionRecord): Promise<void> {
    this.#sweep()
    if (this.#records.size >= this.#maxEntries) throw new RangeError(`MemorySessionStore holds ${this.#maxEntries} live sessions (maxEntries)`)
    this.#records.set(sid, record)
  }

  async get(sid: string): Promise<SessionRecord | undefined> {
    // Every lookup sweeps too (from the oldest, stopping at the first live one): a quiet server
    // does not keep an ended session's secret in memory until the next one is made.
    this.#sweep()
    const record = this.#records.get(sid)
    if (record === undefined) return undefined
    if (record.exp * 1000 > this.#clock()) return record
    this.#drop(sid, record)
    return undefined
  }

  async revokeAll(): Promise<void> {
    for (const [sid, record] of this.#records) this.#drop(sid, record)
  }

  /**
   * Drops expired records from the oldest: one server's sessions share one
   * lifetime, so insertion order is expiry order and the sweep stops at the
   * first live one (a shorter ttl after a change only delays a few drops).
   */
  #sweep(): void {
    const now = this.#clock()
    for (const [sid, record] of this.#records) {
      if (record.exp * 1000 > now) return
      this.#drop(sid, record)
    }
  }

  #drop(sid: string, record: SessionRecord): void {
    this.#records.delete(sid)
    // Best effort: the engine may hold copies for a moment, but the store keeps no S past its life.
    record.secret.fill(0)
  }
}
