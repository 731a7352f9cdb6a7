/**
 * The server checks of wire protocol v1, end to end over real HTTP(S) on
 * loopback, against every adapter: one table of cases, one harness per
 * adapter (test/server/harness/*). Requests are sealed by core's
 * `sealRequest`; responses opened by `openResponse`.
 */
import { MAX_HEADER_ENVELOPE_CHARS, MemoryReplayStore, type SealedRequest } from '@sealwire/core'
import { generateRootKey, signKeySet } from '@sealwire/cli'
import { createSealwireServer, type SealwireEvent, type SealwireServer, type SealwireServerOptions } from '@sealwire/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rawRequest, type RawResponse } from './helpers/http.js'
import { ENVELOPE_HEADER, openSealed, plainProblem, seal, sendSealed, testKeys, withFlippedCiphertext, withHeader, type TestKeys } from './helpers/sealing.js'
import { testCertificate } from './helpers/tls.js'
import { express4Harness, expressHarness } from './harness/express.js'
import { fetchHarness } from './harness/fetch.js'
import { koa2Harness, koaHarness } from './harness/koa.js'
import { fastify4Harness, fastifyHarness } from './harness/fastify.js'
import { lambdaHarness } from './harness/lambda.js'
import { SECRET, TYPED_ROUTES, type AdapterHarness, type RunningApp } from './harness/spec.js'

// Every declared peer major: Express 4 and 5, Koa 2 and 3, Fastify 4 and 5 (installed as npm aliases).
const harnesses: AdapterHarness[] = [expressHarness, express4Harness, koaHarness, koa2Harness, fastifyHarness, fastify4Harness, fetchHarness, lambdaHarness]

/** The routes whose schema validates (zod 4, zod 3, Valibot, ArkType): all but the one that throws. */
const SCHEMA_ROUTES = Object.keys(TYPED_ROUTES).filter((path) => path !== '/throwing')

const MAX_BODY = 4096
const HOUR = 3_600_000

interface Claims {
  kid: string
  crv: string
  htm: string
  htu: string
}

