import { afterEach, describe, expect, it, vi } from 'vitest'
import { createClient } from './create-client.js'

describe('createClient', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('refuses, with a TypeError that says why, a runtime without WebCrypto (e.g. a page over plain http)', () => {
    // Node always has WebCrypto: this is the one environment we cannot get here for real.
    vi.stubGlobal('crypto', { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) })
    expect(() => createClient({ baseUrl: 'https://api.example.com' })).toThrow(/WebCrypto/)
  })

  it('makes no request until the first call', () => {
    let calls = 0
    createClient({ baseUrl: 'https://api.example.com', fetch: async () => (calls++, new Response()) })
    expect(calls).toBe(0)
  })
})
