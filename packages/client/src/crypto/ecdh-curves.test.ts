import { p256 as nobleP256 } from '@noble/curves/nist.js'
import { describe, expect, it } from 'vitest'
import { P256_PARAMS, ecdhCurve } from './ecdh-curves.js'

describe('ecdh curves', () => {
  it("P-256 parameters are exactly noble's p256", () => {
    expect({ ...nobleP256.Point.CURVE() }).toEqual({ ...P256_PARAMS })
  })

  it("P-256 agreement matches noble's full p256 both ways", () => {
    const curve = ecdhCurve('P-256')
    const a = curve.ephemeral()
    const b = nobleP256.utils.randomSecretKey()
    const bPublic = nobleP256.getPublicKey(b, false)
    const ours = curve.sharedSecret(a.secret, bPublic)
    const theirs = nobleP256.getSharedSecret(b, curve.publicKey(a.epk as unknown as Record<string, unknown>), true).slice(1)
    expect(ours).toEqual(theirs)
  })

  it('refuses the point at infinity and coordinates of the wrong length', () => {
    const curve = ecdhCurve('P-256')
    const zero = 'A'.repeat(43)
    expect(() => curve.publicKey({ kty: 'EC', crv: 'P-256', x: zero, y: zero })).toThrow()
    expect(() => curve.publicKey({ kty: 'EC', crv: 'P-256', x: 'AAAA', y: zero })).toThrow(TypeError)
    expect(() => ecdhCurve('P-384')).toThrow(TypeError)
  })
})
