import { generateKeyPair } from '@sealwire/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSealwireServer } from './create-server.js'
import { keysFromEnv } from './load-keys.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('keys as a function: resolved on first use, not at creation', () => {
  it('a server whose secret is not set yet can be created (a build step), answers 500 naming nothing, then serves once it is set', async () => {
    const env: Record<string, string> = {}
    const errors: string[] = []
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line))
    let calls = 0
    const server = createSealwireServer({
      keys: () => {
        calls++
        return keysFromEnv('SEALWIRE_PRIVATE_JWKS', env)
      },
    })
    expect(calls).toBe(0)

    const refused = await server.jwks()
    expect(refused.status).toBe(500)
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'internal_error' })
    // The operator is told which variable, once, however many requests fail.
    await server.jwks()
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/SEALWIRE_PRIVATE_JWKS is not set/)
    await expect(server.ready).rejects.toThrow(/SEALWIRE_PRIVATE_JWKS is not set/)

    const p256 = await generateKeyPair('P-256')
    env.SEALWIRE_PRIVATE_JWKS = JSON.stringify({ keys: [p256.privateJwk] })
    await expect(server.ready).resolves.toBeUndefined()
    const served = await server.jwks()
    expect(served.status).toBe(200)
    expect(JSON.parse(served.body)).toEqual({ keys: [expect.objectContaining({ kid: p256.privateJwk.kid, crv: 'P-256' })] })
    expect(served.body).not.toContain(p256.privateJwk.d)
    // Imported once: later requests do not call the function again.
    const before = calls
    await server.jwks()
    expect(calls).toBe(before)
  })

  it('a function returning a promise of a KeyRing-able set works, and a key that is not a set is the same 500', async () => {
    const p256 = await generateKeyPair('P-256')
    const server = createSealwireServer({ keys: async () => [p256.privateJwk] })
    await server.ready
    expect((await server.jwks()).status).toBe(200)

    vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const broken = createSealwireServer({ keys: () => [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' }] })
    expect((await broken.jwks()).status).toBe(500)
    await expect(broken.ready).rejects.toThrow(TypeError)
  })
})
