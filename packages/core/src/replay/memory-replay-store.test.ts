/**
 * MemoryReplayStore: atomic check-and-set, bounded (fails closed when full,
 * never evicting a live jti), capacity freed as entries expire, sized for its
 * design rate in at most 24 bytes per jti, and `rememberedSince`.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_SKEW_SECONDS, DEFAULT_REPLAY_MARGIN_SECONDS } from '../constants.js'
import { SealwireError } from '../errors.js'
import {
  DEFAULT_MEMORY_REPLAY_MAX_ENTRIES,
  DEFAULT_REPLAY_TTL_SECONDS,
  MEMORY_REPLAY_DESIGN_RATE,
  MemoryReplayStore,
  memoryBeginsAt,
} from './memory-replay-store.js'
import { replayExpiresAt } from './replay-expiry.js'

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

  it('holds a jti whose expiresAt falls within a second until that second ends: longer, never shorter', async () => {
    const store = new MemoryReplayStore({ clock })
    await store.checkAndSet('j', now + 1001)
    now += 1001
    expect(await store.checkAndSet('j', now + 1000)).toBe(false)
    now += 998 // the last millisecond of the second expiresAt falls in
    expect(await store.checkAndSet('j', now + 1000)).toBe(false)
    now += 1
    expect(await store.checkAndSet('j', now + 1000)).toBe(true)
  })

  it("dates the first store of a process from the process's start, and every later one from its making", () => {
    const registry: Record<symbol, unknown> = {}
    // Process started at 1 000, first store made at 5 000: a request sealed at 2 000 (while the process was
    // loading) is not older than this store's memory.
    expect(memoryBeginsAt(5_000, 1_000, registry)).toBe(1_000)
    // A second store (a hot reload): the first may have accepted requests this one never saw.
    expect(memoryBeginsAt(9_000, 1_000, registry)).toBe(9_000)
    // No usable process start (workerd reports 0; a time origin in the future is not believed).
    expect(memoryBeginsAt(5_000, 0, {})).toBe(5_000)
    expect(memoryBeginsAt(5_000, undefined, {})).toBe(5_000)
    expect(memoryBeginsAt(5_000, 6_000, {})).toBe(5_000)
  })

  it('sets rememberedSince to its clock at construction (systemClock by default)', () => {
    expect(new MemoryReplayStore({ clock }).rememberedSince).toBe(now)
    // The process's first default store dates from the process's start (memoryBeginsAt); any later one from its making.
    new MemoryReplayStore()
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
      expect(store.size).toBe(1)
      expect(await store.checkAndSet('e', now + 10_000)).toBe(true)
      expect(store.size).toBe(2)
    })
  })

  // Expiries need not follow insertion order: two TTLs in one store (routes with
  // different maxAge), or a clock stepped back.
  it('drops expired entries even behind a longer-lived one before failing closed', async () => {
    const store = new MemoryReplayStore({ clock, maxEntries: 2 })
    await store.checkAndSet('long-lived', now + 600_000)
    await store.checkAndSet('short-lived', now + 10_000)
    now += 60_000 // short-lived has expired; one live entry of two allowed
    expect(await store.checkAndSet('next', now + 10_000)).toBe(true)
  })

  it('counts entries afresh when the clock steps back, and still holds them', async () => {
    const store = new MemoryReplayStore({ clock })
    await store.checkAndSet('a', now + 10_000)
    await store.checkAndSet('b', now + 30_000)
    now += 20_000
    expect(store.size).toBe(1)
    // An expired entry's slot is free for the next insertion; none came, so a is still there.
    now -= 15_000 // a is live again by this clock
    expect(store.size).toBe(2)
    expect(await store.checkAndSet('a', now + 10_000)).toBe(false)
    expect(await store.checkAndSet('b', now + 10_000)).toBe(false)
    expect(await store.checkAndSet('c', now + 10_000)).toBe(true)
    expect(store.size).toBe(3)
  })

  it('tells jtis apart whatever their characters and length', async () => {
    const store = new MemoryReplayStore({ clock })
    const jtis = ['é', 'Ã©', '\u00e9\u0301', 'a'.repeat(300), `${'a'.repeat(299)}b`, '😀', '', 'x']
    for (const jti of jtis) expect(await store.checkAndSet(jti, now + 1000), jti).toBe(true)
    for (const jti of jtis) expect(await store.checkAndSet(jti, now + 1000), jti).toBe(false)
  })

  it('fails closed on an expiresAt that is not a finite time, or a jti that is not a string', async () => {
    const store = new MemoryReplayStore({ clock })
    for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect((await failure(store.checkAndSet('j', expiresAt))).code).toBe('replay_guard_unavailable')
    }
    expect((await failure(store.checkAndSet(7 as unknown as string, now + 1000))).code).toBe('replay_guard_unavailable')
    expect(store.size).toBe(0)
  })

  describe('compact', () => {
    // Random jtis as `sealRequest` makes them: 16 random bytes, base64url.
    const randomJti = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16)))).replace(/[+/=]/g, (c) => ({ '+': '-', '/': '_' })[c] ?? '')

    it('takes memory as jtis arrive, at most 24 bytes each, and never loses or invents one while it grows', async () => {
      const store = new MemoryReplayStore({ clock, maxEntries: 200_000 })
      expect(store.byteLength).toBeLessThan(1024)
      const jtis = Array.from({ length: 200_000 }, randomJti)
      let worstBytesPerEntry = 0
      for (const [i, jti] of jtis.entries()) {
        if (!(await store.checkAndSet(jti, now + 60_000))) throw new Error(`a new jti was taken for a replay: ${jti}`)
        if (i >= 10_000 && i % 1000 === 0) worstBytesPerEntry = Math.max(worstBytesPerEntry, store.byteLength / store.size)
      }
      expect(store.size).toBe(200_000)
      expect(worstBytesPerEntry).toBeGreaterThan(12)
      expect(worstBytesPerEntry).toBeLessThanOrEqual(24)
      // Every one still held, after every growth and every resident moved: no false "new".
      for (const jti of jtis) if ((await store.checkAndSet(jti, now + 60_000)) !== false) throw new Error(`lost ${jti}`)
      // Full: refuses, and a new jti was never taken for a held one (no false "replay" either).
      expect((await failure(store.checkAndSet(randomJti(), now + 60_000))).code).toBe('replay_guard_unavailable')
      now += 60_000
      for (let i = 0; i < 10_000; i++) if (!(await store.checkAndSet(randomJti(), now + 60_000))) throw new Error('false replay')
      expect(store.size).toBe(10_000)
    })

    // The sizing claim (README, "Memory replay store"): at MEMORY_REPLAY_DESIGN_RATE
    // accepted requests per second, held for what the server asks with its default
    // options, the default store never refuses, in at most 24 bytes per jti. The worst
    // case: every client clock maxSkew ahead, so every jti is held the longest. One
    // full TTL and then some, on an injected clock: seconds of test time, not minutes.
    it(`holds ${MEMORY_REPLAY_DESIGN_RATE} accepted requests/s for a full default TTL without refusing, in ≤ 24 bytes per jti`, async () => {
      const store = new MemoryReplayStore({ clock })
      const expiryOf = (ms: number) => replayExpiresAt(Math.floor(ms / 1000) + DEFAULT_MAX_SKEW_SECONDS, DEFAULT_MAX_AGE_SECONDS, DEFAULT_REPLAY_MARGIN_SECONDS)
      const start = now
      let largest = 0
      let worstBytesPerEntry = 0
      let jti = 0
      for (let second = 0; second < DEFAULT_REPLAY_TTL_SECONDS + 5; second++) {
        for (let i = 0; i < MEMORY_REPLAY_DESIGN_RATE; i++) {
          now = start + second * 1000 + Math.floor((i * 1000) / MEMORY_REPLAY_DESIGN_RATE)
          // A refusal rejects, and fails the test here.
          if (!(await store.checkAndSet(`jti-${jti++}`, expiryOf(now)))) throw new Error('a new jti was taken for a replay')
        }
        largest = Math.max(largest, store.size)
        if (store.size > 100_000) worstBytesPerEntry = Math.max(worstBytesPerEntry, store.byteLength / store.size)
      }
      // Every jti of the last TTL is still held, so the store really holds a TTL's worth.
      expect(largest).toBe(DEFAULT_MEMORY_REPLAY_MAX_ENTRIES)
      expect(await store.checkAndSet(`jti-${jti - 1}`, expiryOf(now))).toBe(false)
      expect(await store.checkAndSet(`jti-${jti - DEFAULT_REPLAY_TTL_SECONDS * MEMORY_REPLAY_DESIGN_RATE}`, expiryOf(now))).toBe(false)
      expect(worstBytesPerEntry).toBeLessThanOrEqual(24)
      // The README's figure for the default capacity, full: 3 155 564 slots of 12 bytes.
      expect(store.byteLength).toBeLessThanOrEqual(38_000_000)
    }, 120_000)
  })
})
