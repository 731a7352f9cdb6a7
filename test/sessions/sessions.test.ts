// Forward-secret sessions (docs/PROTOCOL.md §11), client against server over real HTTP on loopback.
import { generateKeyPair, importRecipientKey, sealRequest, type PrivateJwk } from '@sealwire/core'
import { createClient } from '@sealwire/client'
import { createSealwireServer } from '@sealwire/server'
import { afterAll, describe, expect, it } from 'vitest'
import { startSessionServer, type SessionServer, type SessionServerOptions } from './support.js'

const x25519 = (await generateKeyPair('X25519')).privateJwk
const p256 = (await generateKeyPair('P-256')).privateJwk

const opened: SessionServer[] = []
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()))
})
async function start(options: Partial<SessionServerOptions> = {}): Promise<SessionServer> {
  const server = await startSessionServer({ keys: [x25519, p256], sessions: {}, ...options })
  opened.push(server)
  return server
}

const post = (api: ReturnType<typeof createClient>, n: number) => api.post('/api/echo', { n }) as Promise<{ body: unknown; sid: string | null; kid: string }>

describe('establishment', () => {
  it.each([
    ['X25519', [x25519, p256]],
    ['P-256', [p256]],
  ] as Array<[string, PrivateJwk[]]>)('on %s: the first request agrees a session, the next ones carry its sid, no epk, and cost the server no key agreement', async (_crv, keys) => {
    const srv = await start({ keys })
    const api = createClient({ baseUrl: srv.url })
    const first = await post(api, 1)
    expect(first).toMatchObject({ body: { n: 1 }, sid: null })
    expect(srv.wire[0]!.header).toMatchObject({ alg: 'ECDH-ES', ses: 1 })
    expect(srv.wire[0]!.header).toHaveProperty('epk')
    // One ECDH to open the request, one to agree the session.
    expect(srv.backend.agreements).toBe(2)

    const second = await post(api, 2)
    const third = await api.get('/api/items?id=7')
    expect(second.sid).toMatch(/^[\w-]{22}$/)
    expect(third).toMatchObject({ sid: second.sid })
    for (const { header } of srv.wire.slice(1)) {
      expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM', typ: 'sealwire-req+jwe', sid: second.sid })
      expect(header).not.toHaveProperty('epk')
      expect(header).not.toHaveProperty('kid')
      expect(header).not.toHaveProperty('ses')
    }
    expect(srv.backend.agreements).toBe(2)
  })

  it('20 parallel requests while the first establishment is in flight: all answered, one establishment, the rest plain v1', async () => {
    const srv = await start()
    const api = createClient({ baseUrl: srv.url })
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => post(api, n)))
    expect(answers.map((a) => a.body)).toEqual(Array.from({ length: 20 }, (_, n) => ({ n })))
    expect(srv.wire.filter((e) => e.header.ses === 1)).toHaveLength(1)
    expect(srv.wire.filter((e) => 'sid' in e.header)).toHaveLength(0)
    // 20 opens and one agreement; afterwards, within the session.
    expect(srv.backend.agreements).toBe(21)
    expect((await post(api, 20)).sid).not.toBeNull()
    expect(srv.backend.agreements).toBe(21)
  })
})

