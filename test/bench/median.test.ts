import { describe, expect, it } from 'vitest'
import { medianBy, pairedRatio } from './median.js'

describe('pairedRatio', () => {
  it('is the median of the per-round ratios, not the ratio of the medians', () => {
    // Round 2 ran on a slow stretch for both sides: its ratio still counts as the others do.
    const sealwire = [900, 450, 920]
    const floor = [1000, 500, 1000]
    expect(pairedRatio(sealwire, floor)).toBeCloseTo(0.9)
    // A slow stretch that caught one side of one round only: one ratio of three, outvoted.
    expect(pairedRatio([500, 950, 960], [1000, 1000, 1000])).toBeCloseTo(0.95)
    // Where the ratio of the median rounds (900 / 1000 here) takes its sides from different rounds.
    expect(pairedRatio([900, 1000, 460], [1000, 1000, 500])).toBeCloseTo(0.92)
  })

  it('takes the lower middle for an even count, and skips rounds missing on either side', () => {
    expect(pairedRatio([1, 2, 3, 4], [10, 10, 10, 10])).toBeCloseTo(0.2)
    expect(pairedRatio([1, 2, 3], [10, 0])).toBeCloseTo(0.1)
    expect(pairedRatio([1], [])).toBeUndefined()
    expect(pairedRatio(undefined, [1])).toBeUndefined()
  })

  it('picks the middle item by its key, the lower middle for an even count', () => {
    expect(medianBy([{ n: 3 }, { n: 1 }, { n: 2 }], (x) => x.n)).toEqual({ n: 2 })
    expect(medianBy([4, 1, 3, 2], (x) => x)).toBe(2)
    expect(medianBy([], (x: number) => x)).toBeUndefined()
  })
})
