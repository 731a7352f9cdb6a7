import { describe, expect, it } from 'vitest'
import { jsonDepthExceeds } from './json-depth.js'

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects, not scalars', () => {
    expect(jsonDepthExceeds(42, 0)).toBe(false)
    expect(jsonDepthExceeds({ a: [1, 2] }, 2)).toBe(false)
    expect(jsonDepthExceeds({ a: [1, 2] }, 1)).toBe(true)
    expect(jsonDepthExceeds([{ a: { b: null } }], 2)).toBe(true)
  })

  it('walks 500 000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(500_000) + ']'.repeat(500_000))
    expect(jsonDepthExceeds(deep, 64)).toBe(true)
  })
})