describe.each(harnesses)('$name adapter', (harness) => {
  let keys: TestKeys
  let ca: string
  const events: SealwireEvent[] = []
  const apps: RunningApp[] = []
  /** The main app: TLS required, no loopback exemption, 192.0.2.1 (not us) the only trusted proxy. */
  let main: RunningApp

  const start = async (options: Partial<SealwireServerOptions> = {}): Promise<RunningApp> => {
    const server: SealwireServer = createSealwireServer({ keys: keys.ring, singleInstance: true, ...options })
    const app = await harness.start(server)
    apps.push(app)
    return app
  }

  beforeAll(async () => {
    keys = await testKeys()
    ca = (await testCertificate()).cert
    main = await start({ maxBodyBytes: MAX_BODY, trustedProxies: ['192.0.2.1'], onEvent: (e) => events.push(e) })
  })
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()))
  })

  const sealFor = (method: string, target: string, body?: unknown, o: { curve?: 'P-256' | 'X25519'; clock?: () => number } = {}) =>
    seal({ recipient: keys.recipients[o.curve ?? 'P-256'], method, target, body, ...(o.clock ? { clock: o.clock } : {}) })
  const send = (base: string, method: string, target: string, sealed: SealedRequest, headers?: Record<string, string>) =>
    sendSealed(base, method, target, sealed, { ca, ...(headers ? { headers } : {}) })
  const post = (target: string, body: string, headers: Record<string, string>, base = main.secureUrl) =>
    rawRequest(base + target, { method: 'POST', body, headers, ca })

  /** Asserts a plain problem+json refusal with this status and code, no stack, and a Date header. */
  const expectPlain = (res: RawResponse, status: number, code: string) => {
    expect(res.status).toBe(status)
    const problem = plainProblem(res)
    expect(problem).toMatchObject({ status, code, type: `urn:sealwire:problem:${code}` })
    expect(res.body).not.toMatch(/\n\s+at |stack/)
    expect(Date.parse(String(res.headers.date))).not.toBeNaN()
    return problem
  }
  /** Asserts a sealed problem with this status and code; returns the opened problem. */
  const expectSealed = async (res: RawResponse, sealed: SealedRequest, status: number, code: string) => {
    expect(res.status).toBe(status)
    const opened = await openSealed<{ code: string; status: number; issues?: unknown[]; detail?: string }>(res, sealed)
    expect(opened.contentType).toBe('application/problem+json')
    expect(opened.json).toMatchObject({ status, code })
    return opened
  }

  describe('accepts', () => {
    it('serves the public JWK Set with a max-age', async () => {
      const res = await rawRequest(`${main.secureUrl}/.well-known/sealwire/jwks.json`, { ca })
      expect(res.status).toBe(200)
      expect(res.headers['cache-control']).toBe('public, max-age=300')
      const jwks = JSON.parse(res.body) as { keys: Array<Record<string, string>> }
      expect(jwks.keys.map((k) => k.kid).sort()).toEqual([keys.recipients['P-256'].kid, keys.recipients.X25519.kid].sort())
      expect(jwks.keys.every((k) => k.d === undefined && k.use === 'enc' && k.alg === 'ECDH-ES')).toBe(true)
    })

    for (const curve of ['P-256', 'X25519'] as const) {
      it(`a sealed POST on ${curve}, and seals the answer`, async () => {
        const body = { hello: 'wörld', n: [1, 2, 3] }
        const sealed = await sealFor('POST', '/echo?x=1', body, { curve })
        const res = await send(main.secureUrl, 'POST', '/echo?x=1', sealed)
        expect(res.status).toBe(200)
        expect(res.headers['content-type']).toBe('application/jose')
        expect(res.headers['cache-control']).toBe('no-store')
        expect(res.headers.etag).toBeUndefined()
        expect(res.body).not.toContain('wörld')
        const opened = await openSealed<{ echo: unknown; claims: Claims }>(res, sealed)
        expect(opened.contentType).toMatch(/^application\/json/)
        expect(opened.json.echo).toEqual(body)
        expect(opened.json.claims).toMatchObject({ kid: keys.recipients[curve].kid, crv: curve, htm: 'POST', htu: '/echo?x=1' })
      })
    }

    it('a GET with the envelope in the Sealwire-Envelope header', async () => {
      const sealed = await sealFor('GET', '/items?color=blue&size=2')
      expect(sealed.placement).toBe('header')
      const res = await send(main.secureUrl, 'GET', '/items?color=blue&size=2', sealed)
      const opened = await openSealed<{ claims: Claims }>(res, sealed)
      expect(opened.status).toBe(200)
      expect(opened.json.claims).toMatchObject({ htm: 'GET', htu: '/items?color=blue&size=2' })
    })

    it('a DELETE without body; its 204 is answered as a sealed 200 (a sealed response has a body)', async () => {
      const sealed = await sealFor('DELETE', '/items/7')
      expect(sealed.placement).toBe('header')
      const res = await send(main.secureUrl, 'DELETE', '/items/7', sealed)
      const opened = await openSealed(res, sealed)
      expect(opened.status).toBe(200)
      expect(opened.text).toBe('')
    })

    // Standard Schema: zod 4 (/typed), zod 3, Valibot and ArkType, the same checks.
    it.each(SCHEMA_ROUTES)('a body that matches the route schema (%s), typed in the handler', async (path) => {
      const sealed = await sealFor('POST', path, { to: 'alice', amount: 42 })
      const opened = await openSealed<Record<string, unknown>>(await send(main.secureUrl, 'POST', path, sealed), sealed)
      expect(opened.status).toBe(201)
      expect(opened.json).toMatchObject({ ok: true, to: 'alice', amount: 42 })
    })

    it('emits one accepted event per request: kid, route, ms, peer; never the body', async () => {
      events.length = 0
      const sealed = await sealFor('POST', '/echo', { card: '4111-1111' }, { curve: 'X25519' })
      await send(main.secureUrl, 'POST', '/echo', sealed)
      expect(events).toHaveLength(1)
      // The route template where the framework knows it, otherwise the bounded `*` (never the raw path).
      expect(events[0]).toMatchObject({ type: 'accepted', kid: keys.recipients.X25519.kid, route: expect.stringMatching(/^(\/echo|\*)$/), peer: '127.0.0.1' })
      expect(events[0]!.ms).toBeGreaterThanOrEqual(0)
      expect(JSON.stringify(events)).not.toContain('4111')
    })
  })

  describe('what the handler sees (docs/PROTOCOL.md §4)', () => {
    // Conditional and range headers would let the framework answer 304 or 206
    // from the plaintext's ETag: the difference would confirm a guessed body.
    const CONDITIONAL = {
      'if-none-match': '*',
      'if-match': '"abc"',
      'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT',
      'if-unmodified-since': 'Thu, 01 Jan 2099 00:00:00 GMT',
      'if-range': '"abc"',
      range: 'bytes=0-0',
    }
    const seenHeaders = async (method: 'GET' | 'POST') => {
      const sealed = await sealFor(method, '/headers', method === 'POST' ? { a: 1 } : undefined)
      const opened = await openSealed<{ headers: Record<string, string> }>(await send(main.secureUrl, method, '/headers', sealed, { ...CONDITIONAL, 'x-custom': 'kept' }), sealed)
      expect(opened.status).toBe(200)
      return opened.json.headers
    }

    it('a GET: no conditional or range header, no envelope header; others kept', async () => {
      const headers = await seenHeaders('GET')
      for (const name of Object.keys(CONDITIONAL)) expect(headers, name).not.toHaveProperty(name)
      expect(headers).not.toHaveProperty(ENVELOPE_HEADER.toLowerCase())
      expect(headers).not.toHaveProperty('content-type')
      expect(headers['x-custom']).toBe('kept')
    })

    it('a POST: the same, and the body described as the decrypted JSON, not the envelope', async () => {
      const headers = await seenHeaders('POST')
      for (const name of Object.keys(CONDITIONAL)) expect(headers, name).not.toHaveProperty(name)
      expect(headers['content-type']).toBe('application/json')
      expect(headers).not.toHaveProperty('content-length') // the envelope's length, not the body's
      expect(headers['x-custom']).toBe('kept')
    })
  })

  describe('insecure_transport (403)', () => {
    it('refuses plain HTTP from loopback when the exemption is off, and leaves the jti unused', async () => {
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expectPlain(await send(main.plainUrl, 'POST', '/echo', sealed), 403, 'insecure_transport')
      // Step 1 failed, so step 10 never ran: the same envelope still goes through over TLS.
      expect((await openSealed(await send(main.secureUrl, 'POST', '/echo', sealed), sealed)).status).toBe(200)
    })

    it('ignores a spoofed X-Forwarded-Proto from an untrusted peer', async () => {
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expectPlain(await send(main.plainUrl, 'POST', '/echo', sealed, { 'x-forwarded-proto': 'https' }), 403, 'insecure_transport')
    })

    // Skipped on Lambda: AWS sets X-Forwarded-Proto; there is no proxy of ours to trust.
    it.runIf(harness.trustsProxies)('believes X-Forwarded-Proto from a trusted proxy, both ways', async () => {
      const app = await start({ trustedProxies: ['127.0.0.1'] })
      const ok = await sealFor('POST', '/echo', { a: 1 })
      expect((await openSealed(await send(app.plainUrl, 'POST', '/echo', ok, { 'x-forwarded-proto': 'https' }), ok)).status).toBe(200)
      const refused = await sealFor('POST', '/echo', { a: 1 })
      expectPlain(await send(app.plainUrl, 'POST', '/echo', refused, { 'x-forwarded-proto': 'http' }), 403, 'insecure_transport')
    })

    it('accepts plain HTTP from loopback with allowInsecureLoopback', async () => {
      const app = await start({ allowInsecureLoopback: true })
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expect((await openSealed(await send(app.plainUrl, 'POST', '/echo', sealed), sealed)).status).toBe(200)
    })
  })

  describe('unsupported_media_type (415)', () => {
    it('refuses a plaintext JSON body', async () => {
      expectPlain(await post('/echo', '{"a":1}', { 'content-type': 'application/json' }), 415, 'unsupported_media_type')
    })
    it('refuses a request with no envelope at all', async () => {
      expectPlain(await rawRequest(`${main.secureUrl}/items`, { ca }), 415, 'unsupported_media_type')
    })
    it('refuses a header envelope beside a body', async () => {
      const sealed = await sealFor('GET', '/items')
      const res = await post('/echo', '{"a":1}', { 'content-type': 'application/json', [ENVELOPE_HEADER]: sealed.envelope })
      expectPlain(res, 415, 'unsupported_media_type')
    })
  })

  describe('payload_too_large (413)', () => {
    it('refuses a Content-Length over the cap', async () => {
      expectPlain(await post('/echo', 'a'.repeat(MAX_BODY + 1), { 'content-type': 'application/jose', 'content-length': String(MAX_BODY + 1) }), 413, 'payload_too_large')
    })
    it('refuses a chunked body once it crosses the cap', async () => {
      const chunks = Array.from({ length: 8 }, () => 'a'.repeat(1024))
      const res = await rawRequest(`${main.secureUrl}/echo`, { method: 'POST', chunks, headers: { 'content-type': 'application/jose' }, ca })
      expectPlain(res, 413, 'payload_too_large')
    })
    // Skipped on Lambda: API Gateway buffers the whole body before the function runs.
    it.runIf(harness.streaming)('answers a huge declared length before a byte of body is read', async () => {
      // 1 GB announced, 10 bytes sent, request left open: only an up-front refusal can arrive.
      const res = await post('/echo', 'aaaaaaaaaa', { 'content-type': 'application/jose', 'content-length': String(1e9) })
      expectPlain(res, 413, 'payload_too_large')
    })
    it('refuses a header envelope over the header cap', async () => {
      const res = await rawRequest(`${main.secureUrl}/items`, { headers: { [ENVELOPE_HEADER]: 'a'.repeat(MAX_HEADER_ENVELOPE_CHARS + 1) }, ca })
      expectPlain(res, 413, 'payload_too_large')
    })
  })

  describe('refusals before decryption: plain problem+json', () => {
    it('malformed_envelope (400)', async () => {
      expectPlain(await post('/echo', 'not-a.jwe', { 'content-type': 'application/jose' }), 400, 'malformed_envelope')
    })
    it('unsupported_algorithm (400)', async () => {
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expectPlain(await post('/echo', withHeader(sealed.envelope, { alg: 'ECDH-ES+A256KW' }), { 'content-type': 'application/jose' }), 400, 'unsupported_algorithm')
    })
    it('unknown_key (400), and the event names the kid', async () => {
      events.length = 0
      const sealed = await seal({ recipient: keys.foreign, method: 'POST', target: '/echo', body: { a: 1 } })
      expectPlain(await send(main.secureUrl, 'POST', '/echo', sealed), 400, 'unknown_key')
      expect(events).toEqual([expect.objectContaining({ type: 'rejected', code: 'unknown_key', kid: keys.foreign.kid, route: expect.stringMatching(/^(\/echo|\*)$/), peer: '127.0.0.1' })])
    })
    it('stale_request (400) with the server time in Date, from which the client corrects its clock', async () => {
      const app = await start({ clock: () => Date.now() + HOUR }) // the server's clock runs an hour ahead
      const stale = await sealFor('POST', '/echo', { a: 1 })
      const res = await send(app.secureUrl, 'POST', '/echo', stale)
      expectPlain(res, 400, 'stale_request')
      const skew = Date.parse(String(res.headers.date)) - Date.now()
      expect(skew).toBeGreaterThan(HOUR - 120_000)
      const corrected = await sealFor('POST', '/echo', { a: 1 }, { clock: () => Date.now() + skew })
      expect((await openSealed(await send(app.secureUrl, 'POST', '/echo', corrected), corrected)).status).toBe(200)
    })
    it('decryption_failed (400)', async () => {
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expectPlain(await post('/echo', withFlippedCiphertext(sealed.envelope), { 'content-type': 'application/jose' }), 400, 'decryption_failed')
    })
  })

  describe('refusals after decryption: sealed to the requester', () => {
    it('binding_mismatch (400), and the jti stays unused', async () => {
      const sealed = await sealFor('POST', '/echo?a=1', { a: 1 })
      await expectSealed(await send(main.secureUrl, 'POST', '/echo?a=2', sealed), sealed, 400, 'binding_mismatch')
      expect((await openSealed(await send(main.secureUrl, 'POST', '/echo?a=1', sealed), sealed)).status).toBe(200)
    })
    it('replayed_request (409)', async () => {
      const sealed = await sealFor('POST', '/echo', { a: 1 })
      expect((await openSealed(await send(main.secureUrl, 'POST', '/echo', sealed), sealed)).status).toBe(200)
      await expectSealed(await send(main.secureUrl, 'POST', '/echo', sealed), sealed, 409, 'replayed_request')
    })
    it('replay_guard_unavailable (503) when the store cannot record: fails closed', async () => {
      const app = await start({ replayStore: new MemoryReplayStore({ maxEntries: 1 }) })
      const first = await sealFor('POST', '/echo', { a: 1 })
      expect((await openSealed(await send(app.secureUrl, 'POST', '/echo', first), first)).status).toBe(200)
      const second = await sealFor('POST', '/echo', { a: 2 })
      await expectSealed(await send(app.secureUrl, 'POST', '/echo', second), second, 503, 'replay_guard_unavailable')
    })
    it.each(SCHEMA_ROUTES)('invalid_payload (422, %s) lists paths and messages, never the values', async (path) => {
      const sealed = await sealFor('POST', path, { to: 12345678, amount: 'SUBMITTED-VALUE-xyz' })
      const { json, text } = await expectSealed(await send(main.secureUrl, 'POST', path, sealed), sealed, 422, 'invalid_payload')
      expect(json.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: ['to'] }), expect.objectContaining({ path: ['amount'] })]))
      expect(text).not.toContain('SUBMITTED-VALUE-xyz')
      expect(text).not.toContain('12345678')
    })
    // Right type, refused by a check: the message a library writes then may quote the value (Valibot's "but received", ArkType's "(was …)").
    it.each(SCHEMA_ROUTES)('invalid_payload (422, %s) for a value out of range does not quote it', async (path) => {
      const sealed = await sealFor('POST', path, { to: 'alice', amount: -987654 })
      const { json, text } = await expectSealed(await send(main.secureUrl, 'POST', path, sealed), sealed, 422, 'invalid_payload')
      expect(json.issues).toEqual([{ path: ['amount'], message: expect.any(String) }])
      expect(text).not.toContain('987654')
    })
    it('a route schema that throws is a sealed invalid_payload (422), not a plain 500 (issue 9 item 7)', async () => {
      events.length = 0
      const sealed = await sealFor('POST', '/throwing', { to: 'alice', amount: 'PLAINTEXT-not-json' })
      const res = await send(main.secureUrl, 'POST', '/throwing', sealed)
      const { json, text } = await expectSealed(res, sealed, 422, 'invalid_payload')
      expect(json.issues).toEqual([{ path: [], message: expect.any(String) }])
      expect(text + res.body).not.toContain('PLAINTEXT')
      expect(events).toEqual([expect.objectContaining({ type: 'rejected', code: 'invalid_payload' })])
    })
    it('internal_error (500) when the handler throws: generic, no message, no stack', async () => {
      events.length = 0
      const sealed = await sealFor('POST', '/boom', { a: 1 })
      const res = await send(main.secureUrl, 'POST', '/boom', sealed)
      const { text } = await expectSealed(res, sealed, 500, 'internal_error')
      expect(text).not.toContain(SECRET)
      expect(text).not.toMatch(/\n\s+at /)
      expect(res.body).not.toContain(SECRET)
      expect(events).toEqual([expect.objectContaining({ type: 'rejected', code: 'internal_error' })])
    })
  })

  it('a throwing onEvent does not break the request', async () => {
    const app = await start({
      onEvent: () => {
        throw new Error('monitoring is down')
      },
    })
    const sealed = await sealFor('POST', '/echo', { a: 1 })
    expect((await openSealed(await send(app.secureUrl, 'POST', '/echo', sealed), sealed)).status).toBe(200)
    expectPlain(await post('/echo', 'x', { 'content-type': 'application/json' }, app.secureUrl), 415, 'unsupported_media_type')
  })
})

