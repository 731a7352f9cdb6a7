/**
 * The fetch adapter without a socket: a plain web `Request` handed to the
 * wrapped handler (as Workers, Deno, Bun and Next.js do), and Hono's
 * `app.request()`. Over real HTTP it runs in the shared matrix.
 */
import { openResponse, type SealedRequest } from '@sealwire/core'
import { MemoryReplayStore, createSealwireServer, type SealwireServer } from '@sealwire/server'
import { sealwireOf, withSealwire } from '@sealwire/server/fetch'
import { Hono } from 'hono'
import { cors } from 'hono/cors'
import { methodOverride } from 'hono/method-override'
import { beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { seal, testKeys, type TestKeys } from './helpers/sealing.js'

let keys: TestKeys
let server: SealwireServer

beforeAll(async () => {
  keys = await testKeys()
  server = createSealwireServer({ keys: keys.ring, singleInstance: true })
})

const ORIGIN = 'https://api.example.test'

function requestFor(sealed: SealedRequest, method: string, target: string, origin = ORIGIN): Request {
  return new Request(origin + target, { method, headers: sealed.headers, ...(sealed.httpBody === undefined ? {} : { body: sealed.httpBody }) })
}

async function open<T>(response: Response, sealed: SealedRequest): Promise<{ status: number; json: T }> {
  expect(response.headers.get('content-type')).toBe('application/jose')
  const opened = await openResponse(await response.text(), { reply: sealed.reply, status: response.status })
  return { status: opened.status, json: JSON.parse(new TextDecoder().decode(opened.body)) as T }
}

const Transfer = z.object({ to: z.string(), amount: z.number().positive() })

describe('a plain Request', () => {
  it('is decrypted for the handler (body, JSON, claims) and its Response sealed', async () => {
    let seenHeaders: string[] = []
    const handler = withSealwire(
      server,
      async (request) => {
        seenHeaders = [...request.headers.keys()]
        const parsed = (await request.json()) as unknown
        return Response.json({ parsed, typed: request.sealwire.body.amount * 2, crv: request.sealwire.claims.crv }, { status: 201, headers: { 'x-app': 'yes' } })
      },
      { schema: Transfer },
    )
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/transfer?via=api', body: { to: 'bob', amount: 21 } })
    const response = await handler(requestFor(sealed, 'POST', '/transfer?via=api'))
    expect(response.status).toBe(201)
    expect(response.headers.get('x-app')).toBe('yes')
    expect(response.headers.get('date')).not.toBeNull()
    expect(seenHeaders).toContain('content-type')
    const { json } = await open<Record<string, unknown>>(response, sealed)
    expect(json).toEqual({ parsed: { to: 'bob', amount: 21 }, typed: 42, crv: 'X25519' })
  })

  it("the handler's request.signal is the platform request's own: a client that goes away aborts the handler's work", async () => {
    let seen: AbortSignal | undefined
    const handler = withSealwire(server, (request) => {
      seen = request.signal
      return Response.json({ ok: true })
    })
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/signal', body: { n: 1 } })
    const controller = new AbortController()
    const outer = new Request(ORIGIN + '/signal', { method: 'POST', headers: sealed.headers, body: sealed.httpBody!, signal: controller.signal })
    expect((await handler(outer)).status).toBe(200)
    expect(seen).toBe(outer.signal)
    controller.abort()
    expect(seen!.aborted).toBe(true)
  })

  it("the handler's Request is a standard Request: sealwire and signal not among its own members, every clear field kept (one named __proto__ too)", async () => {
    let seen: { isRequest: boolean; own: string[]; proto: string | null; agent: string | null; sealwire: boolean; text: string } | undefined
    const handler = withSealwire(server, async (request) => {
      seen = { isRequest: request instanceof Request, own: Object.keys(request), proto: request.headers.get('__proto__'), agent: request.headers.get('user-agent'), sealwire: sealwireOf(request)?.claims.crv === 'X25519', text: await request.clone().text() }
      return Response.json({ ok: true })
    })
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { a: 1 } })
    const headers = new Headers(sealed.headers)
    headers.set('__proto__', 'kept')
    headers.set('user-agent', 'test')
    const request = new Request(ORIGIN + '/echo', { method: 'POST', headers, body: sealed.httpBody! })
    expect((await handler(request)).status).toBe(200)
    expect(seen).toEqual({ isRequest: true, own: [], proto: 'kept', agent: 'test', sealwire: true, text: '{"a":1}' })
  })

  it("a handler's body in several chunks is sealed whole; a chunk that is not bytes is a sealed 500", async () => {
    const chunked = (chunks: unknown[]) =>
      withSealwire(server, () => new Response(new ReadableStream({ start: (c) => (chunks.forEach((chunk) => c.enqueue(chunk)), c.close()) }), { headers: { 'content-type': 'application/json' } }))
    const encoder = new TextEncoder()
    const sealed = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { a: 1 } })
    const whole = await open<unknown>(await chunked([encoder.encode('{"parts":'), encoder.encode('["a",'), encoder.encode('"€"]}')])(requestFor(sealed, 'POST', '/echo')), sealed)
    expect(whole).toEqual({ status: 200, json: { parts: ['a', '€'] } })
    const again = await seal({ recipient: keys.recipients.X25519, method: 'POST', target: '/echo', body: { a: 1 } })
    const response = await chunked(['{"not":"bytes"}'])(requestFor(again, 'POST', '/echo'))
    expect(response.status).toBe(500)
  })

  it('http: URLs are refused; with a peer hook, loopback can be allowed for development', async () => {
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/x', body: 1 })
    const strict = withSealwire(server, () => new Response('no'))
    const refused = await strict(requestFor(sealed, 'POST', '/x', 'http://127.0.0.1:8787'))
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ code: 'insecure_transport' })

    const dev = createSealwireServer({ keys: keys.ring, singleInstance: true, allowInsecureLoopback: true })
    const devHandler = withSealwire(dev, async (request) => Response.json(await request.json()), {
      peer: (_request, info: { remoteAddr: { hostname: string } }) => info.remoteAddr.hostname,
    })
    const ok = await devHandler(requestFor(sealed, 'POST', '/x', 'http://127.0.0.1:8787'), { remoteAddr: { hostname: '127.0.0.1' } })
    expect((await open(ok, sealed)).json).toBe(1)
    // Without a peer the loopback exemption cannot apply.
    const sealed2 = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/x', body: 1 })
    const noPeer = await withSealwire(dev, () => new Response('no'))(requestFor(sealed2, 'POST', '/x', 'http://127.0.0.1:8787'))
    expect(noPeer.status).toBe(403)
  })

  it('CORS preflights go to the preflight handler only when one is given', async () => {
    const preflight = new Request(`${ORIGIN}/x`, { method: 'OPTIONS', headers: { origin: 'https://app.test', 'access-control-request-method': 'POST' } })
    const without = withSealwire(server, () => new Response('no'))
    const unanswered = await without(preflight.clone())
    expect(unanswered.status).toBe(204)
    expect([...unanswered.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([])
    const withPreflight = withSealwire(server, () => new Response('no'), { preflight: () => new Response(null, { status: 204, headers: { 'access-control-allow-origin': '*' } }) })
    const res = await withPreflight(preflight)
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
  })

  it('refuses, at construction, a server whose guard keys on the client address without a peer hook', async () => {
    const guarded = createSealwireServer({ keys: keys.ring, singleInstance: true, guard: {} })
    expect(() => withSealwire(guarded, () => new Response('x'))).toThrow(TypeError)
    expect(() => withSealwire(guarded, () => new Response('x'))).toThrow(/peer/)
    // A peer hook, or a guard that identifies clients its own way, is fine.
    expect(typeof withSealwire(guarded, () => new Response('x'), { peer: () => '192.0.2.1' })).toBe('function')
    const byKey = createSealwireServer({ keys: keys.ring, singleInstance: true, guard: { identify: (request) => request.header('x-api-key') } })
    expect(typeof withSealwire(byKey, () => new Response('x'))).toBe('function')
  })

  it('serves the JWK Set', async () => {
    const res = await withSealwire(server, () => new Response('no'))(new Request(`${ORIGIN}/.well-known/sealwire/jwks.json`))
    expect(res.status).toBe(200)
    expect(((await res.json()) as { keys: unknown[] }).keys).toHaveLength(2)
  })
})

