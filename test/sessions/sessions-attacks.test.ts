/**
 * The outside review of sessions, kept as regression tests: each attack as it
 * was mounted, asserting that it now fails.
 */
import {
  MemorySessionStore,
  acceptSession,
  decodeProtectedHeader,
  joseBackend,
  toPublicJwk,
  generateKeyPair,
  importRecipientKey,
  offerSession,
  openResponse,
  sealRequest,
  type SessionRecord,
} from '@sealwire/core'
import { createClient } from '@sealwire/client'
import { RedisReplayStore, RedisSessionStore, failFastClientOptions } from '@sealwire/redis'
import { MemoryGuardStore, createSealwireServer } from '@sealwire/server'
import { CompactEncrypt, importJWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { createClient as createRedisClient } from 'redis'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { SessionKeeper } from '../../packages/client/src/session/session-keeper.js'
import { RedisServer, findRedisServer } from '../helpers/redis-server.js'

const x25519 = (await generateKeyPair('X25519')).privateJwk
const hdr = (env: string) => decodeProtectedHeader(env)

/** An in-process server behind a fetch, with a wire log. */
async function engine(opts: { guard?: object; sessionStore?: MemorySessionStore } = {}) {
  const sessionStore = opts.sessionStore ?? new MemorySessionStore()
  const server = createSealwireServer({ keys: [x25519], allowInsecureLoopback: true, singleInstance: true, sessions: { store: sessionStore }, ...(opts.guard === undefined ? {} : { guard: opts.guard as never }) })
  await server.ready
  const wire: string[] = []
  const direct = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init)
    const url = new URL(req.url)
    if (server.isJwksRequest(req.method, url.pathname)) {
      const r = await server.jwks(url.pathname)
      return new Response(r.body, { status: r.status, headers: r.headers })
    }
    wire.push(req.headers.get('sealwire-envelope') ?? (await req.clone().text()))
    return server.handle(req, (ex) => Response.json({ body: ex.body }), { peer: '127.0.0.1' })
  }
  return { server, wire, direct, sessionStore }
}

describe('the memory session store', () => {
  it('erases an ended session at the next lookup, its secret overwritten, even when no new session is made', async () => {
    let now = 1_800_000_000_000
    const store = new MemorySessionStore({ clock: () => now })
    const secret = new Uint8Array(32).fill(7)
    const record: SessionRecord = { secret, kid: 'k', crv: 'X25519', origin: '', exp: now / 1000 + 300 }
    await store.set('AAAAAAAAAAAAAAAAAAAAAA', record)
    now += 3_600_000
    expect(await store.get('BBBBBBBBBBBBBBBBBBBBBB')).toBeUndefined()
    expect(store.size).toBe(0)
    expect(secret.every((b) => b === 0)).toBe(true)
  })

  it('does not establish a session bound to an origin that is not a normalized origin (kilobytes of hto per record)', async () => {
    const { server, sessionStore } = await engine()
    const recipient = await importRecipientKey(x25519)
    const offer = (await offerSession(recipient))!
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/x', origin: 'https://a.example' }, body: null, offer })
    const { epk: _epk, ...rest } = hdr(sealed.envelope) as Record<string, unknown>
    const pub = await importJWK({ kty: 'OKP', crv: 'X25519', x: x25519.x }, 'ECDH-ES')
    const rk = Buffer.alloc(32, 1).toString('base64url')
    const env = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ rk, body: null, cpk: offer.cpk })))
      .setProtectedHeader({ ...rest, hto: 'Ā'.repeat(436) } as never)
      .encrypt(pub)
    const res = await server.handle(new Request('http://127.0.0.1/api/x', { method: 'POST', headers: { 'content-type': 'application/jose' }, body: env }), () => new Response('ok'), { peer: '127.0.0.1' })
    expect(res.status).toBe(200)
    expect('ses' in hdr(await res.text())).toBe(false)
    expect(sessionStore.size).toBe(0)
  })
})

describe('the behaviour guard and sessions', () => {
  it('counts unknown_session: random sids meet a 429 once the failure budget is spent', async () => {
    const { server } = await engine({ guard: { store: new MemoryGuardStore({ budget: 5, windowSeconds: 60, coolDownSeconds: 60 }) } })
    const recipient = await importRecipientKey(x25519)
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) {
      const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/x' }, body: 1, session: { sid: randomBytes(16).toString('base64url'), secret: new Uint8Array(randomBytes(32)) } })
      const res = await server.handle(new Request('http://127.0.0.1/api/x', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! }), () => new Response('x'), { peer: '127.0.0.1' })
      statuses.push(res.status)
    }
    expect(statuses).toContain(429)
  })
})