/**
 * The authority binding (docs/PROTOCOL.md §3.2 `hto`, §5 step 9), on every
 * adapter: a server given `origins` refuses an envelope sealed for one origin
 * that arrives at another (a swapped `Host`), or that binds no origin; the
 * origin it compares with is the request's own — `Host` and the scheme step 1
 * believed (TLS, or a trusted proxy's `X-Forwarded-Proto`).
 */
describe.each(harnesses)('$name adapter: origin binding (hto)', (harness) => {
  const A = 'https://a.example'
  const B = 'https://b.example'
  let keys: TestKeys
  let ca: string
  const apps: RunningApp[] = []
  /** origins [A, B], loopback trusted as a proxy (so X-Forwarded-Proto counts over the plain listener). */
  let tenants: RunningApp
  /** No `origins`: hto is ignored. */
  let plain: RunningApp

  beforeAll(async () => {
    keys = await testKeys()
    ca = (await testCertificate()).cert
    const start = async (options: Partial<SealwireServerOptions>) => {
      const app = await harness.start(createSealwireServer({ keys: keys.ring, singleInstance: true, ...options }))
      apps.push(app)
      return app
    }
    tenants = await start({ origins: [A, B], trustedProxies: ['127.0.0.1', '::1'] })
    plain = await start({})
  })
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()))
  })

  const sealTo = (origin: string | undefined, method = 'POST', target = '/echo') =>
    seal({ recipient: keys.recipients.X25519, method, target, body: method === 'POST' ? { tenant: 'a' } : undefined, ...(origin === undefined ? {} : { origin }) })
  const sendAs = (base: string, host: string, sealed: SealedRequest, method = 'POST', target = '/echo', headers: Record<string, string> = {}) =>
    sendSealed(base, method, target, sealed, { ca, servername: 'localhost', headers: { host, ...headers } })
  const codeOf = async (res: RawResponse, sealed: SealedRequest) => {
    const opened = await openSealed<{ code?: string }>(res, sealed)
    return { status: opened.status, code: opened.json.code }
  }

  it('accepts an envelope bound to the origin it reached, on POST and GET', async () => {
    const post = await sealTo(A)
    const opened = await openSealed<{ claims: { hto?: string } }>(await sendAs(tenants.secureUrl, 'a.example', post), post)
    expect(opened.status).toBe(200)
    expect(opened.json.claims.hto).toBe(A)
    const get = await sealTo(B, 'GET', '/items?x=1')
    expect((await openSealed(await sendAs(tenants.secureUrl, 'B.Example:443', get, 'GET', '/items?x=1'), get)).status).toBe(200)
  })

  it('refuses, sealed, an envelope for A delivered with Host B (and it stays unspent)', async () => {
    const sealed = await sealTo(A)
    expect(await codeOf(await sendAs(tenants.secureUrl, 'b.example', sealed), sealed)).toEqual({ status: 400, code: 'binding_mismatch' })
    // The refusal did not use up the jti: delivered where it was meant to go, it opens.
    expect((await openSealed(await sendAs(tenants.secureUrl, 'a.example', sealed), sealed)).status).toBe(200)
  })

  it('refuses an envelope without hto, an origin not configured, and the wrong scheme or port', async () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['no hto', undefined, 'a.example'],
      ['origin not configured', 'https://c.example', 'c.example'],
      ['another port', 'https://a.example:8443', 'a.example:8443'],
      ['http sealed, https reached', 'http://a.example', 'a.example'],
    ]
    for (const [name, origin, host] of cases) {
      const sealed = await sealTo(origin)
      expect(await codeOf(await sendAs(tenants.secureUrl, host, sealed), sealed), name).toEqual({ status: 400, code: 'binding_mismatch' })
    }
  })

  // Skip reason: Lambda has no proxy of ours in front (API Gateway sets X-Forwarded-Proto itself), so
  // trustedProxies does not apply to it; Lambda's transport check is tested in lambda.test.ts.
  it.skipIf(!harness.trustsProxies)('takes the scheme from a trusted proxy: https forwarded over plain HTTP is https', async () => {
    const sealed = await sealTo(A)
    const res = await sendAs(tenants.plainUrl, 'a.example', sealed, 'POST', '/echo', { 'x-forwarded-proto': 'https' })
    expect((await openSealed(res, sealed)).status).toBe(200)
  })

  it('is ignored by a server without origins', async () => {
    for (const origin of [A, 'https://elsewhere.example', undefined]) {
      const sealed = await sealTo(origin)
      expect((await openSealed(await sendAs(plain.secureUrl, 'a.example', sealed), sealed)).status, String(origin)).toBe(200)
    }
  })
})

