import { describe, expect, it } from 'vitest'
import { platform as nodePlatform } from '../node/platform.js'
import { platform as portablePlatform } from '../platform/portable.js'
import type { Platform } from '../platform/platform.js'

const hex = (text: string) => Uint8Array.from(text.match(/../g)!.map((b) => Number.parseInt(b, 16)))
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

// RFC 5869 Appendix A.1 (SHA-256, basic) and A.3 (no salt, no info).
const A1 = { ikm: hex('0b'.repeat(22)), salt: hex('000102030405060708090a0b0c'), info: hex('f0f1f2f3f4f5f6f7f8f9'), okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865' }
const A3 = { ikm: hex('0b'.repeat(22)), salt: new Uint8Array(), info: new Uint8Array(), okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8' }

describe.each([
  ['node', nodePlatform],
  ['portable', portablePlatform],
] as Array<[string, Platform]>)('HKDF-SHA256 on the %s platform', (_name, platform) => {
  it.each([32, 16, 42])('matches RFC 5869 A.1 and A.3 for %i bytes, under a one-off and under a kept secret', async (length) => {
    for (const v of [A1, A3]) {
      expect(toHex(await platform.hkdf(v.ikm, v.salt, v.info, length))).toBe(v.okm.slice(0, 2 * length))
      expect(toHex(await platform.hkdfUnderSecret(v.ikm, v.salt, v.info, length))).toBe(v.okm.slice(0, 2 * length))
    }
  })

  it('refuses a secret erased in place: never derives as it was, nor from its zeros (a key anyone can compute)', async () => {
    const secret = new Uint8Array(32).fill(7)
    const salt = new Uint8Array([1, 2, 3])
    const info = new Uint8Array([4])
    const before = await platform.hkdfUnderSecret(secret, salt, info, 32)
    expect(await platform.hkdfUnderSecret(secret, salt, info, 32)).toEqual(before)
    secret.fill(0)
    await expect(platform.hkdfUnderSecret(secret, salt, info, 32)).rejects.toThrow(/erased/)
  })
})
