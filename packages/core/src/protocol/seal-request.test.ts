/**
 * sealRequest: round trips on both curves, where the envelope travels for each
 * method, the exact protected header it writes, and determinism under an
 * injected clock and random source.
 */
import { base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import { ENVELOPE_HEADER, JOSE_MEDIA_TYPE, REQUEST_TYP } from '../constants.js'
import { generateKeyPair, type Curve, type PublicJwk } from '../keys/jwk.js'
import { KeyRing } from '../keys/key-ring.js'
import { importRecipientKey, type RecipientKey } from '../keys/recipient-key.js'
import { MemoryReplayStore } from '../replay/memory-replay-store.js'
import type { RandomSource } from '../runtime.js'
import { decodeProtectedHeader } from './compact.js'
import { openRequest } from './open-request.js'
import { openResponse } from './open-response.js'
import { envelopePlacement } from './request-descriptor.js'
import { sealRequest } from './seal-request.js'
import { sealResponse } from './seal-response.js'

const NOW = 1_700_000_000_123
const clock = () => NOW

/** A deterministic random source: bytes 1, 2, 3, … across calls. */
function counterRandom(): RandomSource {
  let next = 1
  return (length) => Uint8Array.from({ length }, () => next++ & 0xff)
}

interface Server {
  keyRing: KeyRing
  publicJwk: PublicJwk
  recipient: RecipientKey
}
const servers = {} as Record<Curve, Server>
beforeAll(async () => {
  for (const curve of ['P-256', 'X25519'] as const) {
    const { privateJwk, publicJwk } = await generateKeyPair(curve)
    servers[curve] = { keyRing: await KeyRing.from([privateJwk]), publicJwk, recipient: await importRecipientKey(publicJwk) }
  }
})

/** A store up for a minute at NOW (its start is no reason to refuse these requests). */
function replayStore(): MemoryReplayStore {
  let first = true
  return new MemoryReplayStore({ clock: () => (first ? ((first = false), NOW - 60_000) : NOW) })
}

describe('round trips', () => {
  for (const curve of ['P-256', 'X25519'] as const) {
    it(`seals and opens a request and its response on ${curve}`, async () => {
      const { keyRing, publicJwk, recipient } = servers[curve]
      const request = { method: 'POST', target: '/api/echo?x=1' }
      const body = { hello: 'world', n: 1.5, list: [true, null, 'ü'], nested: { deep: ['é'] } }
      const sealed = await sealRequest({ recipient, request, body, clock })
      expect(sealed.placement).toBe('body')
      expect(sealed.headers).toEqual({ 'Content-Type': JOSE_MEDIA_TYPE })
      expect(sealed.httpBody).toBe(sealed.envelope)

      const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: replayStore(), clock })
      expect(opened.body).toEqual(body)
      expect(opened.claims).toEqual({ kid: publicJwk.kid, crv: curve, iat: Math.floor(NOW / 1000), jti: sealed.reply.jti, htm: 'POST', htu: '/api/echo?x=1' })
      expect(opened.reply).toEqual(sealed.reply)

      const jwe = await sealResponse({ reply: opened.reply, status: 201, contentType: 'application/json', body: '{"ok":true}' })
      const res = await openResponse(jwe, { reply: sealed.reply, status: 201 })
      expect(new TextDecoder().decode(res.body)).toBe('{"ok":true}')
      expect(res).toMatchObject({ status: 201, contentType: 'application/json' })
    })
  }

  it('carries JSON scalars and the empty containers as the body', async () => {
    const { keyRing, recipient } = servers['P-256']
    const request = { method: 'PUT', target: '/v' }
    for (const body of [0, -1, 'text', '', false, [], {}, null]) {
      const sealed = await sealRequest({ recipient, request, body, clock })
      expect((await openRequest(sealed.envelope, { keyRing, request, replayStore: replayStore(), clock })).body).toEqual(body)
    }
  })
})

