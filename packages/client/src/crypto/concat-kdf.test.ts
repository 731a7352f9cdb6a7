import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { concatKdf, ecdhEsOtherInfo } from './concat-kdf.js'
import { ecdhCurve } from './ecdh-curves.js'

// RFC 7518 Appendix C: ECDH-ES key agreement, P-256, "A128GCM", apu "Alice", apv "Bob".
const ALICE_EPHEMERAL = {
  kty: 'EC',
  crv: 'P-256',
  x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0',
  y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps',
  d: '0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo',
}
const BOB = {
  kty: 'EC',
  crv: 'P-256',
  x: 'weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ',
  y: 'e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck',
  d: 'VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw',
}
const Z = [158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110, 163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196]
const OTHER_INFO = [0, 0, 0, 7, 65, 49, 50, 56, 71, 67, 77, 0, 0, 0, 5, 65, 108, 105, 99, 101, 0, 0, 0, 3, 66, 111, 98, 0, 0, 0, 128]

describe('Concat KDF (RFC 7518 §4.6.2)', () => {
  it('reproduces the shared secret Z of RFC 7518 Appendix C, from either side', () => {
    const p256 = ecdhCurve('P-256')
    const alice = p256.sharedSecret(base64url.decode(ALICE_EPHEMERAL.d), p256.publicKey(BOB))
    const bob = p256.sharedSecret(base64url.decode(BOB.d), p256.publicKey(ALICE_EPHEMERAL))
    expect([...alice]).toEqual(Z)
    expect([...bob]).toEqual(Z)
  })

  it('builds the OtherInfo of Appendix C', () => {
    expect([...ecdhEsOtherInfo('A128GCM', new TextEncoder().encode('Alice'), new TextEncoder().encode('Bob'), 128)]).toEqual(OTHER_INFO)
  })

  it('derives the key of Appendix C', () => {
    const key = concatKdf(new Uint8Array(Z), 128, new Uint8Array(OTHER_INFO))
    expect(base64url.encode(key)).toBe('VqqN6vgjbSBcIijNcacQGg')
  })

  it('concatenates rounds for keys longer than one SHA-256 output, prefix-consistent', () => {
    const z = new Uint8Array(32).fill(7)
    const info = ecdhEsOtherInfo('A256GCM', new Uint8Array(), new Uint8Array(), 512)
    const long = concatKdf(z, 512, info)
    expect(long).toHaveLength(64)
    expect(long.slice(32)).not.toEqual(long.slice(0, 32))
  })

  it('refuses key lengths that are not whole bytes', () => {
    expect(() => concatKdf(new Uint8Array(32), 100, new Uint8Array())).toThrow(RangeError)
    expect(() => concatKdf(new Uint8Array(32), 0, new Uint8Array())).toThrow(RangeError)
  })
})
