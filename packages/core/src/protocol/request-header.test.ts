/**
 * The plain request header and plaintext checks (openRequest's fast path)
 * against the zod schemas (the authority): whatever the plain check accepts,
 * the schema accepts with the same output; and the plain check accepts what
 * clients seal, so the fast path is the one taken.
 */
import { describe, expect, it } from 'vitest'
import { requestHeaderSchema, requestPlaintextSchema } from '../schemas.js'
import { plainRequestHeader, plainRequestPlaintext } from './request-header.js'

const X = 'A'.repeat(43)
const x25519 = { alg: 'ECDH-ES', enc: 'A256GCM', typ: 'sealwire-req+jwe', kid: 'k1', epk: { x: X, crv: 'X25519', kty: 'OKP' }, iat: 1_700_000_000, jti: 'AAAAAAAAAAAAAAAAAAAAAA', htm: 'POST', htu: '/api/echo?x=1' }
const p256 = { ...x25519, epk: { x: X, crv: 'P-256', kty: 'EC', y: X } }

/** Values that sit on or across the schema's boundaries, for any member. */
const ODD: unknown[] = [
  undefined, null, true, 0, -0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, Number.MAX_SAFE_INTEGER, '', 'x', 'POST', 'post', 'P'.repeat(17),
  '/', '/a b', '/a#b', 'a/b', '/'.repeat(8193), 'A'.repeat(21), 'A'.repeat(22), 'AAAAAAAAAAAAAAAAAAAAAB', 'A'.repeat(86), 'A'.repeat(87), X, X.slice(1) + 'B',
  X + '=', `${X.slice(0, 42)}+`, 'k'.repeat(256), 'k'.repeat(257), 'sealwire-req+jwe', 'application/SEALWIRE-REQ+JWE', 'sealwire-res+jwe', 'sealwire-req+jwe; a=b',
  'h'.repeat(2048), 'h'.repeat(2049), 'OKP', 'EC', 'X25519', 'P-256', [], [1], ['deriveBits'], {}, { x: X },
]

const agree = (header: Record<string, unknown>): void => {
  const plain = plainRequestHeader(header)
  const zod = requestHeaderSchema.safeParse(header)
  if (plain === undefined) return // the schema decides
  expect(zod.success, JSON.stringify(header)).toBe(true)
  if (zod.success) expect({ ...plain, hto: plain.hto, shd: plain.shd, ses: plain.ses, str: plain.str }).toStrictEqual({ ...zod.data, hto: zod.data.hto, shd: zod.data.shd, ses: zod.data.ses, str: zod.data.str })
}

describe('plainRequestHeader', () => {
  it('accepts what clients seal, on both curves, with hto and extra members', () => {
    for (const header of [x25519, p256, { ...x25519, hto: 'https://api.example' }, { ...p256, shd: 1 }, { ...x25519, shd: 2 }, { ...p256, cty: 'x', epk: { ...p256.epk, kid: 'e', key_ops: [] } }]) {
      expect(plainRequestHeader(header)).toBeDefined()
      agree(header)
    }
  })

  it('accepts nothing the schema refuses: every member replaced by every odd value', () => {
    let accepted = 0
    for (const base of [x25519, p256] as Record<string, unknown>[]) {
      for (const name of [...Object.keys(base), 'hto', 'shd', 'str', 'zip', '__proto__']) {
        for (const value of ODD) {
          const header = { ...base, [name]: value }
          if (plainRequestHeader(header) !== undefined) accepted++
          agree(header)
        }
      }
      const epk = base.epk as Record<string, unknown>
      for (const name of [...Object.keys(epk), 'y', 'd', 'k', 'priv', 'key_ops', 'use']) {
        for (const value of ODD) agree({ ...base, epk: { ...epk, [name]: value } })
      }
    }
    // The loop is not vacuous: some replacements are valid (another kid, method, target…).
    expect(accepted).toBeGreaterThan(20)
  })

  it('accepts nothing the schema refuses: pairs of members replaced', () => {
    const names = Object.keys(x25519)
    for (const a of names) for (const b of names) for (const va of ODD.slice(0, 20)) for (const vb of ODD.slice(20, 40)) agree({ ...x25519, [a]: va, [b]: vb })
  })
})

describe('plainRequestPlaintext', () => {
  it('agrees with requestPlaintextSchema where it accepts, and accepts what clients seal', () => {
    const good = { rk: X, body: { a: 1 } }
    expect(plainRequestPlaintext(good)).toStrictEqual(requestPlaintextSchema.parse(good))
    expect(plainRequestPlaintext({ rk: X, body: null })).toStrictEqual({ rk: X, body: null })
    for (const rk of ODD) {
      for (const body of [undefined, null, 0, 'x', {}, []]) {
        const value = { rk, body }
        const plain = plainRequestPlaintext(value)
        if (plain === undefined) continue
        const zod = requestPlaintextSchema.safeParse(value)
        expect(zod.success).toBe(true)
        if (zod.success) expect(plain).toStrictEqual(zod.data)
      }
    }
    for (const value of [null, [], 'x', { body: 1 }, { rk: X }]) expect(plainRequestPlaintext(value)).toBeUndefined()
  })

  it("a streamed upload's salt (bsn): 16 bytes with a null body, as the schema says", () => {
    const bsn = 'AAAAAAAAAAAAAAAAAAAAAA'
    expect(plainRequestPlaintext({ rk: X, body: null, bsn })).toStrictEqual({ rk: X, body: null, bsn })
    for (const value of ODD) {
      for (const body of [null, 0, {}]) {
        const raw = { rk: X, body, bsn: value }
        const plain = plainRequestPlaintext(raw)
        const zod = requestPlaintextSchema.safeParse(raw)
        if (plain !== undefined) expect(zod.success && zod.data).toEqual(plain)
        if (value !== undefined && body !== null) expect(zod.success, JSON.stringify(raw)).toBe(false)
      }
    }
  })
})
