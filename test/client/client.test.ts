// @sealwire/client against a Sealwire server over real HTTP on loopback.
import { KeyRing, SealwireError, generateKeyPair, type PrivateJwk } from '@sealwire/core'
import { SealwireHttpError, SealwireSchemaError, createClient } from '@sealwire/client'
import { nobleBackend } from '@sealwire/client/noble'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type } from 'arktype'
import { afterAll, afterEach, beforeAll, describe, expect, expectTypeOf, it, vi } from 'vitest'
import { z } from 'zod'
import { startProxy, type Captured, type Proxy } from './support/proxy.js'
import { startExpressServer } from './support/express-server.js'
import { startFastifyServer } from './support/fastify-server.js'
import { startFetchServer } from './support/fetch-server.js'
import { startKoaServer } from './support/koa-server.js'
import type { Harness, StartServer } from './support/harness.js'
import { NOT_JSON_SECRET } from './support/app.js'
import { caught } from './support/caught.js'

const ADAPTERS: Array<[string, StartServer]> = [
  ['express', startExpressServer],
  ['fetch', startFetchServer],
  ['koa', startKoaServer],
  ['fastify', startFastifyServer],
]

const keys: Record<'P-256' | 'X25519', PrivateJwk> = {
  'P-256': (await generateKeyPair('P-256')).privateJwk,
  X25519: (await generateKeyPair('X25519')).privateJwk,
}


/** A plain pre-decryption refusal as a man in the middle would forge it. */
function forgedRefusal(code: 'stale_request' | 'decryption_failed', date?: Date): Captured {
  return {
    status: 400,
    headers: { 'content-type': 'application/problem+json', ...(date === undefined ? {} : { date: date.toUTCString() }) },
    body: Buffer.from(JSON.stringify({ code, status: 400 })),
  }
}

