/**
 * A set of 64-bit fingerprints, each held until an expiry second, in one
 * `Uint32Array`: the storage of the memory replay store, 12 bytes a slot.
 *
 * Bucketized cuckoo hashing (Pagh and Rodler, "Cuckoo hashing", 2004; buckets
 * of four slots as in Fan et al., "Cuckoo filter", 2014): every fingerprint has
 * two candidate buckets of four slots, so a lookup reads at most eight slots
 * however full the table is, and the table fills to 90 % before it must grow
 * (two choices of four slots only start failing near 98 %). An insertion that
 * finds both buckets full moves a resident to its other bucket, which may move
 * another, and so on (a random walk); the rare walk that does not end parks its
 * last entry in a small stash, so no entry is ever dropped.
 *
 * A slot whose expiry second has passed counts as empty: expired entries need
 * no sweep and no tombstone, they are overwritten as new ones arrive. Growing
 * (by half, up to the cap) copies only live entries.
 *
 * Bytes per live entry: 12 / load. The table grows at 90 % load to 1.5× its
 * size, so the load stays within [60 %, 90 %] once past the first few
 * kilobytes: 13.3 to 20 bytes per live entry.
 */

const SLOTS_PER_BUCKET = 4
/** Words per slot: fingerprint low, fingerprint high, expiry tag (0 = empty). */
const WORDS = 3
const BUCKET_WORDS = SLOTS_PER_BUCKET * WORDS
/** Bytes of one slot. */
export const BYTES_PER_SLOT = WORDS * 4
/** Grow past this load: two 4-slot choices insert reliably up to ~98 %. */
export const MAX_LOAD = 0.9
const GROWTH = 1.5
const MIN_BUCKETS = 16
/** Longest random walk before an entry goes to the stash. */
const MAX_KICKS = 500
const STASH_SLOTS = 8

const TWO_POW_32 = 4294967296

/**
 * The table. Tags are unsigned 32-bit expiry seconds on a scale the caller
 * chooses; a slot is live while its tag is greater than the caller's `now`
 * tag. Tag 0 never holds an entry.
 */
export class FingerprintTable {
  readonly #maxBuckets: number
  readonly #nextRandom: () => number
  #buckets: number
  #slots: Uint32Array
  readonly #stash = new Uint32Array(STASH_SLOTS * WORDS)

  /**
   * @param maxLive most live entries the table must hold at once: it never grows
   *   past the size that holds them at 90 % load
   * @param nextRandom uniform 32-bit integers, for the random walk
   */
  constructor(maxLive: number, nextRandom: () => number) {
    this.#maxBuckets = Math.max(MIN_BUCKETS, Math.ceil(maxLive / (SLOTS_PER_BUCKET * MAX_LOAD)))
    this.#nextRandom = nextRandom
    this.#buckets = Math.min(MIN_BUCKETS, this.#maxBuckets)
    this.#slots = new Uint32Array(this.#buckets * BUCKET_WORDS)
  }

  /** Bytes of the typed arrays, the whole of what the table holds. */
  get byteLength(): number {
    return this.#slots.byteLength + this.#stash.byteLength
  }