describe('a session forgotten after it was chosen: its zeroed secret never seals a request', () => {
  // S is overwritten with zeros when its session is forgotten; HKDF of those zeros is a key anyone can compute.
  it('sealRequest refuses it with unknown_session, on the Node backend and on jose over WebCrypto', async () => {
    const { server } = await engine()
    for (const backend of [undefined, joseBackend]) {
      const recipient = await importRecipientKey(toPublicJwk(x25519), backend)
      const offer = (await offerSession(recipient))!
      const request = { method: 'POST', target: '/api/x', origin: 'http://127.0.0.1' }
      const sealed = await sealRequest({ recipient, request, body: 1, offer })
      const res = await server.handle(new Request('http://127.0.0.1/api/x', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! }), () => new Response('x'), { peer: '127.0.0.1' })
      const opened = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
      const session = (await acceptSession(offer, opened.session, { jti: sealed.reply.jti, origin: request.origin, nowSeconds: Math.floor(Date.now() / 1000) }))!
      expect((await sealRequest({ recipient, request, body: 2, session })).envelope.split('.')[0]).toBeTruthy()
      session.secret.fill(0)
      await expect(sealRequest({ recipient, request, body: 3, session })).rejects.toMatchObject({ code: 'unknown_session' })
    }
  })

  it('the client then sends the call as v1: nothing on the wire opens under the zeros', async () => {
    const { direct, wire } = await engine()
    const api = createClient({ baseUrl: 'http://127.0.0.1:1', fetch: direct })
    await api.post('/api/x', 1)
    // Another call drops the session between this call choosing it and sealing: its secret is zeros by then.
    const plan = SessionKeeper.prototype.plan
    const spy = vi.spyOn(SessionKeeper.prototype, 'plan').mockImplementation(async function (this: SessionKeeper, ...args) {
      const chosen = await plan.apply(this, args)
      if (chosen.kind === 'session') chosen.session.secret.fill(0)
      return chosen
    })
    try {
      const sent = wire.length
      expect(await api.post('/api/x', { n: 2 })).toEqual({ body: { n: 2 } })
      const envelopes = wire.slice(sent)
      expect(envelopes.map((e) => hdr(e).alg)).toEqual(['ECDH-ES'])
    } finally {
      spy.mockRestore()
    }
  })
})

describe('the client', () => {
  it('a tampered answer to the establishing request frees the offer: a later request offers again', async () => {
    const { direct, wire } = await engine()
    let tamper = true
    const api = createClient({
      baseUrl: 'http://127.0.0.1:1',
      fetch: async (input, init) => {
        const req = new Request(input, init)
        const res = await direct(req)
        if (tamper && new URL(req.url).pathname.startsWith('/api/')) {
          tamper = false
          return new Response('<html>proxy</html>', { status: 200, headers: { 'content-type': 'text/html' } })
        }
        return res
      },
    })
    await expect(api.post('/api/x', 1)).rejects.toMatchObject({ code: 'response_not_encrypted' })
    for (let n = 0; n < 3; n++) await api.post('/api/x', n)
    expect(wire.filter((e) => hdr(e).ses === 1).length).toBeGreaterThanOrEqual(2)
    expect(wire.filter((e) => hdr(e).alg === 'dir').length).toBeGreaterThanOrEqual(1)
  })

  it('overwrites a session secret it drops or lets expire', async () => {
    const { server } = await engine()
    const recipient = await importRecipientKey(x25519)
    const keeper = new SessionKeeper()
    const establish = async () => {
      const plan = await keeper.plan(recipient, 'http://127.0.0.1', Date.now())
      const offer = (plan as unknown as { offer: never }).offer
      const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/x', origin: 'http://127.0.0.1' }, body: 1, offer })
      const res = await server.handle(new Request('http://127.0.0.1/api/x', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! }), () => new Response('x'), { peer: '127.0.0.1' })
      const opened = await openResponse(await res.text(), { reply: sealed.reply, status: res.status })
      await keeper.settle(offer, opened.session, { jti: sealed.reply.jti, origin: 'http://127.0.0.1', nowMs: Date.now() })
      return ((await keeper.plan(recipient, 'http://127.0.0.1', Date.now())) as { session: { secret: Uint8Array; exp: number } }).session
    }
    const dropped = await establish()
    keeper.drop(dropped as never)
    expect(dropped.secret.every((b) => b === 0)).toBe(true)
    const expired = await establish()
    await keeper.plan(recipient, 'http://127.0.0.1', expired.exp * 1000 + 10_000)
    expect(expired.secret.every((b) => b === 0)).toBe(true)
  })
})

const bin = findRedisServer()
describe.skipIf(bin === undefined && process.env.CI !== 'true')('the Redis session store beside the replay store', () => {
  const servers: RedisServer[] = []
  const clients: Array<{ quit(): Promise<unknown> }> = []
  afterAll(async () => {
    for (const c of clients) await c.quit().catch(() => {})
    for (const s of servers) await s.stop()
  })

  it("refuses a keyPrefix that covers the replay store's keys, and revokeSessions() never deletes accepted jtis", async () => {
    const srv = await RedisServer.start(bin!, [])
    servers.push(srv)
    const client = createRedisClient(failFastClientOptions({ url: srv.url }))
    client.on('error', () => {})
    await client.connect()
    clients.push(client)
    expect(() => new RedisSessionStore({ client: client as never, keyPrefix: 'sealwire:' })).toThrow(/replay store/)
    // A prefix of its own that happens to sit beside another writer's keys: only session ids are deleted.
    await client.set('sealwire:ses:not-a-session:jti', 'x')
    const server = createSealwireServer({ keys: [x25519], allowInsecureLoopback: true, replayStore: new RedisReplayStore({ client: client as never }), sessions: { store: new RedisSessionStore({ client: client as never }) } })
    await server.ready
    let runs = 0
    const sealed = await sealRequest({ recipient: await importRecipientKey(x25519), request: { method: 'POST', target: '/api/transfer' }, body: { amount: 100 } })
    const send = () =>
      server.handle(new Request('http://127.0.0.1/api/transfer', { method: 'POST', headers: sealed.headers, body: sealed.httpBody! }), () => {
        runs++
        return new Response('done')
      }, { peer: '127.0.0.1' })
    expect((await send()).status).toBe(200)
    await server.revokeSessions()
    expect((await send()).status).toBe(409)
    expect(runs).toBe(1)
    expect(await client.get('sealwire:ses:not-a-session:jti')).toBe('x')
  })
})