describe.each(ADAPTERS)('against the %s adapter', (_name, startServer) => {
  const opened: Harness[] = []
  async function server(options: Partial<Parameters<StartServer>[0]> = {}): Promise<Harness> {
    const keyRing = options.keyRing ?? (await KeyRing.from([keys['X25519'], keys['P-256']]))
    const harness = await startServer({ ...options, keyRing })
    opened.push(harness)
    return harness
  }
  afterAll(async () => {
    await Promise.all(opened.map((h) => h.close()))
  })

  describe('client.fetch: happy paths', () => {
    let srv: Harness
    beforeAll(async () => {
      srv = await server()
    })

    it('seals a POST body, opens the sealed answer, and returns a standard Response', async () => {
      const api = createClient({ baseUrl: srv.url })
      const res = await api.fetch('/api/echo?x=1', { method: 'POST', body: JSON.stringify({ hello: 'world' }), headers: { 'x-trace': 'abc' } })
      expect(res).toBeInstanceOf(Response)
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toMatch(/^application\/json(;|$)/) // the sealed cty
      expect(await res.json()).toEqual({ method: 'POST', target: '/api/echo?x=1', body: { hello: 'world' }, crv: 'X25519' })
      // On the wire: a JWE body, nothing readable; the query is sealed, the request line has the path only.
      const wire = srv.log.at(-1)!
      expect(wire).toMatchObject({ method: 'POST', url: '/api/echo', contentType: 'application/jose', envelopeHeader: false })
      // With sealQuery: false it travels in clear, still bound (htu).
      const clear = await api.fetch('/api/echo?x=1', { method: 'POST', body: '{}', sealQuery: false })
      expect(await clear.json()).toMatchObject({ target: '/api/echo?x=1' })
      expect(srv.log.at(-1)).toMatchObject({ url: '/api/echo?x=1' })
    })

    it('sends a GET in the Sealwire-Envelope header, bound to its path and query', async () => {
      const api = createClient({ baseUrl: srv.url })
      const res = await api.fetch(`${srv.url}/api/items?id=7&q=a%20b`)
      expect(await res.json()).toEqual({ method: 'GET', target: '/api/items?id=7&q=a%20b', id: '7', body: null, crv: 'X25519' })
      expect(srv.log.at(-1)).toMatchObject({ method: 'GET', envelopeHeader: true, bodyBytes: 0 })
    })

    it('accepts a Request object and PUT/PATCH/DELETE', async () => {
      const api = createClient({ baseUrl: srv.url })
      const put = await api.fetch(new Request(`${srv.url}/api/echo`, { method: 'PUT', body: '{"a":1}' }))
      expect(await put.json()).toMatchObject({ method: 'PUT', body: { a: 1 } })
      const patch = await api.fetch('/api/echo', { method: 'patch', body: '[1,2]' })
      expect(await patch.json()).toMatchObject({ method: 'PATCH', body: [1, 2] })
      const del = await api.fetch('/api/items/7', { method: 'DELETE' })
      expect(del.status).toBe(200)
      expect(await del.text()).toBe('')
      expect(srv.log.at(-1)).toMatchObject({ method: 'DELETE', envelopeHeader: true })
    })

    it('returns sealed error answers as Responses, like fetch, with the sealed status', async () => {
      const api = createClient({ baseUrl: srv.url })
      const res = await api.fetch('/api/orders', { method: 'POST', body: JSON.stringify({ item: '', quantity: 0 }) })
      expect(res.status).toBe(422)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json(;|$)/)
      const problem = await res.json()
      expect(problem.code).toBe('invalid_payload')
      expect(problem.issues.map((i: { path: string[] }) => i.path[0])).toEqual(['item', 'quantity'])
      expect(srv.log.at(-1)!.contentType).toBe('application/jose')
    })

    it('refuses misuse before anything is sent', async () => {
      const api = createClient({ baseUrl: srv.url })
      const before = srv.log.length
      await expect(api.fetch('/api/echo', { method: 'POST', body: 'not json' })).rejects.toThrow(TypeError)
      await expect(api.fetch('/api/echo', { method: 'POST', body: new Uint8Array([1]) })).rejects.toThrow(TypeError)
      await expect(api.fetch('/api/items', { method: 'GET', body: '{}' })).rejects.toThrow(TypeError)
      await expect(api.fetch('/api/items', { method: 'HEAD' })).rejects.toThrow(TypeError)
      await expect(api.fetch('https://elsewhere.example/api/echo')).rejects.toThrow(/origin/)
      expect(srv.log.length).toBe(before)
    })
  })

  describe('conveniences', () => {
    let srv: Harness
    beforeAll(async () => {
      srv = await server()
    })

    it('return parsed JSON, validated and typed by a zod schema', async () => {
      const api = createClient({ baseUrl: srv.url })
      const order = await api.post('/api/orders', { item: 'tea', quantity: 2 }, { schema: z.object({ id: z.number(), item: z.string(), quantity: z.number() }) })
      // Typed: `order.item` is a string for TypeScript.
      const item: string = order.item
      expect(item).toBe('tea')
      expect(order).toEqual({ id: 42, item: 'tea', quantity: 2 })
      expect(await api.get('/api/items?id=3')).toMatchObject({ id: '3' })
      expect(await api.put('/api/echo', { v: 1 })).toMatchObject({ method: 'PUT', body: { v: 1 } })
      expect(await api.patch('/api/echo', null)).toMatchObject({ method: 'PATCH', body: null })
      expect(await api.delete('/api/items/7')).toBeUndefined()
      expect(await api.get('/api/text')).toBe('plain words')
    })

    it('throw SealwireHttpError with the decrypted problem on a sealed non-2xx', async () => {
      const api = createClient({ baseUrl: srv.url })
      const err = await api.post('/api/orders', { item: 'tea', quantity: -1 }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireHttpError)
      const http = err as SealwireHttpError
      expect(http.status).toBe(422)
      expect(http.code).toBe('invalid_payload')
      expect(http.problem?.issues?.[0]?.path).toEqual(['quantity'])
      const teapot = (await api.get('/api/teapot').catch((e: unknown) => e)) as SealwireHttpError
      expect(teapot.status).toBe(418)
      expect(teapot.code).toBe('teapot')
      const broken = (await api.get('/api/broken').catch((e: unknown) => e)) as SealwireHttpError
      expect(broken).toBeInstanceOf(SealwireHttpError)
      expect([broken.status, broken.body, broken.problem]).toEqual([503, 'upstream down', undefined])
    })

    it('throw a typed error that quotes none of the body when a 2xx answer is not JSON', async () => {
      const api = createClient({ baseUrl: srv.url })
      const err = await api.get('/api/not-json').then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(SealwireSchemaError)
      const schemaErr = err as SealwireSchemaError
      expect(schemaErr.issues).toEqual([{ path: [], message: 'response is not JSON' }])
      // Apps log errors: the decrypted body must not leak through any of the usual renderings.
      for (const rendering of [String(err), schemaErr.message, JSON.stringify(err), String(schemaErr.cause), schemaErr.stack ?? '']) {
        expect(rendering).not.toContain(NOT_JSON_SECRET)
      }
    })

    it('take any Standard Schema: an ArkType schema types the answer, and a mismatch does not quote the decrypted value', async () => {
      const api = createClient({ baseUrl: srv.url })
      const order = await api.post('/api/orders', { item: 'tea', quantity: 2 }, { schema: type({ id: 'number', item: 'string', quantity: 'number.integer > 0' }) })
      expectTypeOf(order).toEqualTypeOf<{ id: number; item: string; quantity: number }>()
      expect(order).toEqual({ id: 42, item: 'tea', quantity: 2 })
      // ArkType's own message would be `method must be "GET" (was "POST")`.
      const err = await api.post('/api/echo', { a: 1 }, { schema: type({ method: "'GET'" }) }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireSchemaError)
      expect((err as SealwireSchemaError).issues).toEqual([{ path: ['method'], message: 'must be "GET"' }])
      expect(String(err)).not.toContain('POST')
    })

    it('throw SealwireSchemaError when a 2xx body does not match the schema', async () => {
      const api = createClient({ baseUrl: srv.url })
      const err = await api.post('/api/echo', { a: 1 }, { schema: z.object({ method: z.literal('GET') }) }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireSchemaError)
      expect((err as SealwireSchemaError).issues[0]?.path).toEqual(['method'])
    })
  })

  describe('key discovery and rotation', () => {
    it('fetches the JWK Set once and caches it for its max-age', async () => {
      const srv = await server()
      const api = createClient({ baseUrl: srv.url })
      await Promise.all([api.get('/api/items'), api.get('/api/items'), api.get('/api/items')])
      await api.get('/api/items')
      expect(srv.jwksRequests()).toBe(1)
    })

    it('refetches once max-age has passed', async () => {
      let now = Date.now()
      const srv = await server({ jwksMaxAgeSeconds: 30, clock: () => now })
      const api = createClient({ baseUrl: srv.url, clock: () => now })
      await api.get('/api/items')
      now += 29_000
      await api.get('/api/items')
      expect(srv.jwksRequests()).toBe(1)
      now += 2_000
      await api.get('/api/items')
      expect(srv.jwksRequests()).toBe(2)
    })

    it('recovers from a rotation (new primary, old key removed) with exactly one refetch, shared by concurrent requests', async () => {
      const srv = await server({ keyRing: await KeyRing.from([keys['X25519'], keys['P-256']]) })
      const api = createClient({ baseUrl: srv.url })
      expect(await api.get('/api/items')).toMatchObject({ crv: 'X25519' })
      expect(srv.jwksRequests()).toBe(1)

      const next = (await generateKeyPair('X25519')).privateJwk
      const newKid = await srv.keyRing.add(next, { primary: true })
      srv.keyRing.remove(keys['X25519'].kid)

      const results = await Promise.all([1, 2, 3, 4].map((n) => api.post('/api/echo', { n })))
      expect(results.map((r) => (r as { body: { n: number } }).body.n)).toEqual([1, 2, 3, 4])
      expect(srv.jwksRequests()).toBe(2)
      const refused = srv.log.filter((e) => e.method === 'POST').length
      expect(refused).toBe(8) // each request: one unknown_key, one fresh retry

      await api.get('/api/items')
      expect(srv.jwksRequests()).toBe(2)
      expect(srv.keyRing.publicJwks().keys[0]!.kid).toBe(newKid)
    })

    it('surfaces unknown_key when the refetched set still offers the same key (no pointless retry)', async () => {
      const srv = await server()
      const api = createClient({ baseUrl: srv.url, keys: [{ ...(await generateKeyPair('X25519')).publicJwk }] })
      const err = await caught(api.get('/api/items'))
      expect(err.code).toBe('unknown_key')
      expect(srv.log.length).toBe(1)
    })

    it('pinned keys: no JWK Set fetch at all', async () => {
      const srv = await server()
      const api = createClient({ baseUrl: srv.url, keys: srv.keyRing.publicJwks() })
      expect(await api.post('/api/echo', { pinned: true })).toMatchObject({ body: { pinned: true }, crv: 'X25519' })
      expect(srv.jwksRequests()).toBe(0)
    })

    it('prefers X25519, and uses P-256 when the server only has it', async () => {
      const both = await server()
      expect(await createClient({ baseUrl: both.url }).get('/api/items')).toMatchObject({ crv: 'X25519' })
      const p256 = await server({ keyRing: await KeyRing.from([keys['P-256']]) })
      expect(await createClient({ baseUrl: p256.url }).get('/api/items')).toMatchObject({ crv: 'P-256' })
    })

    it('fails key discovery with key_discovery_failed, not a crash', async () => {
      const srv = await server()
      const err = await caught(createClient({ baseUrl: srv.url, jwksUrl: `${srv.url}/missing.json` }).get('/api/items'))
      expect(err.code).toBe('key_discovery_failed')
    })
  })

  describe('clock skew', () => {
    for (const [label, skew] of [
      ['ahead', +10 * 60_000],
      ['behind', -10 * 60_000],
    ] as const) {
      it(`a client clock 10 minutes ${label} learns the offset from the JWK Set's Date: its first request is accepted`, async () => {
        const srv = await server()
        const api = createClient({ baseUrl: srv.url, clock: () => Date.now() + skew })
        expect(await api.post('/api/echo', { first: true })).toMatchObject({ body: { first: true } })
        const posts = () => srv.log.filter((e) => e.method === 'POST').length
        expect(posts()).toBe(1) // no stale_request round trip
        expect(Math.abs(api.clockOffsetMs + skew)).toBeLessThan(3_000)
      })

      it(`a client clock 10 minutes ${label} with pinned keys: the first request fails, not resent, and later ones are corrected`, async () => {
        const srv = await server()
        const api = createClient({ baseUrl: srv.url, keys: srv.keyRing.publicJwks(), clock: () => Date.now() + skew })
        const err = await caught(api.post('/api/echo', { first: true }))
        expect(err.code).toBe('stale_request')
        expect(err.message).toMatch(/device clock is off by about 600 s .*later requests are corrected.*not resent.*NTP/)
        const posts = () => srv.log.filter((e) => e.method === 'POST').length
        expect(posts()).toBe(1)
        expect(Math.abs(api.clockOffsetMs + skew)).toBeLessThan(3_000)

        expect(await api.post('/api/echo', { second: true })).toMatchObject({ body: { second: true } })
        expect(posts()).toBe(2)
      })
    }
  })

  describe('a man in the middle of the response', () => {
    let srv: Harness
    let proxy: Proxy
    beforeAll(async () => {
      srv = await server()
      proxy = await startProxy(srv.url)
    })
    afterEach(() => {
      proxy.tamper = undefined
    })
    afterAll(async () => {
      await proxy.close()
    })

    it('passes honest answers through the proxy', async () => {
      const api = createClient({ baseUrl: proxy.url })
      expect(await api.post('/api/echo', { via: 'proxy' })).toMatchObject({ body: { via: 'proxy' } })
    })

    it('rejects the sealed answer of request A delivered to request B (swap)', async () => {
      const api = createClient({ baseUrl: proxy.url })
      await api.post('/api/echo', { request: 'A' })
      const answerA = proxy.captured.at(-1)!
      proxy.tamper = () => answerA
      const err = await caught(api.post('/api/echo', { request: 'B' }))
      // B's rk cannot open A's answer: it was sealed for another request.
      expect(err.code).toBe('response_decryption_failed')
      const raw = await api.fetch('/api/echo', { method: 'POST', body: '{"request":"C"}' }).catch((e: unknown) => e)
      expect((raw as SealwireError).code).toBe('response_decryption_failed')
    })

    it('rejects a sealed answer whose HTTP status was rewritten (sealed 422 passed off as 200)', async () => {
      const api = createClient({ baseUrl: proxy.url })
      proxy.tamper = (real) => ({ ...real, status: 200 })
      const err = await caught(api.post('/api/orders', { item: '', quantity: 1 }))
      expect(err.code).toBe('response_binding_mismatch')
    })

    it.each([
      ['a plaintext JSON 200', { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') }],
      ['an HTML error page', { status: 502, headers: { 'content-type': 'text/html' }, body: Buffer.from('<h1>Bad Gateway</h1>') }],
      ['no content type', { status: 200, headers: {}, body: Buffer.from('{"ok":true}') }],
      ['a plain problem with a post-decryption code', { status: 422, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from('{"code":"invalid_payload","status":422}') }],
      ['a plain problem with an unknown code', { status: 400, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from('{"code":"nope","status":400}') }],
      ['a plain unknown_key with the wrong status', { status: 200, headers: { 'content-type': 'application/problem+json' }, body: Buffer.from('{"code":"unknown_key"}') }],
      ['a redirect', { status: 302, headers: { location: 'https://evil.example/' }, body: Buffer.from('') }],
    ])('rejects a downgrade: %s → response_not_encrypted', async (_label, forged) => {
      const api = createClient({ baseUrl: proxy.url })
      proxy.tamper = () => forged
      const err = await caught(api.post('/api/echo', { secret: 'x' }))
      expect(err.code).toBe('response_not_encrypted')
      const raw = await api.fetch('/api/items').catch((e: unknown) => e)
      expect((raw as SealwireError).code).toBe('response_not_encrypted')
    })

    it('never resends on a stale_request, whatever its Date', async () => {
      const api = createClient({ baseUrl: proxy.url, keys: srv.keyRing.publicJwks(), clock: () => Date.now() + 600_000 })
      const before = srv.log.filter((e) => e.url.startsWith('/api/')).length
      proxy.tamper = (real) => ({ ...real, headers: { ...real.headers, date: new Date(Date.now() + 300_000).toUTCString() } })
      for (const call of [api.get('/api/items'), api.post('/api/echo', { transfer: 0 })]) expect((await caught(call)).code).toBe('stale_request')
      expect(srv.log.filter((e) => e.url.startsWith('/api/')).length - before).toBe(2)
    })

    it('does not learn an offset beyond maxClockCorrectionSeconds (a forged Date one hour ahead)', async () => {
      const api = createClient({ baseUrl: proxy.url, keys: srv.keyRing.publicJwks() })
      const sent = () => srv.log.filter((e) => e.url.startsWith('/api/')).length
      const before = sent()
      proxy.tamper = () => forgedRefusal('stale_request', new Date(Date.now() + 3_600_000))
      const err = await caught(api.post('/api/echo', { transfer: 1 }))
      expect(err.code).toBe('stale_request')
      expect(err.message).toMatch(/more than the allowed correction/)
      expect(sent() - before).toBe(1)
      expect(api.clockOffsetMs).toBe(0)
    })

    it('a forged stale_request after the real request ran: not resent, so the handler ran once', async () => {
      const api = createClient({ baseUrl: proxy.url, keys: srv.keyRing.publicJwks() })
      const sent = () => srv.log.filter((e) => e.url.startsWith('/api/')).length
      const before = sent()
      // The server accepts and runs the envelope; its sealed answer is swapped for a plausible refusal.
      proxy.tamper = () => forgedRefusal('stale_request', new Date(Date.now() + 5_000))
      const err = await caught(api.post('/api/echo', { transfer: 3 }))
      expect(err.code).toBe('stale_request')
      expect(err.message).toMatch(/not resent/)
      expect(sent() - before).toBe(1)
    })

    it('a forged Date costs at most one refused request: the server\'s next refusal sets the offset back', async () => {
      const api = createClient({ baseUrl: proxy.url, keys: srv.keyRing.publicJwks() })
      const sent = () => srv.log.filter((e) => e.url.startsWith('/api/')).length
      const before = sent()
      proxy.tamper = () => forgedRefusal('stale_request', new Date(Date.now() + 600_000))
      expect((await caught(api.post('/api/echo', { n: 1 }))).code).toBe('stale_request')
      expect(api.clockOffsetMs).toBeGreaterThan(590_000)

      proxy.tamper = undefined
      // Dated 10 minutes ahead: the real server refuses it, and its Date corrects the offset.
      expect((await caught(api.post('/api/echo', { n: 2 }))).code).toBe('stale_request')
      expect(Math.abs(api.clockOffsetMs)).toBeLessThan(3_000)
      expect(await api.post('/api/echo', { n: 3 })).toMatchObject({ body: { n: 3 } })
      expect(sent() - before).toBe(3)
    })

    it('rejects a truncated or garbled envelope as response_decryption_failed', async () => {
      const api = createClient({ baseUrl: proxy.url })
      proxy.tamper = (real) => ({ ...real, body: real.body.subarray(0, real.body.length - 5) })
      expect((await caught(api.get('/api/items'))).code).toBe('response_decryption_failed')
      proxy.tamper = (real) => ({ ...real, body: Buffer.from('not.a.jwe') })
      expect((await caught(api.get('/api/items'))).code).toBe('response_decryption_failed')
    })
  })

  describe('transport', () => {
    it('refuses http:// to a non-loopback host with insecure_transport', () => {
      for (const baseUrl of ['http://api.example.com', 'http://10.0.0.8:8080', 'http://[::2]']) {
        let err: unknown
        try {
          createClient({ baseUrl })
        } catch (e) {
          err = e
        }
        expect(err).toBeInstanceOf(SealwireError)
        expect((err as SealwireError).code).toBe('insecure_transport')
      }
      expect(() => createClient({ baseUrl: 'https://api.example.com', jwksUrl: 'http://keys.example.com/jwks.json' })).toThrow(SealwireError)
      expect(() => createClient({ baseUrl: 'http://api.example.com', allowInsecureTransport: true })).not.toThrow()
    })

    it('allows http:// on loopback (every test above runs on it)', async () => {
      const srv = await server()
      const localhost = srv.url.replace('127.0.0.1', 'localhost')
      expect(await createClient({ baseUrl: localhost }).get('/api/items')).toMatchObject({ method: 'GET' })
    })

    it('refuses misconfiguration with TypeError', () => {
      expect(() => createClient({ baseUrl: '/relative' })).toThrow(TypeError)
      expect(() => createClient({ baseUrl: 'https://a.example', keys: [] })).toThrow(TypeError)
      expect(() => createClient({ baseUrl: 'https://a.example', keys: [{}], jwksUrl: 'https://a.example/k' })).toThrow(/not both/)
      // @ts-expect-error: not a choice
      expect(() => createClient({ baseUrl: 'https://a.example', crypto: 'openssl' })).toThrow(TypeError)
      for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '900']) {
        // @ts-expect-error: '900' is not a number
        expect(() => createClient({ baseUrl: 'https://a.example', maxClockCorrectionSeconds: bad })).toThrow(/maxClockCorrectionSeconds/)
      }
      for (const bad of [0, -1, 1.5, Number.POSITIVE_INFINITY]) {
        expect(() => createClient({ baseUrl: 'https://a.example', maxResponseBytes: bad })).toThrow(/maxResponseBytes/)
      }
    })
  })

  describe("forced pure-JS fallback (crypto: 'noble')", () => {
    for (const curve of ['X25519', 'P-256'] as const) {
      it(`talks to the server end to end on ${curve}`, async () => {
        const srv = await server({ keyRing: await KeyRing.from([keys[curve]]) })
        const seal = vi.spyOn(nobleBackend, 'sealToPublicKey')
        const open = vi.spyOn(nobleBackend, 'openWithSecret')
        try {
          const api = createClient({ baseUrl: srv.url, crypto: 'noble' })
          expect(await api.post('/api/echo', { fallback: curve })).toMatchObject({ body: { fallback: curve }, crv: curve })
          expect(await api.get('/api/items?id=1')).toMatchObject({ id: '1', crv: curve })
          expect(seal).toHaveBeenCalledTimes(2)
          // Each answer: its body, and its sealed response fields (sent, `{}` when empty, to a client that announces them).
          expect(open).toHaveBeenCalledTimes(4)
        } finally {
          seal.mockRestore()
          open.mockRestore()
        }
      })
    }
  })
})