describe('fallback: one v1 resend under the same jti and iat, the handler run once', () => {
  async function established(options: Partial<SessionServerOptions> = {}) {
    const srv = await start(options)
    const api = createClient({ baseUrl: srv.url })
    await post(api, 0)
    const { sid } = await post(api, 1)
    expect(sid).not.toBeNull()
    return { srv, api, sid: sid! }
  }

  /** The last two envelopes: the refused one within the session, and its v1 resend. */
  function expectResend(srv: SessionServer, sid: string): void {
    const [refused, resend] = srv.wire.slice(-2).map((e) => e.header)
    expect(refused).toMatchObject({ alg: 'dir', sid })
    expect(resend).toMatchObject({ alg: 'ECDH-ES', jti: refused!.jti, iat: refused!.iat })
    expect(resend).not.toHaveProperty('sid')
    expect(srv.runs.get(resend!.jti as string)).toBe(1)
  }

  it('expired by the server clock', async () => {
    let skew = 0
    const { srv, api, sid } = await established({ sessions: { ttlSeconds: 10 }, clock: () => Date.now() + skew })
    skew = 11_000 // the server's clock passes exp; the client's still sees the session alive
    expect(await post(api, 2)).toMatchObject({ body: { n: 2 } })
    expectResend(srv, sid)
  })

  it('revoked: revokeSessions() ends it; the resend establishes a new session', async () => {
    const { srv, api, sid } = await established()
    await srv.server.revokeSessions()
    expect(await post(api, 2)).toMatchObject({ body: { n: 2 }, sid: null })
    expectResend(srv, sid)
    expect(srv.wire.at(-1)!.header.ses).toBe(1)
    const next = await post(api, 3)
    expect(next.sid).not.toBeNull()
    expect(next.sid).not.toBe(sid)
  })

  it('its key removed from the ring: unknown_session, then the v1 resend finds the key gone too and moves to the new one', async () => {
    const { srv, api, sid } = await established({ keys: [x25519] })
    const fresh = (await generateKeyPair('X25519')).privateJwk
    await srv.keyRing.add(fresh, { primary: true })
    srv.keyRing.remove(x25519.kid)
    expect(await post(api, 2)).toMatchObject({ body: { n: 2 }, kid: fresh.kid })
    const [refused, resend, retried] = srv.wire.slice(-3).map((e) => e.header)
    expect(refused).toMatchObject({ sid })
    expect(resend).toMatchObject({ alg: 'ECDH-ES', kid: x25519.kid, jti: refused!.jti, iat: refused!.iat })
    expect(retried).toMatchObject({ alg: 'ECDH-ES', kid: fresh.kid, jti: refused!.jti })
    expect(srv.runs.get(refused!.jti as string)).toBe(1)
  })

  it('a forged unknown_session after the server ran the request: the resend is a replay (409), never a second run', async () => {
    const srv = await start()
    let forge = false
    const api = createClient({
      baseUrl: srv.url,
      fetch: async (input, init) => {
        const res = await fetch(input, init)
        if (!forge) return res
        forge = false
        await res.arrayBuffer() // the real, sealed answer, dropped by the man in the middle
        return new Response(JSON.stringify({ code: 'unknown_session', status: 400 }), { status: 400, headers: { 'content-type': 'application/problem+json' } })
      },
    })
    await post(api, 0)
    const { sid } = await post(api, 1)
    forge = true
    const error = await post(api, 2).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 409 })
    const [ran, resend] = srv.wire.slice(-2).map((e) => e.header)
    expect(ran).toMatchObject({ sid })
    expect(resend).toMatchObject({ alg: 'ECDH-ES', jti: ran!.jti, iat: ran!.iat })
    expect(srv.runs.get(ran!.jti as string)).toBe(1)
  })

  it('a server that turned sessions off answers unknown_session: the client falls back and stops offering', async () => {
    const on = await start()
    const api = createClient({ baseUrl: on.url })
    await post(api, 0)
    const { sid } = await post(api, 1)
    // The same address, the same keys, sessions off: as after a redeploy without them.
    const off = createSealwireServer({ keys: on.keyRing, allowInsecureLoopback: true })
    const envelope = on.wire.at(-1)!
    expect(envelope.header.sid).toBe(sid)
    on.server.handle = off.handle.bind(off)
    expect(await post(api, 2)).toMatchObject({ body: { n: 2 }, sid: null })
    expectResend(on, sid!)
  })
})

describe('sessions off', () => {
  it('a client against a server without sessions never sends sid, and offers at most once a minute', async () => {
    const srv = await start({ sessions: undefined })
    const api = createClient({ baseUrl: srv.url })
    for (let n = 0; n < 4; n++) expect(await post(api, n)).toMatchObject({ body: { n }, sid: null })
    expect(srv.wire.filter((e) => 'sid' in e.header)).toHaveLength(0)
    expect(srv.wire.filter((e) => e.header.ses === 1)).toHaveLength(1)
    expect(srv.backend.agreements).toBe(4)
  })

  it('sessions: false on the client: plain v1 against a server with sessions', async () => {
    const srv = await start()
    const api = createClient({ baseUrl: srv.url, sessions: false })
    for (let n = 0; n < 3; n++) await post(api, n)
    expect(srv.wire.every((e) => e.header.alg === 'ECDH-ES' && !('ses' in e.header))).toBe(true)
  })

  it('a server without sessions answers an envelope within a session unknown_session (400, plain)', async () => {
    const srv = await start({ sessions: undefined })
    const recipient = await importRecipientKey(x25519)
    const sealed = await sealRequest({ recipient, request: { method: 'POST', target: '/api/echo' }, body: 1, session: { sid: 'AAAAAAAAAAAAAAAAAAAAAA', secret: new Uint8Array(32).fill(9) } })
    const res = await fetch(`${srv.url}/api/echo`, { method: 'POST', headers: sealed.headers, body: sealed.httpBody! })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(await res.json()).toMatchObject({ code: 'unknown_session', type: 'urn:sealwire:problem:unknown_session' })
  })

  it('ttlSeconds above 3600 is a TypeError naming the limit', () => {
    expect(() => createSealwireServer({ keys: [x25519], sessions: { ttlSeconds: 3601 } })).toThrow(TypeError)
    expect(() => createSealwireServer({ keys: [x25519], sessions: { ttlSeconds: 3601 } })).toThrow(/sessions\.ttlSeconds: must be at most 3600/)
  })
})
