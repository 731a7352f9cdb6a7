import { describe, expect, it } from 'vitest'
import { formatAge, formatBytes, formatDuration, isoSeconds } from './format.js'

describe('format', () => {
  it('reads durations at a glance', () => {
    expect(formatDuration(0)).toBe('0 s')
    expect(formatDuration(59)).toBe('59 s')
    expect(formatDuration(60)).toBe('1 min')
    expect(formatDuration(125)).toBe('2 min 5 s')
    expect(formatDuration(3 * 3600 + 4 * 60 + 9)).toBe('3 h 4 min')
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2 d 1 h')
    expect(formatDuration(-12)).toBe('12 s')
  })

  it('says which way an age points', () => {
    expect(formatAge(12)).toBe('12 s ago')
    expect(formatAge(-3)).toBe('3 s in the future')
    expect(formatAge(0)).toBe('now')
  })

  it('keeps small sizes exact', () => {
    expect(formatBytes(16)).toBe('16 B')
    expect(formatBytes(10 * 1024 - 1)).toBe('10239 B')
    expect(formatBytes(20 * 1024)).toBe('20.0 KiB')
  })

  it('prints epoch seconds as ISO 8601, and survives an iat beyond the range of dates', () => {
    expect(isoSeconds(1_795_814_083)).toBe('2026-11-27T21:14:43Z')
    expect(isoSeconds(Number.MAX_SAFE_INTEGER)).toBe('beyond the range of dates')
  })
})
