import { KeyRing, generateKeyPair, importRecipientKey, openResponse, sealRequest, type RecipientKey, type ReplayStore } from '@sealwire/core'
import { beforeAll, describe, expect, it } from 'vitest'
import { createSealwireServer } from './create-server.js'
import type { IncomingRequest, SealwireEvent } from './types.js'

let ring: KeyRing
let recipient: RecipientKey
let privateJwks: unknown[]

beforeAll(async () => {
  const a = await generateKeyPair('P-256')
  const b = await generateKeyPair('X25519')
  privateJwks = [a.privateJwk, b.privateJwk]
  ring = await KeyRing.from(privateJwks)
  recipient = await importRecipientKey(a.publicJwk)
})

/** A request as an adapter would describe it, over TLS. */
function incoming(method: string, target: string, headers: Record<string, string>, body: string | null): IncomingRequest {
  const bytes = body === null ? null : new TextEncoder().encode(body)
  return { method, target, header: (n) => headers[n], hasBody: bytes !== null, body: () => bytes, secure: true, peer: '192.0.2.1' }
}

async function sealedIncoming(method: string, target: string, body: unknown) {
  const sealed = await sealRequest({ recipient, request: { method, target }, body })
  const headers = Object.fromEntries(Object.entries(sealed.headers).map(([k, v]) => [k.toLowerCase(), v]))
  return { sealed, incoming: incoming(method, target, headers, sealed.httpBody ?? null) }
}