describe('placement (docs/PROTOCOL.md §3.1)', () => {
  const cases = [
    { method: 'GET', body: undefined, placement: 'header' },
    { method: 'get', body: undefined, placement: 'header' },
    { method: 'HEAD', body: undefined, placement: 'header' },
    { method: 'DELETE', body: undefined, placement: 'header' },
    { method: 'DELETE', body: { reason: 'duplicate' }, placement: 'body' },
    { method: 'POST', body: { a: 1 }, placement: 'body' },
    { method: 'POST', body: undefined, placement: 'body' },
    { method: 'PUT', body: [1], placement: 'body' },
    { method: 'PATCH', body: { a: null }, placement: 'body' },
    { method: 'OPTIONS', body: undefined, placement: 'body' },
  ] as const

  for (const { method, body, placement } of cases) {
    it(`${method} ${body === undefined ? 'without' : 'with'} a body travels in the ${placement}`, async () => {
      const { keyRing, recipient } = servers['X25519']
      const request = { method, target: '/api/items/7?fields=a,b' }
      const sealed = await sealRequest({ recipient, request, body, clock })
      expect(sealed.placement).toBe(placement)
      expect(envelopePlacement(method, body !== undefined)).toBe(placement)
      if (placement === 'header') {
        expect(sealed.headers).toEqual({ [ENVELOPE_HEADER]: sealed.envelope })
        expect(sealed.httpBody).toBeUndefined()
      } else {
        expect(sealed.headers).toEqual({ 'Content-Type': JOSE_MEDIA_TYPE })
        expect(sealed.httpBody).toBe(sealed.envelope)
      }
      const opened = await openRequest(sealed.envelope, { keyRing, request, replayStore: replayStore(), clock })
      expect(opened.body).toEqual(body === undefined ? null : body)
      expect(opened.claims.htm).toBe(method.toUpperCase())
    })
  }

  it('keeps a header envelope within the 12 KiB the server accepts for a small GET', async () => {
    const sealed = await sealRequest({ recipient: servers['P-256'].recipient, request: { method: 'GET', target: '/api/items?page=2' }, clock })
    expect(sealed.envelope.length).toBeLessThan(12 * 1024)
  })

  it('refuses at seal time a header envelope the server could never accept (over 12 KiB)', async () => {
    const request = { method: 'GET', target: '/api/search' }
    await expect(sealRequest({ recipient: servers['P-256'].recipient, request, body: { q: 'x'.repeat(12 * 1024) }, clock })).rejects.toThrow(RangeError)
    // The same body as a POST travels in the body, where the cap is the server's maxBodyBytes.
    await expect(sealRequest({ recipient: servers['P-256'].recipient, request: { ...request, method: 'POST' }, body: { q: 'x'.repeat(12 * 1024) }, clock })).resolves.toMatchObject({ placement: 'body' })
  })

  it('says which part makes a header envelope too long, and the fix for that part', async () => {
    const recipient = servers['P-256'].recipient
    const long = 'x'.repeat(9000)
    // The query in clear is bound in `htu`, inside the envelope: a GET has no body to shrink.
    await expect(sealRequest({ recipient, request: { method: 'GET', target: `/api/search?q=${long}` }, clock })).rejects.toThrow(
      /^a GET envelope travels in the Sealwire-Envelope header, capped at 12288 characters, and this one has \d+, most of it the query \(9002 characters\): send a shorter query .*use POST/,
    )
    await expect(sealRequest({ recipient, request: { method: 'GET', target: '/api/search' }, body: { q: long }, clock })).rejects.toThrow(/most of it the body \(9008 characters of JSON\): send a smaller body/)
    await expect(sealRequest({ recipient, request: { method: 'GET', target: '/api/search' }, head: { query: `q=${long}` }, clock })).rejects.toThrow(
      /^the sealed query \(9002 characters\) and header fields \(0\) exceed the 8192 characters they may have together: send a shorter query/,
    )
  })
})

