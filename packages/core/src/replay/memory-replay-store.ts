import { SealwireError } from '../errors.js'
import { systemClock, type Clock } from '../runtime.js'
import type { ReplayStore } from './replay-store.js'

export interface MemoryReplayStoreOptions {
  /** Most jtis held at once; when full (after dropping expired ones) the store fails closed. Default 100 000. */
  maxEntries?: number
  clock?: Clock
}

/**
 * A bounded in-process replay store, for one server instance. Several
 * instances need a shared store (`@sealwire/redis`).
 *
 * O(1) amortized per call: entries sit in a Map in insertion order and the
 * server gives every entry the same TTL, so expiries are ordered too and the
 * sweep only ever looks at the oldest entries.
 *
 * When full it refuses (`replay_guard_unavailable`, 503) rather than evicting
 * a live jti: eviction would reopen the door to replaying that request.
 */
export class MemoryReplayStore implements ReplayStore {
  readonly rememberedSince: number
  readonly #maxEntries: number
  readonly #clock: Clock
  readonly #seen = new Map<string, number>()
  #nextFullSweep = 0

  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? 100_000
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer')
    this.#maxEntries = maxEntries
    this.#clock = options.clock ?? systemClock
    this.rememberedSince = this.#clock()
  }

  get size(): number {
    return this.#seen.size
  }

  async checkAndSet(jti: string, expiresAt: number): Promise<boolean> {
    const now = this.#clock()
    this.#sweep(now)
    const seenUntil = this.#seen.get(jti)
    if (seenUntil !== undefined && seenUntil > now) return false
    if (this.#seen.size >= this.#maxEntries) this.#fullSweep(now)
    if (this.#seen.size >= this.#maxEntries) {
      throw new SealwireError('replay_guard_unavailable', { cause: new Error(`memory replay store full (${this.#maxEntries} entries)`) })
    }
    this.#seen.set(jti, expiresAt)
    return true
  }

  /**
   * Expiries follow insertion order only while every caller uses one TTL and the
   * clock never steps back; otherwise expired entries can sit behind a live one.
   * Before refusing as full, drop them all — at most once a second, so a store
   * kept full by a flood stays O(1) amortized.
   */
  #fullSweep(now: number): void {
    if (now < this.#nextFullSweep) return
    this.#nextFullSweep = now + 1000
    for (const [jti, expiresAt] of this.#seen) if (expiresAt <= now) this.#seen.delete(jti)
  }

  #sweep(now: number): void {
    // Stops at the first live entry: the ones behind it were inserted later and expire later.
    for (const [jti, expiresAt] of this.#seen) {
      if (expiresAt > now) return
      this.#seen.delete(jti)
    }
  }
}
