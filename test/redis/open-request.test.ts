import {
  KeyRing,
  SealwireError,
  generateKeyPair,
  importRecipientKey,
  openRequest,
  replyContextOf,
  sealRequest,
  type RecipientKey,
} from '@sealwire/core'
import { RedisReplayStore, failFastClientOptions } from '@sealwire/redis'
import { createClient } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisServer, findRedisServer, waitFor } from '../helpers/redis-server.js'

const newClient = (url: string) => createClient(failFastClientOptions({ url }))
type Client = ReturnType<typeof newClient>

const redisBin = findRedisServer()

/**
 * Core's openRequest with a Redis replay store, as two server instances would
 * run it: each its own KeyRing (same private key), its own client and store,
 * one shared Redis.
 */
describe.skipIf(redisBin === undefined)('openRequest with RedisReplayStore: two instances, one Redis', () => {
  const request = { method: 'POST', target: '/api/transfers' }
  let server: RedisServer
  let recipient: RecipientKey
  let admin: Client
  const clients: Client[] = []
  let instances: Array<{ keyRing: KeyRing; replayStore: RedisReplayStore }>

  async function connect(): Promise<Client> {
    const client = newClient(server.url)
    client.on('error', () => {}) // outages are expected below
    await client.connect()
    clients.push(client)
    return client
  }

  const open = (envelope: string, i: number) => {
    const instance = instances[i % instances.length]!
    return openRequest(envelope, { ...instance, request })
  }

  const settle = async (promises: Array<Promise<unknown>>) => {
    const results = await Promise.allSettled(promises)
    const accepted = results.filter((r) => r.status === 'fulfilled')
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as SealwireError).code] : []))
    return { accepted, codes, results }
  }

  beforeAll(async () => {
    server = await RedisServer.start(redisBin!)
    admin = await connect()
    const { privateJwk, publicJwk } = await generateKeyPair('P-256')
    recipient = await importRecipientKey(publicJwk)
    instances = []
    for (let i = 0; i < 2; i++) {
      instances.push({ keyRing: await KeyRing.from([privateJwk]), replayStore: new RedisReplayStore({ client: await connect(), timeoutMs: 300 }) })
    }
  })

  afterAll(async () => {
    for (const client of clients) client.destroy()
    await server?.dispose()
  })

  it('of 50 concurrent openings of the same envelope across both instances, exactly one is accepted', async () => {
    const sealed = await sealRequest({ recipient, request, body: { amount: 100, to: 'acct-42' } })
    await admin.configResetStat()
    const { accepted, codes, results } = await settle(Array.from({ length: 50 }, (_, i) => open(sealed.envelope, i)))

    expect(accepted).toHaveLength(1)
    expect(codes).toHaveLength(49)
    expect(new Set(codes)).toEqual(new Set(['replayed_request']))
    for (const r of results) if (r.status === 'rejected') expect((r.reason as SealwireError).status).toBe(409)
    // One SET NX per opening reached the shared Redis: both instances really raced there.
    expect(Number(/cmdstat_set:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1])).toBe(50)
    const jti = sealed.reply.jti
    expect(await admin.exists(`sealwire:jti:${jti}`)).toBe(1)
    // TTL covers the freshness window core asks for: maxAge 60 s + 2 × maxSkew 5 s.
    const pttl = await admin.pTTL(`sealwire:jti:${jti}`)
    expect(pttl).toBeGreaterThan(60_000)
    expect(pttl).toBeLessThanOrEqual(70_000)
  })

  it('different requests are all accepted, spread over both instances', async () => {
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => sealRequest({ recipient, request, body: { n: 1 } })))
    const { accepted } = await settle(envelopes.map((s, i) => open(s.envelope, i)))
    expect(accepted).toHaveLength(20)
  })

  it('Redis stopped: openRequest fails closed with replay_guard_unavailable (503), nothing accepted', async () => {
    const sealed = await Promise.all(Array.from({ length: 10 }, () => sealRequest({ recipient, request, body: { amount: 5 } })))
    await server.stop()
    try {
      for (const client of clients) await waitFor(() => !client.isReady, 'the clients to notice the outage')
      const { accepted, codes, results } = await settle(sealed.map((s, i) => open(s.envelope, i)))
      expect(accepted).toHaveLength(0)
      expect(codes).toEqual(Array(10).fill('replay_guard_unavailable'))
      for (const r of results) {
        const err = (r as PromiseRejectedResult).reason as SealwireError
        expect(err.status).toBe(503)
        // Raised after decryption: the server can answer it encrypted to the requester.
        expect(replyContextOf(err)).toBeDefined()
      }
    } finally {
      await server.restart()
      for (const client of clients) await waitFor(() => client.isReady, 'the clients to reconnect')
    }
    // A request refused for the outage was not accepted: its envelope is still unused once Redis is back
    // (this Redis kept nothing across the restart, so this shows only that the retry path works).
    const retried = await open(sealed[0]!.envelope, 0)
    expect(retried.body).toEqual({ amount: 5 })
  }, 20_000)

  it('Redis hung: openRequest fails closed within the store deadline instead of hanging', async () => {
    const sealed = await sealRequest({ recipient, request, body: { amount: 7 } })
    server.freeze()
    try {
      const err = await open(sealed.envelope, 1).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(SealwireError)
      expect(err).toMatchObject({ code: 'replay_guard_unavailable', status: 503 })
    } finally {
      server.thaw()
    }
  })
})
