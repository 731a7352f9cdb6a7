import {
  KeyRing,
  MemoryReplayStore,
  SealwireError,
  decodeProtectedHeader,
  generateKeyPair,
  importRecipientKey,
  joseBackend,
  openRequest,
  openResponse,
  sealRequest,
  sealResponse,
  type CryptoBackend,
} from '@sealwire/core'
import { base64url } from 'jose'
import { describe, expect, it } from 'vitest'
import { nobleBackend } from './noble-backend.js'

const backends: Record<string, CryptoBackend> = { jose: joseBackend, noble: nobleBackend as CryptoBackend }
const request = { method: 'POST', target: '/api/echo?x=1' }
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

async function server(curve: 'P-256' | 'X25519', backend: CryptoBackend) {
  const { privateJwk, publicJwk } = await generateKeyPair(curve)
  return { publicJwk, privateJwk, keyRing: await KeyRing.from([privateJwk], { backend }) }
}

/** Rebuilds an envelope with a different protected header (the AAD changes too, as an attacker's would). */
function withHeader(envelope: string, edit: (header: Record<string, unknown>) => Record<string, unknown>): string {
  const [, ...rest] = envelope.split('.')
  return [base64url.encode(JSON.stringify(edit(decodeProtectedHeader(envelope)))), ...rest].join('.')
}

describe('noble backend: the same wire bytes as jose', () => {
  for (const curve of ['P-256', 'X25519'] as const) {
    for (const [sealer, opener] of [
      ['noble', 'jose'],
      ['jose', 'noble'],
      ['noble', 'noble'],
    ] as const) {
      it(`${curve}: a request sealed by ${sealer} opens with ${opener} (core openRequest), and its response the other way`, async () => {
        const { publicJwk, keyRing } = await server(curve, backends[opener]!)
        const recipient = await importRecipientKey(publicJwk, backends[sealer])
        const sealed = await sealRequest({ recipient, request, body: { hello: 'world', n: [1, 2] } })
        const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: new MemoryReplayStore({ clock: () => 0 }) })
        expect(opened.body).toEqual({ hello: 'world', n: [1, 2] })
        expect(opened.claims.crv).toBe(curve)

        // The server answers with the opener's backend; the client opens with the sealer's.
        const jwe = await sealResponse({ reply: opened.reply, status: 201, contentType: 'application/json', body: '{"ok":true}', backend: backends[opener] })
        const res = await openResponse(jwe, { reply: sealed.reply, status: 201, backend: backends[sealer] })
        expect(text(res.body)).toBe('{"ok":true}')
        expect(res.contentType).toBe('application/json')
      })
    }

    it(`${curve}: the protected header has jose's members in jose's order, epk included`, async () => {
      const { publicJwk } = await server(curve, joseBackend)
      const viaJose = await sealRequest({ recipient: await importRecipientKey(publicJwk, joseBackend), request })
      const viaNoble = await sealRequest({ recipient: await importRecipientKey(publicJwk, nobleBackend as CryptoBackend), request })
      const [a, b] = [decodeProtectedHeader(viaJose.envelope), decodeProtectedHeader(viaNoble.envelope)]
      expect(Object.keys(b)).toEqual(Object.keys(a))
      expect(Object.keys(b.epk as object)).toEqual(Object.keys(a.epk as object))
      const parts = viaNoble.envelope.split('.')
      expect(parts[1]).toBe('') // direct key agreement: no encrypted key
      expect(base64url.decode(parts[2]!)).toHaveLength(12)
      expect(base64url.decode(parts[4]!)).toHaveLength(16)
    })
  }

  it('opens the response of the worked example in docs/PROTOCOL.md §8 (sealed by jose)', async () => {
    const rk = base64url.decode('htMn0FeXYwp2xXFe8JaCTX0Xn08UKuoDz9SFM_DDGKU')
    const jwe =
      'eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwidHlwIjoic2VhbHdpcmUtcmVzK2p3ZSIsImp0aSI6InQ0R2ZHLTdaLUppVUhfWEllQ0o1UWciLCJzdHMiOjIwMCwiY3R5IjoiYXBwbGljYXRpb24vanNvbiJ9..6gIQwT--FppF5Jdh.UBt7SUy641xhIag._8roE54ZOveHPlbfYy-LVw'
    expect(text(await nobleBackend.openWithSecret(jwe, rk))).toBe('{"ok":true}')
    const res = await openResponse(jwe, { reply: { jti: 't4GfG-7Z-JiUH_XIeCJ5Qg', rk }, status: 200, backend: nobleBackend as CryptoBackend })
    expect(res.contentType).toBe('application/json')
  })
})

// RFC 7748 §6.1 / libsodium's blocklist: u-coordinates whose shared secret is all zero (or degenerate).
const LOW_ORDER_X25519 = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
]
const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)))

