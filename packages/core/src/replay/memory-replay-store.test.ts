/**
 * MemoryReplayStore: atomic check-and-set, bounded (fails closed when full,
 * never evicting a live jti), expired entries swept so capacity frees up,
 * O(1) amortized, and `rememberedSince`.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { SealwireError } from '../errors.js'
import { MemoryReplayStore } from './memory-replay-store.js'

let now = 1_700_000_000_000
const clock = () => now
beforeEach(() => {
  now = 1_700_000_000_000
})

async function failure(promise: Promise<unknown>): Promise<SealwireError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => ({ error }),
  )
  if (outcome === undefined) throw new Error('expected the store to refuse')
  expect(outcome.error).toBeInstanceOf(SealwireError)
  return outcome.error as SealwireError
}

describe('MemoryReplayStore', () => {
  it('answers true for a new jti and false for one it holds', async () => {
    const store = new MemoryReplayStore({ clock })
    expect(await store.checkAndSet('jti-a', now + 70_000)).toBe(true)
    expect(await store.checkAndSet('jti-a', now + 70_000)).toBe(false)
    expect(await store.checkAndSet('jti-b', now + 70_000)).toBe(true)
    expect(store.size).toBe(2)
  })

  it('is atomic: of many concurrent calls with one jti exactly one wins', async () => {
    const store = new MemoryReplayStore({ clock })
    const results = await Promise.all(Array.from({ length: 100 }, () => store.checkAndSet('same', now + 1000)))
    expect(results.filter(Boolean)).toHaveLength(1)
  })

  it('holds a jti until expiresAt (exclusive), then takes it as new', async () => {
    const store = new MemoryReplayStore({ clock })
    await store.checkAndSet('j', now + 1000)
    now += 999
    expect(await store.checkAndSet('j', now + 1000)).toBe(false)
    now += 1
    expect(await store.checkAndSet('j', now + 1000)).toBe(true)
  })

  it('sets rememberedSince to its clock at construction (systemClock by default)', () => {
    expect(new MemoryReplayStore({ clock }).rememberedSince).toBe(now)
    const before = Date.now()
    const store = new MemoryReplayStore()
    expect(store.rememberedSince).toBeGreaterThanOrEqual(before)
    expect(store.rememberedSince).toBeLessThanOrEqual(Date.now())
  })

  it('refuses a maxEntries that is not a positive integer with TypeError', () => {
    for (const maxEntries of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MemoryReplayStore({ maxEntries }), String(maxEntries)).toThrow(TypeError)
    }
  })

  describe('bounded', () => {
    it('fails closed with replay_guard_unavailable (503) when full, without evicting a live jti', async () => {
      const store = new MemoryReplayStore({ clock, maxEntries: 3 })
      for (const id of ['a', 'b', 'c']) expect(await store.checkAndSet(id, now + 60_000)).toBe(true)
      const error = await failure(store.checkAndSet('d', now + 60_000))
      expect(error.code).toBe('replay_guard_unavailable')
      expect(error.status).toBe(503)
      expect(store.size).toBe(3)
      // Every live jti is still refused as a replay (false, not 503), and the refused one was not stored.
      for (const id of ['a', 'b', 'c']) expect(await store.checkAndSet(id, now + 60_000)).toBe(false)
      expect((await failure(store.checkAndSet('d', now + 60_000))).code).toBe('replay_guard_unavailable')
    })

    it('frees capacity as entries expire', async () => {
      const store = new MemoryReplayStore({ clock, maxEntries: 3 })
      await store.checkAndSet('a', now + 10_000)
      now += 1_000
      await store.checkAndSet('b', now + 10_000)
      await store.checkAndSet('c', now + 10_000)
      await failure(store.checkAndSet('d', now + 10_000))
      now += 9_000 // a has expired, b and c have not
      expect(await store.checkAndSet('d', now + 10_000)).toBe(true)
      expect(store.size).toBe(3)
      expect(await store.checkAndSet('b', now + 10_000)).toBe(false)
      now += 1_000 // b and c expire
      expect(store.size).toBe(3)
      expect(await store.checkAndSet('e', now + 10_000)).toBe(true)
      expect(store.size).toBe(2)
    })
  })

  it('sweeps as it goes: under a steady stream with one TTL it holds only the live window (O(1) amortized)', async () => {
    // 20 000 requests, one per ms, TTL 100 ms, capacity 150: never full, because every
    // call drops the expired entries at the head of the insertion order (and only those).
    const store = new MemoryReplayStore({ clock, maxEntries: 150 })
    let largest = 0
    for (let i = 0; i < 20_000; i++) {
      now += 1
      expect(await store.checkAndSet(`jti-${i}`, now + 100)).toBe(true)
      largest = Math.max(largest, store.size)
    }
    expect(largest).toBe(100)
    expect(store.size).toBe(100)
    // The live window is still remembered.
    expect(await store.checkAndSet('jti-19999', now + 100)).toBe(false)
    expect(await store.checkAndSet('jti-19900', now + 100)).toBe(false)
    expect(await store.checkAndSet('jti-19899', now + 100)).toBe(true)
  })

  // The incremental sweep stops at the first live entry, which is only right while
  // expiries follow insertion order. With two TTLs in one store (routes with different
  // maxAge) or a clock stepped back, the full sweep before refusing must find them.
  it('drops expired entries even behind a longer-lived one before failing closed', async () => {
    const store = new MemoryReplayStore({ clock, maxEntries: 2 })
    await store.checkAndSet('long-lived', now + 600_000)
    await store.checkAndSet('short-lived', now + 10_000)
    now += 60_000 // short-lived has expired; one live entry of two allowed
    expect(await store.checkAndSet('next', now + 10_000)).toBe(true)
  })
})