describe('the protected header it writes', () => {
  it('has exactly the v1 members, iat from the clock and jti/rk from the random source', async () => {
    const { publicJwk, recipient } = servers['P-256']
    const random = counterRandom()
    const sealed = await sealRequest({ recipient, request: { method: 'delete', target: '/a/b?c=d%20e' }, clock, random })
    const header = decodeProtectedHeader(sealed.envelope)
    const jti = base64url.encode(Uint8Array.from({ length: 16 }, (_, i) => i + 1))
    expect(header).toEqual({
      alg: 'ECDH-ES',
      enc: 'A256GCM',
      typ: REQUEST_TYP,
      kid: publicJwk.kid,
      epk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
      iat: 1_700_000_000,
      jti,
      htm: 'DELETE',
      htu: '/a/b?c=d%20e',
    })
    expect(sealed.reply.jti).toBe(jti)
    expect(sealed.reply.rk).toEqual(Uint8Array.from({ length: 32 }, (_, i) => i + 17))
    // The encrypted key part is empty: ECDH-ES is direct key agreement (RFC 7518 §4.6).
    expect(sealed.envelope.split('.')[1]).toBe('')
  })

  it('writes an OKP epk on X25519', async () => {
    const header = decodeProtectedHeader((await sealRequest({ recipient: servers['X25519'].recipient, request: { method: 'GET', target: '/' }, clock })).envelope)
    expect(header.epk).toEqual({ kty: 'OKP', crv: 'X25519', x: expect.any(String) })
  })

  it('is deterministic in jti and rk under the same random source, fresh by default', async () => {
    const { recipient } = servers['P-256']
    const request = { method: 'POST', target: '/' }
    const a = await sealRequest({ recipient, request, clock, random: counterRandom() })
    const b = await sealRequest({ recipient, request, clock, random: counterRandom() })
    expect(b.reply).toEqual(a.reply)
    // The ephemeral key is jose's own: the envelopes still differ.
    expect(b.envelope).not.toBe(a.envelope)
    const c = await sealRequest({ recipient, request })
    const d = await sealRequest({ recipient, request })
    expect(c.reply.jti).not.toBe(d.reply.jti)
    expect(c.reply.rk).not.toEqual(d.reply.rk)
    expect(base64url.decode(c.reply.jti)).toHaveLength(16)
    expect(c.reply.rk).toHaveLength(32)
  })

  it('refuses a random source that returns fewer bytes than asked, and keeps rk when the source reuses its buffer', async () => {
    const { recipient } = servers['X25519']
    const request = { method: 'POST', target: '/' }
    await expect(sealRequest({ recipient, request, random: (n) => crypto.getRandomValues(new Uint8Array(n - 16)) })).rejects.toThrow(/length asked for/)
    const pool = new Uint8Array(64)
    const reusing = (n: number) => crypto.getRandomValues(pool.subarray(0, n))
    const sealed = await sealRequest({ recipient, request, random: reusing, bodyStream: true })
    const rk = Uint8Array.from(sealed.reply.rk)
    reusing(48)
    expect(sealed.reply.rk).toEqual(rk)
  })
})

describe('caller misuse throws TypeError', () => {
  it('refuses a target that is not origin-form', async () => {
    const { recipient } = servers['P-256']
    for (const target of ['https://api.example/x', 'api/x', '', '/a b', '/a#frag', '*']) {
      await expect(sealRequest({ recipient, request: { method: 'GET', target } }), target).rejects.toThrow(TypeError)
    }
  })

  it('refuses a body JSON cannot carry', async () => {
    const { recipient } = servers['P-256']
    const request = { method: 'POST', target: '/' }
    await expect(sealRequest({ recipient, request, body: () => 1 })).rejects.toThrow(TypeError)
    await expect(sealRequest({ recipient, request, body: Symbol('x') })).rejects.toThrow(TypeError)
    await expect(sealRequest({ recipient, request, body: 10n })).rejects.toThrow(TypeError)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(sealRequest({ recipient, request, body: cyclic })).rejects.toThrow(TypeError)
  })
})
