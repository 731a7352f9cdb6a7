import { describe, expect, it } from 'vitest'
import { DEFAULT_JWKS_MAX_AGE_SECONDS, MAX_JWKS_MAX_AGE_SECONDS, cacheLifetimeSeconds } from './cache-lifetime.js'

describe('cacheLifetimeSeconds', () => {
  it.each([
    ['max-age=60', 60],
    ['public, max-age=600', 600],
    ['Max-Age="30"', 30],
    ['max-age=0', 0],
    ['no-store', 0],
    ['max-age=60, no-cache', 0],
    ['max-age=99999999', MAX_JWKS_MAX_AGE_SECONDS],
    ['public', DEFAULT_JWKS_MAX_AGE_SECONDS],
    ['max-age=abc', DEFAULT_JWKS_MAX_AGE_SECONDS],
    [null, DEFAULT_JWKS_MAX_AGE_SECONDS],
  ])('%s → %s s', (header, seconds) => {
    expect(cacheLifetimeSeconds(header)).toBe(seconds)
  })
})
