import { systemClock, type Clock } from '@sealwire/core'
import { resolveGuardLimits, type GuardLimits, type GuardStore, type ResolvedGuardLimits } from './guard-store.js'

export interface MemoryGuardStoreOptions extends GuardLimits {
  /**
   * Most peers counted at once, and separately most peers blocked at once, so
   * memory stays bounded (at most twice this many entries) whatever the number
   * of peers. Past it, the peer counted longest ago is forgotten to count a new
   * one; a block is never lifted early. Default 10 000.
   */
  maxPeers?: number
  /** Time source; for tests. Default `Date.now`. */
  clock?: Clock
}

/**
 * Per-peer failure counters in this process: right for one instance (each
 * instance of several counts on its own, so a peer gets the budget once per
 * instance; share `RedisGuardStore` to count across them).
 *
 * Counting peers and blocked peers are kept apart, each map in the order its
 * entries expire (every window, every cooling period has the same length), so
 * expired entries leave from the front in constant time and room for a new
 * peer is always found there: a store whose oldest entries are all blocked
 * still counts new peers, and freeing room never lifts a block.
 *
 * @example
 * import { MemoryGuardStore, createSealwireServer } from '@sealwire/server'
 * const sealwire = createSealwireServer({ keys, guard: { store: new MemoryGuardStore({ budget: 20, coolDownSeconds: 60 }) } })
 */
export class MemoryGuardStore implements GuardStore {
  readonly #limits: ResolvedGuardLimits
  readonly #maxPeers: number
  readonly #clock: Clock
  /** Failures within the window, by peer; insertion order is window order (the first ends first). */
  readonly #counting = new Map<string, { failures: number; windowEnds: number }>()
  /** End of the cooling period, by peer; insertion order is expiry order. */
  readonly #blocked = new Map<string, number>()

  constructor(options: MemoryGuardStoreOptions = {}) {
    this.#limits = resolveGuardLimits(options, 'MemoryGuardStore')
    const maxPeers = options.maxPeers ?? 10_000
    if (!Number.isSafeInteger(maxPeers) || maxPeers < 1) throw new TypeError('MemoryGuardStore: maxPeers must be a positive integer')
    this.#maxPeers = maxPeers
    this.#clock = options.clock ?? systemClock
  }

  /** Peers tracked now (counted or blocked). */
  get size(): number {
    return this.#counting.size + this.#blocked.size
  }

  blockedFor(peer: string): number {
    const until = this.#blocked.get(peer)
    return until === undefined ? 0 : Math.max(0, until - this.#clock())
  }

  recordFailure(peer: string): number {
    const now = this.#clock()
    this.#expire(now)
    const until = this.#blocked.get(peer)
    if (until !== undefined) return until - now
    let entry = this.#counting.get(peer)
    if (entry === undefined) {
      // Full: forget the peer counted longest ago (never a blocked one, which lives apart).
      if (this.#counting.size >= this.#maxPeers) this.#counting.delete(this.#counting.keys().next().value!)
      entry = { failures: 0, windowEnds: now + this.#limits.windowMs }
      this.#counting.set(peer, entry)
    }
    if (++entry.failures < this.#limits.budget) return 0
    // The budget is spent: block for the cooling period, then count afresh. With
    // maxPeers blocks already held, the peer stays at its budget, counted, and is
    // blocked by its next failure once a block ends: no block is cut short for it.
    if (this.#blocked.size >= this.#maxPeers) {
      entry.failures = this.#limits.budget - 1
      return 0
    }
    this.#counting.delete(peer)
    this.#blocked.set(peer, now + this.#limits.coolDownMs)
    return this.#limits.coolDownMs
  }

  /** Drops ended windows and ended blocks, from the front of each map: each entry once, so O(1) amortized. */
  #expire(now: number): void {
    for (const [peer, entry] of this.#counting) {
      if (entry.windowEnds > now) break
      this.#counting.delete(peer)
    }
    for (const [peer, until] of this.#blocked) {
      if (until > now) break
      this.#blocked.delete(peer)
    }
  }
}
