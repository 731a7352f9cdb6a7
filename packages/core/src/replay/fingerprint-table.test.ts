/**
 * FingerprintTable at and past its limits: random walks and the stash lose no
 * entry, a full table refuses without changing anything, growth keeps only
 * live entries.
 */
import { describe, expect, it } from 'vitest'
import { BYTES_PER_SLOT, FingerprintTable, MAX_LOAD } from './fingerprint-table.js'

const random32 = () => crypto.getRandomValues(new Uint32Array(1))[0]!
const fingerprints = (count: number) => Array.from({ length: count }, () => [random32(), random32()] as const)

describe('FingerprintTable', () => {
  it('fills past 90 % through random walks and the stash, then refuses without losing or changing anything', () => {
    // A table that may not grow (the cap is its first size, 16 buckets of 4): fill it until it refuses.
    const table = new FingerprintTable(1, random32)
    expect(table.canGrow).toBe(false)
    const now = 100
    const held: (readonly [number, number])[] = []
    for (const [lo, hi] of fingerprints(200)) {
      if (!table.add(lo, hi, now + 1, now)) {
        expect(table.has(lo, hi, now)).toBe(false)
        break
      }
      held.push([lo, hi])
    }
    expect(held.length).toBeGreaterThan(64 * MAX_LOAD)
    expect(held.length).toBeLessThanOrEqual(64 + 8)
    for (const [lo, hi] of held) expect(table.has(lo, hi, now)).toBe(true)
    // Once they expire, their slots are free again: no sweep needed.
    for (const [lo, hi] of fingerprints(64)) expect(table.add(lo, hi, now + 2, now + 1)).toBe(true)
    for (const [lo, hi] of held) expect(table.has(lo, hi, now + 1)).toBe(false)
  })

  it('grows by half up to its cap, copying only the live entries', () => {
    const table = new FingerprintTable(1000, random32)
    const live = fingerprints(50)
    const expired = fingerprints(5)
    for (const [lo, hi] of live) expect(table.add(lo, hi, 20, 10)).toBe(true)
    for (const [lo, hi] of expired) expect(table.add(lo, hi, 11, 10)).toBe(true)
    const bytes = table.byteLength
    while (table.canGrow) expect(table.grow(11)).toBe(true)
    // ceil(1000 / (4 × 0.9)) = 278 buckets of 4 slots, plus the 8-slot stash.
    expect(table.byteLength).toBe((278 * 4 + 8) * BYTES_PER_SLOT)
    expect(table.byteLength).toBeGreaterThan(bytes)
    expect(table.grow(11)).toBe(false)
    for (const [lo, hi] of live) expect(table.has(lo, hi, 11)).toBe(true)
    // Dropped, not just expired: even a clock stepped back does not bring them back.
    for (const [lo, hi] of expired) expect(table.has(lo, hi, 10)).toBe(false)
  })
})
