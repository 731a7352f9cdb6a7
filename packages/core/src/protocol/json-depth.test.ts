import { describe, expect, it } from 'vitest'
import { jsonDepthExceeds } from './json-depth.js'

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects, not scalars', () => {
    expect(jsonDepthExceeds(42, 0)).toBe(false)
    expect(jsonDepthExceeds({ a: [1, 2] }, 2)).toBe(false)
    expect(jsonDepthExceeds({ a: [1, 2] }, 1)).toBe(true)
    expect(jsonDepthExceeds([{ a: { b: null } }], 2)).toBe(true)
  })

  it('agrees with a plain depth count on objects and arrays, at and around the limit', () => {
    const depth = (v: unknown): number => (typeof v !== 'object' || v === null ? 0 : 1 + Math.max(0, ...Object.values(v).map(depth)))
    const samples = [[], {}, [[[]]], { a: { b: [1, { c: 2 }] }, d: [] }, JSON.parse('{"__proto__":{"x":[[1]]}}'), [1, [2, [3, [4]]], 'x']]
    for (const sample of samples) {
      for (let max = 0; max <= 6; max++) expect(jsonDepthExceeds(sample, max), `${JSON.stringify(sample)} / ${max}`).toBe(depth(sample) > max)
    }
  })

  it('walks 500 000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(500_000) + ']'.repeat(500_000))
    expect(jsonDepthExceeds(deep, 64)).toBe(true)
  })
})