describe('a relative input never leaves the baseUrl origin', () => {
  // The trap: `new URL('//evil.example/x', 'https://api.example.com')` is evil.example, and the
  // caller's headers (Authorization) and a fresh envelope would follow it there.
  let srv: Harness
  let evil: { url: string; hits: Array<{ url: string; authorization: string | undefined }>; close(): Promise<void> }
  beforeAll(async () => {
    srv = await startFetchServer({ keyRing: await KeyRing.from([keys['P-256']]) })
    const hits: Array<{ url: string; authorization: string | undefined }> = []
    const server = createServer((req, res) => {
      hits.push({ url: req.url!, authorization: req.headers.authorization })
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"stolen":true}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    // Another origin for the client: same loopback address, another port, named by host.
    const url = `localhost:${(server.address() as AddressInfo).port}`
    evil = {
      url,
      hits,
      close: () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections()
          server.close((err) => (err ? reject(err) : resolve()))
        }),
    }
  })
  afterAll(async () => {
    await srv.close()
    await evil.close()
  })

  const inputs = (host: string) => [`//${host}/api/items`, `/\\${host}/api/items`, `\\\\${host}/api/items`, `/\t/${host}/api/items`]

  for (const prefix of ['', '/prefix']) {
    it(`refuses network-path and backslash inputs with a TypeError, before sending (baseUrl ${prefix === '' ? 'without' : 'with'} a path)`, async () => {
      const api = createClient({ baseUrl: `${srv.url}${prefix}`, keys: (await KeyRing.from([keys['P-256']])).publicJwks() })
      const before = srv.log.length
      for (const input of inputs(evil.url)) {
        const headers = { authorization: 'Bearer s3cret' }
        await expect(api.fetch(input, { headers }), input).rejects.toBeInstanceOf(TypeError)
        await expect(api.get(input, { headers }), input).rejects.toBeInstanceOf(TypeError)
        await expect(api.post(input, { a: 1 }, { headers }), input).rejects.toBeInstanceOf(TypeError)
      }
      expect(evil.hits).toEqual([])
      expect(srv.log.length).toBe(before)
      // Ordinary relative inputs still work.
      if (prefix === '') expect(await api.get('/api/items?id=3')).toMatchObject({ id: '3' })
    })
  }
})

