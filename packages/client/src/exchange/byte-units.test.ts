import { describe, expect, it } from 'vitest'
import { formatBytes, plaintextEquivalent } from './byte-units.js'

describe('formatBytes', () => {
  it.each([
    [0, '0 bytes'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [15_000, '14.6 KiB'],
    [16 * 1024 * 1024, '16 MiB'],
    [12 * 1024 * 1024, '12 MiB'],
    [1.5 * 1024 ** 3, '1.5 GiB'],
  ])('%s → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })
})

describe('plaintextEquivalent', () => {
  it('the default 16 MiB of envelope is about 12 MiB of plaintext', () => {
    expect(formatBytes(plaintextEquivalent(16 * 1024 * 1024))).toBe('12 MiB')
  })
})