  /** Live entries the table holds before it should grow (90 % of its slots). */
  get comfortableLive(): number {
    return Math.floor(this.#buckets * SLOTS_PER_BUCKET * MAX_LOAD)
  }

  get canGrow(): boolean {
    return this.#buckets < this.#maxBuckets
  }

  /** Whether the fingerprint `(lo, hi)` is held with a tag above `now`. */
  has(lo: number, hi: number, now: number): boolean {
    const first = bucketOf(lo, this.#buckets)
    return (
      findIn(this.#slots, first * BUCKET_WORDS, lo, hi, now) ||
      findIn(this.#slots, otherBucketOf(hi, first, this.#buckets) * BUCKET_WORDS, lo, hi, now) ||
      findIn(this.#stash, 0, lo, hi, now, STASH_SLOTS)
    )
  }

  /**
   * Adds the fingerprint (not held: check `has` first) with `tag`. Returns false,
   * having changed nothing, when both its buckets are full and so is the stash,
   * where a random walk that found no place would leave its last entry: grow,
   * then try again.
   */
  add(lo: number, hi: number, tag: number, now: number): boolean {
    return insert(this.#slots, this.#buckets, this.#stash, lo, hi, tag, now, this.#nextRandom)
  }

  /**
   * Grows by half (at most to the cap), keeping only live entries. Returns false
   * and keeps the table as it was when the table is at its cap, or in the
   * vanishing case where the entries would not fit the larger table.
   */
  grow(now: number): boolean {
    if (!this.canGrow) return false
    const buckets = Math.min(this.#maxBuckets, Math.ceil(this.#buckets * GROWTH))
    const slots = new Uint32Array(buckets * BUCKET_WORDS)
    const stash = new Uint32Array(STASH_SLOTS * WORDS)
    for (const from of [this.#slots, this.#stash]) {
      for (let at = 0; at < from.length; at += WORDS) {
        const tag = from[at + 2]!
        if (tag > now && !insert(slots, buckets, stash, from[at]!, from[at + 1]!, tag, now, this.#nextRandom)) return false
      }
    }
    this.#buckets = buckets
    this.#slots = slots
    this.#stash.set(stash)
    return true
  }

  /** Calls `visit` with the tag of every live entry. */
  forEachLive(now: number, visit: (tag: number) => void): void {
    for (const from of [this.#slots, this.#stash]) {
      for (let at = 2; at < from.length; at += WORDS) if (from[at]! > now) visit(from[at]!)
    }
  }
}

/** The first bucket: `lo` scaled onto [0, buckets) (Lemire's multiply-shift range reduction, in doubles). */
function bucketOf(lo: number, buckets: number): number {
  return Math.floor((lo / TWO_POW_32) * buckets)
}

/** The second bucket, from the other half of the fingerprint, never equal to the first. */
function otherBucketOf(hi: number, first: number, buckets: number): number {
  const b = Math.floor((hi / TWO_POW_32) * (buckets - 1))
  return b >= first ? b + 1 : b
}

function findIn(slots: Uint32Array, start: number, lo: number, hi: number, now: number, count = SLOTS_PER_BUCKET): boolean {
  for (let at = start, end = start + count * WORDS; at < end; at += WORDS) {
    if (slots[at] === lo && slots[at + 1] === hi && slots[at + 2]! > now) return true
  }
  return false
}

/** Writes the entry into a free (empty or expired) slot of the bucket; false when all four are live. */
function placeIn(slots: Uint32Array, start: number, lo: number, hi: number, tag: number, now: number, count = SLOTS_PER_BUCKET): boolean {
  for (let at = start, end = start + count * WORDS; at < end; at += WORDS) {
    if (slots[at + 2]! <= now) {
      slots[at] = lo
      slots[at + 1] = hi
      slots[at + 2] = tag
      return true
    }
  }
  return false
}

function hasFreeSlot(stash: Uint32Array, now: number): boolean {
  for (let at = 2; at < stash.length; at += WORDS) if (stash[at]! <= now) return true
  return false
}

/**
 * Inserts into a free slot of either bucket, or else along a random walk that
 * moves residents to their other bucket, its last entry parked in the stash if
 * the walk does not end. False, having changed nothing, when that could leave
 * an entry without a place (the stash is full).
 */
function insert(
  slots: Uint32Array,
  buckets: number,
  stash: Uint32Array,
  lo: number,
  hi: number,
  tag: number,
  now: number,
  nextRandom: () => number,
): boolean {
  const first = bucketOf(lo, buckets)
  const second = otherBucketOf(hi, first, buckets)
  if (placeIn(slots, first * BUCKET_WORDS, lo, hi, tag, now)) return true
  if (placeIn(slots, second * BUCKET_WORDS, lo, hi, tag, now)) return true
  if (!hasFreeSlot(stash, now)) return false
  let bucket = nextRandom() & 1 ? first : second
  for (let kick = 0; kick < MAX_KICKS; kick++) {
    // Both candidate buckets are full of live entries: take a random resident's
    // slot, then carry the resident to its other bucket.
    const at = bucket * BUCKET_WORDS + (nextRandom() % SLOTS_PER_BUCKET) * WORDS
    const residentLo = slots[at]!
    const residentHi = slots[at + 1]!
    const residentTag = slots[at + 2]!
    slots[at] = lo
    slots[at + 1] = hi
    slots[at + 2] = tag
    lo = residentLo
    hi = residentHi
    tag = residentTag
    const residentFirst = bucketOf(lo, buckets)
    bucket = bucket === residentFirst ? otherBucketOf(hi, residentFirst, buckets) : residentFirst
    if (placeIn(slots, bucket * BUCKET_WORDS, lo, hi, tag, now)) return true
  }
  return placeIn(stash, 0, lo, hi, tag, now, STASH_SLOTS)
}