describe('a request never leaves the baseUrl path prefix', () => {
  // With baseUrl https://h/api/ the client was given /api only: `../admin`, `%2e%2e/admin`
  // (which the URL parser resolves like `..`) and `..%2Fadmin` (which a server that decodes
  // before routing turns into `../admin`) must not reach /admin with the caller's headers.
  // An absolute-path input (`/items`) means a path under the base, never the origin's root.
  let srv: Harness
  beforeAll(async () => {
    srv = await startFetchServer({ keyRing: await KeyRing.from([keys['P-256']]) })
  })
  afterAll(() => srv.close())

  it('refuses ../, %2e%2e, encoded-slash dot segments and a same-origin URL outside the prefix, before sending', async () => {
    const api = createClient({ baseUrl: `${srv.url}/api/`, keys: (await KeyRing.from([keys['P-256']])).publicJwks() })
    const escapes = ['../admin', '%2e%2e/admin', '.%2E/admin', '/../admin', 'items/../../admin', '..%2Fadmin', 'items/..%2F..%2Fadmin', '..%5Cadmin', `${srv.url}/admin`, `${srv.url}/apix`, new URL(`${srv.url}/admin`)]
    const before = srv.log.length
    for (const input of escapes) {
      const headers = { authorization: 'Bearer s3cret' }
      const label = String(input)
      await expect(api.fetch(input, { headers }), label).rejects.toThrow(/outside the client's base path \/api/)
      await expect(api.get(label, { headers }), label).rejects.toBeInstanceOf(TypeError)
      await expect(api.post(label, { a: 1 }, { headers }), label).rejects.toBeInstanceOf(TypeError)
    }
    expect(srv.log.length).toBe(before)
    // Inside the prefix, by relative path, absolute path or absolute URL: sent as usual.
    expect(await api.get('items?id=0&q=%2e%2e%2f')).toMatchObject({ id: '0' }) // the query is data
    expect(await api.get('items?id=1')).toMatchObject({ id: '1' })
    expect(await api.get('/items?id=2')).toMatchObject({ id: '2' })
    expect(await api.get(`${srv.url}/api/items?id=3`)).toMatchObject({ id: '3' })
  })
})

describe('a request path that hides a dot segment or a separator is refused before sending', () => {
  // Servers and proxies that decode twice, split on `;`, decode %2F or %5C, or fold full-width
  // characters (NFKC) before routing turn each of these into a step out of the base path.
  let srv: Harness
  beforeAll(async () => {
    srv = await startFetchServer({ keyRing: await KeyRing.from([keys['P-256']]) })
  })
  afterAll(() => srv.close())

  it.each([
    ['double-encoded dots', '%252e%252e/admin'],
    ['double-encoded dots, mixed case', 'items/%252E%252e%252Fadmin'],
    ['a ..; segment', '..;/admin'],
    ['a .; segment', 'items/.;x/../admin'],
    ['an encoded slash', 'items%2f..%2fadmin'],
    ['an encoded slash alone', 'files/a%2Fb'],
    ['an encoded backslash', 'items%5c..%5cadmin'],
    ['full-width dots', '\uFF0E\uFF0E/admin'],
    ['encoded full-width dots', '%EF%BC%8E%EF%BC%8E/admin'],
    ['a one-dot leader pair', '\u2024\u2024/admin'],
    ['a two-dot leader', '\u2025/admin'],
    ['an encoded dot inside a segment', 'items%2ejson'],
  ])('%s: %s', async (_label, input) => {
    const api = createClient({ baseUrl: `${srv.url}/api/`, keys: (await KeyRing.from([keys['P-256']])).publicJwks() })
    const before = srv.log.length
    for (const send of [() => api.fetch(input, { headers: { authorization: 'Bearer s3cret' } }), () => api.get(input), () => api.post(`${srv.url}/api/${input}`, {})]) {
      const err = await send().then(() => undefined, (e: unknown) => e)
      expect(err).toBeInstanceOf(TypeError)
      expect((err as TypeError).message).toMatch(/hides a dot segment or a separator.*outside the client's base path \/api.*pass plain path segments/)
      expect((err as TypeError).message).not.toContain('admin')
    }
    expect(srv.log.length).toBe(before)
  })
})

describe('a GET whose headers pass the server limit', () => {
  // Node answers 431 (RFC 6585 §5) once the request line and headers pass 16 KiB, before any
  // handler runs; the GET envelope rides in a header, so a long query reaches it sooner.
  let srv: Harness
  beforeAll(async () => {
    srv = await startFetchServer({ keyRing: await KeyRing.from([keys['P-256']]) })
  })
  afterAll(() => srv.close())

  it('reports a 431 as request headers too large (payload_too_large), not response_not_encrypted', async () => {
    const api = createClient({ baseUrl: srv.url, keys: (await KeyRing.from([keys['P-256']])).publicJwks() })
    // Under the envelope's own cap (the query is sealed inside it), over 16 KiB with a header in clear.
    const err = await caught(api.get(`/api/items?id=1&pad=${'a'.repeat(3 * 1024)}`, { headers: { 'x-trace': 'c'.repeat(12 * 1024) } }))
    expect(err).toBeInstanceOf(SealwireError)
    expect((err as SealwireError).code).toBe('payload_too_large')
    expect((err as SealwireError).message).toMatch(/431/)
    expect((err as SealwireError).message).toMatch(/POST/)
    // The same request with a short query goes through.
    expect(await api.get('/api/items?id=1')).toMatchObject({ id: '1' })
  })
})

describe('the origin binding (hto): the client seals the origin it sends to', () => {
  // One server, one key ring, reachable under two names (127.0.0.1 and localhost): with
  // `origins` naming only one, a client of the other name is refused — the envelope says
  // where it was meant to go.
  let http: ReturnType<typeof createServer>
  let port: number
  beforeAll(async () => {
    http = createServer()
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    port = (http.address() as AddressInfo).port
    const { createSealwireServer } = await import('@sealwire/server')
    const { sealwireExpress } = await import('@sealwire/server/express')
    const { default: express } = await import('express')
    const sealwire = createSealwireServer({ keys: await KeyRing.from([keys.X25519]), allowInsecureLoopback: true, origins: [`http://127.0.0.1:${port}`] })
    const app = express()
    app.use(sealwireExpress(sealwire))
    app.post('/api/where', (req, res) => {
      res.json({ hto: req.sealwire!.hto })
    })
    http.on('request', app)
  })
  afterAll(async () => {
    http.closeAllConnections()
    await new Promise<void>((resolve) => http.close(() => resolve()))
  })

  it('is accepted at the origin it names, with hto the normalized baseUrl origin', async () => {
    const api = createClient({ baseUrl: `HTTP://127.0.0.1:${port}/` })
    expect(await api.post('/api/where', {})).toEqual({ hto: `http://127.0.0.1:${port}` })
  })

  it('is refused, sealed, when the same server is reached under another name', async () => {
    const api = createClient({ baseUrl: `http://localhost:${port}` })
    const err = await api.post('/api/where', {}).catch((e: unknown) => e)
    // A SealwireHttpError: the refusal came back sealed, so it is the server's own word.
    expect(err).toBeInstanceOf(SealwireHttpError)
    expect(err as SealwireHttpError).toMatchObject({ status: 400, code: 'binding_mismatch' })
  })
})
