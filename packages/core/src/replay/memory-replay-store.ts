import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_SKEW_SECONDS, DEFAULT_REPLAY_MARGIN_SECONDS } from '../constants.js'
import { SealwireError } from '../errors.js'
import { systemClock, systemRandom, type Clock } from '../runtime.js'
import { FingerprintTable } from './fingerprint-table.js'
import type { ReplayStore } from './replay-store.js'
import { sipHash24 } from './siphash.js'

/**
 * Accepted requests per second that one instance's default memory store is
 * sized for, sustained for the whole default TTL. The one figure to change to
 * resize the default (`DEFAULT_MEMORY_REPLAY_MAX_ENTRIES` follows from it).
 */
export const MEMORY_REPLAY_DESIGN_RATE = 40_000

/**
 * Longest a jti is held with the server's default options, in seconds from its
 * receipt: the server asks for (iat + maxAge + margin) s + 1 ms, iat being at
 * most maxSkew ahead, and the store rounds each expiry up to a whole second:
 * 60 + 5 + 5 + 1 = 71 s.
 */
export const DEFAULT_REPLAY_TTL_SECONDS = DEFAULT_MAX_AGE_SECONDS + DEFAULT_MAX_SKEW_SECONDS + DEFAULT_REPLAY_MARGIN_SECONDS + 1

/**
 * Default `maxEntries`: the design rate for the whole default TTL,
 * 40 000 × 71 = 2 840 000 live jtis, about 38 MB when full (12 bytes a slot
 * at 90 % load). Memory is taken as entries arrive, not up front.
 */
export const DEFAULT_MEMORY_REPLAY_MAX_ENTRIES = MEMORY_REPLAY_DESIGN_RATE * DEFAULT_REPLAY_TTL_SECONDS

export interface MemoryReplayStoreOptions {
  /**
   * Most jtis held at once; when full the store fails closed. Default
   * `DEFAULT_MEMORY_REPLAY_MAX_ENTRIES` (2 840 000: 40 000 accepted requests/s
   * for 71 s). Size it as your peak accept rate × (maxAge + maxSkew +
   * replayMargin + 1 s).
   */
  maxEntries?: number
  clock?: Clock
}

/** Tags count seconds from this far before the store's creation, so a clock stepped back stays on the scale. */
const TAG_ORIGIN_BEFORE_START_SECONDS = 2 ** 30
/** Longest jti hashed from the reusable buffer; a longer one (never from `openRequest`) gets its own. */
const REUSED_BUFFER_CHARS = 256

const utf8 = new TextEncoder()

const unavailable = (reason: Error) => new SealwireError('replay_guard_unavailable', { cause: reason })

/**
 * A bounded in-process replay store, for one server instance. Several
 * instances need a shared store (`@sealwire/redis`).
 *
 * Compact: it keeps a 64-bit fingerprint of each jti — SipHash-2-4 keyed with
 * a random secret drawn when the store is made — and its expiry second, in
 * typed arrays: 12 bytes a slot, 13 to 20 bytes per live jti, taken as jtis
 * arrive (see `fingerprint-table.ts`). A fingerprint collision can only make
 * a new jti look like a replay, never let a replay through; the odds and why
 * nobody can aim one are in docs/PROTOCOL.md §6.
 *
 * O(1) per call: at most eight slots are read, and expired entries are not
 * swept but overwritten; a count of live entries per expiry second drops as
 * each second passes.
 *
 * A jti is held at least until `expiresAt` (exclusive) and at most until the
 * end of that second. When full it refuses (`replay_guard_unavailable`, 503)
 * rather than evicting a live jti: eviction would reopen the door to
 * replaying that request.
 *
 * @example
 * import { MemoryReplayStore, openRequest } from '@sealwire/core'
 *
 * const replayStore = new MemoryReplayStore() // 2 840 000 live jtis at most
 * const opened = await openRequest(envelope, { keyRing, replayStore, request: { method: 'POST', target: '/api/echo' } })
 */
/** Process-wide mark that a memory replay store was made (a symbol in the global registry, so two copies of this module share it). */
const STORE_MADE = Symbol.for('sealwire.memoryReplayStore.made')

/**
 * When a new store's memory begins: the instant from which it can vouch that
 * it saw every request this process accepted (`rememberedSince`).
 *
 * The first store of a process begins with the process itself
 * (`performance.timeOrigin`): this process accepted nothing before it
 * started, and a previous process is what the restart rule is for. So a
 * request sealed while the process was loading — the first request after
 * `next dev` compiles a route, a module that builds its server lazily — is not
 * refused for predating the store. A later store of the same process (a hot
 * reload, a second server) begins when it is made: the store before it may
 * have accepted requests it never heard of.
 *
 * @internal Exported for tests.
 */
export function memoryBeginsAt(now: number, timeOrigin: number | undefined, registry: Record<symbol, unknown>): number {
  const first = registry[STORE_MADE] !== true
  registry[STORE_MADE] = true
  // workerd and some hosts report 0 (or nothing): no process start to go by.
  return first && typeof timeOrigin === 'number' && timeOrigin > 0 && timeOrigin <= now ? timeOrigin : now
}

