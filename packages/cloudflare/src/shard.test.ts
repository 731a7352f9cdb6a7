import { describe, expect, it } from 'vitest'
import { shardOf } from './shard.js'

describe('shardOf', () => {
  it('is FNV-1a 32 modulo the count: stable across isolates and deployments', () => {
    // FNV-1a 32 reference values: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968.
    expect(shardOf('', 2 ** 32 - 1)).toBe(0x811c9dc5 % (2 ** 32 - 1))
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31)
    expect(shardOf('foobar', 1000)).toBe(0xbf9cf968 % 1000)
    expect(shardOf('sealwire:jti:abc', 1)).toBe(0)
  })

  it('spreads random jtis over every shard', () => {
    const counts = new Array<number>(8).fill(0)
    for (let i = 0; i < 8000; i++) counts[shardOf(`sealwire:jti:${crypto.randomUUID()}`, 8)]!++
    for (const count of counts) expect(count).toBeGreaterThan(800)
  })
})
