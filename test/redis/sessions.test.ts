/**
 * Sessions (docs/PROTOCOL.md §11) across two server instances sharing a real
 * Redis: established on one, used on the other, revoked from either; a session
 * Redis that is down makes requests fall back to v1, never fail.
 */
import { generateKeyPair } from '@sealwire/core'
import { createClient as createSealwireClient } from '@sealwire/client'
import { RedisReplayStore, RedisSessionStore, failFastClientOptions } from '@sealwire/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer } from '../helpers/redis-server.js'
import { startSessionServer, type SessionServer } from '../sessions/support.js'

const redisBin = findRedisServer()
const keys = [(await generateKeyPair('X25519')).privateJwk]
const newClient = (url: string) => createClient(failFastClientOptions({ url }))

describe.skipIf(redisBin === undefined)('RedisSessionStore: two instances, one Redis', () => {
  let replayRedis: RedisServer
  let sessionRedis: RedisServer
  const clients: Array<ReturnType<typeof newClient>> = []
  const instances: SessionServer[] = []

  beforeAll(async () => {
    replayRedis = await RedisServer.start(redisBin!)
    sessionRedis = await RedisServer.start(redisBin!)
    for (let i = 0; i < 2; i++) {
      const replay = newClient(replayRedis.url)
      const sessions = newClient(sessionRedis.url)
      for (const c of [replay, sessions]) {
        c.on('error', () => {}) // the session Redis goes down below
        await c.connect()
        clients.push(c)
      }
      instances.push(
        await startSessionServer({
          keys,
          replayStore: new RedisReplayStore({ client: replay }),
          sessions: { store: new RedisSessionStore({ client: sessions, timeoutMs: 300 }), ttlSeconds: 120 },
        }),
      )
    }
  })
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.close()))
    for (const c of clients) c.destroy()
    await replayRedis?.stop()
    await sessionRedis?.stop()
  })

  /** A client of instance A whose requests go to `target()` (the same keys, the same origin it seals). */
  function clientVia(target: () => SessionServer) {
    return createSealwireClient({
      baseUrl: instances[0]!.url,
      fetch: (input, init) => fetch(String(input).replace(instances[0]!.url, target().url), init),
    })
  }

  it('established on A, used on B (no key agreement there), revoked from B, then fails closed to v1 when its Redis is down', async () => {
    const [a, b] = instances as [SessionServer, SessionServer]
    let via = a
    const api = clientVia(() => via)
    expect(await api.post('/api/echo', { n: 0 })).toMatchObject({ sid: null })
    const key = (await clients[1]!.keys('sealwire:ses:*'))[0]!
    const ttl = await clients[1]!.pTTL(key)
    expect(ttl).toBeGreaterThan(100_000)
    expect(ttl).toBeLessThanOrEqual(120_000)

    via = b
    const before = b.backend.agreements
    const within = (await api.post('/api/echo', { n: 1 })) as { sid: string }
    expect(within.sid).toBe(key.slice('sealwire:ses:'.length))
    expect(b.backend.agreements).toBe(before)
    expect(b.wire.at(-1)!.header).toMatchObject({ alg: 'dir', sid: within.sid })

    await b.server.revokeSessions()
    expect(await clients[1]!.keys('sealwire:ses:*')).toEqual([])
    via = a
    expect(await api.post('/api/echo', { n: 2 })).toMatchObject({ body: { n: 2 }, sid: null })
    const [refused, resend] = a.wire.slice(-2).map((e) => e.header)
    expect(refused).toMatchObject({ sid: within.sid })
    expect(resend).toMatchObject({ alg: 'ECDH-ES', jti: refused!.jti, iat: refused!.iat })
    // The resend offered, and got, a new session.
    expect((await api.post('/api/echo', { n: 3 })) as { sid: string }).toMatchObject({ sid: expect.stringMatching(/^[\w-]{22}$/) })

    await sessionRedis.stop()
    const answer = await api.post('/api/echo', { n: 4 })
    expect(answer).toMatchObject({ body: { n: 4 }, sid: null })
    expect(a.wire.at(-1)!.header).toMatchObject({ alg: 'ECDH-ES' })
  })
})
