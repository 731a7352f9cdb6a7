import { systemClock, type Clock } from '@sealwire/core'
import { resolveGuardLimits, type GuardLimits, type GuardStore, type ResolvedGuardLimits } from './guard-store.js'

/** How many of the oldest peers a full store looks at for one it may evict. */
const EVICTION_SCAN = 64

export interface MemoryGuardStoreOptions extends GuardLimits {
  /**
   * Most peers tracked at once. Past it, expired entries are swept, then the
   * oldest entry is dropped, so memory stays bounded whatever the number of
   * peers; a flood of new peers can thereby free an old one early. Default 10 000.
   */
  maxPeers?: number
  /** Time source; for tests. Default `Date.now`. */
  clock?: Clock
}

interface Entry {
  failures: number
  windowEnds: number
  blockedUntil: number
}

/**
 * Per-peer failure counters in this process: right for one instance (each
 * instance of several counts on its own, so a peer gets the budget once per
 * instance; share `RedisGuardStore` to count across them).
 *
 * @example
 * import { MemoryGuardStore, createSealwireServer } from '@sealwire/server'
 * const sealwire = createSealwireServer({ keys, guard: { store: new MemoryGuardStore({ budget: 20, coolDownSeconds: 60 }) } })
 */
export class MemoryGuardStore implements GuardStore {
  readonly #limits: ResolvedGuardLimits
  readonly #maxPeers: number
  readonly #clock: Clock
  // Insertion order is age order: the first entries are the oldest.
  readonly #peers = new Map<string, Entry>()
  #lastSweep = Number.NEGATIVE_INFINITY

  constructor(options: MemoryGuardStoreOptions = {}) {
    this.#limits = resolveGuardLimits(options, 'MemoryGuardStore')
    const maxPeers = options.maxPeers ?? 10_000
    if (!Number.isSafeInteger(maxPeers) || maxPeers < 1) throw new TypeError('MemoryGuardStore: maxPeers must be a positive integer')
    this.#maxPeers = maxPeers
    this.#clock = options.clock ?? systemClock
  }

  /** Peers tracked now. */
  get size(): number {
    return this.#peers.size
  }

  blockedFor(peer: string): number {
    const entry = this.#peers.get(peer)
    if (entry === undefined) return 0
    return Math.max(0, entry.blockedUntil - this.#clock())
  }

  recordFailure(peer: string): number {
    const now = this.#clock()
    let entry = this.#peers.get(peer)
    if (entry !== undefined && entry.blockedUntil > now) return entry.blockedUntil - now
    if (entry === undefined || now >= entry.windowEnds) {
      if (entry !== undefined) this.#peers.delete(peer)
      else if (this.#peers.size >= this.#maxPeers && !this.#makeRoom(now)) return 0 // full of blocked peers: this one goes uncounted, the blocks hold
      entry = { failures: 0, windowEnds: now + this.#limits.windowMs, blockedUntil: 0 }
      this.#peers.set(peer, entry)
    }
    entry.failures++
    if (entry.failures < this.#limits.budget) return 0
    // The budget is spent: block for the cooling period, then count afresh.
    entry.failures = 0
    entry.blockedUntil = now + this.#limits.coolDownMs
    entry.windowEnds = entry.blockedUntil
    return this.#limits.coolDownMs
  }

  /** Frees a slot; false when none can be freed without lifting a block. */
  #makeRoom(now: number): boolean {
    // A full sweep at most once a second: a flood of new peers must not make
    // every request walk the whole map.
    if (now - this.#lastSweep >= 1000) {
      this.#lastSweep = now
      for (const [peer, entry] of this.#peers) {
        if (entry.windowEnds <= now && entry.blockedUntil <= now) this.#peers.delete(peer)
      }
    }
    if (this.#peers.size < this.#maxPeers) return false
    // Evict the oldest peer that is not cooling down. A blocked peer is never
    // evicted: else an attacker (an IPv6 /48 owns 65 536 /64s) could flush its
    // own block by sending from maxPeers other keys. The scan is bounded so a
    // flood cannot make each request walk the map.
    let scanned = 0
    for (const [peer, entry] of this.#peers) {
      if (entry.blockedUntil <= now) {
        this.#peers.delete(peer)
        return true
      }
      if (++scanned >= EVICTION_SCAN) break
    }
    return false
  }
}