describe('options', () => {
  it('dropResponseHeaders: header names only, lowercased, on top of the plaintext-describing ones', () => {
    const server = createSealwireServer({ keys: ring, dropResponseHeaders: ['Location', 'Set-Cookie'] })
    expect(server.droppedResponseHeaders).toEqual(expect.arrayContaining(['content-length', 'etag', 'content-disposition', 'location', 'set-cookie']))
    expect(createSealwireServer({ keys: ring }).droppedResponseHeaders).not.toContain('location')
    expect(() => createSealwireServer({ keys: ring, dropResponseHeaders: ['bad name'] })).toThrow(/dropResponseHeaders\.0: must be a header name/)
  })

  it('refuses misuse with a TypeError naming the option', () => {
    expect(() => createSealwireServer({ keys: ring, maxAge: 60 } as never)).toThrow(/maxAge/)
    expect(() => createSealwireServer({ keys: ring, maxBodyBytes: -1 })).toThrow(TypeError)
    expect(() => createSealwireServer({ keys: ring, trustedProxies: ['10.0.0.300'] })).toThrow(/trustedProxies\.0/)
    expect(() => createSealwireServer({ keys: ring, jwksPath: 'jwks.json' })).toThrow(/jwksPath/)
    expect(() => createSealwireServer({ keys: [] })).toThrow(/keys/)
    expect(() => createSealwireServer({ keys: { keys: [{ kty: 'EC' }] } })).toThrow(/keys/)
    expect(() => createSealwireServer({ keys: ring, onEvent: 'log' as never })).toThrow(/onEvent/)
  })

  it('streamedUploads: off by default, true for a 1 GiB cap, { maxBytes } for another; anything else a TypeError naming it', () => {
    expect(createSealwireServer({ keys: ring }).maxUploadBytes).toBe(0)
    expect(createSealwireServer({ keys: ring, streamedUploads: false }).maxUploadBytes).toBe(0)
    expect(createSealwireServer({ keys: ring, streamedUploads: true }).maxUploadBytes).toBe(1024 ** 3)
    expect(createSealwireServer({ keys: ring, streamedUploads: {} }).maxUploadBytes).toBe(1024 ** 3)
    expect(createSealwireServer({ keys: ring, streamedUploads: { maxBytes: 4096 } }).maxUploadBytes).toBe(4096)
    for (const bad of ['yes', 1, { maxBytes: 0 }, { maxBytes: 1.5 }, { maxbytes: 10 }]) {
      expect(() => createSealwireServer({ keys: ring, streamedUploads: bad as never })).toThrow(/streamedUploads/)
    }
  })

  it('replayMarginSeconds: the store holds each jti that much past (iat + maxAge) s, 5 s by default', async () => {
    const now = 1_700_000_000_000
    const held: number[] = []
    const replayStore: ReplayStore = { checkAndSet: async (_jti, expiresAt) => (held.push(expiresAt), true) }
    const sealed = async () => (await sealRequest({ recipient, request: { method: 'POST', target: '/x' }, body: 1, clock: () => now })).envelope
    for (const margin of [undefined, 0, 30]) {
      const server = createSealwireServer({ keys: ring, replayStore, maxAgeSeconds: 60, clock: () => now, ...(margin === undefined ? {} : { replayMarginSeconds: margin }) })
      expect((await server.open(incoming('POST', '/x', { 'content-type': 'application/jose' }, await sealed()))).ok).toBe(true)
    }
    // One millisecond past the last instant (iat + maxAge) s is fresh, plus the margin.
    expect(held).toEqual([now + 65_001, now + 60_001, now + 90_001])
    for (const replayMarginSeconds of [-1, 1.5, 3601]) {
      expect(() => createSealwireServer({ keys: ring, replayMarginSeconds }), String(replayMarginSeconds)).toThrow(/replayMarginSeconds/)
    }
  })

  it('imports JWKs once; `ready` rejects on a key core refuses', async () => {
    const fromSet = createSealwireServer({ keys: { keys: privateJwks } })
    await expect(fromSet.ready).resolves.toBeUndefined()
    const jwks = JSON.parse((await fromSet.jwks()).body) as { keys: Array<{ kid: string }> }
    expect(jwks.keys.map((k) => k.kid)).toEqual(ring.publicJwks().keys.map((k) => k.kid))

    const bad = createSealwireServer({ keys: [{ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA', d: 'AA' }] })
    await expect(bad.ready).rejects.toThrow(TypeError)
    // Requests cannot be opened then: a generic plain 500, never a crash.
    const { incoming: req } = await sealedIncoming('POST', '/x', 1)
    const outcome = await bad.open(req)
    expect(outcome.ok).toBe(false)
    if (!outcome.ok) expect(outcome.response.status).toBe(500)
  })

  it('serves the JWK Set at the configured path with the configured max-age', async () => {
    const server = createSealwireServer({ keys: ring, jwksPath: '/keys', jwksMaxAgeSeconds: 60 })
    expect(server.isJwksRequest('GET', '/keys?v=2')).toBe(true)
    expect(server.isJwksRequest('POST', '/keys')).toBe(false)
    expect(server.isJwksRequest('GET', '/.well-known/sealwire/jwks.json')).toBe(false)
    const res = await server.jwks()
    expect(res.headers['cache-control']).toBe('public, max-age=60')
    // Readable cross-origin with its Date: browser clients learn their clock offset from it.
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Date' })
    expect(res.headers.date).toMatch(/ GMT$/)
    expect(res.body).not.toContain('"d"')
  })
})

describe('the engine on an IncomingRequest', () => {
  it('opens, hands over body and claims, seals the reply; one accepted event', async () => {
    const events: SealwireEvent[] = []
    const server = createSealwireServer({ keys: ring, onEvent: (e) => events.push(e) })
    const { sealed, incoming: req } = await sealedIncoming('PUT', '/things/1', { v: 1 })
    const outcome = await server.open(req)
    if (!outcome.ok) throw new Error(outcome.response.body)
    expect(outcome.exchange.body).toEqual({ v: 1 })
    expect(outcome.exchange.claims).toMatchObject({ htm: 'PUT', htu: '/things/1', crv: 'P-256' })
    expect(JSON.stringify(outcome.exchange)).not.toContain('rk')
    const res = await outcome.exchange.reply({ status: 200, contentType: 'text/plain', body: 'done' })
    await outcome.exchange.reply({ status: 200, body: 'again' }) // a second reply emits nothing more
    const opened = await openResponse(res.body, { reply: sealed.reply, status: res.status })
    expect(new TextDecoder().decode(opened.body)).toBe('done')
    // No route template given: the bounded label, never the raw path (issue 9, item 15).
    expect(events).toEqual([expect.objectContaining({ type: 'accepted', route: '*', peer: '192.0.2.1', kid: recipient.kid })])
  })

  it('fail() seals the generic internal_error, whatever the handler threw', async () => {
    const server = createSealwireServer({ keys: ring })
    const { sealed, incoming: req } = await sealedIncoming('POST', '/x', null)
    const outcome = await server.open(req)
    if (!outcome.ok) throw new Error(outcome.response.body)
    const res = await outcome.exchange.fail()
    const opened = await openResponse(res.body, { reply: sealed.reply, status: 500 })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toMatchObject({ code: 'internal_error', status: 500 })
  })

  it('internalError(): the plain generic 500, dated by the configured clock', () => {
    const res = createSealwireServer({ keys: ring, clock: () => 0 }).internalError()
    expect(res.status).toBe(500)
    expect(res.headers).toMatchObject({ 'content-type': 'application/problem+json', 'cache-control': 'no-store', date: 'Thu, 01 Jan 1970 00:00:00 GMT' })
    expect(JSON.parse(res.body)).toMatchObject({ code: 'internal_error', status: 500 })
  })

  it("handle(): a handler's Response sealed; plaintext-describing headers dropped", async () => {
    const server = createSealwireServer({ keys: ring })
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/h' }, body: 'x' })
    const request = new Request('https://api.test/h', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! })
    const res = await server.handle(request, (ex) =>
      new Response(JSON.stringify({ got: ex.body }), { status: 202, headers: { 'content-type': 'application/json', etag: '"abc"', 'x-keep': '1' } }),
    )
    expect(res.status).toBe(202)
    expect(res.headers.get('etag')).toBeNull()
    expect(res.headers.get('x-keep')).toBe('1')
    const opened = await openResponse(await res.text(), { reply: sealed.reply, status: 202 })
    expect(JSON.parse(new TextDecoder().decode(opened.body))).toEqual({ got: 'x' })
  })

  it('a refused envelope names its kid in the event only when it is short and printable', async () => {
    const events: SealwireEvent[] = []
    const server = createSealwireServer({ keys: ring, onEvent: (e) => events.push(e) })
    const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    const envelope = (kid: string) => `${b64({ alg: 'ECDH-ES', enc: 'A256GCM', kid })}..AQ.AQ.AQ` // well formed, canonical parts; the kid refused later
    await server.open(incoming('POST', '/x', { 'content-type': 'application/jose' }, envelope('abc')))
    await server.open(incoming('POST', '/x', { 'content-type': 'application/jose' }, envelope('evil\nkid')))
    expect(events.map((e) => [e.code, e.kid])).toEqual([
      ['malformed_envelope', 'abc'],
      ['malformed_envelope', undefined],
    ])
  })

  it('an async onEvent that rejects is swallowed', async () => {
    const server = createSealwireServer({ keys: ring, onEvent: async () => Promise.reject(new Error('down')) })
    const { incoming: req } = await sealedIncoming('POST', '/x', 1)
    const outcome = await server.open(req)
    expect(outcome.ok).toBe(true)
  })
})

describe('insecure_transport says how to fix it', () => {
  it('the refusal names allowInsecureLoopback and trustedProxies; the operator gets one warning naming the peer', async () => {
    const warnings: string[] = []
    const warn = console.warn
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '))
    try {
      const server = createSealwireServer({ keys: ring })
      const { incoming: secure } = await sealedIncoming('POST', '/api/x', { a: 1 })
      for (const headers of [{}, { 'x-forwarded-proto': 'https' }]) {
        const plain: IncomingRequest = { ...secure, secure: false, peer: '127.0.0.1', header: (n) => (headers as Record<string, string>)[n] ?? secure.header(n) }
        const outcome = server.precheck(plain)
        expect(outcome.ok).toBe(false)
        if (outcome.ok) return
        expect(outcome.response.status).toBe(403)
        const problem = JSON.parse(outcome.response.body as string) as { code: string; detail: string }
        expect(problem.code).toBe('insecure_transport')
        expect(problem.detail).toMatch(/HTTPS only.*trustedProxies.*allowInsecureLoopback: true/)
      }
      // Once per server, not once per request: a flood of plain requests is not a flood of logs.
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toMatch(/^\[sealwire\] refused a plain-HTTP request from 127\.0\.0\.1 with 403 insecure_transport/)
      expect(warnings[0]).toMatch(/trustedProxies.*allowInsecureLoopback: true/)
    } finally {
      console.warn = warn
    }
  })
})

describe('handle(): the body of a web Request under the cap', () => {
  /** A body that never ends on its own, counting what was pulled from it. */
  function endless() {
    let pulled = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 64 * 1024
        controller.enqueue(new Uint8Array(64 * 1024))
      },
    })
    return { stream, pulled: () => pulled }
  }

  it('streams a chunked body even beside a small Content-Length (workerd keeps both): 413 at the cap, not after reading it all', async () => {
    const server = createSealwireServer({ keys: ring, maxBodyBytes: 256 * 1024 })
    const body = endless()
    const request = new Request('https://api.example/api/echo', {
      method: 'POST',
      headers: { 'content-type': 'application/jose', 'content-length': '10', 'transfer-encoding': 'chunked' },
      body: body.stream,
      duplex: 'half',
    } as RequestInit)
    const response = await server.handle(request, () => new Response('never'))
    expect(response.status).toBe(413)
    // Stopped at the first chunk past the cap (a few chunks of read-ahead at most), never the whole body.
    expect(body.pulled()).toBeLessThan(1024 * 1024)
  })

  it('reads a body framed by Content-Length alone whole, and opens it', async () => {
    const server = createSealwireServer({ keys: ring })
    const { sealed } = await sealedIncoming('POST', '/api/echo', { n: 1 })
    const request = new Request('https://api.example/api/echo', { method: 'POST', headers: { ...sealed.headers, 'content-length': String(sealed.httpBody!.length) }, body: sealed.httpBody! })
    const response = await server.handle(request, async (exchange) => Response.json(exchange.body))
    expect(response.status).toBe(200)
    expect(JSON.parse(new TextDecoder().decode((await openResponse(await response.text(), { reply: sealed.reply, status: 200 })).body))).toEqual({ n: 1 })
  })
})