export class MemoryReplayStore implements ReplayStore {
  readonly rememberedSince: number
  readonly #maxEntries: number
  readonly #clock: Clock
  readonly #key: Uint32Array
  readonly #table: FingerprintTable
  /** Seconds of the tag scale's zero (tags are expiry seconds counted from it). */
  readonly #origin: number
  /** Live entries per expiry tag, and their sum. */
  readonly #liveByTag = new Map<number, number>()
  #live = 0
  /** The tag of the second up to which `#liveByTag` has dropped expired entries. */
  #countedAt: number
  #bytes = new Uint8Array(REUSED_BUFFER_CHARS * 3)
  readonly #fingerprint = new Uint32Array(2)
  #random: number

  constructor(options: MemoryReplayStoreOptions = {}) {
    const maxEntries = options.maxEntries ?? DEFAULT_MEMORY_REPLAY_MAX_ENTRIES
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new TypeError('maxEntries must be a positive integer')
    this.#maxEntries = maxEntries
    this.#clock = options.clock ?? systemClock
    // Every store marks the process, whatever its clock; only one on the system clock may date from the process's start.
    const made = memoryBeginsAt(Date.now(), globalThis.performance?.timeOrigin, globalThis as Record<symbol, unknown>)
    this.rememberedSince = this.#clock === systemClock ? made : this.#clock()
    this.#origin = Math.floor(this.rememberedSince / 1000) - TAG_ORIGIN_BEFORE_START_SECONDS
    this.#countedAt = this.#tagOf(this.rememberedSince)
    // A fresh secret per store: its fingerprints are unpredictable to anyone else.
    this.#key = new Uint32Array(systemRandom(16).buffer)
    this.#random = new Uint32Array(systemRandom(4).buffer)[0]! | 1
    this.#table = new FingerprintTable(maxEntries, () => this.#nextRandom())
  }

  /** Most jtis held at once (`maxEntries`); past it the store refuses. Read by the server's capacity gauge. */
  get capacity(): number {
    return this.#maxEntries
  }

  /** Live jtis held, by the store's clock. */
  get size(): number {
    this.#dropExpiredCounts(this.#tagOf(this.#clock()))
    return this.#live
  }

  /**
   * Bytes of the typed arrays that hold the entries: all the memory the store
   * takes per jti (its other fields are a few hundred bytes, whatever its size).
   */
  get byteLength(): number {
    return this.#table.byteLength
  }

  async checkAndSet(jti: string, expiresAt: number): Promise<boolean> {
    if (typeof jti !== 'string') throw unavailable(new TypeError('jti must be a string'))
    if (!Number.isFinite(expiresAt)) throw unavailable(new TypeError('expiresAt must be a finite number of ms since the epoch'))
    const now = this.#tagOf(this.#clock())
    this.#dropExpiredCounts(now)
    const fingerprint = this.#fingerprintOf(jti)
    const lo = fingerprint[0]!
    const hi = fingerprint[1]!
    if (this.#table.has(lo, hi, now)) return false

    // Rounded up: held at least until expiresAt, never a millisecond less.
    const tag = Math.ceil(expiresAt / 1000) - this.#origin
    if (tag <= now) return true // already expired: nothing to hold
    if (tag > 0xffffffff) throw unavailable(new RangeError('expiresAt is beyond the store’s time scale'))

    if (this.#live >= this.#maxEntries) {
      throw unavailable(new Error(`memory replay store full (${this.#maxEntries} live entries)`))
    }
    if (this.#live >= this.#table.comfortableLive) this.#table.grow(now)
    while (!this.#table.add(lo, hi, tag, now)) {
      // The stash is full of entries whose random walk found no place: vanishingly rare below 90 % load.
      if (!this.#table.grow(now)) throw unavailable(new Error('memory replay store has no free slot'))
    }
    this.#live++
    this.#liveByTag.set(tag, (this.#liveByTag.get(tag) ?? 0) + 1)
    return true
  }

  /** The tag of the current second; never below 0, which empty slots hold. */
  #tagOf(ms: number): number {
    return Math.max(0, Math.floor(ms / 1000) - this.#origin)
  }

  #fingerprintOf(jti: string): Uint32Array {
    const n = jti.length
    const bytes = n <= REUSED_BUFFER_CHARS ? this.#bytes : new Uint8Array(n * 3)
    let i = 0
    for (; i < n; i++) {
      const c = jti.charCodeAt(i)
      if (c > 0x7f) break
      bytes[i] = c
    }
    // jtis are base64url (ASCII); anything else is hashed as UTF-8.
    const length = i === n ? n : utf8.encodeInto(jti, bytes).written
    sipHash24(this.#key, bytes, length, this.#fingerprint)
    return this.#fingerprint
  }

  /**
   * Keeps `#live` exact: drops the counts of seconds that have passed. A clock
   * stepped back makes entries live again; they are counted afresh.
   */
  #dropExpiredCounts(now: number): void {
    if (now === this.#countedAt) return
    if (now > this.#countedAt) {
      for (const [tag, count] of this.#liveByTag) {
        if (tag > now) continue
        this.#live -= count
        this.#liveByTag.delete(tag)
      }
    } else {
      this.#liveByTag.clear()
      this.#live = 0
      this.#table.forEachLive(now, (tag) => {
        this.#live++
        this.#liveByTag.set(tag, (this.#liveByTag.get(tag) ?? 0) + 1)
      })
    }
    this.#countedAt = now
  }

  /** xorshift32: the random walk's choices; unpredictability is the key's job, not this one's. */
  #nextRandom(): number {
    let x = this.#random
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#random = x
    return x >>> 0
  }
}
