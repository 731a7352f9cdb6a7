import { afterEach, describe, expect, it, vi } from 'vitest'
import { generateKeyPair } from '@sealwire/core'
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

  it('refuses pinned keys that carry private parts, naming the key and the fix', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    const pin = (keys: unknown[]) => () => createClient({ baseUrl: 'https://api.example.com', keys })
    expect(pin([publicJwk, privateJwk])).toThrow(/keys\[1\] is a private key \(it has d\).*keys public/)
    expect(pin([{ ...publicJwk, k: 'x' }])).toThrow(TypeError) // a symmetric secret too
    expect(() => createClient({ baseUrl: 'https://api.example.com', keys: { keys: [privateJwk] } })).toThrow(/keys\[0\] is a private key/)
    expect(pin([publicJwk])).not.toThrow()
  })

  it('refuses, at creation and per request, a sealHeaders list naming a field no hop may lose, and says to remove it', async () => {
    let calls = 0
    const fetch = async () => (calls++, new Response())
    expect(() => createClient({ baseUrl: 'https://api.example.com', fetch, sealHeaders: ['host'] })).toThrow(new TypeError('createClient: sealHeaders: "host" cannot be sealed: it is read by the hops or describes the message on the wire; remove it from the list'))
    const api = createClient({ baseUrl: 'https://api.example.com', fetch })
    await expect(api.fetch('/api/me', { sealHeaders: ['transfer-encoding'] })).rejects.toThrow(new TypeError('init.sealHeaders: "transfer-encoding" cannot be sealed: it is read by the hops or describes the message on the wire; remove it from the list'))
    expect(calls).toBe(0)
  })
})
