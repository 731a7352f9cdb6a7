import { KeyRing, generateKeyPair } from '@sealwire/core'
import { describe, expect, it } from 'vitest'
import { signedSetProblem } from './signed-set.js'

/** An unsigned stand-in for the JWT: the server reads the payload only (clients verify the signature). */
const jwtOf = (payload: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`

describe('signedSetProblem', () => {
  it('accepts a current set of held keys, and names every other problem without throwing', async () => {
    const own = await generateKeyPair('X25519')
    const ring = await KeyRing.from([own.privateJwk])
    const now = 1_800_000_000_000
    const iat = now / 1000
    const set = (p: Record<string, unknown>) => signedSetProblem(jwtOf({ keys: [own.publicJwk], iat, exp: iat + 3600, ...p }), ring, now)?.message
    expect(set({})).toBeUndefined()
    expect(set({ exp: iat - 1 })).toMatch(/^the signed set expired at 2027-/)
    // Out of Date's range, or not finite: a problem, not a RangeError.
    expect(set({ exp: -1e20 })).toMatch(/expired at/)
    expect(signedSetProblem(jwtOf({ keys: [own.publicJwk], iat, exp: '1e400' }), ring, now)).toEqual({ message: expect.stringMatching(/no valid iat and exp/), dated: false })
    expect(signedSetProblem(jwtOf({ keys: [own.publicJwk], iat, exp: iat - 1 }), ring, now)?.dated).toBe(true)
    expect(set({ iat: iat + 3600, exp: iat + 7200 })).toMatch(/dated in the future/)
    expect(set({ exp: iat + 367 * 86_400 })).toMatch(/more than 366 days/)
    // A kid made to forge log lines comes out printable.
    const problem = set({ keys: [{ kid: 'x\r\nSealwire: FAKE \u001b[2J' }] })!
    expect(problem).toContain('"x??Sealwire:?FAKE??[2J"')
    expect(problem).not.toMatch(/[\r\n\u001b]/)
  })
})