describe("Hono's app.request()", () => {
  it('one route wrapped, body typed from its schema', async () => {
    const app = new Hono()
    const transfer = withSealwire(server, (request) => Response.json({ to: request.sealwire.body.to }), { schema: Transfer })
    app.post('/api/transfer', (c) => transfer(c.req.raw))
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/api/transfer', body: { to: 'carol', amount: 5 } })
    const res = await app.request(`${ORIGIN}/api/transfer`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody })
    expect((await open(res, sealed)).json).toEqual({ to: 'carol' })

    const bad = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/api/transfer', body: { to: 'carol', amount: -1 } })
    const refused = await app.request(`${ORIGIN}/api/transfer`, { method: 'POST', headers: bad.headers, body: bad.httpBody })
    expect(refused.status).toBe(422)
    expect((await open<{ code: string }>(refused, bad)).json.code).toBe('invalid_payload')
  })

  it('the whole app wrapped: c.req.json() is the decrypted body, sealwireOf(c.req.raw) the claims', async () => {
    const inner = new Hono()
    inner.post('/api/echo', async (c) => c.json({ body: await c.req.json(), kid: sealwireOf(c.req.raw)?.claims.kid }))
    inner.get('/api/items/:id', (c) => c.json({ id: c.req.param('id'), q: c.req.query('q') }))
    const sealedApp = withSealwire(server, inner.fetch)
    const outer = new Hono()
    outer.all('*', (c) => sealedApp(c.req.raw))

    const post = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/api/echo', body: { hi: 1 } })
    const res = await outer.request(`${ORIGIN}/api/echo`, { method: 'POST', headers: post.headers, body: post.httpBody })
    expect((await open(res, post)).json).toEqual({ body: { hi: 1 }, kid: keys.recipients['P-256'].kid })

    const get = await seal({ recipient: keys.recipients.X25519, method: 'GET', target: '/api/items/9?q=z' })
    const res2 = await outer.request(`${ORIGIN}/api/items/9?q=z`, { headers: get.headers })
    expect((await open(res2, get)).json).toEqual({ id: '9', q: 'z' })

    // An unsealed request never reaches the app.
    const plain = await outer.request(`${ORIGIN}/api/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hi":1}' })
    expect(plain.status).toBe(415)
    expect(plain.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('hardening (issue 9)', () => {
  const IBAN = 'DE89370400440532013000'

  it('item 4: with preflight: app.fetch, a preflight answer carries only its status, Access-Control-* and Vary, never a body', async () => {
    const app = new Hono()
    app.use('/api/public/*', cors({ origin: 'https://app.test' }))
    // A route that answers every method, OPTIONS included: its data must not go out in clear.
    app.all('/api/users', (c) => c.json({ users: [{ name: 'ann', iban: IBAN }] }, 200, { 'x-internal': IBAN, 'set-cookie': `s=${IBAN}` }))
    const handler = withSealwire(server, app.fetch, { preflight: app.fetch })
    const headers = { origin: 'https://evil.test', 'access-control-request-method': 'GET' }
    const leak = await handler(new Request(`${ORIGIN}/api/users`, { method: 'OPTIONS', headers }))
    expect(leak.status).toBe(200)
    const text = await leak.text()
    expect(text).toBe('')
    expect([...leak.headers.keys()].filter((n) => !n.startsWith('access-control-') && n !== 'vary')).toEqual([])
    expect(JSON.stringify([...leak.headers])).not.toContain(IBAN)

    // A real CORS layer's answer goes through intact.
    const ok = await handler(new Request(`${ORIGIN}/api/public/x`, { method: 'OPTIONS', headers: { ...headers, origin: 'https://app.test', 'access-control-request-headers': 'content-type' } }))
    expect(ok.status).toBe(204)
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.test')
    expect(ok.headers.get('access-control-allow-methods')).toContain('GET')
    expect(ok.headers.get('vary')).toContain('Origin')
  })

  it('item 4: an OPTIONS that is not a preflight (no Origin), or carries a body, never reaches the app in clear', async () => {
    const app = new Hono()
    let bodySeen: string | undefined
    app.all('/api/users', async (c) => {
      bodySeen = await c.req.text()
      return c.json({ iban: IBAN })
    })
    const handler = withSealwire(server, app.fetch, { preflight: app.fetch })
    const noOrigin = await handler(new Request(`${ORIGIN}/api/users`, { method: 'OPTIONS', headers: { 'access-control-request-method': 'GET' } }))
    expect(noOrigin.status).toBe(415)
    const withBody = await handler(new Request(`${ORIGIN}/api/users`, { method: 'OPTIONS', headers: { origin: 'https://x.test', 'access-control-request-method': 'GET', 'content-type': 'application/json' }, body: '{"plain":"text"}' }))
    expect(await withBody.text()).toBe('')
    expect(bodySeen).toBe('') // the app saw a preflight without the plaintext body
  })

  it("item 1: Hono's methodOverride behind Sealwire cannot turn a sealed POST into DELETE", async () => {
    const app = new Hono()
    const calls: string[] = []
    app.use('/api/*', methodOverride({ app, header: 'X-HTTP-Method-Override' }))
    app.post('/api/items/:id', (c) => {
      calls.push('POST')
      return c.json({ updated: c.req.param('id') })
    })
    app.delete('/api/items/:id', (c) => {
      calls.push('DELETE')
      return c.json({ deleted: c.req.param('id') })
    })
    const handler = withSealwire(server, app.fetch)
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/api/items/7', body: { name: 'x' } })
    const attack = new Request(`${ORIGIN}/api/items/7`, { method: 'POST', headers: { ...sealed.headers, 'x-http-method-override': 'DELETE' }, body: sealed.httpBody! })
    const res = await handler(attack)
    expect(res.status).toBe(400)
    expect((await open<{ code: string }>(res, sealed)).json.code).toBe('binding_mismatch')
    expect(calls).toEqual([])
    // The victim's request, as sealed, still works (its jti was not used up).
    const ok = await handler(requestFor(sealed, 'POST', '/api/items/7'))
    expect((await open(ok, sealed)).json).toEqual({ updated: '7' })
    expect(calls).toEqual(['POST'])
  })

  it('item 6: Response.error() (status 0) is a sealed 500, never a sealed 200', async () => {
    const handler = withSealwire(server, () => Response.error())
    const sealed = await seal({ recipient: keys.recipients['P-256'], method: 'POST', target: '/x', body: 1 })
    const res = await handler(requestFor(sealed, 'POST', '/x'))
    expect(res.status).toBe(500)
    const opened = await open<{ code: string }>(res, sealed)
    expect([opened.status, opened.json.code]).toEqual([500, 'internal_error'])
  })
})

describe('a server whose replay store protects one instance only', () => {
  it('is refused at construction (TypeError naming the shared stores) unless singleInstance says one instance runs', async () => {
    const memory = createSealwireServer({ keys: keys.ring })
    expect(memory.instanceLocalReplayStore).toBe(true)
    expect(() => withSealwire(memory, () => new Response('no'))).toThrow(TypeError)
    expect(() => withSealwire(memory, () => new Response('no'))).toThrow(/@sealwire\/redis.*@sealwire\/dynamodb.*@sealwire\/cloudflare.*singleInstance: true/)
    // An explicit MemoryReplayStore is the same memory.
    const explicit = createSealwireServer({ keys: keys.ring, replayStore: new MemoryReplayStore() })
    expect(() => withSealwire(explicit, () => new Response('no'))).toThrow(/MemoryReplayStore/)
    // A shared store (anything that is not the memory store) is accepted as it is.
    const shared = createSealwireServer({ keys: keys.ring, replayStore: { checkAndSet: async () => true } })
    expect(shared.instanceLocalReplayStore).toBe(false)
    expect(typeof withSealwire(shared, () => new Response('ok'))).toBe('function')
    expect(typeof withSealwire(server, () => new Response('ok'))).toBe('function')
  })
})
