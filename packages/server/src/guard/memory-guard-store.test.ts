import { describe, expect, it } from 'vitest'
import { MemoryGuardStore } from './memory-guard-store.js'

describe('MemoryGuardStore', () => {
  const make = (extra: { maxPeers?: number } = {}) => {
    const clock = { now: 1_000_000 }
    return { clock, store: new MemoryGuardStore({ budget: 3, windowSeconds: 10, coolDownSeconds: 5, clock: () => clock.now, ...extra }) }
  }

  it('blocks a peer for the cooling period when its failures reach the budget within the window', () => {
    const { clock, store } = make()
    expect([store.recordFailure('a'), store.recordFailure('a'), store.recordFailure('a')]).toEqual([0, 0, 5_000])
    expect(store.blockedFor('a')).toBe(5_000)
    expect(store.blockedFor('b')).toBe(0)
    clock.now += 4_000
    expect(store.blockedFor('a')).toBe(1_000)
    clock.now += 1_000
    expect(store.blockedFor('a')).toBe(0)
    // Counted afresh after the cooling period.
    expect(store.recordFailure('a')).toBe(0)
  })

  it('forgets failures older than the window', () => {
    const { clock, store } = make()
    store.recordFailure('a')
    store.recordFailure('a')
    clock.now += 10_000
    expect(store.recordFailure('a')).toBe(0)
    expect(store.recordFailure('a')).toBe(0)
    expect(store.blockedFor('a')).toBe(0)
  })

  it('stays within maxPeers whatever the number of peers', () => {
    const { clock, store } = make({ maxPeers: 100 })
    for (let i = 0; i < 10_000; i++) {
      store.recordFailure(`peer-${i}`)
      if (i % 1000 === 0) clock.now += 1
    }
    expect(store.size).toBeLessThanOrEqual(100)
  })

  it('never evicts a blocked peer: flooding the store from other keys does not lift a block', () => {
    const { store } = make({ maxPeers: 50 })
    for (let i = 0; i < 3; i++) store.recordFailure('attacker')
    expect(store.blockedFor('attacker')).toBe(5_000)
    // The attacker's other /64s, each one failure: the store fills and must make room.
    for (let i = 0; i < 500; i++) store.recordFailure(`attacker-${i}`)
    expect(store.size).toBeLessThanOrEqual(51) // 50 counted, 1 blocked
    expect(store.blockedFor('attacker')).toBe(5_000)
  })

  it('still counts, and blocks, new peers when its 64 oldest entries are blocked', () => {
    const { store } = make({ maxPeers: 100 })
    for (let p = 0; p < 64; p++) for (let i = 0; i < 3; i++) store.recordFailure(`blocked-${p}`)
    for (let p = 0; p < 36; p++) store.recordFailure(`counting-${p}`)
    expect([store.recordFailure('new'), store.recordFailure('new'), store.recordFailure('new')]).toEqual([0, 0, 5_000])
    expect(store.blockedFor('new')).toBe(5_000)
    for (let p = 0; p < 64; p++) expect(store.blockedFor(`blocked-${p}`)).toBe(5_000)
  })

  it('when maxPeers peers are blocked, a new peer is still counted and blocked, and no block is cut short', () => {
    const { clock, store } = make({ maxPeers: 3 })
    for (const peer of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) store.recordFailure(peer)
    expect([store.recordFailure('d'), store.recordFailure('d')]).toEqual([0, 0])
    // At its budget with every block slot held: held at the budget, not blocked yet...
    expect(store.recordFailure('d')).toBe(0)
    expect(['a', 'b', 'c'].map((p) => store.blockedFor(p))).toEqual([5_000, 5_000, 5_000])
    expect(store.size).toBeLessThanOrEqual(6)
    // ...and blocked by its next failure once a block has ended.
    clock.now += 5_000
    expect(store.recordFailure('d')).toBe(5_000)
  })

  it('counts the failure that arrives when expired entries must make room', () => {
    const { clock, store } = make({ maxPeers: 3 })
    for (const peer of ['a', 'b', 'c']) store.recordFailure(peer)
    clock.now += 10_000 // every window ended: the next new peer finds the store full of expired entries
    expect([store.recordFailure('d'), store.recordFailure('d'), store.recordFailure('d')]).toEqual([0, 0, 5_000])
  })

  it('refuses limits that are not positive integers with TypeError', () => {
    expect(() => new MemoryGuardStore({ budget: 0 })).toThrow(TypeError)
    expect(() => new MemoryGuardStore({ windowSeconds: 1.5 })).toThrow(TypeError)
    expect(() => new MemoryGuardStore({ coolDownSeconds: -1 })).toThrow(TypeError)
    expect(() => new MemoryGuardStore({ maxPeers: 0 })).toThrow(TypeError)
  })
})