/** Signed key sets (docs/PROTOCOL.md §2.1): every adapter serves the signed set beside the plain one. */
describe.each(harnesses)('$name adapter: signed key set', (harness) => {
  it('serves the signed set at /.well-known/sealwire/jwks.jwt as application/jwt, and the plain set unchanged', async () => {
    const keys = await testKeys()
    const ca = (await testCertificate()).cert
    const root = await generateRootKey()
    const signed = await signKeySet(keys.ring.publicJwks(), root.privateJwk, { expiresInSeconds: 3600 })
    const server = createSealwireServer({ keys: keys.ring, singleInstance: true, signedJwks: async () => signed })
    const app = await harness.start(server)
    try {
      const res = await rawRequest(`${app.secureUrl}/.well-known/sealwire/jwks.jwt`, { ca })
      expect(res.status).toBe(200)
      expect(res.headers['content-type']).toMatch(/^application\/jwt/)
      expect(res.headers['cache-control']).toBe('public, max-age=300')
      expect(res.body.trim()).toBe(signed)
      const plain = await rawRequest(`${app.secureUrl}/.well-known/sealwire/jwks.json`, { ca })
      expect(JSON.parse(plain.body)).toEqual(keys.ring.publicJwks())
    } finally {
      await app.close()
    }
  })
})