describe('noble backend: refuses what jose refuses', () => {
  it.each(LOW_ORDER_X25519)('refuses the low-order X25519 epk %s at key agreement, as jose does', async (point) => {
    const { publicJwk, privateJwk } = await server('X25519', joseBackend)
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request })
    const forged = withHeader(sealed.envelope, (h) => ({ ...h, epk: { kty: 'OKP', crv: 'X25519', x: base64url.encode(hex(point)) } }))
    const nobleKey = await nobleBackend.importPrivateKey(privateJwk)
    // The agreement itself fails (not merely the tag): noble refuses the point.
    await expect(nobleBackend.openWithPrivateKey(forged, nobleKey)).rejects.toThrow(/invalid private or public key/)
    for (const backend of Object.values(backends)) {
      const keyRing = await KeyRing.from([privateJwk], { backend })
      const err = await openRequest(forged, { keyRing, request, replayStore: new MemoryReplayStore({ clock: () => 0 }) }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireError)
      expect((err as SealwireError).code).toBe('decryption_failed')
    }
  })

  it('refuses an off-curve P-256 epk (invalid-curve attack), as jose does', async () => {
    const { publicJwk, privateJwk } = await server('P-256', joseBackend)
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request })
    const forged = withHeader(sealed.envelope, (h) => {
      const epk = h.epk as { y: string }
      const y = base64url.decode(epk.y)
      y[31]! ^= 1
      return { ...h, epk: { ...epk, y: base64url.encode(y) } }
    })
    const nobleKey = await nobleBackend.importPrivateKey(privateJwk)
    await expect(nobleBackend.openWithPrivateKey(forged, nobleKey)).rejects.toThrow(/point|curve/i)
    await expect(joseBackend.openWithPrivateKey(forged, await joseBackend.importPrivateKey(privateJwk))).rejects.toThrow()
  })

  it('refuses an off-curve P-256 server key at import, as jose does', async () => {
    const { publicJwk } = await server('P-256', joseBackend)
    const y = base64url.decode(publicJwk.y!)
    y[0]! ^= 0x80
    const bad = { kty: 'EC', crv: 'P-256', x: publicJwk.x, y: base64url.encode(y) }
    await expect(nobleBackend.importPublicKey(bad)).rejects.toThrow()
    await expect(joseBackend.importPublicKey(bad)).rejects.toThrow()
  })

  it('refuses an epk of the other curve, an epk with private members, and a missing epk', async () => {
    const { publicJwk, privateJwk } = await server('P-256', joseBackend)
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request })
    const key = await nobleBackend.importPrivateKey(privateJwk)
    const x25519 = (await generateKeyPair('X25519')).publicJwk
    const cases = [
      withHeader(sealed.envelope, (h) => ({ ...h, epk: { kty: 'OKP', crv: 'X25519', x: x25519.x } })),
      withHeader(sealed.envelope, (h) => ({ ...h, epk: { ...(h.epk as object), d: privateJwk.d } })),
      withHeader(sealed.envelope, ({ epk: _epk, ...h }) => h),
    ]
    for (const forged of cases) await expect(nobleBackend.openWithPrivateKey(forged, key)).rejects.toThrow()
  })

  it('refuses other algorithms, zip, crit, an encrypted key, and a tampered ciphertext', async () => {
    const { publicJwk, privateJwk } = await server('X25519', joseBackend)
    const sealed = await sealRequest({ recipient: await importRecipientKey(publicJwk), request })
    const key = await nobleBackend.importPrivateKey(privateJwk)
    expect(text(await nobleBackend.openWithPrivateKey(sealed.envelope, key))).toContain('"rk"')
    const parts = sealed.envelope.split('.')
    const ct = base64url.decode(parts[3]!)
    ct[0]! ^= 1
    const forgeries = {
      alg: withHeader(sealed.envelope, (h) => ({ ...h, alg: 'ECDH-ES+A256KW' })),
      enc: withHeader(sealed.envelope, (h) => ({ ...h, enc: 'A128GCM' })),
      zip: withHeader(sealed.envelope, (h) => ({ ...h, zip: 'DEF' })),
      crit: withHeader(sealed.envelope, (h) => ({ ...h, crit: ['exp'], exp: 1 })),
      encryptedKey: [parts[0], 'AAAA', ...parts.slice(2)].join('.'),
      ciphertext: [...parts.slice(0, 3), base64url.encode(ct), parts[4]].join('.'),
      fourParts: parts.slice(0, 4).join('.'),
    }
    for (const [name, forged] of Object.entries(forgeries)) {
      await expect(nobleBackend.openWithPrivateKey(forged, key), name).rejects.toThrow()
    }
  })

  it('opens a dir response only with its own rk and the dir profile', async () => {
    const rk = crypto.getRandomValues(new Uint8Array(32))
    const header = { alg: 'dir', enc: 'A256GCM', typ: 'sealwire-res+jwe', jti: 'AAAAAAAAAAAAAAAAAAAAAA', sts: 200, cty: 'text/plain' }
    const jwe = await nobleBackend.sealWithSecret(new TextEncoder().encode('hi'), header, rk)
    expect(text(await joseBackend.openWithSecret(jwe, rk))).toBe('hi')
    await expect(nobleBackend.openWithSecret(jwe, crypto.getRandomValues(new Uint8Array(32)))).rejects.toThrow()
    await expect(nobleBackend.openWithSecret(withHeader(jwe, (h) => ({ ...h, sts: 500 })), rk)).rejects.toThrow()
    await expect(nobleBackend.sealWithSecret(new Uint8Array(), { ...header, alg: 'A256KW' }, rk)).rejects.toThrow(TypeError)
  })

  it('refuses a private JWK whose public members belong to another key', async () => {
    const a = await generateKeyPair('P-256')
    const b = await generateKeyPair('P-256')
    await expect(nobleBackend.importPrivateKey({ ...a.privateJwk, d: b.privateJwk.d })).rejects.toThrow(TypeError)
    const c = await generateKeyPair('X25519')
    const d = await generateKeyPair('X25519')
    await expect(nobleBackend.importPrivateKey({ ...c.privateJwk, x: d.publicJwk.x })).rejects.toThrow(TypeError)
  })
})
