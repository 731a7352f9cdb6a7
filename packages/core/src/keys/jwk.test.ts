/**
 * Keys: RFC 7638 thumbprints as `kid`, generation on both curves, and the
 * validation of imported JWKs (caller misuse → TypeError).
 */
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { CURVES, generateKeyPair, importPrivateJwk, importPublicJwk, thumbprint, toPublicJwk } from './jwk.js'

/** RFC 7638 §3 computed here without jose: SHA-256 over the required members, sorted, no whitespace. */
async function independentThumbprint(members: Record<string, string>): Promise<string> {
  const json = `{${Object.keys(members)
    .sort()
    .map((k) => `"${k}":"${members[k]}"`)
    .join(',')}}`
  return base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(json))))
}

/** RFC 8037 §A.6: Bob's X25519 public key. */
const RFC8037_BOB = { kty: 'OKP', crv: 'X25519', x: '3p7bfXt9wbTTW2HC7OQ1Nz-DQ8hbeGdNrfx-FG-IK08' } as const

describe('thumbprint (RFC 7638)', () => {
  it('matches the RFC 7638 §3.1 example (the RSA key of RFC 7517 Appendix A.1)', async () => {
    const jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    }
    expect(await thumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs')
  })

  it('matches the RFC 8037 §A.3 OKP example (Ed25519: the same required members crv, kty, x)', async () => {
    expect(await thumbprint({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' })).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })

  it("gives RFC 8037 §A.6 Bob's X25519 key the kid computed independently", async () => {
    const expected = await independentThumbprint(RFC8037_BOB)
    expect(await thumbprint(RFC8037_BOB)).toBe(expected)
    // RFC 8037 names it kid "Bob"; Sealwire insists the kid is the thumbprint.
    await expect(importPublicJwk({ ...RFC8037_BOB, kid: 'Bob' })).rejects.toThrow(TypeError)
    expect((await importPublicJwk(RFC8037_BOB)).kid).toBe(expected)
  })

  it('ignores members outside the required set', async () => {
    const base = await thumbprint(RFC8037_BOB)
    expect(await thumbprint({ ...RFC8037_BOB, kid: 'x', use: 'enc', alg: 'ECDH-ES', d: 'AAAA' } as never)).toBe(base)
  })
})

describe('generateKeyPair', () => {
  for (const curve of CURVES) {
    it(`makes a ${curve} pair whose kid is its thumbprint`, async () => {
      const { privateJwk, publicJwk } = await generateKeyPair(curve)
      const required: Record<string, string> = curve === 'P-256' ? { kty: 'EC', crv: curve, x: publicJwk.x, y: publicJwk.y! } : { kty: 'OKP', crv: curve, x: publicJwk.x }
      expect(publicJwk).toEqual({ ...required, kid: await independentThumbprint(required), use: 'enc', alg: 'ECDH-ES' })
      expect(privateJwk).toEqual({ ...publicJwk, d: expect.any(String) })
      expect(base64url.decode(privateJwk.d)).toHaveLength(32)
      expect(toPublicJwk(privateJwk)).toEqual(publicJwk)
      expect(toPublicJwk(privateJwk)).not.toHaveProperty('d')
    })
  }

  it('defaults to P-256 and makes a new key every time', async () => {
    const a = await generateKeyPair()
    const b = await generateKeyPair()
    expect(a.publicJwk.crv).toBe('P-256')
    expect(a.publicJwk.kid).not.toBe(b.publicJwk.kid)
  })

  it('refuses other curves with TypeError', async () => {
    await expect(generateKeyPair('P-384' as never)).rejects.toThrow(TypeError)
    await expect(generateKeyPair('Ed25519' as never)).rejects.toThrow(TypeError)
  })
})

describe('importPrivateJwk / importPublicJwk', () => {
  it('normalize to the members Sealwire uses, adding kid, use and alg', async () => {
    const { privateJwk } = await generateKeyPair('P-256')
    const { kid: _kid, use: _use, alg: _alg, ...bare } = privateJwk
    const imported = await importPrivateJwk({ ...bare, key_ops: ['deriveBits'], ext: true, x5c: ['AAAA'] })
    expect(imported).toEqual(privateJwk)
    const pub = await importPublicJwk({ ...bare, key_ops: ['deriveBits'] })
    expect(pub).toEqual(toPublicJwk(privateJwk))
    expect(pub).not.toHaveProperty('d')
  })

  it('accept a matching kid, use "enc" and alg "ECDH-ES"', async () => {
    const { privateJwk } = await generateKeyPair('X25519')
    expect(await importPrivateJwk(privateJwk)).toEqual(privateJwk)
  })

  it('refuse with TypeError a kid that is not the thumbprint', async () => {
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    await expect(importPrivateJwk({ ...privateJwk, kid: 'my-key-2024' })).rejects.toThrow(TypeError)
    await expect(importPublicJwk({ ...publicJwk, kid: (await generateKeyPair()).publicJwk.kid })).rejects.toThrow(/thumbprint/)
  })

  it('refuse with TypeError anything that is not a P-256 or X25519 key for ECDH-ES', async () => {
    const { privateJwk: ec } = await generateKeyPair('P-256')
    const { privateJwk: okp } = await generateKeyPair('X25519')
    const cases: Record<string, unknown> = {
      'no d (private)': { ...ec, d: undefined },
      'P-384': { ...ec, crv: 'P-384' },
      'Ed25519': { ...okp, crv: 'Ed25519' },
      'RSA': { kty: 'RSA', n: 'AQAB', e: 'AQAB', d: 'AQAB' },
      'oct': { kty: 'oct', k: ec.d },
      'use sig': { ...ec, use: 'sig' },
      'alg ECDH-ES+A256KW': { ...ec, alg: 'ECDH-ES+A256KW' },
      'x of 31 bytes': { ...ec, x: base64url.encode(base64url.decode(ec.x).slice(1)) },
      'x not base64url': { ...okp, x: okp.x.replace(/.$/, '=') },
      'EC without y': { ...ec, y: undefined },
      'a string': 'not a key',
      'null': null,
    }
    for (const [name, jwk] of Object.entries(cases)) {
      await expect(importPrivateJwk(jwk), name).rejects.toThrow(TypeError)
    }
    await expect(importPublicJwk(null)).rejects.toThrow(TypeError)
    await expect(importPublicJwk({ kty: 'OKP', crv: 'X448', x: okp.x })).rejects.toThrow(TypeError)
  })

  it('name what is wrong without echoing the private key', async () => {
    const { privateJwk } = await generateKeyPair('P-256')
    const error = (await importPrivateJwk({ ...privateJwk, crv: 'P-384' }).catch((e: unknown) => e)) as Error
    expect(error).toBeInstanceOf(TypeError)
    expect(error.message).toMatch(/private JWK/)
    expect(error.message).not.toContain(privateJwk.d)
  })
})
